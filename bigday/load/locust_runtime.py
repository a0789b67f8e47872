"""Locust glue: options, plan hand-over to workers, phase broadcasts, raw samples, CPU sampling, results.

Imported only inside Locust processes (the locustfiles), never by bigday's own CLI or tests: importing
Locust monkey-patches the interpreter with gevent.

A locustfile calls :func:`install`; at Locust's init event :func:`attach` gives the environment its
:class:`~bigday.load.runtime_state.RunState` and the listeners that fill it.  Every request event lands in
that state's :class:`SampleBook` keyed by tenant, user kind, endpoint and phase (taken from the request
context).  Workers drain their book into each regular report to the master; the master (or the single local
process) owns the phases, the users/rps timeline and the final results.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Literal

import gevent
import locust
import psutil
from locust import argument_parser as locust_arguments
from locust import events
from locust.env import Environment
from locust.event import EventHook
from locust.exception import CatchResponseError
from locust.runners import STATE_MISSING, LocalRunner, MasterRunner, Runner, WorkerRunner

from bigday.errors import EXIT_RUN_FAILED, EXIT_USAGE, BigdayError, ConfigError, RunError
from bigday.load.adjudicator import adjudicate
from bigday.load.dispatch import VICTIM_CLASS, VictimPinnedDispatcher, lower_priority_once, raise_priority_once
from bigday.load.plan import LoadPlan, PlanOverrides, build_plan, check_secrets, phase_at, with_locust_options
from bigday.load.results import RunRecord, write_results
from bigday.load.runtime_state import RunState, attach_run_state, has_run_state, run_state
from bigday.load.safety import check_host_allowed
from bigday.load.samples import SampleBook, TimelineBook
from bigday.load.stats import PhaseSpan
from bigday.load.users import set_user_counts
from bigday.runfolder import LoadStatus, RunFolder, SampleStream, write_load_status
from bigday.settings import children, limits, resolve
from bigday.settings.scenario import load_scenario

log = logging.getLogger("bigday.load")
PHASE_MESSAGE = "bigday_phase"
ABORT_MESSAGE = "bigday_abort"
CPU_INTERVAL_S = 1.0
LAG_TICK_S = 0.05  # the event-loop lag probe's timer (see _cpu_sampler)
WORKER_WATCH_S = 1.0  # how often the master looks for workers it has lost
TIMELINE_INTERVAL_S = 1.0
PHASE_POLL_S = 0.2
# Workers report every 3 s; in web-UI runs results are written this long after a stop so the last reports land.
UI_FINALISE_DELAY_S = 4.5
PREPARE_AFTER_S = 0.5
HOLD_POLL_S = 0.05
# The longest the warm-up waits for the photos (a worker reports every 3 s; a busy machine builds them slowly).
MAX_HOLD_S = 60.0


def _listen(hook: EventHook, handler: Callable[..., None]) -> None:
    hook.add_listener(handler)  # type: ignore[no-untyped-call]


def _fail(environment: Environment, error: BigdayError, exit_code: int, end: Literal["now", "quit", "later"]) -> None:
    """bigday's error contract inside Locust, as in its own CLI: one line on stderr, no traceback, an exit code.

    ``bigday load`` reads the line back from Locust's log.  ``end`` says how the process stops: ``now`` during
    init, before Locust would go on to start the test; ``quit`` asks a started Locust to shut down (workers and
    web UI included); ``later`` leaves the exit code for whenever Locust shuts down.
    """
    sys.stderr.write(f"bigday: error: {error}\n")
    sys.stderr.flush()
    environment.process_exit_code = exit_code
    if end == "now":
        os._exit(exit_code)
    if end == "quit" and environment.runner is not None:
        gevent.spawn(environment.runner.quit)


# ---------------------------------------------------------------- options


def _add_arguments(kind: str, parser: Any) -> None:
    if parser.get_default("bigday_kind"):
        return  # a second bigday locustfile in the same run: the first one's options and kind stand
    # Not a command-line option: the locustfile's kind rides on the parsed options to init and to every worker.
    parser.set_defaults(bigday_kind=kind)
    g = parser  # Locust's web-UI flags (include_in_web_ui) only work on the top-level parser, not on groups
    g.add_argument(
        "--scenario",
        default=resolve.scenario_path(None),
        include_in_web_ui=False,
        help="scenario YAML (default: $BIGDAY_SCENARIO or scenarios/wedsync.yaml)",
    )
    g.add_argument(
        "--bigday-plan",
        default=None,
        include_in_web_ui=False,
        help="a resolved plan.json written by `bigday load` (overrides --scenario)",
    )
    g.add_argument(
        "--bigday-out",
        default=None,
        include_in_web_ui=False,
        help="run folder for the results (default: a new folder under $BIGDAY_RESULTS_DIR or results/)",
    )
    g.add_argument(
        "--peak-users",
        type=int,
        default=None,
        include_in_web_ui=False,
        help="scale the Saturday stages so their peak is this many users",
    )
    g.add_argument(
        "--time-scale",
        type=float,
        default=None,
        include_in_web_ui=False,
        help="multiply every stage duration by this factor",
    )
    g.add_argument(
        "--phase", default=None, include_in_web_ui=False, help="isolation check: length of each phase, e.g. 20s"
    )
    g.add_argument(
        "--keep-samples",
        action="store_true",
        default=False,
        include_in_web_ui=False,
        help="also stream every raw sample to the run folder (one gzipped CSV per process)",
    )
    g.add_argument(
        "--arrival-rate",
        default=None,
        include_in_web_ui=False,
        help="an open model: the journeys' tasks a second at the peak (e.g. 500/s), spread over the users, each "
        "task's first request timed from when it was due; default: the closed model (think times)",
    )
    g.add_argument(
        "--i-have-permission",
        action="store_true",
        default=False,
        include_in_web_ui=False,
        help="confirm that you may send load to a non-loopback host from the scenario's allow_hosts",
    )


def _resolve_plan(opts: Any, kind: str) -> LoadPlan:
    if opts.bigday_plan:
        plan = LoadPlan.read(opts.bigday_plan)
    else:
        scenario = load_scenario(opts.scenario or None)
        overrides = PlanOverrides(peak_users=opts.peak_users, time_scale=opts.time_scale, phase=opts.phase)
        plan = build_plan(scenario, kind, overrides)
    # Locust's own -u/-r/-t: honoured on the Saturday shape, refused by the isolation check (bigday load never
    # passes them: its plan already holds the user counts and durations).
    run_time = getattr(opts, "run_time", None)
    plan = with_locust_options(
        plan, getattr(opts, "num_users", None), getattr(opts, "spawn_rate", None), float(run_time) if run_time else None
    )
    check_secrets(plan)
    if getattr(opts, "arrival_rate", None) and plan.kind == "isolation":
        raise ConfigError("--arrival-rate: the isolation check paces its own users; give it to the Saturday spike")
    return plan


def arrival_rate_option(environment: Environment) -> float | None:
    """``--arrival-rate`` as tasks a second (None: the closed model); ConfigError names a bad value."""
    text = getattr(environment.parsed_options, "arrival_rate", None)
    if not text:
        return None
    try:
        return limits.arrival_rate_text(str(text))
    except ValueError as e:
        raise ConfigError(f"--arrival-rate: {e}") from None


def _use_plan(environment: Environment, state: RunState, plan: LoadPlan) -> None:
    state.use_plan(plan)
    state.user_settings().arrival_rate = arrival_rate_option(environment)


def _permitted(environment: Environment) -> bool:
    return bool(environment.parsed_options and environment.parsed_options.i_have_permission)


# ---------------------------------------------------------------- installation


_INSTALLED: list[str] = []


def install(kind: str) -> None:
    """Hook a rehearsal kind ("saturday" or "isolation") into Locust's events; call once per locustfile."""
    # Locust forks its --processes workers after reading the locustfile: each dies with its master, as the
    # master dies with bigday (launcher.py), so a killed `bigday load` leaves no worker running.
    if not _INSTALLED:
        children.die_with_parent_after_fork()
        _remember_default_arguments()
        _INSTALLED.append(kind)
    _listen(events.init_command_line_parser, partial(_add_arguments, kind))
    _listen(events.init, _on_init)


