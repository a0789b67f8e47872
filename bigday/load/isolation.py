"""The tenant-isolation verdict: does the aggressor tenant's spike slow the victim tenant?

The victim's p95 beside the spike over its p95 alone, with a percentile-bootstrap interval on the ratio and
on the rise in milliseconds; the victim's p95 against its SLA and its error rate against its maximum, each
by its interval; the victim's own alone-to-alone noise first.  Every part is PASS, FAIL or INCONCLUSIVE by
bigday.load.decision's rules, the verdict FAIL only when harm is shown.  With a minimum effect
(``min_effect_ms``) a rise is harm only if it is also shown that large in milliseconds: the p95 of a 3 ms read
moving by half a millisecond is 1.17x, and no person or SLA can tell.

``assess`` judges one look's windows (bigday.load.windows); the Locust master calls it during an adaptive run
(bigday.load.adjudicator) and ``judge_isolation`` gives the run's verdict from the deciding look.  No Locust
import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from bigday import stats
from bigday.load.decision import (
    MIN_SAMPLES,
    combine,
    extra_phase_time,
    judge_bound,
    judge_slowdown,
    more_samples_factor,
    noise_beyond_tolerance,
    noise_reason,
    noise_suspected,
    per_look_confidence,
    resamples_for,
)
from bigday.load.plan import IsolationPlan
from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan
from bigday.load.verdict import bootstrap_quantile_change, bootstrap_rate_difference, phase_figures
from bigday.load.windows import (
    LookWindows,
    VictimSamples,
    aggressor_requests,
    last_complete_look,
    look_windows,
    victim_samples,
)
from bigday.runfolder.enums import Status
from bigday.runfolder.load_verdicts import (
    GeneratorHealth,
    Interval,
    IsolationLook,
    IsolationPart,
    IsolationVerdict,
    SequentialRule,
    VictimNoise,
)


def _quantile(v: VictimSamples, q: float, confidence: float, resamples: int, rng: np.random.Generator) -> Interval:
    if v.n == 0:
        return Interval(None, None, None, confidence)
    e = stats.quantile_interval(v.rt, q, confidence, resamples, rng)
    return Interval(round(e.value, 3), round(e.low, 3), round(e.high, 3), confidence)


def _rate(v: VictimSamples, confidence: float) -> Interval:
    if v.n == 0:
        return Interval(None, None, None, confidence)
    e = stats.proportion_interval(v.errors, v.n, confidence)
    return Interval(round(e.value, 6), round(e.low, 6), round(e.high, 6), confidence)


MIN_LAG_SECONDS = 3  # per-second lag readings a condition needs before its p95 is compared


@dataclass(frozen=True)
class Assessment:
    """One look's judgement: the victim's samples in its windows, every part, the noise, and the outcome."""

    look: LookWindows
    confidence: float
    alone: VictimSamples
    spike: VictimSamples
    p95_ratio: Interval
    p95_increase_ms: Interval
    p99_ratio: Interval
    p99_increase_ms: Interval
    parts: tuple[IsolationPart, ...]
    noise: VictimNoise
    status: Status
    reason: str
    phase_time_s: float
    extra_phase_time_s: float | None

    @property
    def settled(self) -> bool:
        """Stop looking: the verdict is decided, or the victim is noisier than the tolerance (no later window
        changes the two alone windows the noise was measured on)."""
        return self.status is not Status.INCONCLUSIVE or self.noise.beyond_tolerance

    def as_look(self, at_s: float, stopped: bool = False) -> IsolationLook:
        return IsolationLook(
            index=self.look.index,
            at_s=round(at_s, 2),
            alone_windows=self.look.alone,
            spike_windows=self.look.spike,
            alone_n=self.alone.n,
            spike_n=self.spike.n,
            confidence=self.confidence,
            status=self.status,
            p95_ratio=self.p95_ratio,
            p95_increase_ms=self.p95_increase_ms,
            reason=self.reason,
            stopped=stopped,
        )


def _noise(
    book: SampleBook, iso: IsolationPlan, look: LookWindows, spans: dict[str, PhaseSpan], confidence: float, rng: Any
) -> VictimNoise:
    if look.noise is None:  # fixed phases: the two halves of phase alone
        names = ("alone (first half)", "alone (second half)")
        first = victim_samples(book, iso.victim, ("alone",), spans, iso.settle_s, half=1)
        second = victim_samples(book, iso.victim, ("alone",), spans, iso.settle_s, half=2)
    else:
        names = look.noise
        first = victim_samples(book, iso.victim, (look.noise[0],), spans, iso.settle_s)
        second = victim_samples(book, iso.victim, (look.noise[1],), spans, iso.settle_s)
    resamples = resamples_for(confidence, iso.resamples)
    enough = min(first.n, second.n) >= MIN_SAMPLES
    ratio, diff = (
        bootstrap_quantile_change(first.rt, second.rt, 0.95, confidence, resamples, rng)
        if enough
        else (Interval(None, None, None, confidence), Interval(None, None, None, confidence))
    )
    return VictimNoise(
        first=names[0],
        second=names[1],
        first_p95_ms=phase_figures(first.rt, first.errors).p95,
        second_p95_ms=phase_figures(second.rt, second.errors).p95,
        ratio=ratio,
        difference_ms=diff,
        beyond_tolerance=noise_beyond_tolerance(ratio, diff, iso.tolerance, iso.min_effect_ms),
    )


def assess(
    book: SampleBook, iso: IsolationPlan, spans: dict[str, PhaseSpan], look: LookWindows, seed: int = 7
) -> Assessment:
    """Judge one look's windows at the plan's per-look confidence (Bonferroni over the planned looks)."""
    rng = np.random.default_rng([seed, look.index])
    confidence = per_look_confidence(iso.confidence, iso.planned_looks)
    resamples = resamples_for(confidence, iso.resamples)
    alone = victim_samples(book, iso.victim, look.alone, spans, iso.settle_s)
    spike = victim_samples(book, iso.victim, look.spike, spans, iso.settle_s)
    p95, p95_rise = bootstrap_quantile_change(alone.rt, spike.rt, 0.95, confidence, resamples, rng)
    p99, p99_rise = bootstrap_quantile_change(alone.rt, spike.rt, 0.99, confidence, resamples, rng)
    noise = _noise(book, iso, look, spans, confidence, rng)
    enough = min(alone.n, spike.n) >= MIN_SAMPLES
    slowdown = judge_slowdown(p95, p95_rise, iso.tolerance, iso.min_effect_ms, iso.aggressor, enough)
    if noise.beyond_tolerance:
        slowdown = replace(
            slowdown, status=Status.INCONCLUSIVE, reason=noise_reason(noise, iso.tolerance, iso.min_effect_ms)
        )
    parts = [slowdown]
    conditions: tuple[tuple[Literal["alone", "spike"], VictimSamples], ...] = (("alone", alone), ("spike", spike))
    for condition, v in conditions:
        sla = _quantile(v, 0.95, confidence, resamples, rng)
        parts.append(judge_bound("sla", condition, sla, iso.victim_p95_sla_ms, "victim p95", "{:.0f} ms", "ms"))
    for condition, v in conditions:
        rate = _rate(v, confidence)
        limit = iso.victim_max_error_rate
        parts.append(judge_bound("error_rate", condition, rate, limit, "victim error rate", "{:.2%}", "fraction"))
    status = combine(parts)
    phase_time = sum(max(0.0, spans[w].end - spans[w].start) for w in look.windows if w in spans)
    extra = None
    if status is Status.INCONCLUSIVE and not noise.beyond_tolerance:
        errors = {"alone": alone.errors, "spike": spike.errors}
        factors = [more_samples_factor(p, errors.get(p.condition)) for p in parts if p.status is Status.INCONCLUSIVE]
        extra = extra_phase_time(phase_time, factors)
    reason = _reason(status, parts, extra, noise.beyond_tolerance, _rerun_hint(iso, phase_time, extra))
    return Assessment(
        look,
        confidence,
        alone,
        spike,
        p95,
        p95_rise,
        p99,
        p99_rise,
        tuple(parts),
        noise,
        status,
        reason,
        round(phase_time, 2),
        extra,
    )


def _rerun_hint(iso: IsolationPlan, phase_time: float, extra: float | None) -> str:
    """The setting that would give a rerun that much phase time."""
    if extra is None or phase_time <= 0:
        return ""
    needed = phase_time + extra
    if iso.adaptive:
        return f" (--max-phase-time {math.ceil(needed / iso.phase_s) * iso.phase_s:g}s or more)"
    return f" (--phase {math.ceil(needed / 2):g}s or more)"


def _reason(status: Status, parts: list[IsolationPart], extra: float | None, noisy: bool, hint: str) -> str:
    if status is Status.PASS:
        return parts[0].reason
    first = next(p for p in parts if p.status is status)
    if status is Status.FAIL:
        return first.reason
    if noisy:
        return first.reason + "; more phase time will not settle it: quiet the machine, or widen the tolerance"
    if extra is None:
        return first.reason + "; its estimate sits on the bound, so more phase time may never decide it"
    return f"{first.reason}; about {extra:.0f} s more phase time would likely decide it{hint}"


def _p99_notes(a: Assessment, iso: IsolationPlan) -> list[str]:
    # A p99 from ~1,000 samples rests on its ten largest; its interval crosses 1.25x for an unharmed victim about
    # one run in three, so it is reported and never gates.
    r, d = a.p99_ratio, a.p99_increase_ms
    if r.high is None or d.high is None or r.high <= iso.tolerance or d.high < iso.min_effect_ms:
        return []
    pct = f"{a.confidence:.1%}"
    return [
        f"victim p99 {_fmt(r, '.2f', 'x')} beside the {iso.aggressor} spike ({pct} interval) reaches beyond the"
        f" {iso.tolerance:g}x tolerance, by {_fmt(d, '+.1f')} ms (reported, not judged)"
    ]


def _fmt(i: Interval, spec: str, unit: str = "") -> str:
    return f"{i.estimate:{spec}}{unit} [{i.low:{spec}}, {i.high:{spec}}]"


def _rate_increase(a: Assessment, iso: IsolationPlan, seed: int) -> Interval:
    rng = np.random.default_rng([seed, a.look.index, 2])
    before, after = (a.alone.errors, a.alone.n), (a.spike.errors, a.spike.n)
    return bootstrap_rate_difference(before, after, a.confidence, iso.resamples, rng)


def _caveats(
    book: SampleBook,
    iso: IsolationPlan,
    spans: dict[str, PhaseSpan],
    a: Assessment,
    health: GeneratorHealth,
    after: VictimSamples,
    incomplete: str | None,
    seed: int,
    lag: Sequence[tuple[float, float]] = (),
) -> list[str]:
    """Why the evidence itself may not be trusted, whatever the verdict says."""
    caveats = [incomplete] if incomplete else []
    if health.saturated:
        caveats.append(
            f"load generator saturated (>{health.cpu_pct_bar:g}% CPU for {health.busiest_fraction:.0%} of samples)"
        )
    silent = [w for w in a.look.spike if aggressor_requests(book, iso.aggressor, (w,)) == 0]
    if len(silent) == len(a.look.spike):
        caveats.append(f"the aggressor {iso.aggressor} sent no requests during the spike windows")
    elif silent:
        # A window judged as beside the spike without one only dilutes the harm: a PASS it helps is not evidence.
        caveats.append(f"the aggressor {iso.aggressor} sent no requests in {', '.join(silent)}")
    starved = _starved_generator(a, iso, spans, lag)
    if starved:
        caveats.append(starved)
    disturbed = _disturbed_baseline(book, iso, spans, a, after, seed)
    if disturbed:
        caveats.append(disturbed)
    return caveats


_SEVERITY = {Status.PASS: 0, Status.INCONCLUSIVE: 1, Status.FAIL: 2}


def _disturbed_baseline(
    book: SampleBook, iso: IsolationPlan, spans: dict[str, PhaseSpan], a: Assessment, after: VictimSamples, seed: int
) -> str | None:
    """A caveat when the victim was slower alone before the spike than alone after it, by more than the drift
    bar, and that slower baseline is what the verdict rests on.

    A baseline slowed by the machine makes the ratio smaller: that can only flatter a verdict, never cause a
    FAIL. So the slowdown is judged once more against the victim alone after the spike, by the same rule and
    confidence; only when that judgement is harsher (a PASS that would be INCONCLUSIVE or FAIL, an INCONCLUSIVE
    that would be FAIL), and either FAIL or past the tolerance and the minimum effect at its estimates, is the
    evidence not to be trusted. A PASS by the minimum effect usually holds: a few milliseconds' burst of
    unrelated work in a long alone window moves its p95, not the victim's rise."""
    if a.status is Status.FAIL:
        return None
    before = victim_samples(book, iso.victim, a.look.before_spike, spans, iso.settle_s)
    if min(before.n, after.n) < MIN_SAMPLES:
        return None
    p95_before, p95_after = stats.quantile(before.rt, 0.95), stats.quantile(after.rt, 0.95)
    if p95_before <= iso.baseline_drift_bar * p95_after:
        return None
    rng = np.random.default_rng([seed, a.look.index, 3])
    resamples = resamples_for(a.confidence, iso.resamples)
    ratio, rise = bootstrap_quantile_change(after.rt, a.spike.rt, 0.95, a.confidence, resamples, rng)
    enough = a.spike.n >= MIN_SAMPLES
    against_after = judge_slowdown(ratio, rise, iso.tolerance, iso.min_effect_ms, iso.aggressor, enough)
    slowdown = next(p for p in a.parts if p.part == "slowdown")
    if _SEVERITY[against_after.status] <= _SEVERITY[slowdown.status]:
        return None
    # The later baseline is often the short recovery phase: its wider interval alone can turn a PASS into
    # INCONCLUSIVE. That is fewer samples, not a flattered verdict; only harm at the estimates counts then.
    harm_at_estimate = (
        ratio.estimate is not None
        and rise.estimate is not None
        and ratio.estimate > iso.tolerance
        and rise.estimate > iso.min_effect_ms
    )
    if against_after.status is not Status.FAIL and not harm_at_estimate:
        return None
    return (
        f"the baseline was disturbed: victim p95 {p95_before:.1f} ms alone before the spike but"
        f" {p95_after:.1f} ms alone after it (bar {iso.baseline_drift_bar:g}x), and against the later baseline"
        f" the slowdown would be {against_after.status.value.upper()}: {against_after.reason}"
    )


