"""Enough runs: what a rank test can show at n, and a group-sequential design for measuring until decisive.

Two questions a comparison of few runs must answer before it is trusted:

- **Can it reach significance at all?** The Mann-Whitney U test's p-value has a floor set by the sample sizes
  alone: with 3 runs a side the most extreme ordering (every run of one side above every run of the other) has
  one-sided p = 1 / C(6, 3) = 0.05, so after a false-discovery correction over several comparisons no change of
  any size can be flagged at alpha = 0.05. ``min_rank_p`` is that floor, computed by the same scipy call the
  comparator uses (exact for small samples without ties, the normal approximation otherwise).
- **How small a change can it show?** ``detectable_change`` is the relative change the rank test would find
  with 80 % power at n, from the samples' own spread (a robust standard deviation, 1.4826 x MAD, pooled) and
  the rank test's asymptotic efficiency against the t test (3 / pi for normal data).

The adaptive mode (``--runs auto``) is a **group-sequential design with Lan-DeMets O'Brien-Fleming alpha
spending**: a fixed maximum number of runs per side and looks at planned points (every few runs); at look k,
at information fraction t_k = n_k / n_max, a two-sided test may reject only where the alpha spent so far,
alpha(t) = 2 - 2 Phi(z_{1 - alpha/2} / sqrt(t)), allows. The boundaries are computed by recursive numerical
integration of the standardised statistic's path (a Brownian motion observed at the looks), so the chance of
ever rejecting under no change, over all looks, is alpha. Early looks demand overwhelming evidence (about
z > 5 at a sixth of the way), the last is close to the fixed-sample test; the rank test's z at successive
looks on growing samples has, asymptotically, the independent increments the design assumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import comb, sqrt
from statistics import NormalDist

import numpy as np

from bigday.stats import Array, rank_test

POWER = 0.8
# How finely the surviving density is tabulated between the boundaries (points per look).
_GRID = 801


@lru_cache(maxsize=1024)
def min_rank_p(n_current: int, n_baseline: int) -> float:
    """The smallest one-sided Mann-Whitney U p-value two samples of these sizes can produce."""
    if n_current < 1 or n_baseline < 1:
        return 1.0
    if n_current + n_baseline <= 16:
        return 1.0 / comb(n_current + n_baseline, n_current)
    high = np.arange(n_current, dtype=np.float64) + n_baseline
    low = np.arange(n_baseline, dtype=np.float64)
    return rank_test(high, low)[0]


def robust_spread(values: Array) -> float:
    """1.4826 x the median absolute deviation: the standard deviation of normal data, untouched by outliers."""
    xs = np.asarray(values, dtype=np.float64)
    return float(1.4826 * np.median(np.abs(xs - np.median(xs)))) if xs.size else 0.0


def detectable_change(a: Array, b: Array, alpha: float, center: float) -> float:
    """The change (relative to ``center``; absolute when ``center`` is 0) a two-sided rank test at ``alpha``
    detects with 80 % power at these sample sizes, judged from the samples' pooled robust spread."""
    n_a, n_b = len(a), len(b)
    if n_a < 1 or n_b < 1:
        return float("inf")
    spread = sqrt((robust_spread(a) ** 2 * n_a + robust_spread(b) ** 2 * n_b) / (n_a + n_b))
    # Mann-Whitney needs pi / 3 times the runs of a t test on normal data for the same power.
    unit = NormalDist()
    change = float((unit.inv_cdf(1 - alpha / 2) + unit.inv_cdf(POWER)) * spread * sqrt((1 / n_a + 1 / n_b) * np.pi / 3))
    return change / abs(center) if center else change


def obrien_fleming_spent(t: float, alpha: float) -> float:
    """Lan-DeMets O'Brien-Fleming spending: the two-sided alpha spent by information fraction ``t``."""
    from scipy.stats import norm

    if t <= 0:
        return 0.0
    return float(min(alpha, 2 * norm.sf(norm.isf(alpha / 2) / sqrt(min(t, 1.0)))))


