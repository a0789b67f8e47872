"""The isolation verdict on synthetic samples (seeded): PASS, FAIL or INCONCLUSIVE by intervals, the victim's own
noise, the looks of the adaptive check and their error rate, and trust in the generator."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from bigday.compare.judge import load_verdict_checks
from bigday.load.decision import (
    combine,
    judge_bound,
    judge_slowdown,
    more_samples_factor,
    per_look_confidence,
    resamples_for,
)
from bigday.load.isolation import assess, judge_isolation
from bigday.load.plan import IsolationPlan
from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan
from bigday.load.verdict import bootstrap_quantile_change, bootstrap_rate_difference, generator_health
from bigday.load.windows import last_complete_look, look_windows
from bigday.report.answer import JudgedRun, decide
from bigday.runfolder import (
    Answer,
    Decision,
    Interval,
    IsolationLook,
    IsolationVerdict,
    RunKind,
    Status,
    Verdicts,
    outcome_of,
)

ISO = IsolationPlan(victim="lumen", aggressor="everafter", phase_s=10.0, settle_s=1.0)
PHASES = (
    PhaseSpan("warmup", 0, 2),
    PhaseSpan("alone", 2, 12),
    PhaseSpan("spike", 12, 22),
    PhaseSpan("recovery", 22, 32),
)
HEALTHY = generator_health([{"node": "local", "t": i, "cpu": 20.0} for i in range(30)], 90.0, 0.10)
KEY = ("lumen", "planner", "GET /api/clients")


def _book(
    slowdown: float,
    n: int = 600,
    seed: int = 3,
    errors_in_spike: int = 0,
    aggressor: bool = True,
    base_ms: float = 80.0,
    first_half_alone: float = 1.0,
) -> SampleBook:
    """Phase alone and phase spike, ``n`` lognormal response times each over 10 s; the spike's scaled by
    ``slowdown``, the first half of alone's by ``first_half_alone``."""
    rng = np.random.default_rng(seed)
    book = SampleBook()
    for phase, start, factor in (("alone", 2.0, 1.0), ("spike", 12.0, slowdown)):
        for i in range(n):
            spread = n // max(errors_in_spike, 1)
            err = "HTTP 503" if phase == "spike" and errors_in_spike and i % spread == 0 else None
            t = start + 10.0 * i / n
            extra = first_half_alone if phase == "alone" and t < 7.5 else 1.0
            rt = float(rng.lognormal(np.log(base_ms), 0.4)) * factor * extra
            book.record((*KEY, phase), t, rt, err)
    if aggressor:
        book.record(("everafter", "photographer", "POST /api/photos", "spike"), 13.0, 900.0, None)
    return book


def _judge(book: SampleBook, iso: IsolationPlan = ISO, phases: tuple[PhaseSpan, ...] = PHASES) -> IsolationVerdict:
    return judge_isolation(book, iso, phases, HEALTHY)


# ---------------------------------------------------------------- the rules, on intervals


def _iv(estimate: float, low: float, high: float) -> Interval:
    return Interval(estimate, low, high, 0.95)


@pytest.mark.parametrize(
    ("ratio", "rise", "min_effect", "status"),
    [
        ((1.02, 0.95, 1.10), (0.5, -1.0, 2.0), 5.0, Status.PASS),  # the ratio's top within the tolerance
        ((1.40, 1.10, 1.80), (2.0, 0.5, 3.5), 5.0, Status.PASS),  # a big ratio of a tiny read: under 5 ms
        ((12.9, 12.6, 13.0), (300.0, 290.0, 310.0), 5.0, Status.FAIL),  # harm shown on both counts
        ((1.16, 0.985, 1.31), (4.0, -0.4, 7.0), 5.0, Status.INCONCLUSIVE),  # the issue's run: cannot tell
        ((1.40, 1.30, 1.52), (3.0, 2.1, 5.9), 5.0, Status.INCONCLUSIVE),  # beyond the ratio, maybe not the 5 ms
        ((1.40, 1.30, 1.52), (3.0, 2.1, 5.9), 0.0, Status.FAIL),  # no minimum effect: the ratio alone decides
        ((1.20, 1.05, 1.35), (3.0, 1.0, 5.0), 0.0, Status.INCONCLUSIVE),
    ],
)
def test_the_slowdown_rule(ratio, rise, min_effect, status):
    part = judge_slowdown(_iv(*ratio), _iv(*rise), 1.25, min_effect, "everafter", enough=True)
    assert part.status is status, part.reason
    assert part.part == "slowdown" and part.bound == 1.25 and part.min_effect_ms == min_effect


