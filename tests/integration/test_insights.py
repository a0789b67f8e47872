"""Recommendations and delivery checks against ground truth: each reference-target knob makes exactly its
finding fire, naming the resource; the clean target gives none on any page of the default scenario."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from bigday.cli.common import app_under_test
from bigday.probe.app import AppUnderTest
from bigday.probe.assets import load_assets
from bigday.probe.insights import TIMING_KINDS, recommend
from bigday.probe.measure import MeasureSettings, measure
from bigday.probe.profiles import get_profile
from bigday.probe.results import PageTarget
from bigday.probe.runner import ProbeOptions, probe_app
from bigday.runfolder import RunFolder, read_recommendations
from bigday.settings.scenario import Scenario

# Timings decide some findings (long tasks, slow resources): the tests that judge them run in the serial pass;
# the knobs' own findings are bytes, headers and markup, and their test ignores timing findings.
pytestmark = pytest.mark.browser

# knob query -> the one kind it must raise and a resource that finding must name.
KNOBS = {
    "uncompressed=1": ("text_compression", "/static/js/vendor.js"),
    "no_cache=1": ("cache_policy", "/static/js/vendor.js"),
    "cdn_miss=1": ("cdn_miss", "/static/js/vendor.js"),
    "heavy_image=1": ("modern_image_format", "/static/img/hero/dashboard.jpg"),
    "oversized_image=1": ("oversized_image", "/static/img/hero/dashboard.jpg"),
    "blocking_script=1": ("render_blocking", "/static/js/blocking.js"),
    "unused_js=100": ("unused_javascript", "/static/js/main.js"),
    "unused_css=30": ("unused_css", "/static/css/app.css"),
    "lcp_lazy=1": ("lcp_image_priority", "/static/img/hero/dashboard.jpg"),
    "redirect=1": ("redirect", "/static/img/hero-redirect/dashboard.jpg"),
    "third_party=500": ("third_party", "localhost:"),  # the page is on 127.0.0.1: localhost is another site
}


@pytest.fixture(scope="module")
def reference_app(bigday_scenario: Scenario) -> Iterator[AppUnderTest]:
    with app_under_test(None, bigday_scenario) as app:
        yield app


@pytest.fixture(scope="module")
def settings() -> MeasureSettings:
    # No Speed Index frames and no axe: neither feeds a finding, and both cost time.
    return MeasureSettings(profile=get_profile("desktop"), accessibility=False, speed_index=False)


def _findings(bigday_browser, reference_app, bigday_scenario, settings, query: str):
    url = f"{reference_app.base_url}/dashboard?tenant=lumen&{query}"
    # Coverage (0.5 s a run) only where the knob is about unused code; the clean test shows the rest has none.
    settings = replace(settings, coverage=query.startswith("unused_"))
    runs = measure(bigday_browser, PageTarget("dashboard", "/dashboard", url, "lumen"), settings, load_assets())
    assert all(r.ok for r in runs), [r.error for r in runs]
    return recommend(runs, bigday_scenario.insights)


@pytest.mark.parametrize("query", list(KNOBS))
def test_each_knob_raises_exactly_its_finding(bigday_browser, reference_app, bigday_scenario, settings, query):
    kind, resource = KNOBS[query]
    if query.startswith("oversized_image"):
        # The server draws the large hero on first use (~1 s); drawn before the run, it is not a slow resource.
        httpx.get(f"{reference_app.base_url}/static/img/hero/dashboard.jpg?{query}", timeout=30).raise_for_status()
    found = _findings(bigday_browser, reference_app, bigday_scenario, settings, query)
    # A busy machine raises long tasks and slow resources on any page (TIMING_KINDS): the knob's own finding
    # must be there, and no other finding that timing cannot explain; the clean test below allows none at all.
    unexplained = {r.kind for r in found} - (TIMING_KINDS - {kind})
    assert unexplained == {kind}, [(r.kind, r.subject, r.evidence) for r in found]
    found = tuple(r for r in found if r.kind == kind)
    assert any(r.subject.startswith(resource) for r in found), [(r.subject, r.evidence) for r in found]
    assert all(r.runs == r.of_runs == 1 and r.evidence for r in found)


@pytest.mark.serial
def test_timing_knobs_name_the_slow_hero_the_long_task_and_the_shifted_block(
    bigday_browser, reference_app, bigday_scenario, settings
):
    found = _findings(
        bigday_browser, reference_app, bigday_scenario, settings, "lcp_delay=1200&long_task=250&shift=400"
    )
    by_kind = {r.kind: r for r in found}
    assert set(by_kind) == {"slow_resource", "long_task", "layout_shift"}, [(r.kind, r.subject) for r in found]
    assert by_kind["slow_resource"].subject == "/static/img/hero/dashboard.jpg"
    assert by_kind["layout_shift"].subject == "#shift-victim"
    # The knob's 250 ms task is one finding; a busy machine may add a task just past the 50 ms limit beside it.
    longest = max((r.impact_ms or 0) for r in found if r.kind == "long_task")
    assert longest >= 150, [(r.subject, r.impact_ms) for r in found if r.kind == "long_task"]


@pytest.mark.serial
def test_the_clean_target_raises_nothing_on_any_page(tmp_path, bigday_browser, reference_app, bigday_scenario):
    # Cold runs: the warm side of the clean target is held in test_probe_runner (the dashboard, cold and warm).
    options = ProbeOptions(scenario=bigday_scenario, results_dir=tmp_path, runs=1, accessibility="off", coverage=True)
    outcome = probe_app(options, reference_app, browser=bigday_browser)
    assert outcome.complete
    assert len({r.target.page for r in outcome.runs}) == len(bigday_scenario.pages)
    # Stated tolerance: a timing finding within twice its limit is this shared machine's noise (the clients
    # page's JSON render of 2,000 clients measured 53-56 ms against the 50 ms long-task limit at a load of 3);
    # every other finding, and any timing one beyond that, is a false positive.
    policy = bigday_scenario.insights
    near = {"long_task": policy.long_task_ms, "slow_resource": policy.slow_resource_ms}
    false = [r for r in outcome.recommendations if not (r.kind in near and (r.impact_ms or 0) < near[r.kind] * 2)]
    assert false == [], [(r.id, r.evidence) for r in outcome.recommendations]
    stored = read_recommendations(RunFolder.open(outcome.folder.path))
    assert stored is not None and stored.recommendations == outcome.recommendations
    # What the checks read was recorded: every response's protocol and headers, the images, the coverage.
    details = next(r.details for r in outcome.runs if r.target.page == "dashboard")
    vendor = next(r for r in details["delivery"]["responses"] if "/static/js/vendor.js" in r["url"])
    assert vendor["protocol"] == "http/1.1" and vendor["headers"]["content-encoding"] == "gzip"
    assert any(i["id"] == "hero" for i in details["delivery"]["images"])
    assert any("/static/js/vendor.js" in s["url"] for s in details["coverage"]["js"])