def _remember_default_arguments() -> None:
    """Build Locust's default arguments once per process, not once per option of every spawn message.

    A worker handling a spawn message asks ``argument_parser.default_args_dict()`` for each of the master's
    parsed options, and each call builds and runs Locust's whole argument parser: ~80 parsers per message,
    which held every worker's event loop for 0.1-1 s at every change of the user count (seen with gevent's
    blocking monitor). The victim's requests in flight then read that much slower beside every spike's start
    and end. The defaults depend on nothing but Locust's own code, so one copy serves every call."""
    original = locust_arguments.default_args_dict
    if getattr(original, "bigday_remembered", False):
        return
    remembered: dict[str, Any] = {}

    def default_args_dict() -> dict[str, Any]:
        if not remembered:
            remembered.update(original())
        return dict(remembered)

    default_args_dict.bigday_remembered = True  # type: ignore[attr-defined]
    locust_arguments.default_args_dict = default_args_dict


def _on_init(environment: Environment, **_: Any) -> None:
    if has_run_state(environment):
        return  # a second bigday locustfile in the same run installed this listener too
    opts = environment.parsed_options
    kind = str(getattr(opts, "bigday_kind", ""))
    if isinstance(environment.runner, WorkerRunner):
        attach(environment, kind)  # its plan comes from the master with the first spawn message
        if getattr(opts, "bigday_plan_json", None):
            # A worker that joined a running test: the master answered its hello with a spawn message at once,
            # whose options and test start came before this init, so the test-start listener missed them and
            # its users would start with no plan. Catch up now, before its spawning greenlet runs.
            _on_test_start(environment)
        return
    try:
        plan = _resolve_plan(opts, kind)
        if environment.host:
            check_host_allowed(environment.host, plan.allow_hosts, _permitted(environment))
        arrival_rate_option(environment)
    except BigdayError as e:
        _fail(environment, e, EXIT_USAGE, end="now")
        return
    attach(environment, kind, plan)
    if opts is not None:
        # Custom attributes of parsed_options travel to every worker with each spawn message.
        opts.bigday_plan_json = plan.dumps()