def test_the_slowdown_rule_needs_samples():
    part = judge_slowdown(_iv(1.0, 0.9, 1.1), _iv(0.0, -1, 1), 1.25, 5.0, "everafter", enough=False)
    assert part.status is Status.INCONCLUSIVE and "too few victim samples" in part.reason


def test_an_upper_bound_passes_fails_or_cannot_tell():
    def status(low: float, high: float) -> Status:
        return judge_bound(
            "sla", "spike", _iv((low + high) / 2, low, high), 500.0, "victim p95", "{:.0f} ms", "ms"
        ).status

    assert status(20, 30) is Status.PASS and status(510, 600) is Status.FAIL and status(450, 520) is Status.INCONCLUSIVE
    none = judge_bound("error_rate", "alone", Interval(None, None, None, 0.95), 0.01, "e", "{:.2%}", "fraction")
    assert none.status is Status.INCONCLUSIVE


def test_parts_combine_fail_first_then_inconclusive():
    p, f, i = (
        judge_bound("sla", "alone", _iv(x, x, x), 10.0, "victim p95", "{:.0f} ms", "ms") for x in (5.0, 20.0, 10.0)
    )
    i = replace(i, value=_iv(10, 5, 15), status=Status.INCONCLUSIVE)
    assert combine([p, p]) is Status.PASS
    assert combine([p, i]) is Status.INCONCLUSIVE
    assert combine([i, f, p]) is Status.FAIL


def test_bonferroni_splits_the_error_rate_over_the_looks():
    assert per_look_confidence(0.95, 1) == pytest.approx(0.95)
    assert per_look_confidence(0.95, 4) == pytest.approx(0.9875)
    assert resamples_for(0.95, 2000) == 2000 and resamples_for(0.9875, 2000) == 8000


def test_more_samples_factor_follows_the_square_root_rule():
    # A ratio 1.10 whose top reaches 1.30: its half-width (on the log scale) must shrink to reach 1.25.
    part = judge_slowdown(_iv(1.10, 0.93, 1.30), _iv(2.0, -1.0, 6.0), 1.25, 0.0, "everafter", enough=True)
    want = ((math.log(1.30) - math.log(1.10)) / (math.log(1.25) - math.log(1.10))) ** 2
    assert more_samples_factor(part) == pytest.approx(want)
    # With a minimum effect the rise may decide it sooner: (6 - 2) / (5 - 2) squared.
    part = replace(part, min_effect_ms=5.0)
    assert more_samples_factor(part) == pytest.approx(min(want, (4 / 3) ** 2))
    # An estimate right on the tolerance: no amount of samples decides it.
    assert more_samples_factor(replace(part, value=_iv(1.25, 1.1, 1.4), rise_ms=_iv(5.0, 1, 9))) == math.inf


# ---------------------------------------------------------------- the verdict, fixed phases


def test_unharmed_victim_passes():
    v = _judge(_book(1.0))
    assert v.status is Status.PASS and v.trustworthy, v.reasons
    assert v.p95_ratio.low <= 1.0 <= v.p95_ratio.high <= ISO.tolerance
    assert v.alone.n == v.spike.n == 540  # the first settle second of each phase is left out
    assert [p.status for p in v.parts] == [Status.PASS] * 5 and v.reasons == ()
    assert v.noise is not None and not v.noise.beyond_tolerance and v.noise.first == "alone (first half)"
    assert v.rule.method == "bonferroni" and v.rule.planned_looks == 1 and v.rule.per_look_confidence == 0.95
    assert len(v.looks) == 1 and v.alone_windows == ("alone",) and v.spike_windows == ("spike",)
    assert v.decided_at_s == 32.0 and v.extra_phase_time_s is None and "within the 1.25x tolerance" in v.reason


