"""The capacity search's levels, bracket halving and answer, by users and by arrival rate (no load is sent: the
search itself runs against the reference target in tests/integration/test_locust_runs.py)."""

from __future__ import annotations

from itertools import islice

import pytest

from bigday.errors import ConfigError
from bigday.load.capacity import (
    CapacitySearch,
    _levels,
    _middle,
    _result,
    _Search,
    marginal_break,
    pooled,
    users_for_rate,
)
from bigday.runfolder import CapacityResult, CapacityStep, Status


def test_levels_grow_by_the_factor_in_users_or_in_tenths_of_a_task_a_second() -> None:
    assert list(islice(_levels(CapacitySearch(start_users=2, factor=1.5)), 5)) == [2, 3, 5, 8, 12]
    # Users always grow by at least one, rates by at least a tenth.
    assert list(islice(_levels(CapacitySearch(start_users=1, factor=1.05)), 3)) == [1, 2, 3]
    by_rate = CapacitySearch(start_users=1, start_rate=4, factor=1.5)
    assert list(islice(_levels(by_rate), 4)) == [4.0, 6.0, 9.0, 13.5]
    assert list(islice(_levels(CapacitySearch(start_users=1, start_rate=0.1, factor=1.05)), 3)) == [0.1, 0.2, 0.3]


def test_the_bracket_is_halved_until_its_ends_are_adjacent() -> None:
    users, rate = CapacitySearch(start_users=1), CapacitySearch(start_users=1, start_rate=1)
    assert _middle(users, 10, 15) == 12 and _middle(users, 0, 2) == 1
    assert _middle(users, 11, 12) is None
    assert _middle(rate, 9.0, 13.5) == 11.2 and _middle(rate, 0, 0.5) == 0.2
    assert _middle(rate, 4.0, 4.1) is None


def test_an_open_model_level_runs_four_users_per_task_a_second() -> None:
    assert [users_for_rate(r) for r in (0.1, 1, 2.5, 500)] == [2, 4, 10, 2000]


def _step(status: Status, users: int, rate: float | None = None) -> CapacityStep:
    reasons = () if status is Status.PASS else ("plateau p95 1,212 ms exceeds the SLA of 1000 ms",)
    return CapacityStep(
        users=users, arrival_rate=rate, run_id="r", status=status, trustworthy=True, p95_ms=500.0, reasons=reasons
    )


def test_the_answer_names_the_level_in_its_unit() -> None:
    sla = (1000.0, 0.01)
    held, broke = _step(Status.PASS, 1800), _step(Status.FAIL, 2000)
    r = _result([held, broke], held, broke, "a plateau broke", sla, 60.0)
    assert r.by == "users" and (r.holds_users, r.breaks_users) == (1800, 2000) and r.holds_rate is None
    assert r.reason.startswith("holds 1,800 users (held twice) and breaks by 2,000 (plateau p95 <= 1,000 ms")
    held, broke = _step(Status.PASS, 160, 40.0), _step(Status.FAIL, 240, 60.0)
    r = _result([held, broke], held, broke, "a plateau broke", sla, 60.0, by_rate=True)
    assert r.by == "arrival_rate" and (r.holds_rate, r.breaks_rate) == (40.0, 60.0)
    assert r.reason.startswith("holds 40/s (held twice) and breaks by 60/s (")
    assert "at 60/s: plateau p95 1,212 ms" in r.reason
    r = _result([broke], None, broke, "a plateau broke", sla, 10.0, by_rate=True)
    assert r.status is Status.FAIL and r.reason.startswith("not even 60/s hold")


def test_a_start_rate_below_a_tenth_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"--arrival-rate: expected a start rate of at least 0.1/s, got 0.05"):
        CapacitySearch(start_users=1, start_rate=0.05).check()


def _run(
    status: Status, count: int, errors: int, p95: float = 500.0, run_id: str = "r", slow: int | None = None
) -> CapacityStep:
    return CapacityStep(
        users=80, run_id=run_id, status=status, trustworthy=True, count=count, p95_ms=p95,
        error_rate=errors / count, reasons=("a reason",), slow=slow,
    )  # fmt: skip