@dataclass(frozen=True)
class SequentialDesign:
    """Looks at ``looks`` runs per side out of ``looks[-1]``; at look k a comparison is decisive when its
    two-sided p-value (after FDR control) is at most ``nominal[k]``."""

    looks: tuple[int, ...]
    alpha: float
    nominal: tuple[float, ...]
    z_bounds: tuple[float, ...]

    @property
    def max_runs(self) -> int:
        return self.looks[-1]

    def look_of(self, runs: int) -> int | None:
        """The index of the look taken after ``runs`` runs per side (None between looks)."""
        return self.looks.index(runs) if runs in self.looks else None


def look_schedule(min_runs: int, max_runs: int, step: int) -> tuple[int, ...]:
    """min_runs, min_runs + step, ... up to max_runs, which is always the last look."""
    looks = list(range(min_runs, max_runs, max(step, 1)))
    return (*looks, max_runs)


def fixed_design(runs: int, alpha: float) -> SequentialDesign:
    """One look after ``runs``: the ordinary fixed-sample test."""
    from scipy.stats import norm

    return SequentialDesign((runs,), alpha, (alpha,), (float(norm.isf(alpha / 2)),))


def group_sequential(looks: tuple[int, ...], alpha: float) -> SequentialDesign:
    """O'Brien-Fleming-type boundaries (Lan-DeMets spending) for looks at these runs per side."""
    if not looks or any(b <= a for a, b in zip(looks, looks[1:], strict=False)) or looks[0] < 1:
        raise ValueError(f"looks must be increasing positive run counts, got {looks}")
    z = _bounds(tuple(n / looks[-1] for n in looks), alpha)
    from scipy.stats import norm

    return SequentialDesign(looks, alpha, tuple(float(2 * norm.sf(c)) for c in z), z)


@lru_cache(maxsize=32)
def _bounds(fractions: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    """Two-sided boundaries z_k such that, for a Brownian motion S observed at ``fractions`` with
    Z_k = S(t_k) / sqrt(t_k), P(|Z_j| < z_j for j < k, |Z_k| >= z_k) = alpha(t_k) - alpha(t_{k-1}).

    The density of S(t_k) on the paths that have not crossed is carried from look to look on a grid
    (Armitage, McPherson and Rowe's recursion): each step convolves it with the increment's normal density."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    bounds: list[float] = []
    spent_before = 0.0
    grid: Array | None = None  # S values of the surviving region at the previous look
    density: Array | None = None
    t_prev = 0.0
    for t in fractions:
        target = obrien_fleming_spent(t, alpha) - spent_before
        if grid is None or density is None:
            z = float(norm.isf(target / 2))
            b = z * sqrt(t)
            grid = np.linspace(-b, b, _GRID)
            density = norm.pdf(grid, scale=sqrt(t))
        else:
            sd = sqrt(t - t_prev)
            weights = _trapezoid_weights(grid) * density
            g, w = grid, weights

            def crossing(b_s: float, g: Array = g, w: Array = w, sd: float = sd) -> float:
                return float(np.sum(w * (norm.cdf((-b_s - g) / sd) + norm.sf((b_s - g) / sd))))

            survivors = float(np.sum(w))
            if target <= 0 or target >= survivors:
                z = float("inf") if target <= 0 else 0.0
            else:
                b_found = brentq(lambda b_s, target=target: crossing(b_s) - target, 1e-9, 40.0 * sqrt(t), xtol=1e-10)
                z = float(b_found) / sqrt(t)
            b = z * sqrt(t) if np.isfinite(z) else 40.0 * sqrt(t)
            new_grid = np.linspace(-b, b, _GRID)
            kernel = norm.pdf((new_grid[:, None] - g[None, :]) / sd) / sd
            density = kernel @ w
            grid = new_grid
        bounds.append(z)
        spent_before = obrien_fleming_spent(t, alpha)
        t_prev = t
    return tuple(bounds)


def _trapezoid_weights(grid: Array) -> Array:
    step = grid[1] - grid[0]
    w = np.full(grid.size, step)
    w[0] = w[-1] = step / 2
    return w


def runs_needed(runs: int, z_observed: float, z_needed: float) -> int:
    """Runs per side at which a statistic now at ``z_observed`` (growing with sqrt(n)) would reach ``z_needed``."""
    if z_observed <= 0:
        return 10**6
    return int(np.ceil(runs * (z_needed / z_observed) ** 2))