def test_slowed_victim_fails_with_its_interval():
    v = _judge(_book(1.6))
    assert v.status is Status.FAIL and v.trustworthy
    assert v.p95_ratio.low > 1.25 and v.p95_ratio.estimate == pytest.approx(1.6, rel=0.15)
    assert "p95 rose" in v.reason and "beyond the 1.25x tolerance" in v.reason


def test_a_modest_slowdown_inside_a_wide_interval_is_inconclusive_with_the_time_it_needs():
    # Too few samples to tell a 1.1x slow-down from 1.25x: neither PASS (its top is above) nor FAIL.
    v = _judge(_book(1.1, n=60))
    assert v.p95_ratio.low <= ISO.tolerance < v.p95_ratio.high and v.status is Status.INCONCLUSIVE
    assert v.extra_phase_time_s is not None and v.extra_phase_time_s > 0
    assert f"about {v.extra_phase_time_s:.0f} s more phase time" in v.reason and v.decided_at_s is None


def test_the_issues_run_is_inconclusive_not_a_failure():
    # As the issue's independent server read: p95 24 -> 28 ms, an interval reaching "no harm at all".
    v = _judge(_book(1.16, n=220, base_ms=11.0, seed=9), replace(ISO, min_effect_ms=5.0))
    ratio, rise = v.p95_ratio, v.p95_increase_ms
    assert ratio.low < 1.0 < ISO.tolerance < ratio.high and rise.low < 0 < 5.0 < rise.high, (ratio, rise)
    assert v.status is Status.INCONCLUSIVE and "reaches both sides of the 1.25x tolerance" in v.reason


def test_a_rise_under_the_minimum_effect_passes():
    # A 3 ms read slowed 1.5x: p95 ~5.8 -> ~8.7 ms. Harm by the ratio alone; under 5 ms at the interval's top.
    book = _book(1.5, base_ms=3.0)
    strict = _judge(book)
    assert strict.status is Status.FAIL and strict.p95_ratio.low > 1.25
    lenient = _judge(book, replace(ISO, min_effect_ms=5.0))
    assert lenient.status is Status.PASS and lenient.trustworthy, lenient.reasons
    assert lenient.p95_ratio.high > ISO.tolerance and lenient.p95_increase_ms.high < 5.0
    assert lenient.p95_increase_ms.estimate == pytest.approx(lenient.spike.p95 - lenient.alone.p95, abs=0.01)
    assert "under the 5 ms minimum effect" in lenient.reason and lenient.to_json()["min_effect_ms"] == 5.0


def test_sla_and_errors_are_judged_by_their_intervals():
    slow = replace(ISO, victim_p95_sla_ms=50.0)
    v = _judge(_book(1.0), slow)
    assert v.status is Status.FAIL and any("victim p95 alone" in r and "exceeds 50 ms" in r for r in v.reasons)
    v = _judge(_book(1.0, errors_in_spike=60))
    assert v.status is Status.FAIL and any("victim error rate spike" in r for r in v.reasons)
    assert v.error_rate_increase.low > 0
    # No error in 55 requests cannot show an error rate under 1% (its exact interval reaches 6.5%).
    v = _judge(_book(1.0, n=61))
    errors = [p for p in v.parts if p.part == "error_rate"]
    assert all(p.status is Status.INCONCLUSIVE for p in errors) and v.status is Status.INCONCLUSIVE


def test_a_victim_noisier_than_the_tolerance_is_inconclusive_never_pass_or_fail():
    # The first half of alone 1.8x slower than the second: against that baseline the spike would look faster
    # (a PASS) or, against the fast half, slower; either way the tolerance is tighter than the noise.
    for slowdown in (1.0, 1.3):
        v = _judge(_book(slowdown, first_half_alone=1.8, n=1200))
        assert v.noise is not None and v.noise.beyond_tolerance, v.noise
        assert v.noise.ratio.estimate == pytest.approx(1 / 1.8, rel=0.15)
        assert v.status is Status.INCONCLUSIVE, (slowdown, v.reason)
        assert "tighter than the victim's noise" in v.reason and "more phase time will not settle it" in v.reason
        assert v.extra_phase_time_s is None
    # The same noise under a 5 ms minimum effect on a 3 ms read is below what the verdict must resolve.
    v = _judge(_book(1.0, first_half_alone=1.8, n=1200, base_ms=3.0), replace(ISO, min_effect_ms=5.0))
    assert not v.noise.beyond_tolerance and v.status is Status.PASS


