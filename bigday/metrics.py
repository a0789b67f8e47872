"""The metrics bigday knows: their unit, which direction is better, and the web-vitals good/poor bands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, auto


class Direction(StrEnum):
    LOWER_IS_BETTER = "lower"
    HIGHER_IS_BETTER = "higher"


class Unit(StrEnum):
    """How a metric's numbers are read and shown. Only compared by identity, never stored: the values are
    just the lower-case names."""

    MS = auto()
    BYTES = auto()
    SCORE = auto()  # 0..100
    UNITLESS = auto()
    COUNT = auto()
    RATIO = auto()


@dataclass(frozen=True)
class MetricSpec:
    """What a metric name means and how to judge it."""

    name: str
    unit: Unit
    direction: Direction
    good: float | None = None  # web-vitals "good" upper bound (inclusive)
    poor: float | None = None  # above this is "poor"
    description: str = ""

    def rating(self, value: float) -> str:
        """web-vitals rating: good / needs-improvement / poor (only for metrics with bands)."""
        if self.good is None or self.poor is None:
            return "unrated"
        if self.direction is Direction.LOWER_IS_BETTER:
            if value <= self.good:
                return "good"
            return "poor" if value > self.poor else "needs-improvement"
        if value >= self.good:
            return "good"
        return "poor" if value < self.poor else "needs-improvement"


_L = Direction.LOWER_IS_BETTER
_H = Direction.HIGHER_IS_BETTER

METRICS: dict[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec("lcp", Unit.MS, _L, 2500, 4000, "Largest Contentful Paint"),
        MetricSpec("inp", Unit.MS, _L, 200, 500, "Interaction to Next Paint"),
        MetricSpec("cls", Unit.UNITLESS, _L, 0.1, 0.25, "Cumulative Layout Shift"),
        MetricSpec("fcp", Unit.MS, _L, 1800, 3000, "First Contentful Paint"),
        MetricSpec("ttfb", Unit.MS, _L, 800, 1800, "Time to First Byte"),
        MetricSpec("fid", Unit.MS, _L, 100, 300, "First Input Delay (legacy, from first-input)"),
        MetricSpec("tbt", Unit.MS, _L, 200, 600, "Total Blocking Time"),
        MetricSpec("page_load", Unit.MS, _L, description="navigation start to load event end"),
        MetricSpec("js_bytes", Unit.BYTES, _L, description="JavaScript transferred, all chunks"),
        MetricSpec("js_heap_used", Unit.BYTES, _L, description="JS heap used after the interaction"),
        MetricSpec("performance_score", Unit.SCORE, _H, 90, 50, "Lighthouse-style performance score"),
        MetricSpec("accessibility_score", Unit.SCORE, _H, 90, 50, "axe-based accessibility score"),
        MetricSpec("latency", Unit.MS, _L, description="HTTP request latency (load runs)"),
        MetricSpec("error_rate", Unit.RATIO, _L, description="share of failed requests (load runs)"),
        MetricSpec("rps", Unit.COUNT, _H, description="requests per second (load runs)"),
    )
}


def metric(name: str) -> MetricSpec:
    """Look a metric up by name; KeyError names the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}") from None


def base_metric(name: str) -> str:
    """``latency_p95`` and other derived names map to the registry entry they are measured in."""
    if name in METRICS:
        return name
    head = name.split("_p")[0].removesuffix("_max")
    return head if head in METRICS else name


def direction_of(name: str) -> Direction:
    """Which way is better for a metric or a derived name (lower when the registry does not know it)."""
    spec = METRICS.get(base_metric(name))
    return spec.direction if spec else Direction.LOWER_IS_BETTER
