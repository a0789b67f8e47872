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

The answer is the bracket: "holds 1,800 users, breaks by 2,000 (p95 1,212 ms > 1,000 ms on the plateau)". Its
width is the search's resolution; three repeats of the same search show its spread (benchmarks/load_capacity.py).
"""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime

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


def _step(level: float, search: CapacitySearch, result: LoadRunResult) -> CapacityStep:
    verdict = next(v for v in result.verdicts if isinstance(v, SpikeVerdict))
    status = verdict.status if result.trustworthy else Status.INCONCLUSIVE
    return CapacityStep(
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
    ramp, hold, limit = search.seconds()
    started = time.monotonic()
    steps: list[CapacityStep] = []

    def run(level: float) -> CapacityStep:
        what = f"{level:g}/s ({users_for_rate(level)} users)" if search.by_rate else f"{int(level)} users"
        say(f"capacity step {len(steps) + 1}: {what} (ramp {search.ramp}, hold {search.hold})")
        with target() as (url, embedded):
            result = run_rehearsal(scenario, "saturday", url, step_options(options, search, level), say, embedded)
        step = _step(level, search, result)
        steps.append(step)
        p95 = "-" if step.p95_ms is None else f"{step.p95_ms:,.0f} ms"
        errors = 100 * (step.error_rate or 0)
        say(f"  {step.level_text()}: {step.status.upper()} (plateau p95 {p95}, errors {errors:.2f}%)")
        return step

    def time_left_for_one() -> bool:
        return time.monotonic() - started + ramp + hold + STEP_OVERHEAD_S <= limit

    held: CapacityStep | None = None
    broke: CapacityStep | None = None
    stopped = ""
    for level in _levels(search):
        if len(steps) >= search.max_steps:
            stopped = f"{search.max_steps} steps without a break"
            break
        if not time_left_for_one():
            stopped = f"the time limit ({search.time_limit}) would be passed by another step"
            break
        step = run(level)
        if step.status is Status.PASS:
            held = step
            continue
        if step.status is Status.FAIL:
            broke = step
        stopped = "a plateau broke" if broke else "a step's evidence was untrustworthy"
        break
    for _ in range(search.refine if broke else 0):
        middle = _middle(search, _level(held) if held else 0, _level(broke))  # type: ignore[arg-type]
        if middle is None or len(steps) >= search.max_steps or not time_left_for_one():
            break
        step = run(middle)
        if step.status is Status.PASS:
            held = step
        elif step.status is Status.FAIL:
            broke = step
        else:
            break
    return _result(steps, held, broke, stopped, sla, time.monotonic() - started, search.by_rate)


def _result(
    steps: list[CapacityStep],
    held: CapacityStep | None,
    broke: CapacityStep | None,
    stopped: str,
    sla: tuple[float, float],
    elapsed: float,
    by_rate: bool = False,
) -> CapacityResult:
    p95_sla, max_errors = sla
    bounds = f"plateau p95 <= {p95_sla:,.0f} ms and errors <= {100 * max_errors:g}%"
    if broke is not None and held is not None:
        status, reason = (
            Status.PASS,
            (
                f"holds {held.level_text()} and breaks by {_bare(broke)} ({bounds}; at {_bare(broke)}: "
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