def test_untrustworthy_when_generator_saturated_or_no_aggressor():
    busy = generator_health([{"node": "w1", "t": i, "cpu": 97.0 if i < 5 else 40.0} for i in range(30)], 90.0, 0.10)
    assert busy.saturated and busy.busiest_fraction == pytest.approx(5 / 30, abs=1e-3)
    v = judge_isolation(_book(1.0), ISO, PHASES, busy)
    assert not v.trustworthy and "saturated" in v.caveats[0]
    v = _judge(_book(1.0, aggressor=False))
    assert not v.trustworthy and "no requests" in v.caveats[0]


def _lag(alone_ms: float, spike_ms: float) -> tuple[tuple[float, float], ...]:
    """Per-second event-loop lag of the victims' process: ``alone_ms`` while alone, ``spike_ms`` in the spike."""
    return tuple((t + 0.5, spike_ms if 12 <= t < 22 else alone_ms) for t in range(2, 22))


def test_a_starved_generator_discredits_harm_its_own_lag_explains_and_nothing_else():
    # The victim's p95 rises ~90 ms in the spike; a generator lagging 100 ms more beside it could be all of it.
    v = judge_isolation(_book(1.6), ISO, PHASES, HEALTHY, lag=_lag(1.0, 101.0))
    assert v.status is Status.FAIL and not v.trustworthy
    assert any("load generator was starved" in c and "101.0 ms beside the spike" in c for c in v.caveats), v.caveats
    # 5 ms more lag leaves the rise beyond the minimum effect and the ratio beyond the tolerance: harm stands.
    v = judge_isolation(_book(1.6), ISO, PHASES, HEALTHY, lag=_lag(1.0, 6.0))
    assert v.status is Status.FAIL and v.trustworthy, v.caveats
    # Lag can only add to the spike's timings: a PASS is never questioned for it, nor is a run without readings.
    v = judge_isolation(_book(1.0), ISO, PHASES, HEALTHY, lag=_lag(1.0, 101.0))
    assert v.status is Status.PASS and v.trustworthy, v.caveats
    assert judge_isolation(_book(1.6), ISO, PHASES, HEALTHY, lag=_lag(1.0, 101.0)[:2]).trustworthy


def test_a_little_more_lag_does_not_discredit_an_inconclusive_verdict():
    # A 1.25x slowdown against a 1.25x tolerance: the interval reaches both sides, INCONCLUSIVE.
    v = judge_isolation(_book(1.25), ISO, PHASES, HEALTHY, lag=_lag(1.0, 1.2))
    assert v.status is Status.INCONCLUSIVE and v.trustworthy, v.caveats  # 0.2 ms more lag explains nothing
    v = judge_isolation(_book(1.25), ISO, PHASES, HEALTHY, lag=_lag(1.0, 101.0))
    assert v.status is Status.INCONCLUSIVE and not v.trustworthy  # 100 ms more could be the whole rise


def test_generator_health_per_process():
    samples = [{"node": "a", "t": i, "cpu": 95.0 if i < 3 else 10.0} for i in range(40)]
    samples += [{"node": "b", "t": i, "cpu": 50.0} for i in range(40)]
    h = generator_health(samples, 90.0, 0.10)
    assert not h.saturated and h.per_process["a"].fraction_above_bar == 0.075


