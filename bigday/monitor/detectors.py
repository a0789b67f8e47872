"""Anomaly and forecast detectors: pure functions over arrays, so they are tested on seeded histories.

- **Anomaly**: a check far outside the robust spread of the last 14 days' checks (median and MAD, the MAD
  scaled to a normal sigma), on the worse side only, and by at least the regression policy's minimum effect
  (10% for timings) and an absolute floor (10 ms, CLS 0.01), so loopback jitter on a quiet page is no alert.
  One bad check is what it is for; a step that stays is the regression detector's (and change points').
- **Forecast**: a robust trend (Theil-Sen, scipy) of the daily aggregate of the last 60 days, fitted on the
  log of the values (latencies grow by factors) when all are positive, else on the values; it forecasts
  when the fitted trend crosses the threshold's bound, with an interval from the slope's confidence
  interval, and only speaks when at least ``min_days`` days support it, the slope's interval excludes zero
  on the worse side, the trend has not crossed yet, and the crossing falls within the horizon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bigday.metrics import METRICS, Direction, Unit

MAD_TO_SIGMA = 1.4826
ANOMALY_METRICS = ("lcp", "fcp", "ttfb", "tbt", "inp", "fid", "cls", "page_load")
ABSOLUTE_FLOOR = {Unit.MS: 10.0, Unit.UNITLESS: 0.01}


@dataclass(frozen=True)
class Reference:
    """The robust centre and spread of a metric's recent checks."""

    median: float
    scale: float  # MAD x 1.4826 (a normal sigma), at least the metric's floor over the spread
    n: int

    def as_dict(self) -> dict[str, float]:
        return {"median": self.median, "scale": self.scale, "n": self.n}


def grows_by_factors(metric: str) -> bool:
    """Timings and sizes: forecast on the log scale. Scores and CLS move by points: a straight fit."""
    spec = METRICS.get(metric)
    return spec is not None and spec.unit in (Unit.MS, Unit.BYTES)


def floor_of(metric: str) -> float:
    spec = METRICS.get(metric)
    return ABSOLUTE_FLOOR.get(spec.unit, 0.0) if spec else 0.0


def reference(values: Sequence[float] | np.ndarray, metric: str, spread: float) -> Reference | None:
    """Median and scale of ``values``; None when there are none."""
    xs = np.asarray(values, dtype=float)
    xs = xs[np.isfinite(xs)]
    if xs.size == 0:
        return None
    med = float(np.median(xs))
    mad = float(np.median(np.abs(xs - med)))
    return Reference(med, max(MAD_TO_SIGMA * mad, floor_of(metric) / spread), int(xs.size))


@dataclass(frozen=True)
class AnomalyVerdict:
    """Whether one value is anomalous against a reference, and the limit it was judged by."""

    anomalous: bool
    limit: float  # the value past which a check is anomalous (on the worse side)
    z: float


def judge_anomaly(
    value: float, ref: Reference, metric: str, spread: float, min_effect_pct: float, min_checks: int
) -> AnomalyVerdict | None:
    """None when the reference holds too few checks to judge by."""
    if ref.n < min_checks:
        return None
    lower_better = METRICS[metric].direction is Direction.LOWER_IS_BETTER if metric in METRICS else True
    sign = 1.0 if lower_better else -1.0
    # The limit is the furthest of: the robust spread, the minimum relative effect, the absolute floor.
    distance = max(spread * ref.scale, abs(ref.median) * min_effect_pct / 100.0, floor_of(metric))
    limit = ref.median + sign * distance
    z = sign * (value - ref.median) / ref.scale if ref.scale > 0 else 0.0
    anomalous = (value > limit) if lower_better else (value < limit)
    return AnomalyVerdict(anomalous, limit, z)


@dataclass(frozen=True)
class Forecast:
    """The trend's crossing of a bound: in about ``days`` (``earliest`` .. ``latest``, inf: maybe never)."""

    days: float
    earliest: float
    latest: float
    slope_per_day: float  # relative (log fit) or absolute per day
    relative: bool
    current: float  # the trend's value today
    n_days: int

    def describe(self, metric: str, aggregate: str, page: str, bound_text: str) -> str:
        later = "?" if math.isinf(self.latest) else f"{self.latest:.0f}"
        return (
            f"{metric.upper()} {aggregate} of {page} will cross {bound_text} in about {self.days:.0f} days "
            f"({self.earliest:.0f}-{later} days; trend from {self.n_days} days)"
        )


def forecast_crossing(
    days: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    bound: float,
    direction: Direction,
    min_days: int = 7,
    horizon_days: float = 30.0,
    confidence: float = 0.95,
    window_days: float = 60.0,
    relative: bool | None = None,
) -> Forecast | None:
    """When the robust trend of (day, value) reaches ``bound`` after the last day, or None (see the module)."""
    x = np.asarray(days, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size:
        recent = x > x.max() - window_days
        x, y = x[recent], y[recent]
    if len(np.unique(x)) < min_days:
        return None
    # Latencies and sizes grow by factors: a log fit (``relative``; the caller says so per metric, and scores,
    # which move by points, get a straight one). (Choosing between a log and a straight fit by their residuals
    # picked the wrong one often enough on noisy days to make forecasts worse; a straight rise is forecast
    # a few days early by the log fit, which errs on the side of warning.)
    positive = bool(np.all(y > 0)) and bound > 0
    fit = _fit(x, y, bound, relative=positive if relative is None else relative and positive, confidence=confidence)
    worse = 1.0 if direction is Direction.LOWER_IS_BETTER else -1.0
    slope, low, high = fit.slope, fit.low, fit.high
    # Worsening for sure: the whole interval of the slope lies on the worse side of zero.
    if worse * low <= 0 or worse * high <= 0:
        return None
    today = float(x.max())
    now_value = fit.at(slope, today)
    if worse * (now_value - fit.target) >= 0:
        return None  # already past the bound: that is a threshold breach, not a forecast
    days_to = fit.crossing(slope) - today
    steep, shallow = (high, low) if worse > 0 else (low, high)
    earliest = fit.crossing(steep) - today
    latest = fit.crossing(shallow) - today if worse * shallow > 0 else math.inf
    if days_to > horizon_days:
        return None
    current = math.exp(now_value) if fit.relative else now_value
    relative = fit.relative
    return Forecast(days_to, max(earliest, 0.0), latest, slope, relative, current, int(len(np.unique(x))))


@dataclass(frozen=True)
class _Fit:
    x: np.ndarray
    ty: np.ndarray  # the values as fitted (their log when relative)
    target: float
    relative: bool
    slope: float
    low: float
    high: float

    def intercept(self, s: float) -> float:
        return float(np.median(self.ty - s * self.x))

    def at(self, s: float, day: float) -> float:
        return self.intercept(s) + s * day

    def crossing(self, s: float) -> float:
        return (self.target - self.intercept(s)) / s


def _fit(x: np.ndarray, y: np.ndarray, bound: float, relative: bool, confidence: float) -> _Fit:
    from scipy.stats import theilslopes

    ty = np.log(y) if relative else y
    r = theilslopes(ty, x, confidence)
    return _Fit(
        x,
        ty,
        math.log(bound) if relative else bound,
        relative,
        float(r.slope),
        float(r.low_slope),
        float(r.high_slope),
    )
