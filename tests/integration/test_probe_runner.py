"""run_probe's run folder, retries and failure records, against the reference target with the session Chromium."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bigday.cli.common import app_under_test
from bigday.probe.app import AppUnderTest
from bigday.probe.assets import package_version
from bigday.probe.insights import TIMING_KINDS
from bigday.probe.results import SAMPLE_METRICS
from bigday.probe.runner import ProbeOptions, probe_app
from bigday.runfolder import RunFolder, read_manifest
from bigday.settings.scenario import DEFAULT_SCENARIO, Scenario, load_scenario

pytestmark = pytest.mark.browser
SAMPLE_KEYS = {
    "page",
    "path",
    "tenant",
    "run_index",
    "warm",
    "profile",
    "device",
    "connection",
    "browser",
    "browser_version",
    "ok",
    "error",
    "attempt",
    "started_at",
    "metrics",
    "details",
    "engine",
}


@pytest.fixture(scope="module")
def reference_app(bigday_scenario: Scenario) -> Iterator[AppUnderTest]:
    with app_under_test(None, bigday_scenario) as app:
        yield app


def test_run_folder_holds_manifest_samples_and_summary(tmp_path, bigday_browser, reference_app, bigday_scenario):
    options = ProbeOptions(
        scenario=bigday_scenario, results_dir=tmp_path, runs=2, pages=("dashboard",), warm=True, accessibility="every"
    )
    outcome = probe_app(options, reference_app, browser=bigday_browser)
    assert outcome.complete and outcome.exit_code == 0
    # The clean target, cold and warm, delivers well: no finding that does not rest on timing (this test runs
    # beside others; tests/integration/test_insights.py holds the timing ones in the serial pass).
    delivered = [r for r in outcome.recommendations if r.kind not in TIMING_KINDS]
    assert delivered == [], [(r.id, r.evidence) for r in delivered]

    folder = RunFolder.open(outcome.folder.path)
    manifest = read_manifest(folder)
    assert manifest.kind == "probe" and manifest.status == "ok" and manifest.complete is True
    env = manifest.environment
    assert env.browser == "chromium" and env.browser_version == bigday_browser.version
    assert env.web_vitals_version == package_version("web-vitals") and env.profile == "desktop"
    assert manifest.app.embedded_target is True and manifest.app.base_url == reference_app.base_url
    assert manifest.scenario.sha256 == bigday_scenario.sha256

    samples = folder.read("samples.json")["samples"]
    assert [(s["run_index"], s["warm"]) for s in samples] == [(0, False), (0, True), (1, False), (1, True)]
    for s in samples:
        assert SAMPLE_KEYS <= set(s) and s["ok"] and s["error"] is None and s["profile"] == "desktop"
        assert set(s["metrics"]) == set(SAMPLE_METRICS)
        assert s["metrics"]["inp"] is not None and s["metrics"]["lcp"] > 0
        assert s["details"]["http_status"] == 200
        assert set(s["details"]["resources"]["js_chunks"]) >= {"main", "vendor", "dashboard"}
    cold = [s for s in samples if not s["warm"]]
    assert all(0 <= s["metrics"]["accessibility_score"] <= 100 for s in cold)
    assert all(0 <= s["metrics"]["performance_score"] <= 100 for s in cold)
    assert all(s["details"]["accessibility"] is not None for s in cold)
    warm = [s for s in samples if s["warm"]]
    # Warm: the chunks come from the cache, so nothing is transferred for them, yet the page still has its JS.
    assert all(s["details"]["resources"]["by_type"]["script"]["transfer_bytes"] == 0 for s in warm)
    assert all(s["metrics"]["js_bytes"] == cold[0]["metrics"]["js_bytes"] for s in warm)

    summary = folder.read("summary.json")
    lcp = summary["pages"]["dashboard"]["lcp"]
    assert lcp["n"] == 2 and lcp["min"] <= lcp["median"] <= lcp["p75"] <= lcp["p95"] <= lcp["max"]
    assert summary["warm_pages"]["dashboard"]["lcp"]["n"] == 2
    assert summary["runs"]["dashboard"] == {"ok": 2, "failed_attempts": 0, "wanted": 2}


def _scenario_with_missing_page(tmp_path: Path) -> Scenario:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["pages"].append({"name": "gone", "path": "/no-such-page"})
    path = tmp_path / "with-gone.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def test_http_error_is_recorded_retried_and_the_other_pages_go_on(tmp_path, bigday_browser, reference_app):
    scenario = _scenario_with_missing_page(tmp_path)
    options = ProbeOptions(
        scenario=scenario,
        results_dir=tmp_path,
        runs=1,
        pages=("gone", "timeline-editor"),
        max_attempts=2,
        accessibility="off",
    )
    outcome = probe_app(options, reference_app, browser=bigday_browser)
    assert not outcome.complete and outcome.exit_code == 3
    assert outcome.missing == ("gone run 1: HTTP 404 for " + reference_app.base_url + "/no-such-page?tenant=everafter",)
    gone = [r for r in outcome.runs if r.target.page == "gone"]
    assert [(r.ok, r.attempt) for r in gone] == [(False, 1), (False, 2)]
    assert all(r.error and r.error.startswith("HTTP 404") for r in gone)
    assert [r.ok for r in outcome.runs if r.target.page == "timeline-editor"] == [True]
    manifest = read_manifest(RunFolder.open(outcome.folder.path))
    assert manifest.status == "incomplete" and manifest.complete is False
    samples = RunFolder.open(outcome.folder.path).read("samples.json")["samples"]
    assert [s["error"] is None for s in samples] == [False, False, True]
    assert all(v is None for v in samples[0]["metrics"].values())


def test_timeout_is_a_failed_run_with_its_reason(tmp_path, bigday_browser, reference_app, bigday_scenario):
    options = ProbeOptions(
        scenario=bigday_scenario,
        results_dir=tmp_path,
        runs=1,
        pages=("new-form",),
        knobs=(("server_delay", "3000"),),
        timeout_s=1.0,
        max_attempts=1,
    )
    outcome = probe_app(options, reference_app, browser=bigday_browser)
    assert outcome.exit_code == 3
    (run,) = outcome.runs
    assert not run.ok and run.error is not None and run.error.startswith("timeout:")
    assert read_manifest(RunFolder.open(outcome.folder.path)).status == "failed"


CRASH_SCRIPT = """
import json
from bigday.cli.common import app_under_test
from bigday.probe.assets import load_assets
from bigday.probe.browser import chromium
from bigday.probe.measure import MeasureSettings
from bigday.probe.profiles import get_profile
from bigday.probe.results import PageTarget
from bigday.probe.runner import BrowserKeeper, measure_with_retries, page_url
from bigday.settings.scenario import load_scenario