def test_bootstrap_helpers_cover_the_truth():
    rng = np.random.default_rng(11)
    a = rng.exponential(100, 2000)
    b = rng.exponential(200, 2000)
    iv, rise = bootstrap_quantile_change(a, b, 0.95, 0.95, 1000, rng)
    assert iv.low < 2.0 < iv.high
    true_p95 = 100 * np.log(20)  # of an exponential with mean 100: the rise from mean 100 to 200 is one p95
    assert rise.low < true_p95 < rise.high
    d = bootstrap_rate_difference((0, 1000), (50, 1000), 0.95, 1000, rng)
    assert d.estimate == 0.05 and d.low > 0.02
    assert bootstrap_quantile_change(a, np.empty(0), 0.95, 0.95, 10, rng)[0].estimate is None
    assert bootstrap_rate_difference((0, 0), (0, 10), 0.95, 10, rng).estimate is None


def _with_tail(book: SampleBook, phase: str, start: float, n: int, value: float) -> SampleBook:
    for i in range(n):
        book.record(("lumen", "planner", "GET /dashboard", phase), start + 1.5 + i * 0.01, value, None)
    return book


def test_a_p99_rise_is_reported_but_the_p95_gates():
    # 2% of spike requests very slow: the p99 jumps, the p95 does not.
    book = _with_tail(_book(1.0), "spike", 12.0, 12, 5000.0)
    v = _judge(book)
    assert v.p99_ratio.estimate > 10 and v.p95_ratio.high <= ISO.tolerance
    assert v.status is Status.PASS and v.notes and "p99" in v.notes[0] and "not judged" in v.notes[0]


def _recovery(book: SampleBook, ms: float, jitter: bool = True) -> SampleBook:
    rng = np.random.default_rng(5)
    for i in range(300):  # an aggressor-free recovery phase
        rt = float(rng.lognormal(np.log(ms), 0.4)) if jitter else ms
        book.record(("lumen", "planner", "GET /dashboard", "recovery"), 23.0 + i * 0.02, rt, None)
    return book


def test_a_disturbed_baseline_makes_the_verdict_untrustworthy():
    v = _judge(_recovery(_book(1.0), 40.0))  # recovery twice as fast as alone was
    assert not v.trustworthy and "baseline was disturbed" in v.caveats[0]
    assert v.recovery is not None and v.recovery.n == 300


def test_a_disturbed_baseline_the_pass_does_not_rest_on_is_trusted():
    # Alone before the spike twice as slow as alone after it (a burst of unrelated work), the victim beside the
    # spike as fast as after it: against the later baseline the slowdown passes too, so the PASS stands trusted.
    v = _judge(_recovery(_book(0.5, base_ms=6.0), 3.0), replace(ISO, min_effect_ms=5.0))
    assert v.alone.p95 > 1.5 * v.recovery.p95
    assert v.status is Status.PASS and v.trustworthy, v.caveats


def test_a_disturbed_baseline_that_hid_harm_names_the_later_judgement():
    v = _judge(_recovery(_book(1.0), 40.0))  # against the recovery the victim doubled beside the spike
    assert not v.trustworthy and "against the later baseline the slowdown would be FAIL" in v.caveats[0]


def test_a_disturbed_baseline_cannot_discredit_a_failure():
    v = _judge(_recovery(_book(3.0), 10.0, jitter=False))
    assert v.status is Status.FAIL and v.trustworthy  # a slower baseline only shrinks the ratio


# ---------------------------------------------------------------- the adaptive check's looks

ADAPTIVE = replace(ISO, adaptive=True, phase_s=5.0, max_phase_s=40.0)


def _window_book(iso: IsolationPlan, factors: dict[str, float], seed: int = 4, rate: int = 120):
    """Every window of an adaptive plan, ``rate`` lognormal samples a second, spike windows scaled by
    ``factors["spike"]``, any window by ``factors[name]``; with the windows' spans."""
    rng = np.random.default_rng(seed)
    book, spans, t = SampleBook(), [], 0.0
    for stage in iso.stages:
        spans.append(PhaseSpan(stage.name, t, t + stage.duration_s))
        factor = factors.get(stage.name, factors.get("spike", 1.0) if stage.name.startswith("spike") else 1.0)
        n = int(rate * stage.duration_s)
        for i, rt in enumerate(rng.lognormal(np.log(20.0), 0.4, n) * factor):
            book.record((*KEY, stage.name), t + stage.duration_s * i / n, float(rt), None)
        if stage.name.startswith("spike"):
            book.record(("everafter", "photographer", "POST /api/photos", stage.name), t + 2, 900.0, None)
        t += stage.duration_s
    return book, tuple(spans)


