"""The capacity search: how many users the app holds before its plateau breaks the SLA (``bigday load capacity``).

A team's first question before a launch is not "did the spike pass" but "how many studios' Saturdays can we
hold". The search answers it with the Saturday rehearsal it already trusts: one short rehearsal per load level
(a ramp, then a hold whose plateau is judged against the p95 SLA and the error-rate bound, each its own load run
folder, stored and comparable like any other), levels growing by a factor until one breaks, then halving the
bracket between the last level that held and the first that broke. It stops at the first break, after
``max_steps`` rehearsals, or when its time limit would be passed, whichever comes first; a step whose evidence is
untrustworthy (a saturated generator) ends it too, since past that point the generator, not the app, is measured.

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

    def seconds(self) -> tuple[float, float, float]:
        return (
            parse_seconds("--step-ramp", self.ramp),
            parse_seconds("--step-hold", self.hold),
            parse_seconds("--time-limit", self.time_limit),
        )

    def check(self) -> None:
        if self.start_users < 1:
            raise ConfigError(f"--start-users: expected a whole number >= 1, got {self.start_users}")
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


def step_options(options: LoadOptions, search: CapacitySearch, users: int) -> LoadOptions:
    """One level's rehearsal: the Saturday journeys ramped to ``users`` and held there (the plateau judged)."""
    stages = f"ramp:{search.ramp}:{users},hold:{search.hold}:{users}"
    return replace(options, overrides=replace(options.overrides, stages=stages, peak_users=None, time_scale=None))


def _step(users: int, result: LoadRunResult) -> CapacityStep:
    verdict = next(v for v in result.verdicts if isinstance(v, SpikeVerdict))
    status = verdict.status if result.trustworthy else Status.INCONCLUSIVE
    return CapacityStep(
        users=users,
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


def _levels(search: CapacitySearch) -> Iterator[int]:
    users = search.start_users
    while True:
        yield users
        users = max(users + 1, math.ceil(users * search.factor))


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

    def run(users: int) -> CapacityStep:
        say(f"capacity step {len(steps) + 1}: {users} users (ramp {search.ramp}, hold {search.hold})")
        with target() as (url, embedded):
            result = run_rehearsal(scenario, "saturday", url, step_options(options, search, users), say, embedded)
        step = _step(users, result)
        steps.append(step)
        p95 = "-" if step.p95_ms is None else f"{step.p95_ms:,.0f} ms"
        say(f"  {users} users: {step.status.upper()} (plateau p95 {p95}, errors {100 * (step.error_rate or 0):.2f}%)")
        return step

    def time_left_for_one() -> bool:
        return time.monotonic() - started + ramp + hold + STEP_OVERHEAD_S <= limit

    held: CapacityStep | None = None
    broke: CapacityStep | None = None
    stopped = ""
    for users in _levels(search):
        if len(steps) >= search.max_steps:
            stopped = f"{search.max_steps} steps without a break"
            break
        if not time_left_for_one():
            stopped = f"the time limit ({search.time_limit}) would be passed by another step"
            break
        step = run(users)
        if step.status is Status.PASS:
            held = step
            continue
        if step.status is Status.FAIL:
            broke = step
        stopped = "a plateau broke" if broke else "a step's evidence was untrustworthy"
        break
    for _ in range(search.refine if broke else 0):
        low = held.users if held else 0
        middle = (low + broke.users) // 2  # type: ignore[union-attr]
        if middle <= low or len(steps) >= search.max_steps or not time_left_for_one():
            break
        step = run(middle)
        if step.status is Status.PASS:
            held = step
        elif step.status is Status.FAIL:
            broke = step
        else:
            break
    return _result(steps, held, broke, stopped, sla, time.monotonic() - started)


def _result(
    steps: list[CapacityStep],
    held: CapacityStep | None,
    broke: CapacityStep | None,
    stopped: str,
    sla: tuple[float, float],
    elapsed: float,
) -> CapacityResult:
    p95_sla, max_errors = sla
    bounds = f"plateau p95 <= {p95_sla:,.0f} ms and errors <= {100 * max_errors:g}%"
    if broke is not None and held is not None:
        status, reason = (
            Status.PASS,
            (
                f"holds {held.users:,} users and breaks by {broke.users:,} ({bounds}; at {broke.users:,}: "
                f"{'; '.join(broke.reasons) or 'broke'})"
            ),
        )
    elif broke is not None:
        status, reason = Status.FAIL, f"not even {broke.users:,} users hold ({bounds}): {'; '.join(broke.reasons)}"
    elif held is not None and not any(s.status is Status.INCONCLUSIVE for s in steps):
        status, reason = Status.INCONCLUSIVE, f"holds {held.users:,} users, the most tried ({bounds}); {stopped}"
    else:
        last = steps[-1] if steps else None
        why = "; ".join(last.reasons) if last else "no step ran"
        status = Status.INCONCLUSIVE
        reason = (
            f"holds {held.users:,} users; above that the load generator, not the app, was measured: {why}"
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
        stopped_because=stopped,
        elapsed_s=round(elapsed, 1),
    )