def attach(environment: Environment, kind: str, plan: LoadPlan | None = None) -> RunState:
    """Give one Locust environment bigday's runtime: a fresh run state and the listeners that fill it.

    Locustfiles get this through :func:`install`; a test can call it on an Environment it built.  ``plan`` is
    for the master or a single local process, which dispatch the users; a worker gets its plan at test start.
    """
    state = attach_run_state(environment, RunState(kind))
    state.on_abort = partial(_abort, environment)
    ev = environment.events
    _listen(ev.test_start, _on_test_start)
    _listen(ev.test_stop, _on_test_stop)
    # These events do not name their environment, so each listener is bound to its own.
    _listen(ev.request, partial(_on_request, state))
    _listen(ev.report_to_master, partial(_on_report_to_master, state))
    _listen(ev.worker_report, partial(_on_worker_report, state))
    _listen(ev.quit, partial(_on_quit, environment))
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(PHASE_MESSAGE, _on_phase_message)
    elif isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(ABORT_MESSAGE, _on_abort_message)
    if plan is not None:
        _use_plan(environment, state, plan)
        if plan.kind == "isolation":
            environment.dispatcher_class = VictimPinnedDispatcher
        set_user_counts(environment, plan)
    return state


# ---------------------------------------------------------------- listeners


def _on_phase_message(environment: Environment, msg: Any, **_: Any) -> None:
    run_state(environment).phase = str(msg.data["phase"])