def test_the_adaptive_schedule_and_its_looks():
    assert ADAPTIVE.planned_looks == 3  # 8 windows of 5 s: alone, alone, spike, alone, then two more pairs
    assert ADAPTIVE.window_names == (
        "alone-1",
        "alone-2",
        "spike-1",
        "alone-3",
        "spike-2",
        "alone-4",
        "spike-3",
        "alone-5",
    )
    assert [s.users for s in ADAPTIVE.stages[:5]] == [10, 10, 10, 26, 10]
    looks = look_windows(ADAPTIVE)
    assert [w.due_after for w in looks] == ["alone-3", "alone-4", "alone-5"]
    assert looks[1].alone == ("alone-1", "alone-2", "alone-3", "alone-4") and looks[1].spike == ("spike-1", "spike-2")
    assert looks[2].noise == ("alone-1", "alone-2") and looks[2].after_spike == ("alone-3", "alone-4", "alone-5")
    assert replace(ADAPTIVE, max_phase_s=39.0).planned_looks == 2 and ISO.planned_looks == 1


def test_an_adaptive_run_is_judged_on_its_last_complete_look_or_the_one_that_stopped_it():
    book, spans = _window_book(ADAPTIVE, {"spike": 1.0})
    cut = (*spans[:-2], replace(spans[-2], end=spans[-2].start + 2.0))  # stopped 2 s into spike-3
    assert last_complete_look(ADAPTIVE, cut) == 2 and last_complete_look(ADAPTIVE, spans) == 3
    v = judge_isolation(book, ADAPTIVE, cut, HEALTHY)
    assert v.spike_windows == ("spike-1", "spike-2") and len(v.alone_windows) == 4 and v.looks[-1].index == 2
    assert v.rule.planned_looks == 3 and v.rule.per_look_confidence == pytest.approx(1 - 0.05 / 3)
    assert v.p95_ratio.confidence == v.rule.per_look_confidence and v.phase_time_s == 30.0
    # The master judged look 1 during the run and it stopped the run: the verdict is look 1's, recomputed.
    first = assess(book, ADAPTIVE, {p.name: p for p in spans}, look_windows(ADAPTIVE)[0])
    stopped = first.as_look(23.1, stopped=True)
    v = judge_isolation(book, ADAPTIVE, cut, HEALTHY, looks=(stopped,))
    assert v.looks == (stopped,) and v.spike_windows == ("spike-1",) and v.decided_at_s == 23.1
    assert v.status is first.status and v.p95_ratio == first.p95_ratio and v.noise.first == "alone-1"
    # Before the first look's windows ran, there is no verdict to trust.
    v = judge_isolation(book, ADAPTIVE, spans[:3], HEALTHY)
    assert not v.trustworthy and "before the first look" in v.caveats[0]


def test_a_spike_window_without_the_aggressor_makes_the_verdict_untrustworthy():
    # A starved generator's aggressor that only got going in spike-2: spike-1 was judged as beside a spike.
    book, spans = _window_book(ADAPTIVE, {"spike": 1.0})
    for key in [k for k in book.series if k[0] == "everafter" and k[3] == "spike-1"]:
        del book.series[key]
    v = judge_isolation(book, ADAPTIVE, spans[:-2], HEALTHY)
    assert v.spike_windows == ("spike-1", "spike-2") and not v.trustworthy
    assert v.caveats == ("the aggressor everafter sent no requests in spike-1",)


def test_a_noisy_alone_window_settles_the_adaptive_check_as_inconclusive():
    book, spans = _window_book(ADAPTIVE, {"alone-1": 1.7})
    a = assess(book, ADAPTIVE, {p.name: p for p in spans}, look_windows(ADAPTIVE)[0])
    assert a.noise.beyond_tolerance and a.status is Status.INCONCLUSIVE and a.settled
    assert "alone-1, alone-2" in a.reason


