"""Lighthouse-style scores: the v12 performance score from the lab metrics, and the axe accessibility score.

The curves and weights are Lighthouse 12.2.3's (bigday.stats.lighthouse).  Performance: each of the five
metrics (FCP 10, SI 10, LCP 25, TBT 30, CLS 25) is scored on its log-normal curve, metric scores rounded to
two decimals as Lighthouse does, and the category is their weighted mean over 100, rounded to two decimals;
no metric is left out and none re-weighted: a run without one of them has no performance score.

Accessibility: each of Lighthouse's weighted axe rules scores 1 when axe found no violation and 0 when it
did; rules axe reports as inapplicable weigh nothing, and neither do the audits Lighthouse marks informative
(bypass, duplicate-id-aria, th-has-data-cells, ...), failing or not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from bigday.stats.lighthouse import ACCESSIBILITY_SCORED, CURVES, PERFORMANCE_WEIGHTS, log_normal_score


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
    """0..100, Lighthouse's performance category score; None if any of its five metrics was not measured."""
    scores = metric_scores(metrics, curves)
    if scores is None:
        return None
    total = sum(PERFORMANCE_WEIGHTS.values())
    mean = sum(PERFORMANCE_WEIGHTS[m] * s for m, s in scores.items()) / total
    return round(_two_decimals(mean) * 100)


def accessibility_score(
    violations: Iterable[str], inapplicable: Iterable[str], errored: Iterable[str] = ()
) -> float | None:
    """0..100: Lighthouse's weighted pass/fail over its axe rules, inapplicable rules weighing nothing.

    None when axe errored on a weighted rule: Lighthouse's audit then errors and its category has no score."""
    failed = set(violations)
    skipped = set(inapplicable)
    if any(rule in ACCESSIBILITY_SCORED and rule not in skipped for rule in errored):
        return None
    weight = passed = 0
    for rule, w in ACCESSIBILITY_SCORED.items():
        if rule in skipped:
            continue
        weight += w
        if rule not in failed:
            passed += w
    if weight == 0:
        return 100.0
    return float(round(_two_decimals(passed / weight) * 100))


def accessibility_audits(violations: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """axe's violations as Lighthouse's failed accessibility audits (weighted), and those it gives no weight.

    Each: the audit (axe rule id, which is Lighthouse's audit id), its weight, impact, help text, the number
    of failing nodes and up to five of their selectors; heaviest first."""
    failed: list[dict[str, Any]] = []
    unweighted: list[dict[str, Any]] = []
    for v in violations:
        weight = ACCESSIBILITY_SCORED.get(str(v["id"]), 0)
        audit = {
            "audit": v["id"],
            "weight": weight,
            "impact": v.get("impact"),
            "help": v.get("help", ""),
            "nodes": int(v.get("nodes", 0)),
            "selectors": list(v.get("targets", []))[:5],
        }
        (failed if weight else unweighted).append(audit)
    failed.sort(key=lambda a: (-a["weight"], a["audit"]))
    unweighted.sort(key=lambda a: a["audit"])
    return failed, unweighted
