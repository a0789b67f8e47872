"""Change points in nightly series: E-divisive means with a Student t-test, split then merge, as in Apache Otava.

Otava (Apache-2.0) is the reference; it pins numpy 2.2 and scipy < 1.17, which clash with ours, so the
algorithm is re-implemented here and tested against Otava's published examples. The divergence measure
is Matteson & James's Q-hat (power 1); significance and the split/merge passes follow Fleming et al.,
"Hunter: Using Change Point Detection to Hunt for Performance Regressions" (ICPE 2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChangePoint:
    """Index of the first point after a step, with the two sides' statistics."""

    index: int
    qhat: float
    p_value: float
    mean_before: float
    mean_after: float
    std_before: float
    std_after: float

    @property
    def forward_change(self) -> float:
        """Relative change from before to after (0.10 = 10 % up)."""
        return self.mean_after / self.mean_before - 1.0 if self.mean_before else 0.0

    @property
    def magnitude(self) -> float:
        """The larger of the forward and backward relative changes, as Otava ranks them."""
        back = self.mean_before / self.mean_after - 1.0 if self.mean_after else 0.0
        return max(abs(self.forward_change), abs(back))


def qhat_matrix(x: np.ndarray, min_segment: int = 1) -> np.ndarray:
    """Q(tau, kappa) for X = x[:tau], Y = x[tau:kappa]; entry [tau-1, kappa-2], -inf where undefined.

    Splits leaving fewer than ``min_segment`` points on a side are undefined too.
    """
    n_all = len(x)
    d = np.abs(x[:, None] - x[None, :])
    p = np.zeros((n_all + 1, n_all + 1))
    p[1:, 1:] = d.cumsum(0).cumsum(1)

    def block(i0: np.ndarray | int, i1: np.ndarray | int, j0: np.ndarray | int, j1: np.ndarray | int) -> np.ndarray:
        out: np.ndarray = p[i1, j1] - p[i0, j1] - p[i1, j0] + p[i0, j0]
        return out

    tau = np.arange(1, n_all)[:, None]
    kappa = np.arange(2, n_all + 1)[None, :]
    valid = (kappa >= tau + min_segment) & (tau >= min_segment)
    tau_b, kappa_b = np.broadcast_arrays(tau, kappa)
    kappa_c = np.where(valid, kappa_b, tau_b + 1)
    n = tau_b.astype(float)
    m = (kappa_c - tau_b).astype(float)
    xy = block(0, tau_b, tau_b, kappa_c)
    xx = block(0, tau_b, 0, tau_b) / 2
    yy = block(tau_b, kappa_c, tau_b, kappa_c) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(n > 1, 2 * m / ((m + n) * (n - 1)) * xx, 0.0)
        c = np.where(m > 1, 2 * n / ((m + n) * (m - 1)) * yy, 0.0)
    q = 2 / (m + n) * xy - b - c
    return np.where(valid, q, -np.inf)


def best_split(x: np.ndarray, min_segment: int = 1) -> tuple[int, float] | None:
    """The tau maximising Q over kappa for the whole of ``x``; None when no split is allowed."""
    if len(x) < 2 * min_segment:
        return None
    q = qhat_matrix(x, min_segment)
    i, j = np.unravel_index(np.argmax(q), q.shape)
    if not np.isfinite(q[i, j]):
        return None
    return int(i) + 1, float(q[i, j])


def ttest(left: np.ndarray, right: np.ndarray) -> tuple[float, float, float, float, float]:
    """Two-sided Student t-test as Otava runs it (population std, equal variances): p, means, stds."""
    ml, mr = float(np.mean(left)), float(np.mean(right))
    sl = float(np.std(left)) if len(left) >= 2 else 0.0
    sr = float(np.std(right)) if len(right) >= 2 else 0.0
    if len(left) + len(right) <= 2:
        return 1.0, ml, mr, sl, sr
    from scipy.stats import ttest_ind_from_stats  # about a second to import: only when a series is tested

    with np.errstate(divide="ignore", invalid="ignore"):
        p = float(ttest_ind_from_stats(ml, sl, len(left), mr, sr, len(right)).pvalue)
    if not np.isfinite(p):  # zero variance on both sides: identical means give nan, different give 0
        p = 1.0 if ml == mr else 0.0
    return p, ml, mr, sl, sr


def _bounds(indexes: list[int], n: int) -> list[tuple[int, int]]:
    cuts = [0, *sorted(indexes), n]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if a != b]


def _stats_at(series: np.ndarray, index: int, qhat: float, neighbours: list[int]) -> ChangePoint:
    """The change point at ``index`` judged between its neighbouring change points (or the series ends)."""
    lo = max([c for c in neighbours if c < index], default=0)
    hi = min([c for c in neighbours if c > index], default=len(series))
    p, ml, mr, sl, sr = ttest(series[lo:index], series[index:hi])
    return ChangePoint(index, qhat, p, ml, mr, sl, sr)


