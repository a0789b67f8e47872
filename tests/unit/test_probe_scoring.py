"""Lighthouse-style scores: the log-normal curves checked against Lighthouse's own JS, weights, re-weighting."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from bigday.probe.assets import node_modules
from bigday.probe.scoring import (
    accessibility_score,
    metric_scores,
    performance_score,
)
from bigday.stats.lighthouse import (
    ACCESSIBILITY_INFORMATIVE,
    ACCESSIBILITY_SCORED,
    ACCESSIBILITY_WEIGHTS,
    CURVES,
    LIGHTHOUSE_VERSION,
    PERFORMANCE_WEIGHTS,
    Curve,
    log_normal_score,
    value_at_score,
)

VALUES = {
    "fcp": (200, 934, 1200, 1600, 4000),
    "si": (300, 1311, 2000, 3387, 5800, 12000),
    "lcp": (300, 1200, 1500, 2400, 9000),
    "tbt": (0, 50, 150, 250, 350, 2000),
    "cls": (0, 0.02, 0.1, 0.2, 0.25, 0.6),
}


def _node(script: str) -> Any:
    """Run an ES module script beside the pinned Lighthouse (``LH`` is its folder) and parse its JSON output."""
    root = node_modules() / "lighthouse"
    if not (root / "package.json").is_file() or shutil.which("node") is None:
        pytest.skip("needs node and the pinned lighthouse in node_modules (npm ci)")
    prelude = f"const LH = {json.dumps(root.as_uri())};"
    out = subprocess.run(
        ["node", "--input-type=module", "-e", prelude + script], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(out.stdout)


def _lighthouse_scores(cases: list[tuple[float, float, float]]) -> list[float]:
    scores: list[float] = _node(
        "const {getLogNormalScore} = await import(LH + '/shared/statistics.js');"
        f"const cases = {json.dumps(cases)};"
        "console.log(JSON.stringify(cases.map(([p10, median, v]) => getLogNormalScore({p10, median}, v))));"
    )
    return scores


AUDITS = {
    "fcp": "first-contentful-paint",
    "si": "speed-index",
    "lcp": "largest-contentful-paint",
    "tbt": "total-blocking-time",
    "cls": "cumulative-layout-shift",
}


def test_tables_are_those_of_the_pinned_lighthouse():
    lh = _node(
        "const {readFileSync} = await import('node:fs');"
        "const version = JSON.parse(readFileSync(new URL(LH + '/package.json'))).version;"
        "const config = (await import(LH + '/core/config/default-config.js')).default;"
        "const weights = (c) => Object.fromEntries("
        "  config.categories[c].auditRefs.filter((a) => a.weight > 0).map((a) => [a.id, a.weight]));"
        f"const ids = {json.dumps(sorted(AUDITS.values()))};"
        "const curves = {};"
        "for (const id of ids) curves[id] = (await import(LH + '/core/audits/metrics/' + id + '.js')).default"
        "  .defaultOptions;"
        "const informative = [];"
        "for (const id of Object.keys(weights('accessibility'))) {"
        "  const audit = (await import(LH + '/core/audits/accessibility/' + id + '.js')).default;"
        "  if (audit.meta.scoreDisplayMode === 'informative') informative.push(id);"
        "}"
        "console.log(JSON.stringify({version, performance: weights('performance'),"
        "  accessibility: weights('accessibility'), informative, curves}));"
    )
    assert lh["version"] == LIGHTHOUSE_VERSION
    assert lh["performance"] == {AUDITS[m]: w for m, w in PERFORMANCE_WEIGHTS.items()}
    assert lh["accessibility"] == ACCESSIBILITY_WEIGHTS
    assert set(lh["informative"]) == ACCESSIBILITY_INFORMATIVE & set(ACCESSIBILITY_WEIGHTS)
    for metric, audit in AUDITS.items():
        options = lh["curves"][audit]
        for form_factor in ("mobile", "desktop"):
            # CLS has one curve for both form factors; the others one each.
            scoring = options[form_factor]["scoring"] if form_factor in options else options
            want = Curve(scoring["p10"], scoring["median"])
            assert CURVES[form_factor][metric] == want, (form_factor, metric)


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


def test_value_at_score_inverts_the_curve():
    for table in CURVES.values():
        for curve in table.values():
            assert value_at_score(curve, 0.9) == pytest.approx(curve.p10)
            assert value_at_score(curve, 0.5) == pytest.approx(curve.median)
            for score in (0.05, 0.3, 0.75, 0.97):
                assert log_normal_score(curve, value_at_score(curve, score)) == pytest.approx(score, abs=1e-6)
    with pytest.raises(ValueError):
        value_at_score(CURVES["mobile"]["lcp"], 1.0)


def test_performance_score_has_all_five_weights_and_no_reweighting():
    assert PERFORMANCE_WEIGHTS == {"fcp": 10, "si": 10, "lcp": 25, "tbt": 30, "cls": 25}
    perfect = {"fcp": 100.0, "si": 200.0, "lcp": 200.0, "tbt": 0.0, "cls": 0.0}
    assert performance_score(perfect, "desktop") == 100
    # Only TBT fails badly (score ~0): the score falls by TBT's 30 of 100 points.
    blocked = dict(perfect, tbt=5000.0)
    scores = metric_scores(blocked, "desktop")
    assert scores is not None and scores["tbt"] == 0.0
    assert performance_score(blocked, "desktop") == 70
    # Speed Index weighs its 10 points like FCP.
    assert performance_score(dict(perfect, si=60_000.0), "desktop") == 90
    # Without Speed Index there is no score, rather than a score over 90 points.
    assert performance_score({k: v for k, v in perfect.items() if k != "si"}, "desktop") is None


def test_performance_score_matches_lighthouse_for_the_same_metrics():
    """Lighthouse's own scoring of a run's five metric values gives the same category score."""
    runs = [
        {"fcp": 700.0, "si": 1500.0, "lcp": 1900.0, "tbt": 120.0, "cls": 0.03},
        {"fcp": 2500.0, "si": 4100.0, "lcp": 3900.0, "tbt": 480.0, "cls": 0.18},
        {"fcp": 300.0, "si": 320.0, "lcp": 450.0, "tbt": 0.0, "cls": 0.0},
    ]
    for curves in ("desktop", "mobile"):
        cases = [(CURVES[curves][m].p10, CURVES[curves][m].median, run[m]) for run in runs for m in AUDITS]
        raw = _lighthouse_scores(cases)
        for i, run in enumerate(runs):
            # Lighthouse rounds each metric score to two decimals, then the weighted mean to two decimals.
            metric = {m: round(raw[i * len(AUDITS) + j] * 100 + 1e-9) / 100 for j, m in enumerate(AUDITS)}
            mean = sum(PERFORMANCE_WEIGHTS[m] * metric[m] for m in AUDITS) / 100
            assert performance_score(run, curves) == round(round(mean * 100 + 1e-9) / 100 * 100), (curves, run)


def test_mobile_curves_are_more_lenient_than_desktop():
    metrics = {"fcp": 1500.0, "si": 2000.0, "lcp": 2200.0, "tbt": 180.0, "cls": 0.05}
    assert performance_score(metrics, "mobile") > performance_score(metrics, "desktop")


def test_performance_score_is_none_when_a_metric_was_not_measured():
    assert performance_score({"fcp": 100.0, "si": 100.0, "lcp": None, "tbt": 0.0, "cls": 0.0}, "desktop") is None


def test_accessibility_score_weighs_failures_and_ignores_inapplicable_rules():
    assert accessibility_score([], []) == 100.0
    total = sum(ACCESSIBILITY_SCORED.values())
    assert accessibility_score(["image-alt"], []) == round((total - 10) / total * 100)
    # Informative audits (bypass, th-has-data-cells) weigh nothing in Lighthouse, failing or not.
    assert accessibility_score(["bypass", "th-has-data-cells"], []) == 100.0
    # With most rules inapplicable, one failure weighs far more.
    applicable = {"image-alt", "button-name", "document-title", "html-has-lang"}
    inapplicable = [r for r in ACCESSIBILITY_SCORED if r not in applicable]
    assert accessibility_score(["image-alt"], inapplicable) == round((7 + 10 + 7) / (10 + 10 + 7 + 7) * 100)
    # A violation of a rule Lighthouse gives no weight (landmark-one-main) does not move the score.
    assert accessibility_score(["landmark-one-main"], []) == 100.0
