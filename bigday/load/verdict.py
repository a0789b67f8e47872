"""Load verdicts: does the app hold the Saturday spike; the generator's health; the bootstraps both verdicts use.

The tenant-isolation verdict is bigday.load.isolation's.  Any verdict from a saturated generator is marked
untrustworthy: its numbers measure the generator, not the app.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bigday import stats
from bigday.load.plan import LoadPlan
from bigday.load.samples import Distribution, SampleBook
from bigday.load.stats import ALL, EndpointStats, find
from bigday.runfolder.enums import Status
from bigday.runfolder.load_stats import ProcessMemory
from bigday.runfolder.load_verdicts import GeneratorHealth, Interval, PhaseFigures, ProcessCpu, SoakDrift, SpikeVerdict

# Memory grows while users start and pools fill: growth is measured from a minute into the run.
MEMORY_SETTLED_S = 60.0


def generator_health(cpu_samples: list[dict[str, Any]], cpu_pct_bar: float, fraction_bar: float) -> GeneratorHealth:
    """``cpu_samples`` are ``{"node", "t", "cpu"}`` (percent of one core) from every Locust process."""
    per: dict[str, list[float]] = {}
    for s in cpu_samples:
        per.setdefault(str(s["node"]), []).append(float(s["cpu"]))
    summary: dict[str, ProcessCpu] = {}
    busiest = 0.0
    for node, values in per.items():
        arr = np.asarray(values)
        over = float((arr > cpu_pct_bar).mean()) if arr.size else 0.0
        busiest = max(busiest, over)
        summary[node] = ProcessCpu(
            samples=int(arr.size),
            median=round(stats.median(arr), 1) if arr.size else 0.0,
            max=round(float(arr.max()), 1) if arr.size else 0.0,
            fraction_above_bar=round(over, 4),
        )
    return GeneratorHealth(busiest > fraction_bar, round(busiest, 4), cpu_pct_bar, fraction_bar, summary)


def generator_memory(
    cpu_samples: list[dict[str, Any]], t0: float, photo_pool_bytes: dict[str, int]
) -> dict[str, ProcessMemory]:
    """Each process's resident memory over the run from its ``rss_mb`` samples (processes that sent none are
    left out), with the growth after its first minute."""
    per: dict[str, list[tuple[float, float]]] = {}
    for s in cpu_samples:
        if s.get("rss_mb") is not None:
            per.setdefault(str(s["node"]), []).append((float(s["t"]), float(s["rss_mb"])))
    out: dict[str, ProcessMemory] = {}
    for node, points in sorted(per.items()):
        points.sort()
        mb = np.asarray([m for _, m in points])
        growth = None
        if points[-1][0] - t0 >= MEMORY_SETTLED_S * 1.5:
            at_minute = next(m for t, m in points if t - t0 >= MEMORY_SETTLED_S)
            growth = round(points[-1][1] / at_minute - 1.0, 4) if at_minute > 0 else None
        out[node] = ProcessMemory(
            samples=len(points),
            first_mb=round(float(mb[0]), 1),
            median_mb=round(stats.median(mb), 1),
            peak_mb=round(float(mb.max()), 1),
            last_mb=round(float(mb[-1]), 1),
            photo_pool_mb=round(photo_pool_bytes.get(node, 0) / 1e6, 1),
            growth_after_first_minute=growth,
        )
    return out


# ---------------------------------------------------------------- bootstrap


def interval_of(estimate: stats.Estimate, digits: int, confidence: float) -> Interval:
    """An estimate and its interval as a verdict records them, rounded to ``digits``."""
    return Interval(
        round(estimate.value, digits), round(estimate.low, digits), round(estimate.high, digits), confidence
    )


def bootstrap_quantile_change(
    before: np.ndarray, after: np.ndarray, q: float, confidence: float, resamples: int, rng: np.random.Generator
) -> tuple[Interval, Interval]:
    """quantile(after) / quantile(before) and quantile(after) - quantile(before), each with a percentile-bootstrap
    interval from the same resamples (both samples resampled); unknown when either has no samples."""
    if before.size == 0 or after.size == 0:
        return Interval.unknown(confidence), Interval.unknown(confidence)
    ratio, rise = stats.quantile_change(before, after, q, confidence, resamples, rng)
    return interval_of(ratio, 4, confidence), interval_of(rise, 3, confidence)


def bootstrap_rate_difference(
    before: tuple[int, int], after: tuple[int, int], confidence: float, resamples: int, rng: np.random.Generator
) -> Interval:
    """Error rate after minus before, each given as (errors, requests), with a parametric (binomial) bootstrap
    interval; unknown when either has no requests."""
    if before[1] == 0 or after[1] == 0:
        return Interval.unknown(confidence)
    d = stats.rate_difference(*before, *after, confidence, resamples, rng)
    return interval_of(d, 6, confidence)


# ---------------------------------------------------------------- the Saturday spike


def phase_figures(rt: np.ndarray, errors: int) -> PhaseFigures:
    """Count, p50/p95/p99 and error rate of some response times."""
    if rt.size == 0:
        return PhaseFigures(0, None, None, None, 0.0)
    p50, p95, p99 = (round(x, 3) for x in stats.quantiles(rt, (0.5, 0.95, 0.99)))
    return PhaseFigures(int(rt.size), p50, p95, p99, round(errors / rt.size, 6))


def distribution_figures(d: Distribution) -> PhaseFigures:
    """``phase_figures`` of keys taken together (exact while their reservoirs hold every request)."""
    if d.n == 0:
        return PhaseFigures(0, None, None, None, 0.0)
    p50, p95, p99 = (round(x, 3) for x in d.quantiles((0.5, 0.95, 0.99)))
    return PhaseFigures(d.n, p50, p95, p99, round((d.n - d.ok_n) / d.n, 6))


def plateau_phases(plan: LoadPlan) -> tuple[str, ...]:
    """Stages held at the peak: they start and end at the peak user count (else the stage reaching the peak)."""
    peak = plan.peak_users
    held, prev = [], 0
    for s in plan.stages:
        if s.users == peak and prev == peak:
            held.append(s.name)
        prev = s.users
    if held:
        return tuple(held)
    return tuple(s.name for s in plan.stages if s.users == peak)[:1]


def judge_spike(
    plan: LoadPlan,
    rows: list[EndpointStats],
    book: SampleBook,
    peak_reached: int,
    health: GeneratorHealth,
    soak: SoakDrift | None = None,
) -> SpikeVerdict:
    phases = plateau_phases(plan)
    fig = distribution_figures(book.distribution(k for k in book.series if k[3] in phases))
    rps = sum((find(rows, phase=p) or _EMPTY).rps for p in phases)
    reasons: list[str] = []
    if fig.n == 0:
        reasons.append(f"no requests completed during the plateau ({', '.join(phases)})")
    if fig.p95 is not None and fig.p95 > plan.spike_p95_sla_ms:
        reasons.append(f"plateau p95 {fig.p95:.0f} ms exceeds the SLA of {plan.spike_p95_sla_ms:g} ms")
    if fig.error_rate > plan.spike_max_error_rate:
        reasons.append(f"plateau error rate {fig.error_rate:.2%} exceeds {plan.spike_max_error_rate:.2%}")
    caveats: list[str] = []
    if health.saturated:
        caveats.append(
            f"load generator saturated (>{health.cpu_pct_bar:g}% CPU for {health.busiest_fraction:.0%} of samples)"
        )
    if peak_reached < 0.95 * plan.peak_users:
        caveats.append(f"the generator reached only {peak_reached} of {plan.peak_users} users")
    status = Status.FAIL if reasons else Status.PASS
    if soak is not None and soak.status is not Status.PASS:
        reasons.append(soak.reason)  # drift fails the rehearsal; a soak that cannot tell leaves it undecided
        status = Status.FAIL if soak.status is Status.FAIL or status is Status.FAIL else Status.INCONCLUSIVE
    return SpikeVerdict(
        status=status,
        trustworthy=not caveats,
        reasons=tuple(reasons),
        peak_users_planned=plan.peak_users,
        peak_users_reached=peak_reached,
        plateau_phases=phases,
        plateau_count=fig.n,
        plateau_rps=round(rps, 3),
        plateau_p95_ms=fig.p95,
        plateau_p99_ms=fig.p99,
        plateau_error_rate=fig.error_rate,
        p95_sla_ms=plan.spike_p95_sla_ms,
        max_error_rate=plan.spike_max_error_rate,
        caveats=tuple(caveats),
        soak=soak,
    )


_EMPTY = EndpointStats(ALL, ALL, ALL, ALL, 0, 0.0, None, None, None, None, None, 0.0)