def _abort(environment: Environment, reason: str) -> None:
    """End the run with one line and exit 3, without results: a worker asks its master to."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.send_message(ABORT_MESSAGE, {"reason": reason})
        return
    state = run_state(environment)
    state.finalised = True  # nothing to judge: the users could not do what the scenario asks
    _fail(environment, RunError(reason), EXIT_RUN_FAILED, end="quit")


def _on_abort_message(environment: Environment, msg: Any, **_: Any) -> None:
    run_state(environment).abort(str(msg.data["reason"]))


def _set_phase(environment: Environment, state: RunState, name: str, now: float) -> None:
    if name == state.phase and state.phases:
        return
    if state.phases:
        last = state.phases[-1]
        state.phases[-1] = PhaseSpan(last.name, last.start, now)
    state.phases.append(PhaseSpan(name, now, now))
    state.phase = name
    if isinstance(environment.runner, MasterRunner):
        environment.runner.send_message(PHASE_MESSAGE, {"phase": name})


def _on_test_start(environment: Environment, **_: Any) -> None:
    state = run_state(environment)
    runner = environment.runner
    # Each process its own reservoir draws (seeded by its name: a rerun draws alike).
    worker = isinstance(runner, WorkerRunner)
    state.book = SampleBook(seed=zlib.crc32(str(getattr(runner, "client_id", "local")).encode()), worker=worker)
    state.timeline_book = TimelineBook(worker=worker)
    _close_stream(state)
    state.cpu = []
    state.workers_seen = set()
    state.worker_requests, state.worker_last_report, state.lost_workers = Counter(), {}, {}
    state.joined_workers = {}
    state.victim_in_flight.clear()
    state.progress, state.looks, state.decided = {}, [], False
    state.held_s, state.prepared, state.clock_stop = 0.0, False, None
    if isinstance(runner, WorkerRunner):
        raw = getattr(environment.parsed_options, "bigday_plan_json", None)
        if raw:
            _use_plan(environment, state, LoadPlan.from_json(json.loads(raw)))
            state.photos.use_sizes(state.require_plan().photo_sizes_kb)
        _kill_greenlets(state)  # a worker is reused for every test a web-UI master starts
        _open_stream(environment, state, runner.client_id, time.time())
        state.greenlets = [gevent.spawn(_cpu_sampler, state, runner.client_id, runner)]
        if state.plan is not None and state.plan.kind == "isolation":
            state.greenlets.append(gevent.spawn(_ready_aggressor_process, runner, state))
        else:
            state.prepared = True
        return
    plan = state.require_plan()
    try:
        check_host_allowed(environment.host or "", plan.allow_hosts, _permitted(environment))
    except BigdayError as e:
        _fail(environment, e, EXIT_USAGE, end="quit")
        return
    state.t0 = time.time()
    if not isinstance(runner, MasterRunner):
        state.photos.use_sizes(plan.photo_sizes_kb)
        _open_stream(environment, state, None, state.t0)
    state.phases = []
    state.timeline = []
    state.running = True
    state.finalised = False
    state.stop_reason = "shape complete"
    _set_phase(environment, state, plan.stages[0].name, state.t0)
    node = "master" if isinstance(runner, MasterRunner) else "local"
    state.greenlets = [
        gevent.spawn(_cpu_sampler, state, node, None if isinstance(runner, MasterRunner) else runner),
        gevent.spawn(_phase_keeper, environment),
        gevent.spawn(_timeline_sampler, environment, state),
        gevent.spawn(_hard_limit, environment, state, plan.max_duration_s),
    ]
    if isinstance(runner, MasterRunner):
        state.greenlets.append(gevent.spawn(_watch_workers, runner, state))
    if plan.isolation is not None:
        state.greenlets.append(gevent.spawn(_hold_warmup, environment, state))
        if not isinstance(runner, MasterRunner):
            state.greenlets.append(gevent.spawn(_ready_aggressor_process, runner, state))
    if plan.isolation is not None and plan.isolation.adaptive:
        state.greenlets.append(gevent.spawn(adjudicate, environment))


def _on_request(
    state: RunState,
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    context: dict[str, Any] | None = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    ctx = context or {}
    error = None if exception is None else _error_kind(response, exception)
    tenant, kind, phase = ctx.get("tenant", "-"), ctx.get("user_kind", "-"), ctx.get("phase", state.phase)
    start, rt = start_time or time.time(), response_time or 0.0
    intended = ctx.get("intended_start")
    if intended is not None and start > intended:
        # An open model's task started late (the user was held up): its wait is part of its latency.
        rt += (start - intended) * 1000.0
        start = intended
    state.book.record_request(tenant, kind, request_type, name, phase, start, rt, error)
    state.timeline_book.record(tenant, start, rt, error is not None)
    if state.stream is not None:
        state.stream.write((tenant, kind, f"{request_type} {name}", phase), start, rt, error is None)
    if state.users is not None and tenant == state.users.victim:
        state.victim_request_recorded(phase)


def _error_kind(response: Any, exception: BaseException) -> str:
    status = getattr(response, "status_code", 0) or 0
    if status >= 400:
        return f"HTTP {status}"
    if isinstance(exception, CatchResponseError):
        return str(exception)[:80] or "rejected response"
    return type(exception).__name__


def _on_report_to_master(state: RunState, client_id: str, data: dict[str, Any], **_: Any) -> None:
    data["bigday_samples"] = state.book.drain()
    data["bigday_timeline"] = state.timeline_book.drain()
    data["bigday_cpu"], state.cpu = state.cpu, []
    data["bigday_progress"] = state.progress_report()


def _on_worker_report(state: RunState, client_id: str, data: dict[str, Any], **_: Any) -> None:
    state.workers_seen.add(client_id)
    rows = data.get("bigday_samples") or []
    # Every report counts, the final ones after the test's stop included: they carry its last requests.
    state.worker_requests[client_id] += sum(int(row[4]) for row in rows)
    state.worker_last_report[client_id] = time.time()
    state.book.merge(rows)
    state.timeline_book.merge(data.get("bigday_timeline") or [])
    state.cpu.extend(data.get("bigday_cpu") or [])
    if isinstance(data.get("bigday_progress"), dict):
        state.progress[client_id] = data["bigday_progress"]


def _on_test_stop(environment: Environment, **_: Any) -> None:
    state = run_state(environment)
    if isinstance(environment.runner, WorkerRunner) or not state.running:
        _close_stream(state)
        return
    _close_run(state)
    if not (environment.parsed_options and environment.parsed_options.headless):
        gevent.spawn_later(UI_FINALISE_DELAY_S, _finalise, environment, state)


def _on_quit(environment: Environment, exit_code: int, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        _close_stream(run_state(environment))
        return
    state = run_state(environment)
    if state.running:
        _close_run(state)
    _finalise(environment, state)


def _open_stream(environment: Environment, state: RunState, part: str | None, t0: float) -> None:
    """--keep-samples: this process's raw samples go to its own file as they come (a worker's times count from
    its own start of the test, within a fraction of a second of the master's)."""
    opts = environment.parsed_options
    out = getattr(opts, "bigday_out", None)
    # Locust sends the master's parsed options to every worker with the test's start: the flag reaches them too.
    if not getattr(opts, "keep_samples", False) or not out:
        return
    try:
        state.stream = SampleStream(RunFolder(Path(out)), part, t0)
    except OSError as e:
        _fail(environment, RunError(f"cannot keep the raw samples in {out}: {e}"), EXIT_RUN_FAILED, end="quit")