def detect(series: Sequence[float] | np.ndarray, max_pvalue: float, min_segment: int = 1) -> list[ChangePoint]:
    """E-divisive: keep splitting the interval with the largest Q-hat while the split is significant.

    ``min_segment`` > 1 forbids segments shorter than that: a one-night spike cannot be cut out as its own
    segment (Otava's default, 1, can: its t-test then sees a single far point as a significant step).
    """
    x = np.asarray(series, dtype=float)
    found: list[ChangePoint] = []
    while True:
        candidates = []
        for a, b in _bounds([c.index for c in found], len(x)):
            split = best_split(x[a:b], min_segment) if b - a > 1 else None
            if split is not None:
                candidates.append((split[1], a + split[0]))
        if not candidates:
            return found
        q, index = max(candidates)
        cp = _stats_at(x, index, q, [c.index for c in found])
        if cp.p_value > max_pvalue:
            return found
        found = sorted([*found, cp], key=lambda c: c.index)


def _split(x: np.ndarray, window: int, max_pvalue: float, min_segment: int) -> list[ChangePoint]:
    """Sliding windows of ``window`` points (half-overlapping), E-divisive in each, union of the points."""
    step = max(1, window // 2)
    start = 0
    found: dict[int, ChangePoint] = {}
    while start < len(x):
        end = min(start + window, len(x))
        new = [
            ChangePoint(c.index + start, c.qhat, c.p_value, c.mean_before, c.mean_after, c.std_before, c.std_after)
            for c in detect(x[start:end], max_pvalue, min_segment)
        ]
        for c in new:
            found.setdefault(c.index, c)
        start = max(new[-1].index if new else 0, start + step)
    indexes = sorted(found)
    return [_stats_at(x, i, found[i].qhat, indexes) for i in indexes]


def _merge(points: list[ChangePoint], x: np.ndarray, max_pvalue: float, min_magnitude: float) -> list[ChangePoint]:
    """Drop the weakest point (worst p, else smallest change) until all pass, re-judging its neighbours."""
    points = list(points)
    while points:
        weakest = max(points, key=lambda c: c.p_value)
        if weakest.p_value < max_pvalue:
            weakest = min(points, key=lambda c: c.magnitude)
            if weakest.magnitude > min_magnitude:
                return points
        i = points.index(weakest)
        del points[i]
        indexes = [c.index for c in points]
        for j in (i, i + 1):
            if 0 <= j < len(points):
                points[j] = _stats_at(x, points[j].index, points[j].qhat, indexes)
    return points


def _refine(points: list[ChangePoint], x: np.ndarray, min_segment: int) -> list[ChangePoint]:
    """Move each point to the least-squares split between its neighbours (bigday's addition).

    Q-hat (power 1) finds that a step exists but places it loosely; for a step in the mean the split
    that minimises the two sides' squared error is the sharper estimate of where it happened.
    """
    indexes = [c.index for c in points]
    for k in range(len(indexes)):
        lo = indexes[k - 1] if k > 0 else 0
        hi = indexes[k + 1] if k + 1 < len(indexes) else len(x)
        seg = x[lo:hi]
        taus = np.arange(max(1, min_segment), len(seg) - max(1, min_segment) + 1)
        if len(taus) == 0:
            continue
        c1 = np.cumsum(seg)
        c2 = np.cumsum(seg**2)
        left_n, right_n = taus, len(seg) - taus
        left_s, right_s = c1[taus - 1], c1[-1] - c1[taus - 1]
        sse = (c2[-1]) - left_s**2 / left_n - right_s**2 / right_n
        indexes[k] = lo + int(taus[np.argmin(sse)])
    return [_stats_at(x, i, c.qhat, indexes) for i, c in zip(indexes, points, strict=True)]


def change_points(
    series: Sequence[float] | np.ndarray,
    window: int = 50,
    max_pvalue: float = 0.001,
    min_magnitude: float = 0.0,
    min_segment: int = 1,
    refine: bool = False,
) -> list[ChangePoint]:
    """Otava's ``compute_change_points``: split at a relaxed p-value, then merge at ``max_pvalue``.

    The defaults are Otava's; bigday's nightly trends use ``NIGHTLY`` below.
    """
    x = np.asarray(series, dtype=float)
    if len(x) < 3:
        return []
    if max_pvalue < 0.05:
        first = max_pvalue * 10
    elif max_pvalue < 0.5:
        first = max_pvalue * 2
    else:
        first = max_pvalue
    merged = _merge(_split(x, window, first, min_segment), x, max_pvalue, min_magnitude)
    return _refine(merged, x, min_segment) if refine else merged
