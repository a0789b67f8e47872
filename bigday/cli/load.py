"""``bigday load``: rehearse the Saturday upload spike and judge tenant isolation."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from rich.text import Text

from bigday.cli.common import (
    Subparsers,
    add_scenario_options,
    add_verb,
    base_url_from_args,
    load_target,
    results_dir_from_args,
    scenario_from_args,
)
from bigday.cli.compare import add_strict_option
from bigday.errors import EXIT_OK, EXIT_RUN_FAILED, ConfigError
from bigday.load.capacity import CapacitySearch, check_capacity, search_capacity, write_search
from bigday.load.plan import PlanOverrides
from bigday.load.rehearsal import LoadOptions, check_rehearsal, run_rehearsal
from bigday.present.console import console, plain
from bigday.present.load import capacity_lines, show_load_result
from bigday.report.capacity import render_capacity_dashboard
from bigday.report.render import write_report
from bigday.runfolder import utc_now
from bigday.runfolder.verdicts import exit_code_of
from bigday.settings import limits, redact, resolve
from bigday.settings.scenario import Scenario

T = TypeVar("T")

REHEARSALS = ("saturday", "isolation", "capacity", "all")


def _checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a settings.limits check: its ValueError becomes argparse's one-line error."""

    def typed(text: str) -> T:
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    typed.__name__ = getattr(parse, "__name__", "value")
    return typed


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    return _checked(lambda text: limits.whole_text(text, low, high))


def bounded_float(low: float, high: float, above_low: bool = False) -> Callable[[str], float]:
    """A finite number in [low, high] (or (low, high] with ``above_low``)."""

    def parse(text: str) -> float:
        value = limits.number_text(text, low, high)
        if above_low and value == low:
            raise ValueError(f"expected a number above {low:g}, got {text!r}")
        return value

    return _checked(parse)


positive_int = bounded_int(1, limits.MAX_USERS)
positive_float = bounded_float(0.0, 1e6, above_low=True)
_port = bounded_int(1, 65535)
_rate = bounded_float(0.0, 1.0)
_rps = bounded_float(0.0, limits.MAX_RPS_PER_USER, above_low=True)
_tolerance = bounded_float(1.0, limits.MAX_TOLERANCE)
_processes = _checked(resolve.processes)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(limits.whole_text(x, 1, 1_000_000, "a photo size in KB") for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes in KB (1 to 1000000) like 2600,1800,600, got {text!r}"
        ) from None
    if not sizes:
        raise argparse.ArgumentTypeError(f"expected sizes in KB like 2600,1800,600, got {text!r}")
    return sizes


def _range(text: str) -> tuple[int, int]:
    parts = text.split(":")
    try:
        lo, hi = limits.whole_text(parts[0], 1, 1000), limits.whole_text(parts[-1], 1, 1000)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN:MAX like 2:5 (whole numbers 1 to 1000), got {text!r}") from None
    if lo > hi:
        raise argparse.ArgumentTypeError(f"expected MIN <= MAX, got {text!r}")
    return lo, hi


def add_scale_options(group: argparse._ArgumentGroup) -> None:
    """The flags that shorten or shrink a rehearsal, shared by ``bigday load`` and ``bigday run --load``."""
    group.add_argument("--peak-users", type=positive_int, metavar="N", help="scale the stages to this peak")
    group.add_argument(
        "--time-scale",
        type=positive_float,
        metavar="F",
        help="multiply stage durations by F; also the isolation phases, to no less than 6s each; with bigday run "
        "and F < 1, the probe's default runs per page become 3",
    )
    group.add_argument("--stages", metavar="SPEC", help="replace the stages: NAME:DURATION:USERS,...")


def add_phase_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--phase", metavar="DURATION", help="isolation: length of each window or phase (default: load.isolation.phase)"
    )