def _close_stream(state: RunState) -> None:
    stream, state.stream = state.stream, None
    if stream is not None:
        try:
            stream.close()
        except OSError as e:
            log.error("bigday: the raw samples could not be kept: %s", e)


def _close_run(state: RunState) -> None:
    now = time.time()
    _close_stream(state)
    state.running = False
    if state.phases:
        last = state.phases[-1]
        state.phases[-1] = PhaseSpan(last.name, last.start, now)
    _kill_greenlets(state)


def _kill_greenlets(state: RunState) -> None:
    for g in state.greenlets:
        if g is not gevent.getcurrent():
            g.kill(block=False)
    state.greenlets = []


# ---------------------------------------------------------------- greenlets


def _cpu_sampler(state: RunState, node: str, runner: Runner | None = None) -> None:
    """This process's CPU each second, and its event loop's lag: the longest a 50 ms timer overslept in that
    second. A starved generator's lag lands in every timing it takes, as if the app had been slower."""
    proc = psutil.Process()
    proc.cpu_percent(None)
    ticks = max(1, round(CPU_INTERVAL_S / LAG_TICK_S))
    while True:
        worst = 0.0
        for _ in range(ticks):
            before = time.perf_counter()
            gevent.sleep(LAG_TICK_S)
            worst = max(worst, time.perf_counter() - before - LAG_TICK_S)
        victims = bool(runner.user_classes_count.get(VICTIM_CLASS)) if runner is not None else False
        state.cpu.append(
            {
                "node": node,
                "t": round(time.time(), 3),
                "cpu": proc.cpu_percent(None),
                "lag_ms": round(worst * 1000, 2),
                "victims": victims,
                "rss_mb": round(proc.memory_info().rss / 1e6, 1),
            }
        )


