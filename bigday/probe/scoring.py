"""Lighthouse-style scores: the v12 performance score from the lab metrics, and the axe accessibility score.

Performance: each metric is scored on Lighthouse's log-normal curve through (p10 -> 0.9, median -> 0.5),
ported from lighthouse/shared/statistics.js (same erf approximation, same clamping, metric scores rounded to
two decimals), and the category is their weighted mean.  Lighthouse v12 weighs FCP 10, SI 10, LCP 25, TBT 30,
CLS 25.  bigday does not measure Speed Index (it needs a filmstrip), so SI's 10 points are left out and the
other four keep their weights over a total of 90: the score is sum(weight x score) / 90.

Accessibility: Lighthouse's rule weights (core/config/default-config.js, 12.2.3), each rule scoring 1 when axe
found no violation and 0 when it did; rules axe reports as inapplicable weigh nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_MIN_PASSING = 0.9
_MAX_AVERAGE = math.nextafter(0.9, 0.0)
_MIN_AVERAGE = 0.5
_MAX_FAILING = math.nextafter(0.5, 0.0)
_INVERSE_ERFC_ONE_FIFTH = 0.9061938024368232


@dataclass(frozen=True)
class Curve:
    """A log-normal scoring curve: ``p10`` scores 0.9, ``median`` scores 0.5."""

    p10: float
    median: float


# Lighthouse v12 control points (DESIGN §4).
CURVES: dict[str, dict[str, Curve]] = {
    "mobile": {
        "fcp": Curve(1800, 3000),
        "si": Curve(3387, 5800),
        "lcp": Curve(2500, 4000),
        "tbt": Curve(200, 600),
        "cls": Curve(0.1, 0.25),
    },
    "desktop": {
        "fcp": Curve(934, 1600),
        "si": Curve(1311, 2300),
        "lcp": Curve(1200, 2400),
        "tbt": Curve(150, 350),
        "cls": Curve(0.1, 0.25),
    },
}
PERFORMANCE_WEIGHTS: dict[str, int] = {"fcp": 10, "lcp": 25, "tbt": 30, "cls": 25}  # SI (10) not measured

# Lighthouse 12.2.3 accessibility category: axe rule id -> weight (rules of weight 0 left out).
ACCESSIBILITY_WEIGHTS: dict[str, int] = {
    "accesskeys": 7,
    "aria-allowed-attr": 10,
    "aria-allowed-role": 1,
    "aria-command-name": 7,
    "aria-conditional-attr": 7,
    "aria-deprecated-role": 1,
    "aria-dialog-name": 7,
    "aria-hidden-body": 10,
    "aria-hidden-focus": 7,
    "aria-input-field-name": 7,
    "aria-meter-name": 7,
    "aria-progressbar-name": 7,
    "aria-prohibited-attr": 7,
    "aria-required-attr": 10,
    "aria-required-children": 10,
    "aria-required-parent": 10,
    "aria-roles": 7,
    "aria-text": 7,
    "aria-toggle-field-name": 7,
    "aria-tooltip-name": 7,
    "aria-treeitem-name": 7,
    "aria-valid-attr-value": 10,
    "aria-valid-attr": 10,
    "button-name": 10,
    "bypass": 7,
    "color-contrast": 7,
    "definition-list": 7,
    "dlitem": 7,
    "document-title": 7,
    "duplicate-id-aria": 10,
    "form-field-multiple-labels": 3,
    "frame-title": 7,
    "heading-order": 3,
    "html-has-lang": 7,
    "html-lang-valid": 7,
    "html-xml-lang-mismatch": 3,
    "image-alt": 10,
    "image-redundant-alt": 1,
    "input-button-name": 10,
    "input-image-alt": 10,
    "label": 7,
    "link-in-text-block": 7,
    "link-name": 7,
    "list": 7,
    "listitem": 7,
    "meta-refresh": 10,
    "meta-viewport": 10,
    "object-alt": 7,
    "select-name": 7,
    "skip-link": 3,
    "tabindex": 7,
    "table-duplicate-name": 1,
    "target-size": 7,
    "td-headers-attr": 7,
    "th-has-data-cells": 7,
    "valid-lang": 7,
    "video-caption": 10,
}


def _erf(x: float) -> float:
    # Abramowitz and Stegun 7.1.26, as Lighthouse uses it (so scores match Lighthouse's to the last digit).
    sign = math.copysign(1.0, x) if x != 0 else 0.0
    x = abs(x)
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    t = 1 / (1 + p * x)
    y = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    return sign * (1 - y * math.exp(-x * x))


def log_normal_score(curve: Curve, value: float) -> float:
    """Lighthouse's ``getLogNormalScore``: 0..1, at least 0.9 at or below p10, at least 0.5 at or below median."""
    if value <= 0:
        return 1.0
    x_log_ratio = math.log(max(5e-324, value / curve.median))
    p10_log_ratio = -math.log(max(5e-324, curve.p10 / curve.median))
    standardized = x_log_ratio * _INVERSE_ERFC_ONE_FIFTH / p10_log_ratio
    complementary = (1 - _erf(standardized)) / 2
    if value <= curve.p10:
        return max(_MIN_PASSING, min(1.0, complementary))
    if value <= curve.median:
        return max(_MIN_AVERAGE, min(_MAX_AVERAGE, complementary))
    return max(0.0, min(_MAX_FAILING, complementary))


def _two_decimals(x: float) -> float:
    # Lighthouse's clampTo2Decimals is Math.round(x * 100) / 100; Math.round rounds halves up.
    return math.floor(x * 100 + 0.5) / 100


def metric_scores(metrics: Mapping[str, float | None], curves: str) -> dict[str, float] | None:
    """Each weighted metric's 0..1 score, or None when one of them was not measured."""
    table = CURVES[curves]
    out = {}
    for name in PERFORMANCE_WEIGHTS:
        value = metrics.get(name)
        if value is None:
            return None
        out[name] = _two_decimals(log_normal_score(table[name], value))
    return out


def performance_score(metrics: Mapping[str, float | None], curves: str) -> float | None:
    """0..100 like Lighthouse's category score (SI re-weighted away, see module docstring); None if unmeasured."""
    scores = metric_scores(metrics, curves)
    if scores is None:
        return None
    total = sum(PERFORMANCE_WEIGHTS.values())
    mean = sum(PERFORMANCE_WEIGHTS[m] * s for m, s in scores.items()) / total
    return round(_two_decimals(mean) * 100)


def accessibility_score(violations: Iterable[str], inapplicable: Iterable[str]) -> float:
    """0..100: Lighthouse's weighted pass/fail over its axe rules, inapplicable rules weighing nothing."""
    failed = set(violations)
    skipped = set(inapplicable)
    weight = passed = 0
    for rule, w in ACCESSIBILITY_WEIGHTS.items():
        if rule in skipped:
            continue
        weight += w
        if rule not in failed:
            passed += w
    if weight == 0:
        return 100.0
    return float(round(_two_decimals(passed / weight) * 100))