def rehearsals(scenario: Scenario) -> tuple[str, ...]:
    """The Saturday spike, and the isolation check when the scenario names a victim and an aggressor."""
    return ("saturday", "isolation") if scenario.load.isolation is not None else ("saturday",)


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "load",
        handle,
        description="Run Locust against the app (loopback, or an allow-listed host with --i-have-permission) "
        "and write per-tenant results and verdicts to a run folder.",
    )
    p.add_argument(
        "rehearsal",
        nargs="?",
        choices=REHEARSALS,
        default="all",
        help="which rehearsal (default: all = saturday, then isolation if the scenario has load.isolation); "
        "capacity: step the Saturday journeys' users up until the plateau breaks its SLA",
    )
    add_scenario_options(p)
    g = p.add_argument_group("scale and safety")
    g.add_argument(
        "--processes",
        type=_processes,
        default=None,
        help="Locust processes on this machine, one per core (-1: all cores; default 1 or $BIGDAY_LOAD_PROCESSES)",
    )
    g.add_argument(
        "--expect-workers",
        type=positive_int,
        metavar="N",
        help="run as a Locust master and wait for N workers (see docs/load.md)",
    )
    g.add_argument("--master-bind-host", default="127.0.0.1", metavar="HOST")
    g.add_argument("--master-bind-port", type=_port, metavar="PORT")
    g.add_argument("--run-time", metavar="DURATION", help="hard time limit (default: the scenario's load.max_duration)")
    g.add_argument(
        "--i-have-permission",
        action="store_true",
        help="confirm you may load a non-loopback host listed in load.allow_hosts",
    )
    g.add_argument(
        "--locust-args",
        default="",
        metavar="'OPTIONS'",
        help="extra Locust options as one string, e.g. --locust-args='--stop-timeout 10'",
    )
    g.add_argument(
        "--keep-samples",
        action="store_true",
        help="also stream every raw sample to the run folder, one gzipped CSV per Locust process (latencies are "
        "kept as histograms and a bounded reservoir per key either way)",
    )
    g.add_argument(
        "--target-isolation",
        choices=("fair", "shared"),
        help="isolation mode of the embedded reference target (when no --base-url)",
    )
    s = p.add_argument_group("saturday spike")
    add_scale_options(s)
    s.add_argument(
        "--locustfile",
        type=Path,
        metavar="FILE",
        help="a locustfile of your own whose users subclass bigday.load.TenantUser (docs/real-app.md)",
    )
    s.add_argument(
        "--user-class",
        action="append",
        default=[],
        metavar="NAME",
        help="only these journeys of the scenario's load.journeys (e.g. planner); repeatable",
    )
    s.add_argument("--think-time", metavar="MIN:MAX", help="think time between tasks, e.g. 2s:8s")
    s.add_argument(
        "--arrival-rate",
        type=_checked(limits.arrival_rate_text),
        metavar="N/s",
        help="an open model in place of think times: the journeys' tasks a second at the peak, spread over the "
        "users, each timed from when it was due (docs/load.md); for capacity, the first rate to try",
    )
    s.add_argument("--photo-sizes", type=_sizes, metavar="KB,...", help="photo pool sizes in KB")
    s.add_argument("--batch-size", type=_range, metavar="MIN:MAX", help="photos per batch upload")
    s.add_argument("--p95-sla", metavar="DURATION", help="plateau p95 bound (default 1000ms)")
    s.add_argument("--max-error-rate", type=_rate, metavar="F", help="plateau error-rate bound (default 0.01)")
    i = p.add_argument_group("isolation check")
    add_phase_option(i)
    i.add_argument(
        "--recovery",
        metavar="DURATION",
        help="with --no-adaptive: length of phase 3, after the spike (default: --phase)",
    )
    i.add_argument(
        "--warmup",
        metavar="DURATION",
        help="victim warm-up before the first window (default 5s; 2s with --no-adaptive)",
    )
    i.add_argument("--victim-users", type=positive_int, metavar="N")
    i.add_argument("--victim-rps", type=_rps, metavar="F", help="requests per second per victim user")
    i.add_argument("--aggressor-users", type=positive_int, metavar="N")
    i.add_argument(
        "--tolerance", type=_tolerance, metavar="X", help="allowed slow-down factor (default load.isolation)"
    )
    i.add_argument(
        "--min-effect",
        metavar="DURATION",
        help="a victim p95 rise smaller than this is not harm, whatever its ratio (default "
        "load.isolation.min_effect, else 0ms)",
    )
    i.add_argument(
        "--no-adaptive",
        action="store_true",
        help="judge once, on fixed phases (warm-up, alone, spike, recovery), instead of alternating --phase-long "
        "alone and spike windows until the verdict is decided",
    )
    i.add_argument(
        "--max-phase-time",
        metavar="DURATION",
        help="adaptive: at most this much of alone and spike windows together, which fixes the number of looks "
        "(default: load.isolation.max_phase_time, else 3m)",
    )
    c = p.add_argument_group("capacity search (bigday load capacity)")
    c.add_argument(
        "--start-users",
        type=positive_int,
        metavar="N",
        help="the first level (default: a tenth of the peak users); with --arrival-rate R/s the search steps the "
        "open model's arrival rate from R instead, with 4 users per task a second",
    )
    c.add_argument("--factor", type=bounded_float(1.05, 10), default=1.5, metavar="F", help="growth per level (1.5)")
    c.add_argument("--max-steps", type=bounded_int(2, 30), default=8, metavar="N", help="rehearsals at most (8)")
    c.add_argument("--refine", type=bounded_int(0, 6), default=2, metavar="N", help="halvings of the bracket (2)")
    c.add_argument("--step-ramp", default="5s", metavar="DURATION", help="each level's ramp (5s)")
    c.add_argument("--step-hold", default="15s", metavar="DURATION", help="each level's judged plateau (15s)")
    c.add_argument("--time-limit", default="15m", metavar="DURATION", help="the whole search at most (15m)")
    add_strict_option(p)


