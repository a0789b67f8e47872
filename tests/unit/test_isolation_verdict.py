"""The isolation verdict: a bootstrap interval on the victim's p95/p99 ratio, the SLA, and trust in the generator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bigday.load.plan import IsolationPlan
from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan
from bigday.load.verdict import bootstrap_change, generator_health, judge_isolation

ISO = IsolationPlan(victim="lumen", aggressor="everafter", phase_s=10.0, settle_s=1.0)
PHASES = (
    PhaseSpan("warmup", 0, 2),
    PhaseSpan("alone", 2, 12),
    PhaseSpan("spike", 12, 22),
    PhaseSpan("recovery", 22, 32),
)
HEALTHY = generator_health([{"node": "local", "t": i, "cpu": 20.0} for i in range(30)], 90.0, 0.10)


def _book(
    slowdown: float,
    n: int = 600,
    seed: int = 3,
    errors_in_spike: int = 0,
    aggressor: bool = True,
    base_ms: float = 80.0,
) -> SampleBook:
    rng = np.random.default_rng(seed)
    book = SampleBook()
    for phase, start, factor in (("alone", 2.0, 1.0), ("spike", 12.0, slowdown)):
        for i in range(n):
            spread = n // max(errors_in_spike, 1)
            err = "HTTP 503" if phase == "spike" and errors_in_spike and i % spread == 0 else None
            rt = float(rng.lognormal(np.log(base_ms), 0.4)) * factor
            book.record(("lumen", "photographer", "POST /api/photos", phase), start + 10.0 * i / n, rt, err)
    if aggressor:
        book.record(("everafter", "photographer", "POST /api/photos", "spike"), 13.0, 900.0, None)
    return book


def test_unharmed_victim_passes():
    v = judge_isolation(_book(1.0), ISO, PHASES, HEALTHY)
    assert v.status == "pass" and v.trustworthy, v.reasons
    assert v.p95_ratio.low <= 1.0 <= v.p95_ratio.high <= ISO.tolerance
    assert v.alone.n == v.spike.n == 540  # the first settle second of each phase is left out


def test_slowed_victim_fails_with_its_interval():
    v = judge_isolation(_book(1.6), ISO, PHASES, HEALTHY)
    assert v.status == "fail"
    assert v.p95_ratio.low > 1.25 and v.p95_ratio.estimate == pytest.approx(1.6, rel=0.15)
    assert any("p95 rose" in r and "interval" in r for r in v.reasons)


def test_a_modest_slowdown_inside_a_wide_interval_still_fails():
    # Too few samples to rule out a breach of the tolerance: the upper bound decides, not the estimate.
    v = judge_isolation(_book(1.1, n=60), ISO, PHASES, HEALTHY)
    assert v.p95_ratio.high > ISO.tolerance and v.status == "fail"


def test_a_rise_under_the_minimum_effect_is_noted_not_failed():
    # A 3 ms read slowed 1.3x: p95 ~5.8 -> ~7.5 ms. Beyond the ratio, but under 5 ms even at the interval's top.
    book = _book(1.3, base_ms=3.0)
    strict = judge_isolation(book, ISO, PHASES, HEALTHY)
    assert strict.status == "fail" and strict.p95_ratio.low > 1.1
    lenient = judge_isolation(book, replace(ISO, min_effect_ms=5.0), PHASES, HEALTHY)
    assert lenient.status == "pass" and lenient.trustworthy, lenient.reasons
    assert lenient.p95_ratio.high > ISO.tolerance
    assert 0 < lenient.p95_increase_ms.low <= lenient.p95_increase_ms.estimate <= lenient.p95_increase_ms.high <= 5.0
    assert lenient.p95_increase_ms.estimate == pytest.approx(lenient.spike.p95 - lenient.alone.p95, abs=0.01)
    assert any("under the minimum effect of 5 ms" in n for n in lenient.notes)
    assert lenient.to_json()["min_effect_ms"] == 5.0


def test_a_rise_that_may_reach_the_minimum_effect_still_fails():
    # 80 ms reads slowed 1.6x: +~80 ms at p95, far over a 5 ms minimum effect.
    v = judge_isolation(_book(1.6), replace(ISO, min_effect_ms=5.0), PHASES, HEALTHY)
    assert v.status == "fail" and v.p95_increase_ms.low > 5.0
    assert any("p95 rose" in r and "ms" in r for r in v.reasons)
    # The minimum effect is judged at the interval's top: a rise of ~1.7 ms estimated is harm under a 1 ms floor.
    v = judge_isolation(_book(1.3, base_ms=3.0), replace(ISO, min_effect_ms=1.0), PHASES, HEALTHY)
    assert v.status == "fail" and v.p95_increase_ms.high > 1.0


def test_sla_and_errors_fail_even_without_a_slowdown():
    slow = IsolationPlan(victim="lumen", aggressor="everafter", victim_p95_sla_ms=50.0, settle_s=1.0)
    v = judge_isolation(_book(1.0), slow, PHASES, HEALTHY)
    assert v.status == "fail" and any("SLA" in r for r in v.reasons)
    v = judge_isolation(_book(1.0, errors_in_spike=60), ISO, PHASES, HEALTHY)
    assert v.status == "fail" and any("error rate" in r for r in v.reasons)
    assert v.error_rate_increase.low > 0


def test_untrustworthy_when_generator_saturated_or_no_aggressor():
    busy = generator_health([{"node": "w1", "t": i, "cpu": 97.0 if i < 5 else 40.0} for i in range(30)], 90.0, 0.10)
    assert busy.saturated and busy.busiest_fraction == pytest.approx(5 / 30, abs=1e-3)
    v = judge_isolation(_book(1.0), ISO, PHASES, busy)
    assert not v.trustworthy and "saturated" in v.caveats[0]
    v = judge_isolation(_book(1.0, aggressor=False), ISO, PHASES, HEALTHY)
    assert not v.trustworthy and "no requests" in v.caveats[0]


def test_generator_health_per_process():
    samples = [{"node": "a", "t": i, "cpu": 95.0 if i < 3 else 10.0} for i in range(40)]
    samples += [{"node": "b", "t": i, "cpu": 50.0} for i in range(40)]
    h = generator_health(samples, 90.0, 0.10)
    assert not h.saturated and h.per_process["a"].fraction_above_bar == 0.075


def test_bootstrap_helpers_cover_the_truth():
    rng = np.random.default_rng(11)
    a = rng.exponential(100, 2000)
    b = rng.exponential(200, 2000)
    iso = replace(ISO, confidence=0.95, resamples=1000)
    change = bootstrap_change(a, 0, b, 0, iso, rng)
    iv, rise = change.p95_ratio, change.p95_increase_ms
    assert iv.low < 2.0 < iv.high
    true_p95 = 100 * np.log(20)  # of an exponential with mean 100: the rise from mean 100 to 200 is one p95
    assert rise.low < true_p95 < rise.high
    d = bootstrap_change(np.ones(1000), 0, np.ones(1000), 50, iso, rng).error_rate_increase
    assert d.estimate == 0.05 and d.low > 0.02
    empty = bootstrap_change(a, 0, np.empty(0), 0, replace(iso, resamples=10), rng)
    assert empty.p95_ratio.estimate is None and empty.error_rate_increase.estimate is None


def _with_tail(book: SampleBook, phase: str, start: float, n: int, value: float) -> SampleBook:
    for i in range(n):
        book.record(("lumen", "planner", "GET /dashboard", phase), start + 1.5 + i * 0.01, value, None)
    return book


def test_a_p99_rise_is_reported_but_the_p95_gates():
    # 2% of spike requests very slow: the p99 jumps, the p95 does not.
    book = _with_tail(_book(1.0), "spike", 12.0, 12, 5000.0)
    v = judge_isolation(book, ISO, PHASES, HEALTHY)
    assert v.p99_ratio.estimate > 10 and v.p95_ratio.high <= ISO.tolerance
    assert v.status == "pass" and v.notes and "p99 rose" in v.notes[0]


def test_a_disturbed_baseline_makes_the_verdict_untrustworthy():
    book = _book(1.0)
    rng = np.random.default_rng(5)
    for i in range(300):  # an aggressor-free recovery phase twice as fast as "alone" was
        book.record(
            ("lumen", "planner", "GET /dashboard", "recovery"),
            23.0 + i * 0.02,
            float(rng.lognormal(np.log(40), 0.4)),
            None,
        )
    v = judge_isolation(book, ISO, PHASES, HEALTHY)
    assert not v.trustworthy and "baseline was disturbed" in v.caveats[0]
    assert v.recovery is not None and v.recovery.n == 300


def test_a_disturbed_baseline_cannot_discredit_a_failure():
    book = _book(3.0)
    for i in range(300):
        book.record(("lumen", "planner", "GET /dashboard", "recovery"), 23.0 + i * 0.02, 10.0, None)
    v = judge_isolation(book, ISO, PHASES, HEALTHY)
    assert v.status == "fail" and v.trustworthy  # a slower baseline only shrinks the ratio
