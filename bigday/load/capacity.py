"""The capacity search: how many users the app holds before its plateau breaks the SLA (``bigday load capacity``).

A team's first question before a launch is not "did the spike pass" but "how many studios' Saturdays can we
hold". The search answers it with the Saturday rehearsal it already trusts: one short rehearsal per load level
(a ramp, then a hold whose plateau is judged against the p95 SLA and the error-rate bound, each its own load run
folder, stored and comparable like any other), levels growing by a factor until one breaks, then halving the
bracket between the last level that held and the first that broke. It stops at the first break, after
``max_steps`` rehearsals, or when its time limit would be passed, whichever comes first; a step whose evidence is
untrustworthy (a saturated generator) ends it too, since past that point the generator, not the app, is measured.

The level is a number of users (Locust's closed model: each user thinks between tasks) or, with a start rate,
the open model's arrival rate (tasks a second on a fixed schedule, latency timed from when a task was due; the
users are then only the generator's concurrency, ``USERS_PER_RATE`` per task a second).

The answer is the bracket: "holds 1,800 users (held twice), breaks by 2,000 (p95 1,212 ms > 1,000 ms on the
plateau)": the level that held is run once more before the search says it holds, since near a knee one quiet
plateau can be luck (``_Search.recheck``). The bracket's width is the search's resolution; three repeats of
the same search show its spread (benchmarks/load_capacity.py).
"""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime

from bigday import stats
from bigday.errors import ConfigError
from bigday.load.plan import parse_seconds
from bigday.load.rehearsal import LoadOptions, LoadRunResult, check_rehearsal, run_rehearsal
from bigday.runfolder import (
    CapacityResult,
    CapacityStep,
    Manifest,
    RunFolder,
    RunKind,
    ScenarioRef,
    SpikeVerdict,
    Status,
    environment_fingerprint,
    read_load_histograms,
    utc_now,
    write_capacity,
    write_manifest,
)
from bigday.settings.scenario import Scenario

# A step's wall time beyond its ramp and hold: Locust's start and stop, the results (measured ~6 s here).
STEP_OVERHEAD_S = 8.0
# Open-model steps: users per task a second of arrival rate, so each user has 4 s for a task (a journey's few
# requests) before it falls behind its schedule; a user behind schedule would time the generator's backlog.
USERS_PER_RATE = 4
# Arrival rates are stepped in tenths of a task a second.
RATE_STEP = 0.1


def users_for_rate(rate: float) -> int:
    """The generator's concurrency for an open-model level of ``rate`` tasks a second."""
    return max(2, math.ceil(rate * USERS_PER_RATE))


@dataclass(frozen=True)
class CapacitySearch:
    """The levels to try: ``start`` users, times ``factor`` until one breaks, then ``refine`` halvings."""

    start_users: int
    factor: float = 1.5
    max_steps: int = 8
    ramp: str = "5s"
    hold: str = "15s"
    refine: int = 2
    time_limit: str = "15m"
    start_rate: float | None = None  # the open model: step the arrival rate (tasks a second) from here

    @property
    def by_rate(self) -> bool:
        return self.start_rate is not None

    def seconds(self) -> tuple[float, float, float]:
        return (
            parse_seconds("--step-ramp", self.ramp),
            parse_seconds("--step-hold", self.hold),
            parse_seconds("--time-limit", self.time_limit),
        )

    def check(self) -> None:
        if self.start_users < 1:
            raise ConfigError(f"--start-users: expected a whole number >= 1, got {self.start_users}")
        if self.start_rate is not None and not (math.isfinite(self.start_rate) and self.start_rate >= RATE_STEP):
            raise ConfigError(
                f"--arrival-rate: expected a start rate of at least {RATE_STEP:g}/s, got {self.start_rate:g}"
            )
        if not (math.isfinite(self.factor) and 1.05 <= self.factor <= 10):
            raise ConfigError(f"--factor: expected a growth factor from 1.05 to 10, got {self.factor:g}")
        if not 2 <= self.max_steps <= 30:
            raise ConfigError(f"--max-steps: expected 2 to 30 rehearsals, got {self.max_steps}")
        if not 0 <= self.refine <= 6:
            raise ConfigError(f"--refine: expected 0 to 6 halvings of the bracket, got {self.refine}")
        ramp, hold, limit = self.seconds()
        if limit < ramp + hold + STEP_OVERHEAD_S:
            raise ConfigError(
                f"--time-limit: {self.time_limit} does not hold one step ({ramp + hold + STEP_OVERHEAD_S:g}s with "
                "its start and results); expected more, or a shorter --step-hold"
            )