def overrides_from_args(args: argparse.Namespace) -> PlanOverrides:
    return PlanOverrides(
        peak_users=args.peak_users,
        time_scale=args.time_scale,
        stages=args.stages,
        user_classes=tuple(args.user_class),
        think_time=args.think_time,
        max_duration=args.run_time,
        photo_sizes_kb=args.photo_sizes,
        batch_size=args.batch_size,
        spike_p95_sla=args.p95_sla,
        spike_max_error_rate=args.max_error_rate,
        phase=args.phase,
        recovery=args.recovery,
        warmup=args.warmup,
        victim_users=args.victim_users,
        victim_rps_per_user=args.victim_rps,
        aggressor_users=args.aggressor_users,
        tolerance=args.tolerance,
        min_effect=args.min_effect,
        adaptive=not args.no_adaptive,
        max_phase_time=args.max_phase_time,
    )


def options_from_args(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(
        overrides=overrides_from_args(args),
        processes=resolve.load_processes(args.processes),
        expect_workers=args.expect_workers,
        master_bind_host=args.master_bind_host,
        master_bind_port=args.master_bind_port,
        permission=args.i_have_permission,
        locustfile=args.locustfile,
        extra_locust_args=_split_locust_args(args.locust_args),
        keep_samples=args.keep_samples,
        arrival_rate=args.arrival_rate,
        results_dir=results_dir_from_args(args),
        target_isolation=args.target_isolation,
    )


def _split_locust_args(text: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError as e:
        raise ConfigError(f"--locust-args: {e}") from None


def _say(line: str) -> None:
    # The line names the target, and a base URL may carry user info: hidden like every other output.
    print(f"bigday load: {plain(redact.text(line))}", file=sys.stderr, flush=True)


def _capacity(args: argparse.Namespace, scenario: Scenario, base_url: str | None, options: LoadOptions) -> int:
    if options.arrival_rate is not None and args.start_users is not None:
        raise ConfigError(
            "--start-users: not with --arrival-rate, which makes the search step the arrival rate from there "
            "(the users follow the rate); give one of them"
        )
    start_rate, options = options.arrival_rate, replace(options, arrival_rate=None)  # each step sets its own
    search = CapacitySearch(
        start_rate=start_rate,
        start_users=args.start_users or max(1, scenario.load.peak_users // 10),
        factor=args.factor,
        max_steps=args.max_steps,
        ramp=args.step_ramp,
        hold=args.step_hold,
        refine=args.refine,
        time_limit=args.time_limit,
    )
    sla = check_capacity(scenario, base_url, options, search)
    started = utc_now()
    result = search_capacity(
        scenario, lambda: load_target(base_url, options.target_isolation), options, search, _say, sla
    )
    folder = write_search(scenario, options, result, started)
    dashboard = write_report(folder.path, "html", render_capacity_dashboard(folder))
    out = console()
    for line in capacity_lines(result, folder.path):
        out.print(Text(plain(line)), soft_wrap=True)
    out.print(Text(plain(f"dashboard: {dashboard}")), soft_wrap=True)
    if not all(s.trustworthy for s in result.steps):
        return EXIT_RUN_FAILED
    return exit_code_of(result.status, args.strict)


def handle(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    base_url = base_url_from_args(args, scenario)
    options = options_from_args(args)
    if args.rehearsal == "capacity":
        return _capacity(args, scenario, base_url, options)
    kinds = rehearsals(scenario) if args.rehearsal == "all" else (args.rehearsal,)
    out = console()
    worst = EXIT_OK
    for kind in kinds:
        check_rehearsal(scenario, kind, base_url, options)
    for kind in kinds:
        with load_target(base_url, options.target_isolation) as (url, embedded):
            result = run_rehearsal(scenario, kind, url, options, _say, embedded=embedded)
        show_load_result(result, out)
        worst = max(worst, result.exit_code_for(args.strict))
    return worst
