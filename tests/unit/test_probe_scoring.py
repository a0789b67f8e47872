"""Lighthouse-style scores: the log-normal curves checked against Lighthouse's own JS, weights, re-weighting."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from bigday.probe.assets import node_modules
from bigday.probe.scoring import (
    ACCESSIBILITY_WEIGHTS,
    CURVES,
    PERFORMANCE_WEIGHTS,
    Curve,
    accessibility_score,
    log_normal_score,
    metric_scores,
    performance_score,
)

VALUES = {
    "fcp": (200, 934, 1200, 1600, 4000),
    "lcp": (300, 1200, 1500, 2400, 9000),
    "tbt": (0, 50, 150, 250, 350, 2000),
    "cls": (0, 0.02, 0.1, 0.2, 0.25, 0.6),
}


def _lighthouse_scores(cases: list[tuple[float, float, float]]) -> list[float]:
    statistics = node_modules() / "lighthouse" / "shared" / "statistics.js"
    if not statistics.is_file() or shutil.which("node") is None:
        pytest.skip("needs node and the pinned lighthouse in node_modules (npm ci)")
    script = (
        f"import {{getLogNormalScore}} from {json.dumps(str(statistics))};"
        f"const cases = {json.dumps(cases)};"
        "console.log(JSON.stringify(cases.map(([p10, median, v]) => getLogNormalScore({p10, median}, v))));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("curves", ["desktop", "mobile"])
def test_log_normal_score_matches_lighthouse_javascript(curves):
    cases = [(CURVES[curves][m].p10, CURVES[curves][m].median, v) for m, vs in VALUES.items() for v in vs]
    expected = _lighthouse_scores(cases)
    for (p10, median, value), want in zip(cases, expected, strict=True):
        assert log_normal_score(Curve(p10, median), value) == pytest.approx(want, abs=1e-12), (p10, median, value)


def test_curve_control_points_score_point_nine_and_half():
    for table in CURVES.values():
        for curve in table.values():
            assert log_normal_score(curve, curve.p10) == pytest.approx(0.9, abs=1e-9)
            assert log_normal_score(curve, curve.median) == pytest.approx(0.5, abs=1e-9)


def test_performance_score_reweights_without_speed_index():
    assert sum(PERFORMANCE_WEIGHTS.values()) == 90 and "si" not in PERFORMANCE_WEIGHTS
    perfect = {"fcp": 100.0, "lcp": 200.0, "tbt": 0.0, "cls": 0.0}
    assert performance_score(perfect, "desktop") == 100
    # Only TBT fails badly (score ~0): the score falls by TBT's share of the 90 points, not of 100.
    blocked = dict(perfect, tbt=5000.0)
    scores = metric_scores(blocked, "desktop")
    assert scores is not None and scores["tbt"] == 0.0
    assert performance_score(blocked, "desktop") == round((10 + 25 + 25) / 90 * 100)


def test_mobile_curves_are_more_lenient_than_desktop():
    metrics = {"fcp": 1500.0, "lcp": 2200.0, "tbt": 180.0, "cls": 0.05}
    assert performance_score(metrics, "mobile") > performance_score(metrics, "desktop")


def test_performance_score_is_none_when_a_metric_was_not_measured():
    assert performance_score({"fcp": 100.0, "lcp": None, "tbt": 0.0, "cls": 0.0}, "desktop") is None


def test_accessibility_score_weighs_failures_and_ignores_inapplicable_rules():
    assert accessibility_score([], []) == 100.0
    total = sum(ACCESSIBILITY_WEIGHTS.values())
    assert accessibility_score(["image-alt"], []) == round((total - 10) / total * 100)
    # With most rules inapplicable, one failure weighs far more.
    applicable = {"image-alt", "button-name", "document-title", "html-has-lang"}
    inapplicable = [r for r in ACCESSIBILITY_WEIGHTS if r not in applicable]
    assert accessibility_score(["image-alt"], inapplicable) == round((7 + 10 + 7) / (10 + 10 + 7 + 7) * 100)
    # A violation of a rule Lighthouse gives no weight (landmark-one-main) does not move the score.
    assert accessibility_score(["landmark-one-main"], []) == 100.0
