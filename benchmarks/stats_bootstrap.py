"""Bootstrap timings: scipy.stats.bootstrap beside bigday's own loops, at the sizes bigday uses.

.venv/bin/python benchmarks/stats_bootstrap.py [--repeat 9]

Three bootstraps, each timed both ways with the same seeds (median of ``--repeat`` runs, interleaved):
- isolation: the victim's p95 / p99 ratio and rise, two samples of 1,000-10,000 response times (one look of
  the adaptive check pools several windows), 2,000 and 10,000 resamples. bigday.stats draws each resampled
  quantile from the resampled order statistics; scipy resamples every value.
- regression: the median ratio of two samples of 3-60 runs, 2,000 resamples (one call per page x metric).
  bigday.stats keeps its own loop.
- error rate: the difference of two error rates over 1,000-3,000 requests, 2,000 resamples. bigday.stats
  keeps its own binomial draws; scipy resamples the 0/1 outcomes.
The ratio column is scipy's time over the other's: above 1, scipy is slower.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from scipy.stats import bootstrap

from bigday import stats

RESAMPLES = 2000
CONFIDENCE = 0.95


def scipy_quantile_change(
    before: np.ndarray, after: np.ndarray, q: float, resamples: int, rng: np.random.Generator
) -> object:
    """The same two statistics through scipy's bootstrap (what bigday.stats used before its own draws)."""

    def ratio_and_rise(b: np.ndarray, a: np.ndarray, axis: int = -1) -> np.ndarray:
        qb = np.quantile(b, q, axis=axis, method="linear")
        qa = np.quantile(a, q, axis=axis, method="linear")
        return np.stack([qa / np.maximum(qb, stats.RATIO_FLOOR), qa - qb])

    return bootstrap(
        (before, after),
        ratio_and_rise,
        n_resamples=resamples,
        batch=max(1, 4_000_000 // max(before.size, after.size)),
        vectorized=True,
        paired=False,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=rng,
    ).confidence_interval


def scipy_median_ratio(current: np.ndarray, baseline: np.ndarray, rng: np.random.Generator) -> object:
    def ratio(c: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return stats.median_effect(c, b, "ratio")

    return bootstrap(
        (current, baseline),
        ratio,
        n_resamples=RESAMPLES,
        vectorized=True,
        paired=False,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=rng,
    ).confidence_interval


def scipy_rate_difference(before: np.ndarray, after: np.ndarray, rng: np.random.Generator) -> object:
    def diff(b: np.ndarray, a: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(np.mean(a, axis=axis) - np.mean(b, axis=axis))

    return bootstrap(
        (before, after),
        diff,
        n_resamples=RESAMPLES,
        vectorized=True,
        paired=False,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=rng,
    ).confidence_interval


def timed_pair(
    ours: Callable[[np.random.Generator], object], theirs: Callable[[np.random.Generator], object], repeat: int
) -> tuple[float, float]:
    """Median seconds of each, alternating so that a busy moment on the machine falls on both."""
    a: list[float] = []
    b: list[float] = []
    for i in range(repeat):
        for fn, out in ((ours, a), (theirs, b)):
            rng = np.random.default_rng(i)
            t0 = time.perf_counter()
            fn(rng)
            out.append(time.perf_counter() - t0)
    return float(np.median(a)), float(np.median(b))


def row(label: str, ours_name: str, ours: float, theirs: float) -> None:
    print(f"{label:46} {ours_name:>6} {ours * 1e3:9.2f} ms   scipy {theirs * 1e3:9.2f} ms   ratio {theirs / ours:5.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9, help="repetitions per figure (the median is shown)")
    args = ap.parse_args()
    data = np.random.default_rng(2024)
    print(f"{RESAMPLES} resamples, {CONFIDENCE:.0%} percentile intervals, median of {args.repeat} repetitions")

    print("isolation (p95/p99 ratio and rise of response times; bigday.stats draws order statistics)")
    for n, resamples in ((1000, 2000), (3000, 2000), (10000, 10000)):
        before, after = data.lognormal(np.log(80), 0.4, n), data.lognormal(np.log(88), 0.4, n)
        for q in (0.95, 0.99):
            ours, sp = timed_pair(
                partial(stats.quantile_change, before, after, q, CONFIDENCE, resamples),
                partial(scipy_quantile_change, before, after, q, resamples),
                max(3, args.repeat // 3) if n == 10000 else args.repeat,
            )
            row(f"  n={n} per side, {resamples} resamples, q={q}", "ours", ours, sp)

    print("regression (median ratio of runs; bigday.stats keeps its loop)")
    for n in (3, 10, 30, 60):
        current, baseline = data.lognormal(np.log(1500), 0.05, n), data.lognormal(np.log(1500), 0.05, n)
        ours, sp = timed_pair(
            partial(stats.median_effect_interval, current, baseline, "ratio", CONFIDENCE, RESAMPLES),
            partial(scipy_median_ratio, current, baseline),
            args.repeat * 3,
        )
        row(f"  n={n} runs a side", "ours", ours, sp)

    print("error rate difference (bigday.stats keeps its binomial draws)")
    for n in (1000, 3000):
        before = (data.uniform(size=n) < 0.01).astype(float)
        after = (data.uniform(size=n) < 0.03).astype(float)
        eb, ea = int(before.sum()), int(after.sum())
        ours, sp = timed_pair(
            partial(stats.rate_difference, eb, n, ea, n, CONFIDENCE, RESAMPLES),
            partial(scipy_rate_difference, before, after),
            args.repeat,
        )
        row(f"  n={n} requests per phase", "ours", ours, sp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