def test_a_break_a_few_errors_could_undo_is_marginal_and_the_two_runs_decide_together() -> None:
    sla = (1000.0, 0.01)
    # 5 errors in 435 (1.15%): its one-sided 95% lower bound is ~0.45%, inside the 1% bound.
    first = _run(Status.FAIL, 435, 5, run_id="first")
    assert marginal_break(first, sla)
    assert not marginal_break(_run(Status.FAIL, 575, 13), sla)  # 2.3%: lower bound ~1.3%, a clear break
    assert not marginal_break(_run(Status.FAIL, 435, 5, p95=1200.0), sla)  # broke on latency too
    assert not marginal_break(_run(Status.PASS, 435, 1), sla)
    held = pooled(first, _run(Status.PASS, 440, 1, run_id="again"), sla)
    assert (held.status, held.confirms, held.run_id, held.count) == (Status.PASS, "first", "again", 875)
    assert held.error_rate == round(6 / 875, 6) and "within 1.00%" in held.reasons[0]
    assert not marginal_break(held, sla)  # a level is measured twice at most
    broke = pooled(first, _run(Status.FAIL, 430, 6, run_id="again"), sla)
    assert broke.status is Status.FAIL and "11 errors" not in broke.reasons[0] and "exceeds 1.00%" in broke.reasons[0]
    slow = pooled(first, _run(Status.FAIL, 430, 0, p95=1300.0), sla)
    assert slow.status is Status.FAIL and any("p95 1300 ms exceeds" in r for r in slow.reasons)


def test_a_p95_just_past_the_sla_is_marginal_by_its_share_of_slow_requests() -> None:
    sla = (1000.0, 0.01)
    # p95 past the SLA <=> more than 5% slower than it: 25 of 435 (5.7%) has a lower bound of ~4%, marginal.
    first = _run(Status.FAIL, 435, 0, p95=1100.0, run_id="first", slow=25)
    assert marginal_break(first, sla)
    assert not marginal_break(_run(Status.FAIL, 435, 0, p95=1600.0, slow=60), sla)  # 13.8%: beyond doubt
    assert not marginal_break(_run(Status.FAIL, 435, 9, p95=1100.0, slow=25), sla)  # errors beyond doubt
    held = pooled(first, _run(Status.PASS, 440, 0, p95=950.0, run_id="again", slow=15), sla)
    assert held.status is Status.PASS and held.slow == 40 and "4.6% of both runs' requests" in held.reasons[1]
    broke = pooled(first, _run(Status.FAIL, 440, 0, p95=1150.0, run_id="again", slow=30), sla)
    assert broke.status is Status.FAIL and "(the p95 is past it)" in broke.reasons[1]


class _Scripted(_Search):
    """The search's control flow against an app whose plateaus the test scripts: each level's runs in turn
    (the rehearsals themselves run in tests/integration/test_locust_runs.py)."""

    def __init__(self, outcomes: dict[float, list[Status]], search: CapacitySearch) -> None:
        super().__init__(None, None, None, search, lambda _: None, (1000.0, 0.01))  # type: ignore[arg-type]
        self.outcomes = {k: list(v) for k, v in outcomes.items()}
        self.tried: list[float] = []

    def run(self, level: float) -> CapacityStep:
        self.rehearsals += 1
        self.tried.append(level)
        status = self.outcomes[level].pop(0)
        return CapacityStep(
            users=int(level), run_id=f"r{self.rehearsals}", status=status, trustworthy=True, count=1000,
            error_rate=0.0 if status is Status.PASS else 0.05, p95_ms=500.0,
        )  # fmt: skip


def _searched(outcomes: dict[float, list[Status]], max_steps: int = 12) -> tuple[_Scripted, CapacityResult]:
    s = _Scripted(outcomes, CapacitySearch(start_users=40, factor=1.5, refine=2, max_steps=max_steps))
    return s, s.answer()


P, F = Status.PASS, Status.FAIL


def test_a_level_is_said_to_hold_only_once_it_has_held_twice() -> None:
    # 90 held once by luck, then broke when re-measured: the bracket moves below it and is narrowed again.
    s, r = _searched({40: [P], 60: [P], 90: [P, F], 135: [F], 112: [F], 101: [F], 75: [P, P], 82: [F]})
    assert s.tried == [40, 60, 90, 135, 112, 101, 90, 75, 82, 75]
    assert (r.holds_users, r.breaks_users) == (75, 82) and "holds 75 users (held twice)" in r.reason
    (refuted,) = [x for x in r.steps if x.rechecks == "r3"]  # the re-measure of 90 names the run it re-measures
    assert refuted.status is F and refuted.users == 90
    # A level that holds again is the answer at once.
    s, r = _searched({40: [P], 60: [P], 90: [P, P], 135: [F], 112: [F], 101: [F]})
    assert s.tried == [40, 60, 90, 135, 112, 101, 90] and (r.holds_users, r.breaks_users) == (90, 101)
    # Out of steps: the answer says its level held only once.
    s, r = _searched({40: [P], 60: [P], 90: [P], 135: [F], 112: [F], 101: [F]}, max_steps=6)
    assert "holds 90 users (held once; not re-measured: no steps or time left)" in r.reason
    # Every level refuted down to the first: not even it holds.
    s, r = _searched({40: [P, F], 60: [F], 50: [F], 45: [F], 20: [F], 10: [F]})
    assert s.tried == [40, 60, 50, 45, 40, 20, 10] and r.holds_users is None and r.status is F
