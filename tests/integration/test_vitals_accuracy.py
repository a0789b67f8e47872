"""Accuracy bars of the probe against the reference target's fault knobs (desktop profile, medians of 3 runs).

Each knob's effect is known exactly (docs/reference-target.md), so each metric has ground truth.  The bars are
the issue's; medians keep one noisy run on this shared machine from deciding the verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bigday.cli.common import app_under_test
from bigday.probe.app import AppUnderTest
from bigday.probe.profiles import PROFILES
from bigday.settings.scenario import Scenario

pytestmark = [pytest.mark.browser, pytest.mark.serial]
RUNS = 3


@pytest.fixture(scope="module")
def bigday_app(bigday_scenario: Scenario) -> Iterator[AppUnderTest]:
    """Always the embedded reference target here, even under --base-url: only it has the knobs."""
    with app_under_test(None, bigday_scenario) as app:
        yield app


def _median(m: Any, metric: str) -> float:
    value = m.stat(metric, "median")
    assert value is not None, f"{metric} not measured: {[r.error for r in m.runs]}"
    return value


def expected_cls(vw: int, vh: int, shift: int) -> float:
    """docs/reference-target.md: impact fraction x distance fraction of #shift-victim's move.

    The victim spans y 100..300 and moves down ``shift`` px; the impact region is the union of its old and new
    boxes inside the viewport (once the shift exceeds its 200 px height they no longer overlap)."""
    old, new = (100, 300), (100 + shift, 300 + shift)
    clip = lambda a, b: max(0, min(b, vh) - max(a, 0))  # noqa: E731
    overlap = max(0, min(old[1], new[1], vh) - max(old[0], new[0]))
    height = clip(*old) + clip(*new) - overlap
    return (vw * height) / (vw * vh) * shift / max(vw, vh)


def test_lcp_of_a_hero_held_1500_ms(measure_page):
    m = measure_page("dashboard", knobs={"lcp_delay": 1500}, runs=RUNS, accessibility=False)
    lcp = _median(m, "lcp")
    # 1,500 ms held plus the paint; in a long session with the Speed Index frames being captured the paint
    # has read up to ~360 ms (1,860 ms), alone ~250 ms.
    assert 1500 <= lcp <= 1950, m.values("lcp")
    # The probe waited for the late hero before clicking, and names it as the LCP element.
    assert {r.details["attribution"]["lcp"]["element"] for r in m.ok_runs} == {"#hero"}
    assert all(r.vitals.inp is not None for r in m.ok_runs)


HERO_AT = 1500
SCRIPT_HEROES = 5  # runs: the bar is the median of five


@pytest.mark.parametrize("knob", ["timer_hero", "raf_hero"])
def test_lcp_of_a_hero_drawn_by_script_with_no_network_activity(measure_page, knob):
    """A hero drawn by a timer (or after a chain of animation frames) 1.5 s in, with the network long quiet:
    the settle wait sees the work still due and waits for it, so LCP is the hero, not the heading."""
    m = measure_page("dashboard", knobs={knob: HERO_AT}, runs=SCRIPT_HEROES, accessibility=False)
    lcp = _median(m, "lcp")
    # Delay plus render: the drawing frame (a few ms, more on a loaded machine); the bar is 10 %.
    assert HERO_AT <= lcp <= HERO_AT * 1.1, m.values("lcp")
    assert {r.details["attribution"]["lcp"]["element"] for r in m.ok_runs} == {"#hero>p"}
    held = {h for r in m.ok_runs for h in r.details["settle"]["held_by"]}
    assert ("timers" if knob == "timer_hero" else "frames") in held
    assert {r.details["settle"]["reason"] for r in m.ok_runs} == {"quiet"}


@pytest.mark.parametrize("shift", [150, 400])  # overlapping and disjoint old/new boxes
def test_cls_of_a_shift_of_known_geometry(measure_page, shift):
    m = measure_page("dashboard", knobs={"shift": shift}, runs=RUNS, accessibility=False)
    profile = PROFILES["desktop"]
    want = expected_cls(profile.width, profile.height, shift)
    assert abs(_median(m, "cls") - want) <= 0.01, (m.values("cls"), want)
    sources = m.ok_runs[0].details["attribution"]["cls"]["sources"]
    assert [s["node"] for s in sources] == ["section#shift-victim"]


def test_cls_of_a_static_page_is_zero(measure_page):
    m = measure_page("timeline-editor", runs=RUNS, accessibility=False)
    assert m.stat("cls", "max") < 0.001, m.values("cls")


def test_inp_of_a_200_ms_handler(measure_page):
    m = measure_page("dashboard", knobs={"slow_handler": 200}, runs=RUNS, accessibility=False)
    assert 200 <= _median(m, "inp") <= 300, m.values("inp")
    assert m.ok_runs[0].details["attribution"]["inp"]["interaction_target"] == "#refresh-stats"


def test_ttfb_with_400_ms_server_delay(measure_page):
    m = measure_page("new-form", knobs={"server_delay": 400}, runs=RUNS, accessibility=False)
    assert 400 <= _median(m, "ttfb") <= 500, m.values("ttfb")


def test_tbt_of_one_300_ms_task(measure_page):
    """The knob's loop starts at the load event, and on a page this light the first contentful frame may be
    presented while it runs: TBT counts a task only from FCP on (Lighthouse clips it the same way), so each
    run's truth is the loop less 50 ms and less its part before FCP (one CI run read 250, 192 and 173 ms)."""
    m = measure_page("timeline-editor", knobs={"long_task": 300}, runs=RUNS, accessibility=False)
    for run in m.ok_runs:
        task = max(run.details["long_tasks"], key=lambda t: t["duration"])
        assert 300 <= task["duration"] <= 360, run.details["long_tasks"]
        fcp = run.vitals.fcp
        assert fcp is not None and fcp < task["start"] + task["duration"], (fcp, task)
        truth = task["duration"] - 50 - max(0.0, fcp - task["start"])  # other long tasks may add a little
        assert truth - 5 <= run.vitals.tbt <= truth + 60, (run.vitals.tbt, truth, fcp, run.details["long_tasks"])
    assert 150 <= _median(m, "tbt") <= 310, m.values("tbt")


@pytest.mark.bigday_page("/dashboard", interaction=(), runs=1, accessibility=False)
def test_page_without_interaction_reports_inp_and_fid_as_not_measured(vitals):
    assert vitals.inp is None and vitals.fid is None
    assert vitals.lcp is not None and vitals.cls is not None


def test_mobile_profile_keeps_cls_right(measure_page):
    """Mobile by viewport + DPR + CDP throttling, not is_mobile (which made Chromium drop the shift, DESIGN §4)."""
    m = measure_page("dashboard", knobs={"shift": 100}, runs=1, profile="mobile", accessibility=False)
    mobile = PROFILES["mobile"]
    run = m.ok_runs[0]
    assert run.profile == "mobile" and run.device == "mobile"
    assert abs(run.vitals.cls - expected_cls(mobile.width, mobile.height, 100)) <= 0.01, run.vitals.cls
