"""The soak stage: hours at one level, judged for drift within the hold (a leak, a growing queue, a filling disk).

A stage whose name starts with ``soak`` and that holds its users (it starts where the previous stage ended) is a
soak stage: ``--stages ramp:2m:500,soak:4h:500``. Its span is cut into windows (twelve, each at least two
seconds), each window's requests pooled over tenants from the per-second histograms the run keeps anyway, and
the trend of the windows' p95 and error rate over the hold estimated as Sen's slope (the median of pairwise
slopes, robust to a bad window) with its rank-based interval. The change over the whole soak is the slope times
its length: for latency relative to the median window's p95, for errors in rate points. It is drift when the
windows rise (Mann-Kendall's one-sided test, the rank test Sen's slope is paired with, at 5%) and the estimated
change is past the bound (a p95 rise of more than ``MAX_DRIFT``, errors rising by more than the plateau's
error-rate bound); no drift when the interval's upper end is within it; otherwise the windows cannot tell.

Not "the interval's lower end past the bound": a step (a pool that runs dry, a cache that fills) makes a
plateau of windows before and after it, and the pairs within a plateau have no slope. With nine windows in
plateaus of 2, 3 and 4, a forty-fold rise had an interval reaching zero; its rank test is decisive.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from bigday.load.plan import LoadPlan
from bigday.load.samples import TimelineBook
from bigday.load.stats import PhaseSpan
from bigday.runfolder import Interval, SoakDrift, Status
from bigday.stats.histogram import LatencyHistogram

SOAK_PREFIX = "soak"
WINDOWS = 12
MIN_WINDOWS = 6
MIN_WINDOW_S = 2.0
MAX_DRIFT = 0.2  # a p95 that rises by a fifth over the hold is drift
CONFIDENCE = 0.95


def soak_phase(plan: LoadPlan) -> str | None:
    """The plan's soak stage: the first stage named ``soak...`` that holds its users."""
    prev = 0
    for s in plan.stages:
        if s.name.startswith(SOAK_PREFIX) and s.users == prev and s.users > 0:
            return s.name
        prev = s.users
    return None


def _windows(span: PhaseSpan, book: TimelineBook) -> tuple[float, list[tuple[int, int, LatencyHistogram]]]:
    count = max(1, min(WINDOWS, int((span.end - span.start) // MIN_WINDOW_S)))
    width = (span.end - span.start) / count
    out = [(0, 0, LatencyHistogram()) for _ in range(count)]
    for _, second, n, errors, encoded in book.windows():
        if not span.start <= second < span.end:
            continue
        i = min(count - 1, int((second - span.start) // width))
        total, failed, hist = out[i]
        hist.add(LatencyHistogram.decode(encoded))
        out[i] = (total + n, failed + errors, hist)
    return width, out


def _sen(values: Sequence[float], width: float) -> tuple[float, float, float]:
    """Sen's slope of ``values`` over windows ``width`` s apart, with its interval: per second."""
    from scipy.stats import theilslopes

    x = np.arange(len(values)) * width
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        slope, _, low, high = theilslopes(np.asarray(values, dtype=float), x, alpha=CONFIDENCE)
    return float(slope), float(low), float(high)


def _rises(values: Sequence[float]) -> bool:
    """Mann-Kendall: do the windows rise, one-sided at 1 - CONFIDENCE (Kendall's tau-b against their order)?"""
    from scipy.stats import kendalltau

    with warnings.catch_warnings():  # constant windows: scipy warns and gives no p, and nothing rises
        warnings.simplefilter("ignore", RuntimeWarning)
        result = kendalltau(np.arange(len(values)), np.asarray(values, dtype=float), alternative="greater")
    p = float(result.pvalue)
    return math.isfinite(p) and p < 1 - CONFIDENCE


def judge_soak(
    plan: LoadPlan, phases: Sequence[PhaseSpan], book: TimelineBook | None, max_error_rate: float
) -> SoakDrift | None:
    name = soak_phase(plan)
    span = next((p for p in phases if p.name == name), None)
    if name is None or span is None or book is None:
        return None
    width, windows = _windows(span, book)
    p95 = [h.quantiles([0.95])[0] if n else None for n, _, h in windows]
    errors = [e / n if n else 0.0 for n, e, _ in windows]
    seen = [v for v in p95 if v is not None]
    duration = span.end - span.start
    unknown = Interval.unknown(CONFIDENCE)

    def drift(status: Status, reason: str, lat: Interval = unknown, err: Interval = unknown) -> SoakDrift:
        return SoakDrift(
            phase=name,
            windows=len(windows),
            window_s=round(width, 3),
            p95_ms=tuple(None if v is None else round(v, 3) for v in p95),
            error_rate=tuple(round(e, 6) for e in errors),
            p95_drift=lat,
            error_rate_drift=err,
            max_drift=MAX_DRIFT,
            max_error_rate=max_error_rate,
            status=status,
            reason=reason,
        )

    if len(seen) < MIN_WINDOWS:
        return drift(
            Status.INCONCLUSIVE,
            f"soak {name}: {len(seen)} windows with requests ({duration:.0f} s); drift needs at least {MIN_WINDOWS}",
        )
    scale = float(np.median(seen))
    s, lo, hi = (v * duration / scale for v in _sen(seen, width))
    e, elo, ehi = (v * duration for v in _sen(errors, width))
    lat = Interval(round(s, 4), round(lo, 4), round(hi, 4), CONFIDENCE)
    err = Interval(round(e, 6), round(elo, 6), round(ehi, 6), CONFIDENCE)
    said = (
        f"soak {name} ({duration:.0f} s, {len(windows)} windows): p95 {s:+.0%} [{lo:+.0%}, {hi:+.0%}] over the hold "
        f"(bound {MAX_DRIFT:.0%}), errors {100 * e:+.2f} [{100 * elo:+.2f}, {100 * ehi:+.2f}] points "
        f"(bound {100 * max_error_rate:g})"
    )
    if (s > MAX_DRIFT and _rises(seen)) or (e > max_error_rate and _rises(errors)):
        return drift(Status.FAIL, f"drift: {said}", lat, err)
    if hi <= MAX_DRIFT and ehi <= max_error_rate and math.isfinite(hi):
        return drift(Status.PASS, f"no drift: {said}", lat, err)
    return drift(Status.INCONCLUSIVE, f"cannot tell: {said}", lat, err)
