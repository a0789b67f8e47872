"""The metrics bigday knows: their unit, which direction is better, and the web-vitals good/poor bands."""

from __future__ import annotations

import math
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
        MetricSpec("si", Unit.MS, _L, description="Speed Index (Lighthouse's speedline, observed frames)"),
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

# What a field beacon carries (bigday.serve.beacon), and so what the field is stored and judged on.
FIELD_METRICS: tuple[str, ...] = ("lcp", "inp", "cls", "fcp", "ttfb", "fid")


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


# ---------------------------------------------------------------- showing numbers to people


def format_number(value: float, digits: int = 3) -> str:
    """A number with sensible precision: about ``digits`` significant figures below ``10**(digits-1)``, whole
    numbers with thousands separators above, never an exponent (no ``1.168e+05``, no ``108.78999999999999``)."""
    if not math.isfinite(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    if magnitude == 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(magnitude))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def unit_of(name: str) -> Unit | None:
    spec = METRICS.get(base_metric(name))
    return spec.unit if spec else None


def format_value(name: str, value: float | None) -> str:
    """A metric's value in its unit: ``1,234 ms``, ``48.2 ms``, ``454.1 KB``, ``1.17 MB``, ``0.25%``, ``0.012``."""
    if value is None:
        return "n/a"
    unit = unit_of(name)
    if unit is Unit.MS:
        return f"{format_number(value)} ms"
    if unit is Unit.BYTES:
        return f"{format_number(value / 1e6)} MB" if abs(value) >= 1e6 else f"{format_number(value / 1000)} KB"
    if unit is Unit.SCORE:
        return f"{value:.0f}"
    if unit is Unit.RATIO:
        return f"{format_number(value * 100)}%"
    if unit is Unit.COUNT:
        return format_number(value)
    return format_number(value)


def format_change(value: float, kind: str, name: str) -> str:
    """A change against a baseline or bound: a ratio as ``+15.2%``, a difference in the metric's unit."""
    if kind == "ratio":
        return f"{'+' if value >= 0 else '-'}{format_number(abs(value) * 100)}%"
    sign = "+" if value >= 0 else "-"
    return sign + format_value(name, abs(value))
