"""``bigday probe``: measure web vitals of the scenario's critical paths in Chromium."""

from __future__ import annotations

import argparse
import math

from bigday.cli.common import (
    Subparsers,
    add_scenario_options,
    add_verb,
    base_url_from_args,
    results_dir_from_args,
    run_probe,
    scenario_from_args,
)
from bigday.errors import ConfigError
from bigday.present.console import console, err_console
from bigday.present.probe import ProbeProgress, show_outcome
from bigday.probe.profiles import PROFILES
from bigday.probe.runner import ACCESSIBILITY_MODES, ENGINE_CHOICES, ProbeOptions
from bigday.settings import limits, resolve
from bigday.settings.scenario import Scenario

MAX_TIMEOUT_S = 3600.0  # one page run
AUTO = "auto"


def add_probe_options(p: argparse.ArgumentParser) -> None:
    """The options that select what the probe measures (shared with ``bigday run``)."""
    p.add_argument(
        "--runs",
        "-n",
        type=_runs,
        metavar="N",
        help="runs per page (default: $BIGDAY_RUNS or 5; 3 with run --load --time-scale below 1); bigday run "
        "also takes auto: probe until the comparison with the baseline is decided, at most --max-runs",
    )
    p.add_argument(
        "--profile", choices=tuple(PROFILES), help="throttling profile (default: $BIGDAY_PROFILE or desktop)"
    )
    p.add_argument("--pages", metavar="A,B", help="comma-separated page names (default: every page of the scenario)")
    p.add_argument("--tenant", metavar="ID", help="measure as this tenant (default: each page's tenant or the first)")
    p.add_argument("--warm", action="store_true", help="also measure a warm-cache run after each cold run")
    p.add_argument("--timeout", type=float, metavar="S", default=30.0, help="seconds per page run (default: 30)")
    p.add_argument(
        "--knob",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="query parameter added to every page URL, e.g. a reference-target fault knob lcp_delay=1500",
    )
    p.add_argument(
        "--accessibility",
        choices=ACCESSIBILITY_MODES,
        default="first",
        help="axe-core audit on each page's first measured run (default), every cold run, or off",
    )
    p.add_argument(
        "--engine",
        choices=ENGINE_CHOICES,
        default="bigday",
        help="who measures: bigday's probe (default), the pinned Lighthouse 12.2.3 (about 20 s a page run), "
        "or both into the same run folder",
    )
    p.add_argument(
        "--parity",
        action="store_true",
        help="measure the way Lighthouse does: a fresh Chromium per page run and Lighthouse's trace categories "
        "(slower; with --profile lighthouse-desktop or lighthouse-mobile, Lighthouse's exact semantics)",
    )
    p.add_argument(
        "--coverage",
        action="store_true",
        help="record JS and CSS coverage for the unused-code recommendations (about 0.5 s more per page run)",
    )
    p.add_argument(
        "--filmstrip",
        action="store_true",
        help="keep the frames each page's median run (by Speed Index) painted, in the run folder's filmstrip/",
    )


def _runs(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return AUTO
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or auto, got {text!r}") from None


def _knobs(items: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--knob {item!r}: expected NAME=VALUE, e.g. lcp_delay=1500")
        out.append((name.strip(), value.strip()))
    return tuple(out)


def probe_options_from_args(args: argparse.Namespace, scenario: Scenario) -> ProbeOptions:
    """Resolve flag > BIGDAY_* environment > default into ProbeOptions."""
    profile = resolve.profile(args.profile, PROFILES)
    pages = tuple(p.strip() for p in args.pages.split(",") if p.strip()) if args.pages else ()
    if args.pages is not None and not pages:
        raise ConfigError("--pages: expected comma-separated page names, got nothing")
    # `bigday run --load --time-scale F` (F < 1) is a quick rehearsal: its probe is scaled down too.
    quick = getattr(args, "load", False) and (getattr(args, "time_scale", None) or 1.0) < 1.0
    if args.runs == AUTO and getattr(args, "max_runs", None) is None:
        raise ConfigError(
            "--runs auto: probes until the comparison with the baseline is decided; use it with bigday run "
            "(or bigday ab for two versions)"
        )
    runs = args.max_runs if args.runs == AUTO else resolve.runs(args.runs, quick=quick)
    if runs > limits.MAX_RUNS:
        raise ConfigError(f"--runs: expected at most {limits.MAX_RUNS} runs per page, got {runs}")
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= MAX_TIMEOUT_S):
        raise ConfigError(f"--timeout: expected seconds above 0 and at most {MAX_TIMEOUT_S:g}, got {args.timeout}")
    return ProbeOptions(
        scenario=scenario,
        base_url=base_url_from_args(args, scenario),
        results_dir=results_dir_from_args(args),
        runs=runs,
        profile=profile,
        pages=pages,
        tenant=args.tenant,
        warm=args.warm,
        timeout_s=args.timeout,
        knobs=_knobs(args.knob),
        accessibility=args.accessibility,
        engine=args.engine,
        filmstrip=args.filmstrip,
        parity=args.parity,
        coverage=args.coverage,
    )


def handle(args: argparse.Namespace) -> int:
    options = probe_options_from_args(args, scenario_from_args(args))
    out, err = console(), err_console()
    total = options.runs * len(options.selected_pages()) * len(options.engines)
    with ProbeProgress(err, total=total, max_attempts=options.max_attempts) as p:
        outcome = run_probe(options, on_run=p.on_run)
    show_outcome(outcome, args.json, out, err)
    return outcome.exit_code


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "probe", handle)
    add_scenario_options(p)
    add_probe_options(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