def _watch_workers(runner: MasterRunner, state: RunState) -> None:
    """Note each worker that joins after the start (Locust moves some users to it), and each the master loses
    during the run: Locust declares one missing after three seconds without a heartbeat (a crash, a SIGKILL,
    an out-of-memory kill) and hands on without its users. What it reported before is kept; what its users
    did after its last report is gone, and the verdicts say so."""
    known = {w.id for w in runner.clients.values()}  # there when the run started
    while True:
        gevent.sleep(WORKER_WATCH_S)
        present = set()
        for w in list(runner.clients.values()):
            present.add(w.id)
            if w.id not in known:
                known.add(w.id)
                state.joined_workers[w.id] = time.time()
                log.warning("bigday: worker %s joined %.1fs into the run", w.id, state.elapsed())
            if w.state == STATE_MISSING and w.id not in state.lost_workers:
                state.lost_workers[w.id] = time.time()
                log.warning("bigday: worker %s was lost %.1fs into the run (no heartbeat)", w.id, state.elapsed())
            elif w.state != STATE_MISSING and w.id in state.lost_workers:
                # Heartbeats again (a stall, not a death): its reports carry on, so nothing of it is missing.
                del state.lost_workers[w.id]
                log.warning("bigday: worker %s is back %.1fs into the run", w.id, state.elapsed())
        for gone in state.workers_seen - present - set(state.lost_workers):
            state.lost_workers[gone] = time.time()  # removed by Locust before a look saw it missing


def _ready_aggressor_process(runner: WorkerRunner | LocalRunner, state: RunState) -> None:
    """Where aggressors will run, lower the priority and build the photos during warm-up.

    Built at the first upload, the photos cost an aggressor process a second or more of a core just as the
    first spike begins: on a small machine that lands on the victim's clock and the app's CPU, inside a window
    the verdict judges. A worker the victims are pinned to runs no aggressor and builds nothing."""
    gevent.sleep(PREPARE_AFTER_S)  # the warm-up's spawn message has arrived by now
    if isinstance(runner, WorkerRunner):
        if runner.user_classes_count.get(VICTIM_CLASS):
            raise_priority_once(state)
            state.prepared = True
            return
        lower_priority_once(state)
    state.photos.pool()
    state.prepared = True


def _workers_prepared(environment: Environment, state: RunState) -> bool:
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return state.prepared
    reports = [state.progress.get(w.id) for w in runner.clients.values() if w.state != STATE_MISSING]
    return all(r is not None and r.get("prepared") for r in reports)


def _hold_warmup(environment: Environment, state: RunState) -> None:
    """Keep the isolation check in its warm-up until every process is ready (at most MAX_HOLD_S longer).

    The plan's clock stops just short of the warm-up's end until then (``RunState.clock_stop``), so it never
    passes into the first window and back: a late wake-up of this greenlet on a busy machine once did, and the
    run's phases read warm-up, alone, warm-up."""
    warmup = state.require_plan().stages[0].duration_s
    hold_at = max(0.0, warmup - HOLD_POLL_S * 2)
    deadline = time.time() + warmup + MAX_HOLD_S
    state.clock_stop = hold_at
    try:
        while time.time() < deadline:
            if state.elapsed() >= hold_at and _workers_prepared(environment, state):
                return
            gevent.sleep(HOLD_POLL_S)
        log.warning("bigday: the load generator was not ready after %gs of warm-up; starting anyway", MAX_HOLD_S)
    finally:
        state.resume_clock()


def sync_phase(environment: Environment, t: float | None = None) -> None:
    """Bring the phase up to the clock (or to ``t`` s into the run); shapes call this before changing users,
    so no request started by a new stage's users is tagged with the previous phase."""
    state = run_state(environment)
    if state.running:
        t = state.elapsed() if t is None else t
        _set_phase(environment, state, phase_at(state.require_plan().stages, t), state.t0 + state.held_s + t)


def _phase_keeper(environment: Environment) -> None:
    # Phases follow the clock, not only the shape's tick: Locust blocks tick() while a ramp is being spawned.
    while True:
        gevent.sleep(PHASE_POLL_S)
        sync_phase(environment)