scenario = load_scenario()
with app_under_test(None, scenario) as app, chromium() as browser:
    keeper = BrowserKeeper(browser)
    target = PageTarget("timeline-editor", "/timeline/edit", page_url(app.base_url, "/timeline/edit", "petal"),
                        "petal", scenario.page("timeline-editor").interaction)
    browser.close()  # the browser goes away, as it does when Chromium crashes
    settings = MeasureSettings(profile=get_profile("desktop"), accessibility=False)
    runs = measure_with_retries(keeper, target, settings, load_assets(), 0, max_attempts=2)
    print(json.dumps([[r.ok, r.attempt, r.error] for r in runs]))
    keeper.close_replacement()
"""


def test_a_crashed_browser_is_recorded_and_restarted():
    """In a subprocess: the dead browser and its replacement must not share this process with the session one."""
    out = subprocess.run([sys.executable, "-c", CRASH_SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    (first_ok, first_attempt, reason), (second_ok, second_attempt, second_error) = json.loads(out.stdout)
    assert (first_ok, first_attempt) == (False, 1) and reason.startswith("browser crash:")
    assert (second_ok, second_attempt, second_error) == (True, 2, None)


BUSY_THREAD_SCRIPT = """
import sys
from pathlib import Path
from playwright.sync_api import sync_playwright
from bigday.probe.runner import ProbeOptions
from bigday.cli.common import run_probe
from bigday.settings.scenario import load_scenario

driver = sync_playwright().start()  # as pytest-playwright's session fixture leaves this thread
try:
    outcome = run_probe(ProbeOptions(load_scenario(), results_dir=Path(sys.argv[1]), runs=1,
                                     pages=("timeline-editor",), accessibility="off"))
    print(outcome.complete, outcome.runs[0].vitals.lcp is not None)
finally:
    driver.stop()
"""


def test_run_probe_works_where_a_sync_playwright_already_runs(tmp_path):
    """In a subprocess, so that this process keeps one browser; there the probe runs in a thread of its own."""
    out = subprocess.run(
        [sys.executable, "-c", BUSY_THREAD_SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True"]
