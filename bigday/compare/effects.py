"""How the comparator measures a change against its baseline: the effect rule of each metric (compare's
policy), and one comparison of current against baseline samples built from bigday.stats."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bigday import stats
from bigday.metrics import METRICS, Unit, base_metric
from bigday.settings.scenario import RegressionPolicy

BOOTSTRAP_RESAMPLES = 2000
MIN_SAMPLES = 3
# When a baseline median is 0 (TBT, FID on a quiet page) a ratio means nothing: judge timings by an
# absolute step instead, the 50 ms that makes a task "long".
ZERO_BASELINE_MIN_MS = 50.0


@dataclass(frozen=True)
class EffectRule:
    """How a change in a metric is measured (ratio of medians or difference) and how big it must be."""

    kind: stats.EffectKind
    minimum: float


def effect_rule(name: str, policy: RegressionPolicy) -> EffectRule:
    spec = METRICS.get(base_metric(name))
    if spec is not None and spec.unit is Unit.SCORE:
        return EffectRule("difference", policy.score_points)
    if spec is not None and spec.unit is Unit.UNITLESS:  # CLS
        return EffectRule("difference", policy.cls_abs)
    return EffectRule("ratio", policy.timing_pct / 100.0)


@dataclass(frozen=True)
class Comparison:
    """Current vs baseline for one page x metric, before FDR control."""

    effect: float
    kind: stats.EffectKind
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
    mb = stats.median(baseline)
    if kind == "ratio" and mb <= 0:
        kind, minimum = "difference", ZERO_BASELINE_MIN_MS
    rng = np.random.default_rng(seed)
    interval = stats.median_effect_interval(current, baseline, kind, confidence, BOOTSTRAP_RESAMPLES, rng)
    constant = bool(np.all(current == current[0]) and np.all(baseline == current[0]))
    # Identical constants: the rank test has nothing to rank.
    p_greater, p_less = (1.0, 1.0) if constant else stats.rank_test(current, baseline)
    effect = float(stats.median_effect(current, baseline, kind))
    return Comparison(effect, kind, minimum, interval, p_greater, p_less, stats.median(current), mb, constant)
