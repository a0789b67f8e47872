"""Locust glue: options, plan hand-over to workers, phase broadcasts, raw samples, CPU sampling, results.

Imported only inside Locust processes (the locustfiles), never by bigday's own CLI or tests: importing
Locust monkey-patches the interpreter with gevent.

Per process: every request event lands in a :class:`SampleBook` keyed by tenant, user kind, endpoint and
phase (taken from the request context).  Workers drain their book into each regular report to the master;
the master (or the single local process) owns the phases, the users/rps timeline and the final results.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import locust
import psutil
from locust import events
from locust.env import Environment
from locust.exception import CatchResponseError
from locust.runners import MasterRunner, WorkerRunner

from bigday.errors import BigdayError
from bigday.load.plan import LoadPlan, PlanOverrides, build_plan, phase_at
from bigday.load.results import RunRecord, write_results
from bigday.load.safety import check_host_allowed
from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan
from bigday.runfolder import RunFolder
from bigday.settings.scenario import load_scenario

log = logging.getLogger("bigday.load")
PHASE_MESSAGE = "bigday_phase"
CPU_INTERVAL_S = 1.0
TIMELINE_INTERVAL_S = 1.0
PHASE_POLL_S = 0.2
# Workers report every 3 s; in web-UI runs results are written this long after a stop so the last reports land.
UI_FINALISE_DELAY_S = 4.5


@dataclass
class RuntimeState:
    """Mutable per-process state of one rehearsal (module singleton: Locust has one environment per process)."""

    kind: str = ""
    plan: LoadPlan | None = None
    environment: Environment | None = None
    book: SampleBook = field(default_factory=SampleBook)
    phase: str = "init"
    phase_started: float = 0.0
    phases: list[PhaseSpan] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    cpu: list[dict[str, Any]] = field(default_factory=list)
    workers_seen: set[str] = field(default_factory=set)
    t0: float = 0.0
    running: bool = False
    finalised: bool = True
    stop_reason: str = "shape complete"
    greenlets: list[gevent.Greenlet] = field(default_factory=list)


STATE = RuntimeState()


def current_phase() -> str:
    return STATE.phase


def elapsed() -> float:
    """Seconds since this run's test_start: the one clock that shapes, phases and the timeline share."""
    return time.time() - STATE.t0 if STATE.running else 0.0


def current_plan() -> LoadPlan:
    if STATE.plan is None:
        raise RuntimeError("bigday load plan not received yet")
    return STATE.plan


def _fail(message: str) -> None:
    # One line, no traceback, exit 2: the same contract as bigday's own CLI.
    sys.stderr.write(f"bigday: error: {message}\n")
    sys.stderr.flush()
    os._exit(2)


def _users() -> Any:
    # Imported late: the user classes read this module's state, so this module cannot import them first.
    from bigday.load import users

    return users


# ---------------------------------------------------------------- options


def _add_arguments(parser: Any) -> None:
    g = parser  # Locust's web-UI flags (include_in_web_ui) only work on the top-level parser, not on groups
    g.add_argument(
        "--scenario",
        default=os.environ.get("BIGDAY_SCENARIO"),
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
        "--i-have-permission",
        action="store_true",
        default=False,
        include_in_web_ui=False,
        help="confirm that you may send load to a non-loopback host from the scenario's allow_hosts",
    )


def _resolve_plan(opts: Any) -> LoadPlan:
    if opts.bigday_plan:
        return LoadPlan.read(opts.bigday_plan)
    scenario = load_scenario(opts.scenario or None)
    overrides = PlanOverrides(peak_users=opts.peak_users, time_scale=opts.time_scale, phase=opts.phase)
    return build_plan(scenario, STATE.kind, overrides)


# ---------------------------------------------------------------- listeners


def _on_init(environment: Environment, **_: Any) -> None:
    STATE.environment = environment
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message(PHASE_MESSAGE, _on_phase_message)
        return
    opts = environment.parsed_options
    try:
        plan = _resolve_plan(opts)
        if environment.host:
            check_host_allowed(environment.host, plan.allow_hosts, bool(opts and opts.i_have_permission))
    except BigdayError as e:
        _fail(str(e))
        return
    STATE.plan = plan
    if plan.kind == "isolation":
        from bigday.load.dispatch import VictimPinnedDispatcher

        environment.dispatcher_class = VictimPinnedDispatcher
    if opts is not None:
        # Custom attributes of parsed_options travel to every worker with each spawn message.
        opts.bigday_plan_json = plan.dumps()
    _users().configure_user_classes(environment, plan)