def _timeline_sampler(environment: Environment, state: RunState) -> None:
    runner = environment.runner
    assert runner is not None
    while True:
        gevent.sleep(TIMELINE_INTERVAL_S)
        total = runner.stats.total
        point = {
            "t": round(time.time() - state.t0, 1),
            "users": runner.user_count,
            "rps": round(total.current_rps, 1),
            "fail_rps": round(total.current_fail_per_sec, 1),
            "phase": state.phase,
        }
        state.timeline.append(point)
        _write_status(environment, state, point, total)


def _write_status(environment: Environment, state: RunState, point: dict[str, Any], total: Any) -> None:
    """Progress for the bigday command that started this Locust (it reads the file; nothing waits on it)."""
    out = getattr(environment.parsed_options, "bigday_out", None)
    if not out or state.plan is None:
        return
    p95 = total.get_current_response_time_percentile(0.95) if total.num_requests else None
    status = LoadStatus(
        t=point["t"],
        planned_s=state.plan.total_duration_s,
        phase=str(point["phase"]),
        users=int(point["users"]),
        peak_users=state.plan.peak_users,
        rps=float(point["rps"]),
        fail_rps=float(point["fail_rps"]),
        p95_ms=float(p95) if p95 is not None else None,
        requests=int(total.num_requests),
        failures=int(total.num_failures),
    )
    try:
        write_load_status(RunFolder(Path(out)), status)
    except OSError as e:  # progress only: a full disk shows up in the results write, with its own error
        log.warning("bigday: cannot write the load status: %s", e)


def _hard_limit(environment: Environment, state: RunState, seconds: float) -> None:
    gevent.sleep(seconds)
    log.error("bigday: the run reached its hard time limit of %gs (load.max_duration / --run-time); stopping", seconds)
    state.stop_reason = f"hard time limit {seconds:g}s"
    if environment.runner is not None:
        environment.runner.quit()


# ---------------------------------------------------------------- results


def _photo_pool_bytes(environment: Environment, state: RunState) -> dict[str, int]:
    """Each process's photo pool, as it last reported it."""
    if not isinstance(environment.runner, MasterRunner):
        return {"local": state.photos.built_bytes}
    return {w: int(r.get("photo_pool_bytes") or 0) for w, r in state.progress.items()}


def _finalise(environment: Environment, state: RunState) -> None:
    if state.finalised or state.plan is None:
        return
    state.finalised = True
    out = getattr(environment.parsed_options, "bigday_out", None)
    try:
        folder = RunFolder(Path(out)) if out else RunFolder.create("load")
        folder.path.mkdir(parents=True, exist_ok=True)
        # Counted from reports, not runner.clients: by the time results are written the workers have quit.
        processes = max(1, len(state.workers_seen))
        end = state.phases[-1].end if state.phases else time.time()
        rec = RunRecord(
            host=environment.host or "",
            started_at=state.t0,
            finished_at=end,
            phases=tuple(state.phases),
            timeline=tuple(state.timeline),
            # Workers keep sampling while idle between tests; only the run itself counts towards saturation.
            cpu_samples=tuple(c for c in state.cpu if state.t0 <= c["t"] <= end + 1.0),
            locust_version=locust.__version__,
            processes=processes,
            stop_reason=state.stop_reason,
            looks=tuple(state.looks),
            timeline_book=state.timeline_book,
            photo_pool_bytes=_photo_pool_bytes(environment, state),
            worker_requests=dict(state.worker_requests),
            worker_last_report=dict(state.worker_last_report),
            lost_workers=dict(state.lost_workers),
            joined_workers=dict(state.joined_workers),
        )
        stats = write_results(folder, state.plan, state.book, rec)
    except BigdayError as e:
        _fail(environment, e, EXIT_RUN_FAILED, end="later")
        return
    for v in stats.verdicts:
        trust = "" if v.trustworthy else " (untrustworthy: " + "; ".join(v.caveats) + ")"
        log.warning(
            "bigday: %s verdict %s%s%s",
            v.name,
            v.status.upper(),
            trust,
            "".join(f"\n  - {r}" for r in v.reasons),
        )
    log.warning("bigday: results in %s", folder.path)
