"""`pytest probes/` as QA runs it (the plugin through its entry point, the embedded target, the thresholds).

Run in a subprocess: this is exactly the command a QA engineer types, and the probes' session fixtures (their
own target and browser) stay out of this process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bigday.settings.scenario import DEFAULT_SCENARIO

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def pytest_probes(*args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "probes/", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.serial  # the scenario's thresholds are timings: beside parallel workers a p95 LCP crosses 2 s
def test_critical_path_probes_pass_on_the_reference_target():
    # Three runs a page, the quick rehearsal's count: the p95 bounds read near the worst run either way.
    out = pytest_probes("--bigday-runs", "3")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "6 passed" in out.stdout


def test_a_breached_threshold_fails_the_probe_naming_metric_and_aggregate(tmp_path):
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["thresholds"].append(
        {"metric": "lcp", "aggregate": "median", "bound": "5ms", "level": "error", "pages": ["timeline-editor"]}
    )
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump(data))
    out = pytest_probes("-k", "thresholds and timeline", "--bigday-scenario", str(strict), "--bigday-runs", "1")
    assert out.returncode == 1, out.stdout[-3000:]
    assert "1 failed" in out.stdout
    assert "lcp median = " in out.stdout and "> 5 (error)" in out.stdout