def step_options(options: LoadOptions, search: CapacitySearch, level: float) -> LoadOptions:
    """One level's rehearsal: the Saturday journeys ramped to ``level`` users (or, by rate, to the users an
    arrival rate of ``level`` needs, arriving at that rate) and held there, the plateau judged."""
    users = users_for_rate(level) if search.by_rate else int(level)
    stages = f"ramp:{search.ramp}:{users},hold:{search.hold}:{users}"
    overrides = replace(options.overrides, stages=stages, peak_users=None, time_scale=None)
    return replace(options, overrides=overrides, arrival_rate=level if search.by_rate else None)


def _slower_than_sla(result: LoadRunResult, verdict: SpikeVerdict) -> int | None:
    """The plateau's requests slower than the p95 SLA, from the step's own histograms."""
    found = read_load_histograms(RunFolder(result.folder))
    sla_ms = verdict.p95_sla_ms
    if found is None or sla_ms is None:
        return None
    plateau = set(verdict.plateau_phases)
    return sum((k.decoded().count_above_ms(sla_ms) for k in found.keys if k.phase in plateau), 0)


def _step(level: float, search: CapacitySearch, result: LoadRunResult) -> CapacityStep:
    verdict = next(v for v in result.verdicts if isinstance(v, SpikeVerdict))
    status = verdict.status if result.trustworthy else Status.INCONCLUSIVE
    return CapacityStep(
        slow=_slower_than_sla(result, verdict),
        users=users_for_rate(level) if search.by_rate else int(level),
        arrival_rate=level if search.by_rate else None,
        run_id=result.folder.name,
        status=status,
        trustworthy=result.trustworthy,
        count=verdict.plateau_count,
        rps=verdict.plateau_rps,
        p95_ms=verdict.plateau_p95_ms,
        p99_ms=verdict.plateau_p99_ms,
        error_rate=verdict.plateau_error_rate,
        reasons=(*verdict.reasons, *verdict.caveats),
    )


def _level(step: CapacityStep) -> float:
    return step.users if step.arrival_rate is None else step.arrival_rate


def _levels(search: CapacitySearch) -> Iterator[float]:
    if search.start_rate is not None:
        rate = round(search.start_rate, 1)
        while True:
            yield rate
            rate = max(round(rate + RATE_STEP, 1), round(rate * search.factor, 1))
    users = search.start_users
    while True:
        yield users
        users = max(users + 1, math.ceil(users * search.factor))