def _lag_p95(
    lag: Sequence[tuple[float, float]], windows: tuple[str, ...], spans: dict[str, PhaseSpan], settle_s: float
) -> float | None:
    xs = [ms for t, ms in lag for w in windows if w in spans and spans[w].start + settle_s <= t <= spans[w].end]
    return stats.quantile(np.asarray(xs, dtype=np.float64), 0.95) if len(xs) >= MIN_LAG_SECONDS else None


def _starved_generator(
    a: Assessment, iso: IsolationPlan, spans: dict[str, PhaseSpan], lag: Sequence[tuple[float, float]]
) -> str | None:
    """A caveat when the victim's load generator was itself slower beside the spike by enough to explain the
    harm: its event loop's extra lag lands in every victim timing it takes. Only a verdict that is not PASS is
    questioned (the lag can only add to the spike windows' timings): harm that stands once the extra lag is
    taken out of the rise and the ratio stays harm, and an INCONCLUSIVE verdict is questioned only when taking
    it out would make the slowdown pass (a fraction of a millisecond more lag accounts for no rise)."""
    if a.status is Status.PASS or not lag or a.alone.n == 0:
        return None
    alone, spike = _lag_p95(lag, a.look.alone, spans, iso.settle_s), _lag_p95(lag, a.look.spike, spans, iso.settle_s)
    rise, ratio = a.p95_increase_ms, a.p95_ratio
    if alone is None or spike is None or spike <= alone or rise.low is None or ratio.low is None:
        return None
    extra = spike - alone
    alone_p95 = stats.quantile(a.alone.rt, 0.95)
    if alone_p95 <= 0:
        return None
    if a.status is Status.FAIL:
        if rise.low - extra > iso.min_effect_ms and ratio.low - extra / alone_p95 > iso.tolerance:
            return None  # the harm stands with the extra lag taken out
    elif (
        rise.high is None
        or ratio.high is None
        or not (rise.high - extra < iso.min_effect_ms or ratio.high - extra / alone_p95 <= iso.tolerance)
    ):
        return None  # INCONCLUSIVE with or without the extra lag: it is not what keeps the verdict from a PASS
    return (
        f"the load generator was starved: its event loop lagged {spike:.1f} ms beside the spike against"
        f" {alone:.1f} ms alone (p95 of each second's worst), enough to account for the victim's"
        f" {rise.estimate:+.1f} ms rise"
    )