def _on_phase_message(environment: Environment, msg: Any, **_: Any) -> None:
    STATE.phase = str(msg.data["phase"])


def _set_phase(name: str, now: float) -> None:
    if name == STATE.phase and STATE.phases:
        return
    if STATE.phases:
        last = STATE.phases[-1]
        STATE.phases[-1] = PhaseSpan(last.name, last.start, now)
    STATE.phases.append(PhaseSpan(name, now, now))
    STATE.phase = name
    runner = STATE.environment.runner if STATE.environment else None
    if isinstance(runner, MasterRunner):
        runner.send_message(PHASE_MESSAGE, {"phase": name})


def _on_test_start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    STATE.book = SampleBook()
    STATE.cpu = []
    STATE.workers_seen = set()
    if isinstance(runner, WorkerRunner):
        raw = getattr(environment.parsed_options, "bigday_plan_json", None)
        if raw:
            STATE.plan = LoadPlan.from_json(json.loads(raw))
            _users().configure_user_classes(environment, STATE.plan)
            _users().prepare_process(STATE.plan)
        _kill_greenlets()  # a worker is reused for every test a web-UI master starts
        STATE.greenlets = [gevent.spawn(_cpu_sampler, runner.client_id)]
        return
    plan = current_plan()
    try:
        check_host_allowed(
            environment.host or "",
            plan.allow_hosts,
            bool(environment.parsed_options and environment.parsed_options.i_have_permission),
        )
    except BigdayError as e:
        log.error("bigday: error: %s", e)
        environment.process_exit_code = 2
        if runner is not None:
            gevent.spawn(runner.quit)
        return
    if not isinstance(runner, MasterRunner):
        _users().prepare_process(plan)
    STATE.t0 = time.time()
    STATE.phases = []
    STATE.timeline = []
    STATE.running = True
    STATE.finalised = False
    STATE.stop_reason = "shape complete"
    _set_phase(plan.stages[0].name, STATE.t0)
    node = "master" if isinstance(runner, MasterRunner) else "local"
    STATE.greenlets = [
        gevent.spawn(_cpu_sampler, node),
        gevent.spawn(_phase_keeper, plan),
        gevent.spawn(_timeline_sampler),
        gevent.spawn(_hard_limit, plan.max_duration_s),
    ]