def _simulated_run(truth: float, looks: int, confidence_each: float, rng: np.random.Generator) -> Status:
    """One adaptive run on lognormal samples whose true p95 ratio is ``truth``: 300 samples a window, look k
    on k + 2 alone windows and k spike windows, stopping at the first decisive look."""
    alone = list(rng.lognormal(np.log(20), 0.4, 600))
    spike: list[float] = []
    status = Status.INCONCLUSIVE
    for _ in range(looks):
        alone += list(rng.lognormal(np.log(20), 0.4, 300))
        spike += list(truth * rng.lognormal(np.log(20), 0.4, 300))
        ratio, rise = bootstrap_quantile_change(
            np.array(alone), np.array(spike), 0.95, confidence_each, resamples_for(confidence_each, 2000), rng
        )
        status = judge_slowdown(ratio, rise, 1.25, 0.0, "a", enough=True).status
        if status is not Status.INCONCLUSIVE:
            return status
    return status


def test_the_sequential_rule_keeps_false_alarms_at_the_stated_level():
    # The hardest unharmed victim: slowed exactly to the tolerance. A FAIL needs some look's interval to miss
    # the truth on its low side: at most alpha / 2 = 2.5% over all four looks with Bonferroni. Judging every
    # look at 95% instead spends that chance four times over.
    rng = np.random.default_rng(2026)
    runs = 400
    bonferroni = [_simulated_run(1.25, 4, per_look_confidence(0.95, 4), rng) for _ in range(runs)]
    naive = [_simulated_run(1.25, 4, 0.95, rng) for _ in range(runs)]
    false_alarms = sum(s is Status.FAIL for s in bonferroni)
    assert false_alarms / runs <= 0.025 + 2 * math.sqrt(0.025 * 0.975 / runs), false_alarms
    assert sum(s is Status.FAIL for s in naive) > false_alarms
    # An unharmed victim (no slow-down at all) passes, and a harmed one (1.6x) fails, nearly always.
    assert sum(_simulated_run(1.0, 4, per_look_confidence(0.95, 4), rng) is Status.PASS for _ in range(100)) >= 97
    assert sum(_simulated_run(1.6, 4, per_look_confidence(0.95, 4), rng) is Status.FAIL for _ in range(100)) >= 97


def test_looks_round_trip_in_the_verdict():
    book, spans = _window_book(ADAPTIVE, {"spike": 1.0})
    v = judge_isolation(book, ADAPTIVE, spans, HEALTHY)
    again = IsolationVerdict.from_json(v.to_json())
    assert again == v and isinstance(again.looks[0], IsolationLook)


# ---------------------------------------------------------------- what the run's answer says of it


def _answer(v: IsolationVerdict) -> Answer:
    checks = load_verdict_checks((v,))
    verdicts = Verdicts(run_id="load-1", kind=RunKind.LOAD, outcome=outcome_of(checks), checks=tuple(checks))
    return decide([JudgedRun(role="isolation", verdicts=verdicts, load_verdicts=(v,))])


def test_an_inconclusive_verdict_is_an_inconclusive_answer_that_says_why():
    noisy = _judge(_book(1.0, first_half_alone=1.8, n=1200))
    assert noisy.status is Status.INCONCLUSIVE
    (check,) = load_verdict_checks((noisy,))
    assert check.status is Status.INCONCLUSIVE  # not a WARN, and never a FAIL
    answer = _answer(noisy)
    assert answer.decision is Decision.INCONCLUSIVE and answer.headline.startswith("INCONCLUSIVE: 1 undecided")
    (reason,) = answer.reasons
    assert reason.status is Status.INCONCLUSIVE and "between two alone windows" in reason.text
    assert "against the tolerance 1.25×" in reason.text and "1 alone window and 1 beside the spike" in reason.text
    short = _judge(_book(1.0, n=61))  # too few samples to show the error rate under 1%: more time would tell
    assert _answer(short).decision is Decision.INCONCLUSIVE and "cannot tell yet" in _answer(short).reasons[0].text
    assert _answer(_judge(_book(1.0))).decision is Decision.GO
    assert _answer(_judge(_book(2.0))).decision is Decision.NO_GO
