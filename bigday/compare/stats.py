"""The statistics behind a verdict: named aggregates, a rank test, a bootstrap interval, and FDR control."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu

from bigday.metrics import METRICS, Direction, Unit
from bigday.settings.scenario import RegressionPolicy

BOOTSTRAP_RESAMPLES = 2000
MIN_SAMPLES = 3
# When a baseline median is 0 (TBT, FID on a quiet page) a ratio means nothing: judge timings by an
# absolute step instead, the 50 ms that makes a task "long".
ZERO_BASELINE_MIN_MS = 50.0


def aggregate(values: np.ndarray, name: str) -> float:
    """median, p75, p95, p99, mean, min or max (percentiles interpolate linearly, like numpy's default)."""
    if name == "median":
        return float(np.median(values))
    if name == "mean":
        return float(np.mean(values))
    if name == "min":
        return float(np.min(values))
    if name == "max":
        return float(np.max(values))
    if name.startswith("p") and name[1:].isdigit():
        return float(np.percentile(values, float(name[1:])))
    raise ValueError(f"unknown aggregate {name!r}")


def base_metric(name: str) -> str:
    """``latency_p95`` and other derived names map to the registry entry they are measured in."""
    if name in METRICS:
        return name
    head = name.split("_p")[0].removesuffix("_max")
    return head if head in METRICS else name


def direction_of(name: str) -> Direction:
    spec = METRICS.get(base_metric(name))
    return spec.direction if spec else Direction.LOWER_IS_BETTER


@dataclass(frozen=True)
class EffectRule:
    """How a change in a metric is measured (ratio of medians or difference) and how big it must be."""

    kind: str  # "ratio" | "difference"
    minimum: float


def effect_rule(name: str, policy: RegressionPolicy) -> EffectRule:
    spec = METRICS.get(base_metric(name))
    if spec is not None and spec.unit is Unit.SCORE:
        return EffectRule("difference", policy.score_points)
    if spec is not None and spec.unit is Unit.UNITLESS:  # CLS
        return EffectRule("difference", policy.cls_abs)
    return EffectRule("ratio", policy.timing_pct / 100.0)


def _effect(cur: np.ndarray, base: np.ndarray, kind: str) -> np.ndarray | float:
    mc, mb = np.median(cur, axis=-1), np.median(base, axis=-1)
    if kind == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            return mc / mb - 1.0
    return mc - mb


@dataclass(frozen=True)
class Comparison:
    """Current vs baseline for one page x metric, before FDR control."""

    effect: float
    kind: str
    minimum: float
    interval: tuple[float, float]
    p_greater: float  # one-sided: current tends to be larger than baseline
    p_less: float  # one-sided: current tends to be smaller
    median_current: float
    median_baseline: float
    constant: bool = False  # both sides one identical value: nothing to test

    def p_worse(self, lower_is_better: bool) -> float:
        return self.p_greater if lower_is_better else self.p_less

    def p_better(self, lower_is_better: bool) -> float:
        return self.p_less if lower_is_better else self.p_greater


def compare_samples(
    current: np.ndarray, baseline: np.ndarray, rule: EffectRule, confidence: float = 0.95, seed: int = 0
) -> Comparison:
    """Mann-Whitney U, one-sided each way, and a bootstrap percentile interval on the effect."""
    kind, minimum = rule.kind, rule.minimum
    mb = float(np.median(baseline))
    if kind == "ratio" and mb <= 0:
        kind, minimum = "difference", ZERO_BASELINE_MIN_MS
    rng = np.random.default_rng(seed)
    bc = current[rng.integers(0, len(current), (BOOTSTRAP_RESAMPLES, len(current)))]
    bb = baseline[rng.integers(0, len(baseline), (BOOTSTRAP_RESAMPLES, len(baseline)))]
    boot = np.asarray(_effect(bc, bb, kind), dtype=float)
    boot = boot[np.isfinite(boot)]
    tail = (1.0 - confidence) / 2 * 100
    lo, hi = np.percentile(boot, [tail, 100 - tail]) if len(boot) else (np.nan, np.nan)
    constant = bool(np.all(current == current[0]) and np.all(baseline == current[0]))
    p_greater = p_less = 1.0  # identical constants: the rank test has nothing to rank
    if not constant:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p_greater = float(mannwhitneyu(current, baseline, alternative="greater").pvalue)
            p_less = float(mannwhitneyu(current, baseline, alternative="less").pvalue)
        p_greater = p_greater if np.isfinite(p_greater) else 1.0
        p_less = p_less if np.isfinite(p_less) else 1.0
    effect = float(_effect(current, baseline, kind))
    return Comparison(
        effect, kind, minimum, (float(lo), float(hi)), p_greater, p_less, float(np.median(current)), mb, constant
    )


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """BH-adjusted q-values (step-up), in input order."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return [float(x) for x in q]
