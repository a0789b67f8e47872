"""Lighthouse 12.2.3's scoring, as data: the v12 log-normal metric curves, the performance weights and the
accessibility weights, with the curve itself and its inverse.

The probe scores its measured metrics with these (bigday.probe.scoring); the comparator turns a lighthouserc
``minScore`` into a metric bound through the inverse (bigday.compare.lighthouse).  The numbers are those of
the pinned Lighthouse (bigday/assets/package.json), checked against its sources in tests/unit/test_probe_scoring.py:
each metric audit's ``defaultOptions.scoring`` and the categories of ``core/config/default-config.js``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LIGHTHOUSE_VERSION = "12.2.3"

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


# Each metric audit's control points, per form factor.
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
# The performance category: metric -> weight (out of 100; audits of weight 0 left out).
PERFORMANCE_WEIGHTS: dict[str, int] = {"fcp": 10, "si": 10, "lcp": 25, "tbt": 30, "cls": 25}

# The accessibility category: axe rule id -> weight (rules of weight 0 left out).
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
# Audits Lighthouse marks informative: listed with a weight, but their result never counts (Lighthouse sets
# an informative audit's weight to 0 when it scores the category), failing or not.
ACCESSIBILITY_INFORMATIVE: frozenset[str] = frozenset(
    {
        "bypass",
        "duplicate-id-aria",
        "empty-heading",
        "form-field-multiple-labels",
        "identical-links-same-purpose",
        "landmark-one-main",
        "th-has-data-cells",
        "video-caption",
    }
)
# What each axe rule weighs in Lighthouse's accessibility score.
ACCESSIBILITY_SCORED: dict[str, int] = {
    rule: w for rule, w in ACCESSIBILITY_WEIGHTS.items() if rule not in ACCESSIBILITY_INFORMATIVE
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
    """Lighthouse's ``getLogNormalScore`` (shared/statistics.js): 0..1, at least 0.9 at or below p10, at least
    0.5 at or below the median; the same erf approximation and clamping."""
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


def value_at_score(curve: Curve, score: float) -> float:
    """The metric value the curve scores ``score`` (0 < score < 1): the inverse of ``log_normal_score``.

    Inverts the exact log-normal; Lighthouse's erf approximation moves a score by under 2e-7, so the value
    it gives ``score`` differs from this one only as far as that moves it.  scipy is imported here, not at
    the top, because the probe imports this module for the curves alone.
    """
    from scipy.special import ndtri  # the standard normal's inverse CDF

    if not 0 < score < 1:
        raise ValueError(f"a score strictly between 0 and 1 has a value on the curve, not {score!r}")
    sigma = (math.log(curve.median) - math.log(curve.p10)) / float(ndtri(0.9))
    return math.exp(math.log(curve.median) + sigma * float(ndtri(1 - score)))
