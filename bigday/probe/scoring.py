"""Lighthouse-style scores: the v12 performance score from the lab metrics, and the axe accessibility score.

The curves and weights are Lighthouse 12.2.3's (bigday.stats.lighthouse).  Performance: each metric is
scored on its log-normal curve, metric scores rounded to two decimals as Lighthouse does, and the category
is their weighted mean.  bigday does not measure Speed Index (it needs a filmstrip), so SI's 10 points are
left out and the other four keep their weights over a total of 90: the score is sum(weight x score) / 90.

Accessibility: each of Lighthouse's weighted axe rules scores 1 when axe found no violation and 0 when it
did; rules axe reports as inapplicable weigh nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from bigday.stats.lighthouse import ACCESSIBILITY_WEIGHTS, CURVES, PERFORMANCE_WEIGHTS, log_normal_score

# Lighthouse's performance weights of the metrics the probe measures (all but Speed Index).
MEASURED_PERFORMANCE_WEIGHTS: dict[str, int] = {m: w for m, w in PERFORMANCE_WEIGHTS.items() if m != "si"}


def _two_decimals(x: float) -> float:
    # Lighthouse's clampTo2Decimals is Math.round(x * 100) / 100; Math.round rounds halves up.
    return math.floor(x * 100 + 0.5) / 100


def metric_scores(metrics: Mapping[str, float | None], curves: str) -> dict[str, float] | None:
    """Each weighted metric's 0..1 score, or None when one of them was not measured."""
    table = CURVES[curves]
    out = {}
    for name in MEASURED_PERFORMANCE_WEIGHTS:
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
    total = sum(MEASURED_PERFORMANCE_WEIGHTS.values())
    mean = sum(MEASURED_PERFORMANCE_WEIGHTS[m] * s for m, s in scores.items()) / total
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
