"""Load verdicts: does the app hold the Saturday spike, and does one tenant's spike hurt another tenant.

The isolation verdict compares the victim tenant's p95 and p99 with the aggressor's spike beside it (phase
``spike``) and without it (phase ``alone``), with a percentile-bootstrap confidence interval on each ratio.
It passes only when the p95 interval's upper bound is within the tolerance, so a noisy run cannot pass by
luck, and only when the victim's SLA holds; the p99 ratio and its interval are reported beside it.  With a
minimum effect (``min_effect_ms``) a rise is harm only if it could also be that large in milliseconds: the
p95 of a 3 ms read moving by half a millisecond is 1.17x, and no person or SLA can tell.  Any
verdict from a saturated generator is marked untrustworthy: its numbers measure the generator, not the app.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bigday import stats
from bigday.load.plan import IsolationPlan, LoadPlan
from bigday.load.samples import SampleBook
from bigday.load.stats import ALL, EndpointStats, PhaseSpan, find
from bigday.runfolder.enums import Status
from bigday.runfolder.load_verdicts import (
    GeneratorHealth,
    Interval,
    IsolationVerdict,
    PhaseFigures,
    ProcessCpu,
    SpikeVerdict,
)

MIN_SAMPLES = 30
# What the isolation verdict was judged against, recorded in it as the plan set them.
_BARS = ("victim", "aggressor", "tolerance", "victim_p95_sla_ms", "victim_max_error_rate", "min_effect_ms")


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


# ---------------------------------------------------------------- bootstrap


class VictimChange(NamedTuple):
    """The victim's change from one phase to the next, each figure with its bootstrap interval (the fields
    are those of IsolationVerdict that hold them)."""

    p95_ratio: Interval
    p95_increase_ms: Interval
    p99_ratio: Interval
    p99_increase_ms: Interval
    error_rate_increase: Interval


def _interval(estimate: stats.Estimate, digits: int, confidence: float) -> Interval:
    return Interval(
        round(estimate.value, digits), round(estimate.low, digits), round(estimate.high, digits), confidence
    )


def bootstrap_change(
    before: np.ndarray,
    errors_before: int,
    after: np.ndarray,
    errors_after: int,
    iso: IsolationPlan,
    rng: np.random.Generator,
) -> VictimChange:
    """The p95 and p99 of ``after`` over and minus those of ``before`` (percentile bootstrap, both samples
    resampled), and the error rate after minus before (binomial bootstrap); unknown when a phase has no samples.
    """
    c = iso.confidence
    if before.size == 0 or after.size == 0:
        return VictimChange(*(Interval.unknown(c) for _ in VictimChange._fields))
    p95, p95_rise = stats.quantile_change(before, after, 0.95, c, iso.resamples, rng)
    p99, p99_rise = stats.quantile_change(before, after, 0.99, c, iso.resamples, rng)
    errors = stats.rate_difference(errors_before, before.size, errors_after, after.size, c, iso.resamples, rng)
    return VictimChange(
        _interval(p95, 4, c),
        _interval(p95_rise, 3, c),
        _interval(p99, 4, c),
        _interval(p99_rise, 3, c),
        _interval(errors, 6, c),
    )


# ---------------------------------------------------------------- verdicts


def _victim_arrays(book: SampleBook, victim: str, phase: str, settled_from: float) -> tuple[np.ndarray, int]:
    """The victim's response times in ``phase`` for requests started at or after ``settled_from``."""
    rts, errors = [], 0
    for key, s in book.series.items():
        if key[0] == victim and key[3] == phase:
            keep = np.frombuffer(s.t, dtype=np.float64) >= settled_from
            rts.append(np.frombuffer(s.rt, dtype=np.float32)[keep])
            errors += int((np.frombuffer(bytes(s.ok), dtype=np.uint8)[keep] == 0).sum())
    rt = np.concatenate(rts).astype(np.float64) if rts else np.empty(0)
    return rt, errors


def _figures(rt: np.ndarray, errors: int) -> PhaseFigures:
    if rt.size == 0:
        return PhaseFigures(0, None, None, None, 0.0)
    p50, p95, p99 = (round(x, 3) for x in stats.quantiles(rt, (0.5, 0.95, 0.99)))
    return PhaseFigures(int(rt.size), p50, p95, p99, round(errors / rt.size, 6))