def _on_request(
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
    STATE.book.record_request(
        ctx.get("tenant", "-"),
        ctx.get("user_kind", "-"),
        request_type,
        name,
        ctx.get("phase", STATE.phase),
        start_time or time.time(),
        response_time or 0.0,
        error,
    )


def _error_kind(response: Any, exception: BaseException) -> str:
    status = getattr(response, "status_code", 0) or 0
    if status >= 400:
        return f"HTTP {status}"
    if isinstance(exception, CatchResponseError):
        return str(exception)[:80] or "rejected response"
    return type(exception).__name__


def _on_report_to_master(client_id: str, data: dict[str, Any]) -> None:
    data["bigday_samples"] = STATE.book.drain()
    data["bigday_cpu"], STATE.cpu = STATE.cpu, []


def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
    STATE.workers_seen.add(client_id)
    STATE.book.merge(data.get("bigday_samples") or [])
    STATE.cpu.extend(data.get("bigday_cpu") or [])


def _on_test_stop(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or not STATE.running:
        return
    _close_run()
    if not (environment.parsed_options and environment.parsed_options.headless):
        gevent.spawn_later(UI_FINALISE_DELAY_S, _finalise)


def _on_quit(exit_code: int, **_: Any) -> None:
    env = STATE.environment
    if env is None or isinstance(env.runner, WorkerRunner):
        return
    if STATE.running:
        _close_run()
    _finalise()


def _close_run() -> None:
    now = time.time()
    STATE.running = False
    if STATE.phases:
        last = STATE.phases[-1]
        STATE.phases[-1] = PhaseSpan(last.name, last.start, now)
    _kill_greenlets()


def _kill_greenlets() -> None:
    for g in STATE.greenlets:
        if g is not gevent.getcurrent():
            g.kill(block=False)
    STATE.greenlets = []


# ---------------------------------------------------------------- greenlets


def _cpu_sampler(node: str) -> None:
    proc = psutil.Process()
    proc.cpu_percent(None)
    while True:
        gevent.sleep(CPU_INTERVAL_S)
        STATE.cpu.append({"node": node, "t": round(time.time(), 3), "cpu": proc.cpu_percent(None)})


def sync_phase(plan: LoadPlan, t: float | None = None) -> None:
    """Bring the phase up to the clock (or to ``t`` s into the run); shapes call this before changing users,
    so no request started by a new stage's users is tagged with the previous phase."""
    if STATE.running:
        t = elapsed() if t is None else t
        _set_phase(phase_at(plan.stages, t), STATE.t0 + t)


def _phase_keeper(plan: LoadPlan) -> None:
    # Phases follow the clock, not only the shape's tick: Locust blocks tick() while a ramp is being spawned.
    while True:
        gevent.sleep(PHASE_POLL_S)
        sync_phase(plan)


def _timeline_sampler() -> None:
    env = STATE.environment
    assert env is not None and env.runner is not None
    while True:
        gevent.sleep(TIMELINE_INTERVAL_S)
        total = env.runner.stats.total
        STATE.timeline.append(
            {
                "t": round(time.time() - STATE.t0, 1),
                "users": env.runner.user_count,
                "rps": round(total.current_rps, 1),
                "fail_rps": round(total.current_fail_per_sec, 1),
                "phase": STATE.phase,
            }
        )


def _hard_limit(seconds: float) -> None:
    gevent.sleep(seconds)
    env = STATE.environment
    log.error("bigday: the run reached its hard time limit of %gs (load.max_duration / --run-time); stopping", seconds)
    STATE.stop_reason = f"hard time limit {seconds:g}s"
    if env is not None and env.runner is not None:
        env.runner.quit()


# ---------------------------------------------------------------- results


def _finalise() -> None:
    if STATE.finalised or STATE.plan is None or STATE.environment is None:
        return
    STATE.finalised = True
    env = STATE.environment
    opts = env.parsed_options
    out = getattr(opts, "bigday_out", None)
    try:
        folder = RunFolder(Path(out)) if out else RunFolder.create("load")
        folder.path.mkdir(parents=True, exist_ok=True)
        # Counted from reports, not runner.clients: by the time results are written the workers have quit.
        processes = max(1, len(STATE.workers_seen))
        end = STATE.phases[-1].end if STATE.phases else time.time()
        rec = RunRecord(
            host=env.host or "",
            started_at=STATE.t0,
            finished_at=end,
            phases=tuple(STATE.phases),
            timeline=tuple(STATE.timeline),
            # Workers keep sampling while idle between tests; only the run itself counts towards saturation.
            cpu_samples=tuple(c for c in STATE.cpu if STATE.t0 <= c["t"] <= end + 1.0),
            locust_version=locust.__version__,
            processes=processes,
            stop_reason=STATE.stop_reason,
        )
        stats = write_results(folder, STATE.plan, STATE.book, rec)
    except BigdayError as e:
        log.error("bigday: error: %s", e)
        env.process_exit_code = 3
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


# ---------------------------------------------------------------- installation


def install(kind: str) -> None:
    """Hook a rehearsal kind ("saturday" or "isolation") into Locust's events; call once per locustfile."""
    if STATE.kind:
        return
    STATE.kind = kind
    events.init_command_line_parser.add_listener(_add_arguments)
    events.init.add_listener(_on_init)
    events.test_start.add_listener(_on_test_start)
    events.test_stop.add_listener(_on_test_stop)
    events.request.add_listener(_on_request)
    events.report_to_master.add_listener(_on_report_to_master)
    events.worker_report.add_listener(_on_worker_report)
    events.quit.add_listener(_on_quit)