def _failing_alone(a: Assessment, iso: IsolationPlan) -> str | None:
    """Why the evidence is void when the victim's error rate alone is shown beyond its maximum, else None."""
    part = next((p for p in a.parts if p.part == "error_rate" and p.condition == "alone"), None)
    if part is None or part.status is not Status.FAIL:
        return None
    return (
        f"the app failed {a.alone.errors} of the victim {iso.victim}'s {a.alone.n} requests alone, with no spike"
        f" ({a.alone.errors / max(a.alone.n, 1):.0%}; at most {iso.victim_max_error_rate:.0%} allowed): the app is"
        f" failing on its own, so the {iso.aggressor} spike can be neither blamed nor cleared"
    )


def _chosen_look(
    iso: IsolationPlan, phases: tuple[PhaseSpan, ...], looks: tuple[IsolationLook, ...]
) -> tuple[LookWindows, str | None]:
    """The look that gives the verdict: the one that stopped the run, else the last one whose windows all ran
    (with a caveat when not even the first one's did)."""
    plans = look_windows(iso)
    if not iso.adaptive:
        return plans[0], None
    if looks and looks[-1].stopped:
        return plans[looks[-1].index - 1], None
    last = max(last_complete_look(iso, phases), looks[-1].index if looks else 0)
    if last == 0:
        return plans[0], "the run ended before the first look's windows (alone, alone, spike, alone) had all run"
    return plans[last - 1], None