def judge_isolation(
    book: SampleBook, iso: IsolationPlan, phases: tuple[PhaseSpan, ...], health: GeneratorHealth, seed: int = 7
) -> IsolationVerdict:
    """The victim's phase ``spike`` against phase ``alone``, each without its first ``settle_s`` seconds."""
    rng = np.random.default_rng(seed)
    starts = {p.name: p.start for p in phases}
    # Users start and stop up to a shape tick (1 s) after a phase begins: those seconds belong to neither phase.
    before, err_before = _victim_arrays(book, iso.victim, "alone", starts.get("alone", 0.0) + iso.settle_s)
    after, err_after = _victim_arrays(book, iso.victim, "spike", starts.get("spike", 0.0) + iso.settle_s)
    alone, spike = _figures(before, err_before), _figures(after, err_after)
    change = bootstrap_change(before, err_before, after, err_after, iso, rng)
    p95, p95_rise, p99, p99_rise = change.p95_ratio, change.p95_increase_ms, change.p99_ratio, change.p99_increase_ms
    aggressor_n = sum(len(s) for k, s in book.series.items() if k[0] == iso.aggressor and k[3] == "spike")

    reasons: list[str] = []
    notes: list[str] = []
    pct = int(iso.confidence * 100)
    for label, ratio, rise in (("p95", p95, p95_rise), ("p99", p99, p99_rise)):
        if ratio.high is None or rise.high is None:
            reasons.append(f"victim {label}: no samples to compare")
        elif ratio.high > iso.tolerance:
            line = (
                f"victim {label} rose {ratio.estimate:.2f}x during the {iso.aggressor} spike"
                f" ({pct}% interval {ratio.low:.2f}-{ratio.high:.2f}x, tolerance {iso.tolerance:g}x)"
            )
            if rise.high <= iso.min_effect_ms:
                # Too small to matter even at the interval's top: reported, never a FAIL.
                notes.append(
                    f"{line}, but by {rise.estimate:+.2f} ms ({pct}% interval {rise.low:+.2f} to {rise.high:+.2f} ms),"
                    f" under the minimum effect of {iso.min_effect_ms:g} ms"
                )
                continue
            # The p95 gates. A p99 from ~1,000 samples rests on its ten largest; its interval crosses 1.25x for
            # an unharmed victim about one run in three, so it is reported, and gates only through the SLA.
            (reasons if label == "p95" else notes).append(
                f"{line}, by {rise.estimate:+.1f} ms" if iso.min_effect_ms else line
            )
    for label, fig in (("alone", alone), ("spike", spike)):
        if fig.p95 is not None and fig.p95 > iso.victim_p95_sla_ms:
            reasons.append(
                f"victim p95 {fig.p95:.0f} ms in phase {label} exceeds its SLA of {iso.victim_p95_sla_ms:g} ms"
            )
        if fig.error_rate > iso.victim_max_error_rate:
            reasons.append(
                f"victim error rate {fig.error_rate:.2%} in phase {label} exceeds {iso.victim_max_error_rate:.2%}"
            )

    caveats: list[str] = []
    if health.saturated:
        caveats.append(
            f"load generator saturated (>{health.cpu_pct_bar:g}% CPU for {health.busiest_fraction:.0%} of samples)"
        )
    if min(alone.n, spike.n) < MIN_SAMPLES:
        caveats.append(f"too few victim samples (alone {alone.n}, spike {spike.n}; need {MIN_SAMPLES} each)")
    if aggressor_n == 0:
        caveats.append(f"the aggressor {iso.aggressor} sent no requests during the spike phase")
    recovery_rt, _ = _victim_arrays(book, iso.victim, "recovery", starts.get("recovery", 0.0) + iso.settle_s)
    recovery = _figures(recovery_rt, 0)
    # A baseline slowed by the machine makes the ratio smaller: that can only flatter a PASS, never cause a FAIL.
    disturbed = (
        alone.p95 and recovery.p95 and recovery.n >= MIN_SAMPLES and (alone.p95 > iso.baseline_drift_bar * recovery.p95)
    )
    if disturbed and not reasons:
        caveats.append(
            f"the baseline was disturbed: victim p95 {alone.p95:.1f} ms alone but {recovery.p95:.1f} ms after the"
            f" spike (both without the aggressor; bar {iso.baseline_drift_bar:g}x)"
        )
    return IsolationVerdict(
        status=Status.FAIL if reasons else Status.PASS,
        trustworthy=not caveats,
        reasons=tuple(reasons),
        alone=alone,
        spike=spike,
        aggressor_requests_in_spike=int(aggressor_n),
        recovery=recovery,
        caveats=tuple(caveats),
        notes=tuple(notes),
        **change._asdict(),
        **{bar: getattr(iso, bar) for bar in _BARS},
    )


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
    plan: LoadPlan, rows: list[EndpointStats], book: SampleBook, peak_reached: int, health: GeneratorHealth
) -> SpikeVerdict:
    phases = plateau_phases(plan)
    rts, errors = [], 0
    for key, s in book.series.items():
        if key[3] in phases:
            rts.append(np.frombuffer(s.rt, dtype=np.float32))
            errors += len(s) - s.ok.count(1)
    rt = np.concatenate(rts).astype(np.float64) if rts else np.empty(0)
    fig = _figures(rt, errors)
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
    return SpikeVerdict(
        status=Status.FAIL if reasons else Status.PASS,
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
    )


_EMPTY = EndpointStats(ALL, ALL, ALL, ALL, 0, 0.0, None, None, None, None, None, 0.0)
