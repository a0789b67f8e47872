"""An app that fails every request does not make the aggressor guilty: with the victim failing alone, before
and without any spike, the isolation evidence is void. The verdict is inconclusive and untrustworthy, the run
exits 3 (not 1), and one line says why. A real loopback target with its error knob at 100%."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bigday.load.plan import PlanOverrides
from bigday.load.rehearsal import LoadOptions, run_isolation_check
from bigday.present.load import load_result_lines
from bigday.settings.scenario import load_scenario
from bigday.target.server import running_target

pytestmark = pytest.mark.load


def test_an_app_failing_alone_is_untrustworthy_evidence_not_a_guilty_aggressor(tmp_path: Path) -> None:
    started = time.monotonic()
    overrides = PlanOverrides(phase="2s", warmup="1s")
    with running_target(errors=100) as url:
        result = run_isolation_check(load_scenario(), url, LoadOptions(overrides=overrides, results_dir=tmp_path))
    (verdict,) = result.verdicts
    assert verdict.alone is not None and verdict.alone.n > 0 and verdict.alone.error_rate == 1.0, verdict
    assert (verdict.status, verdict.trustworthy, result.exit_code) == ("inconclusive", False, 3), verdict
    assert verdict.reason and "failing on its own" in verdict.reason and "everafter" in verdict.reason
    assert verdict.caveats[0] == verdict.reason
    first = load_result_lines(result)[0]
    assert first.startswith("tenant_isolation: INCONCLUSIVE  [UNTRUSTWORTHY: the app failed ") and "\n" not in first
    print(f"\n{first}\ntook {time.monotonic() - started:.1f} s")