def judge_isolation(
    book: SampleBook,
    iso: IsolationPlan,
    phases: tuple[PhaseSpan, ...],
    health: GeneratorHealth,
    seed: int = 7,
    looks: tuple[IsolationLook, ...] = (),
    lag: Sequence[tuple[float, float]] = (),
) -> IsolationVerdict:
    """The verdict a run ends with: its deciding look (``looks`` were judged on the Locust master during the
    run), or else its last complete look, judged now on every sample. ``lag`` is (epoch second, event-loop lag
    in ms) of the processes that ran victim users."""
    spans = {p.name: p for p in phases}
    t0 = phases[0].start if phases else 0.0
    look, incomplete = _chosen_look(iso, phases, looks)
    a = assess(book, iso, spans, look, seed)
    notes: list[str] = []
    earlier = [x for x in looks if x.index < look.index]
    judged = next((x for x in looks if x.index == look.index), None)
    if judged is not None and (judged.alone_n, judged.spike_n) != (a.alone.n, a.spike.n):
        notes.append(
            f"look {look.index} judged {judged.alone_n}/{judged.spike_n} samples during the run; "
            f"{a.alone.n}/{a.spike.n} arrived in all"
        )
    end = max((p.end for p in phases), default=t0)
    this_look = a.as_look(judged.at_s, judged.stopped) if judged else a.as_look(end - t0)
    notes += _p99_notes(a, iso)
    if not a.noise.beyond_tolerance and noise_suspected(a.noise.ratio, iso.tolerance):
        n = a.noise
        notes.append(
            f"the victim's p95 moved {_fmt(n.ratio, '.2f', 'x')} between two alone windows ({n.first}, {n.second}):"
            f" beyond the {iso.tolerance:g}x tolerance at its estimate, though not shown to be"
        )
    after = victim_samples(book, iso.victim, look.after_spike, spans, iso.settle_s)
    caveats = _caveats(book, iso, spans, a, health, after, incomplete, seed, lag)
    status, reason = a.status, a.reason
    failing = _failing_alone(a, iso)
    if failing:
        # The app fails the victim with no spike at all: whatever happens beside the spike says nothing about the
        # aggressor, so the aggressor is neither blamed nor cleared, and the evidence is not to be trusted.
        status, reason = Status.INCONCLUSIVE, failing
        caveats.insert(0, failing)
    return IsolationVerdict(
        status=status,
        trustworthy=not caveats,
        reasons=tuple(p.reason for p in a.parts if p.status is not Status.PASS),
        victim=iso.victim,
        aggressor=iso.aggressor,
        tolerance=iso.tolerance,
        victim_p95_sla_ms=iso.victim_p95_sla_ms,
        victim_max_error_rate=iso.victim_max_error_rate,
        alone=phase_figures(a.alone.rt, a.alone.errors),
        spike=phase_figures(a.spike.rt, a.spike.errors),
        p95_ratio=a.p95_ratio,
        p99_ratio=a.p99_ratio,
        error_rate_increase=_rate_increase(a, iso, seed),
        aggressor_requests_in_spike=aggressor_requests(book, iso.aggressor, look.spike),
        recovery=phase_figures(after.rt, after.errors),
        p95_increase_ms=a.p95_increase_ms,
        p99_increase_ms=a.p99_increase_ms,
        min_effect_ms=iso.min_effect_ms,
        caveats=tuple(caveats),
        notes=tuple(notes),
        reason=reason,
        parts=a.parts,
        noise=a.noise,
        rule=SequentialRule(
            adaptive=iso.adaptive,
            planned_looks=iso.planned_looks,
            alpha=round(1.0 - iso.confidence, 6),
            per_look_confidence=a.confidence,
            window_s=iso.phase_s,
            max_phase_time_s=iso.max_phase_s if iso.adaptive else None,
        ),
        looks=(*earlier, this_look),
        alone_windows=look.alone,
        spike_windows=look.spike,
        phase_time_s=a.phase_time_s,
        extra_phase_time_s=a.extra_phase_time_s,
        decided_at_s=this_look.at_s if status is not Status.INCONCLUSIVE else None,
    )
