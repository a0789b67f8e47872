"""The isolation bar: against the reference target the verdict FAILs with shared pools and PASSes with fair ones.

Both modes in one test, under 90 s: 12 s phases (~1,250 victim samples each) and a 4 s recovery phase, the
target as it ships (two worker threads per tenant in `fair`; the same six threads in one FIFO pool in
`shared`).
"""

from __future__ import annotations

import time

import pytest

from bigday.load.plan import PlanOverrides
from bigday.load.rehearsal import LoadOptions, run_isolation_check
from bigday.scenario import load_scenario
from bigday.target.server import running_target

pytestmark = [pytest.mark.load, pytest.mark.slow]


def test_isolation_verdict_fails_shared_and_passes_fair(tmp_path):
    scenario = load_scenario()
    options = LoadOptions(overrides=PlanOverrides(phase="12s", recovery="4s"), results_dir=tmp_path)
    start = time.monotonic()
    verdicts = {}
    for mode in ("shared", "fair"):
        with running_target(isolation=mode) as url:
            result = run_isolation_check(scenario, url, options)
        verdicts[mode] = result.verdicts[0]
    elapsed = time.monotonic() - start
    shared, fair = verdicts["shared"], verdicts["fair"]
    summary = {m: (v["status"], v["alone"], v["spike"], v["p95_ratio"], v["reasons"], v["caveats"])
               for m, v in verdicts.items()}
    assert shared["trustworthy"] and fair["trustworthy"], summary
    assert shared["status"] == "fail", summary
    assert shared["p95_ratio"]["low"] > shared["tolerance"], summary
    assert fair["status"] == "pass", summary
    assert fair["p95_ratio"]["high"] <= fair["tolerance"]
    assert min(shared["alone"]["n"], fair["alone"]["n"], fair["spike"]["n"]) >= 1000
    assert shared["aggressor_requests_in_spike"] > 0 and fair["aggressor_requests_in_spike"] > 0
    assert elapsed < 90, f"took {elapsed:.0f}s"
