"""Aggregates of repeated runs: the per-page summary (n, median, p75, p95, min, max) and named aggregates.

Percentiles interpolate linearly between order statistics (numpy's default, Hyndman-Fan type 7), so the p95 of
five runs lies between the fourth and fifth value; with few runs, p95 is close to the maximum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

SUMMARY_AGGREGATES = ("median", "p75", "p95", "min", "max")


def _clean(values: Iterable[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None]


def aggregate(values: Iterable[float | None], name: str) -> float | None:
    """One aggregate (median, p75, p95, p99, mean, min, max) of the measured values; None if there are none."""
    xs = _clean(values)
    if not xs:
        return None
    if name == "mean":
        return float(np.mean(xs))
    if name == "min":
        return min(xs)
    if name == "max":
        return max(xs)
    if name == "median":
        return float(np.percentile(xs, 50))
    if name.startswith("p") and name[1:].isdigit():
        return float(np.percentile(xs, int(name[1:])))
    raise ValueError(f"unknown aggregate {name!r}; expected median, p75, p95, p99, mean, min or max")


def summarize(values: Sequence[float | None]) -> dict[str, Any] | None:
    """``{"n", "median", "p75", "p95", "min", "max"}`` over the measured values; None when nothing was measured."""
    xs = _clean(values)
    if not xs:
        return None
    out: dict[str, Any] = {"n": len(xs)}
    for name in SUMMARY_AGGREGATES:
        out[name] = _round(aggregate(xs, name))
    return out


def coefficient_of_variation(values: Sequence[float]) -> float:
    """Sample standard deviation over the mean (0 for a constant series)."""
    xs = np.asarray(values, dtype=float)
    if len(xs) < 2 or xs.mean() == 0:
        return 0.0
    return float(xs.std(ddof=1) / xs.mean())


def _round(x: float | None) -> float | None:
    # Six significant decimals keep CLS exact and timings readable without misrepresenting precision.
    return None if x is None else round(x, 6)