def _middle(search: CapacitySearch, low: float, high: float) -> float | None:
    """The level halfway between one that held (``low``, 0 if none did) and one that broke; None when the
    bracket cannot be narrowed further (adjacent users, or rates a tenth apart)."""
    middle = round((low + high) / 2, 1) if search.by_rate else float((int(low) + int(high)) // 2)
    return middle if low < middle < high else None


# A break is marginal when a few requests more or less would have undone it: its error rate's one-sided 95%
# lower bound (Clopper-Pearson, the lower end of a two-sided 90% interval) is within the bound, and so is the
# lower bound of its share of requests slower than the SLA against the 5% a p95 allows. A 15 s plateau of 435
# requests with 5 errors (1.15%) against a 1% bound is that; 13 in 575 (2.3%) is a clear break.
MARGINAL_CONFIDENCE = 0.90
P95_SHARE = 0.05  # a p95 is past the SLA exactly when more than this share of requests are slower


def _errors(step: CapacityStep) -> int:
    return round((step.error_rate or 0.0) * (step.count or 0))


def _past(k: int, n: int, bound: float) -> bool:
    """k of n is past ``bound`` beyond doubt: its one-sided 95% lower bound is."""
    return stats.proportion_interval(k, n, MARGINAL_CONFIDENCE).low > bound


def marginal_break(step: CapacityStep, sla: tuple[float, float]) -> bool:
    """A FAIL that a few requests more or less could have undone (on errors, on latency, or both)."""
    p95_sla, max_errors = sla
    if step.status is not Status.FAIL or not step.count or step.confirms is not None:
        return False
    if _past(_errors(step), step.count, max_errors):
        return False
    slow_past = step.p95_ms is not None and step.p95_ms > p95_sla
    if slow_past and (step.slow is None or _past(step.slow, step.count, P95_SHARE)):
        return False  # slow beyond doubt, or no histograms to tell
    return True


def pooled(first: CapacityStep, again: CapacityStep, sla: tuple[float, float]) -> CapacityStep:
    """The level judged over both its runs' requests: the error rate, and the share slower than the SLA
    (the p95 shown is the second run's; the two runs' distributions are not merged here)."""
    p95_sla, max_errors = sla
    if again.status is Status.INCONCLUSIVE or not again.count or not first.count:
        return replace(again, confirms=first.run_id)
    n, errors = first.count + again.count, _errors(first) + _errors(again)
    rate = errors / n
    said = (
        f"measured twice after a marginal break ({_errors(first)} errors in {first.count:,} requests, then "
        f"{_errors(again)} in {again.count:,}): error rate {rate:.2%} over both"
    )
    reasons = [f"{said} exceeds {max_errors:.2%}" if rate > max_errors else f"{said}, within {max_errors:.2%}"]
    if first.slow is not None and again.slow is not None:
        share = (first.slow + again.slow) / n
        slow = share > P95_SHARE
        reasons.append(
            f"{share:.1%} of both runs' requests slower than the SLA of {p95_sla:g} ms"
            + (" (the p95 is past it)" if slow else " (the p95 is within it)")
        )
    else:
        slow = again.p95_ms is not None and again.p95_ms > p95_sla
        if slow:
            reasons.append(f"plateau p95 {again.p95_ms:.0f} ms exceeds the SLA of {p95_sla:g} ms")
    return replace(
        again,
        status=Status.FAIL if rate > max_errors or slow else Status.PASS,
        confirms=first.run_id,
        count=n,
        error_rate=round(rate, 6),
        slow=None if first.slow is None or again.slow is None else first.slow + again.slow,
        reasons=tuple(reasons),
    )


def check_capacity(
    scenario: Scenario, base_url: str | None, options: LoadOptions, search: CapacitySearch
) -> tuple[float, float]:
    """Every input judged before the first rehearsal (the search's own and a step's plan); the plateau's p95
    SLA (ms) and error-rate bound the steps are judged by."""
    search.check()
    plan = check_rehearsal(scenario, "saturday", base_url, step_options(options, search, search.start_users))
    return plan.spike_p95_sla_ms, plan.spike_max_error_rate


def write_search(scenario: Scenario, options: LoadOptions, result: CapacityResult, started: datetime) -> RunFolder:
    """The search's own run folder: its manifest (a load run, rehearsal ``capacity``) and ``capacity.json``."""
    folder = RunFolder.create("load", options.results_dir)
    write_capacity(folder, result)
    write_manifest(
        folder,
        Manifest(
            run_id=folder.run_id,
            kind=RunKind.LOAD,
            rehearsal="capacity",
            started_at=started,
            finished_at=utc_now(),
            complete=True,
            status="ok",
            trustworthy=all(s.trustworthy for s in result.steps),
            scenario=ScenarioRef(scenario.name, str(scenario.source), scenario.sha256),
            environment=environment_fingerprint(load_processes=options.processes, machine=platform.node()),
        ),
    )
    return folder


@dataclass
class _Search:
    """One search's state: the steps judged so far (a marginal break measured twice is one step; a held level's
    re-measure is a step of its own), the rehearsals run (each counts against ``max_steps``), and the clock."""

    scenario: Scenario
    target: Callable[[], AbstractContextManager[tuple[str, bool]]]
    options: LoadOptions
    search: CapacitySearch
    say: Callable[[str], None]
    sla: tuple[float, float]
    steps: list[CapacityStep] = field(default_factory=list)
    rehearsals: int = 0
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.ramp, self.hold, self.limit = self.search.seconds()

    def budget_left(self) -> bool:
        """Another rehearsal fits the steps allowed and the time limit."""
        one_more = time.monotonic() - self.started + self.ramp + self.hold + STEP_OVERHEAD_S
        return self.rehearsals < self.search.max_steps and one_more <= self.limit

    def run(self, level: float) -> CapacityStep:
        search = self.search
        self.rehearsals += 1
        what = f"{level:g}/s ({users_for_rate(level)} users)" if search.by_rate else f"{int(level)} users"
        self.say(f"capacity step {self.rehearsals}: {what} (ramp {search.ramp}, hold {search.hold})")
        with self.target() as (url, embedded):
            options = step_options(self.options, search, level)
            result = run_rehearsal(self.scenario, "saturday", url, options, self.say, embedded)
        step = _step(level, search, result)
        p95 = "-" if step.p95_ms is None else f"{step.p95_ms:,.0f} ms"
        errors = 100 * (step.error_rate or 0)
        self.say(f"  {step.level_text()}: {step.status.upper()} (plateau p95 {p95}, errors {errors:.2f}%)")
        return step

    def judged(self, level: float) -> CapacityStep:
        """A level's step; a break a few errors more or less could have undone is measured once more (budget
        allowing), and the two runs' requests decide together."""
        step = self.run(level)
        if marginal_break(step, self.sla) and self.budget_left():
            self.say(f"  {step.level_text()}: a marginal break; measuring the level once more")
            step = pooled(step, self.run(level), self.sla)
            self.say(f"  {step.level_text()}: {step.status.upper()} over both runs ({'; '.join(step.reasons)})")
        self.steps.append(step)
        return step

    def climb(self) -> tuple[CapacityStep | None, CapacityStep | None, str]:
        """Levels up by the factor until one breaks: (the last that held, the one that broke, why it stopped)."""
        held: CapacityStep | None = None
        for level in _levels(self.search):
            if not self.budget_left():
                if self.rehearsals >= self.search.max_steps:
                    return held, None, f"{self.search.max_steps} steps without a break"
                return held, None, f"the time limit ({self.search.time_limit}) would be passed by another step"
            step = self.judged(level)
            if step.status is Status.PASS:
                held = step
                continue
            if step.status is Status.FAIL:
                return held, step, "a plateau broke"
            return held, None, "a step's evidence was untrustworthy"
        raise AssertionError("the levels never end")

    def recheck(
        self, held: CapacityStep | None, broke: CapacityStep
    ) -> tuple[CapacityStep | None, CapacityStep, str | None]:
        """Run the level that held once more before saying it holds; one that breaks then is refuted, the
        bracket moves below it and is narrowed again, and so on while the budget lasts. (held, broke, why the
        held level is not re-measured, None when it held twice)."""
        refuted: set[float] = set()
        while held is not None:
            if not self.budget_left():
                return held, broke, "not re-measured: no steps or time left"
            level = _level(held)
            self.say(f"  {held.level_text()} held; measuring it once more before saying it holds")
            again = self.judged(level)
            self.steps[-1] = again = replace(again, rechecks=held.run_id)
            if again.status is Status.PASS:
                return held, broke, None
            if again.status is not Status.FAIL:
                return held, broke, "its re-measure's evidence was untrustworthy"
            refuted.add(level)
            broke = again
            below = [
                s
                for s in self.steps
                if s.status is Status.PASS and s.rechecks is None and _level(s) < level and _level(s) not in refuted
            ]
            held = max(below, key=_level, default=None)
            held, broke = self.narrow(held, broke)
        return held, broke, None

    def answer(self) -> CapacityResult:
        """Climb until a level breaks, narrow the bracket, re-measure the level that held: the search's answer."""
        held, broke, stopped = self.climb()
        unchecked: str | None = None
        if broke is not None:
            held, broke = self.narrow(held, broke)
            held, broke, unchecked = self.recheck(held, broke)
        twice = "held twice" if unchecked is None else f"held once; {unchecked}"
        elapsed = time.monotonic() - self.started
        return _result(self.steps, held, broke, stopped, self.sla, elapsed, self.search.by_rate, twice)

    def narrow(self, held: CapacityStep | None, broke: CapacityStep) -> tuple[CapacityStep | None, CapacityStep]:
        """Halve the bracket ``refine`` times (budget allowing)."""
        for _ in range(self.search.refine):
            middle = _middle(self.search, _level(held) if held else 0, _level(broke))
            if middle is None or not self.budget_left():
                break
            step = self.judged(middle)
            if step.status is Status.PASS:
                held = step
            elif step.status is Status.FAIL:
                broke = step
            else:
                break
        return held, broke


def search_capacity(
    scenario: Scenario,
    target: Callable[[], AbstractContextManager[tuple[str, bool]]],
    options: LoadOptions,
    search: CapacitySearch,
    say: Callable[[str], None],
    sla: tuple[float, float],
) -> CapacityResult:
    """Run the search; ``target()`` gives the app's URL (and whether it is the embedded target) for one step:
    a fresh reference target per step, so no step inherits the last one's uploads."""
    return _Search(scenario, target, options, search, say, sla).answer()


def _result(
    steps: list[CapacityStep],
    held: CapacityStep | None,
    broke: CapacityStep | None,
    stopped: str,
    sla: tuple[float, float],
    elapsed: float,
    by_rate: bool = False,
    twice: str = "held twice",
) -> CapacityResult:
    p95_sla, max_errors = sla
    bounds = f"plateau p95 <= {p95_sla:,.0f} ms and errors <= {100 * max_errors:g}%"
    if broke is not None and held is not None:
        status, reason = (
            Status.PASS,
            (
                f"holds {held.level_text()} ({twice}) and breaks by {_bare(broke)} ({bounds}; at {_bare(broke)}: "
                f"{'; '.join(broke.reasons) or 'broke'})"
            ),
        )
    elif broke is not None:
        status, reason = Status.FAIL, f"not even {broke.level_text()} hold ({bounds}): {'; '.join(broke.reasons)}"
    elif held is not None and not any(s.status is Status.INCONCLUSIVE for s in steps):
        status, reason = Status.INCONCLUSIVE, f"holds {held.level_text()}, the most tried ({bounds}); {stopped}"
    else:
        last = steps[-1] if steps else None
        why = "; ".join(last.reasons) if last else "no step ran"
        status = Status.INCONCLUSIVE
        reason = (
            f"holds {held.level_text()}; above that the load generator, not the app, was measured: {why}"
            if (held)
            else f"no level could be judged: {why}"
        )
    return CapacityResult(
        status=status,
        reason=reason,
        p95_sla_ms=p95_sla,
        max_error_rate=max_errors,
        steps=tuple(steps),
        holds_users=held.users if held else None,
        breaks_users=broke.users if broke else None,
        by="arrival_rate" if by_rate else "users",
        holds_rate=held.arrival_rate if held else None,
        breaks_rate=broke.arrival_rate if broke else None,
        stopped_because=stopped,
        elapsed_s=round(elapsed, 1),
    )


def _bare(step: CapacityStep) -> str:
    """The level without its unit word: "2,000" (users, said once before it) or "60/s"."""
    return f"{step.users:,}" if step.arrival_rate is None else step.level_text()
