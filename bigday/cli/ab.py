"""``bigday ab``: an A/B performance experiment, B against A, interleaved runs until the answer is decisive.

Exit codes: 0 no page x metric where B is worse on a gated metric (B better, no difference, or, without
``--strict``, inconclusive); 1 B worse on a gated metric (LCP, FID, INP, CLS, scores), or with ``--strict``
any comparison inconclusive; 2 bad input; 3 the experiment could not be carried out.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from bigday.cli.common import Subparsers, add_scenario_option, add_verb, results_dir_from_args, scenario_from_args
from bigday.cli.probe import MAX_TIMEOUT_S, _knobs
from bigday.compare.ab import DEFAULT_METRICS, Judge, outcome_of_findings
from bigday.errors import ConfigError
from bigday.metrics import METRICS, base_metric
from bigday.present.ab import show_experiment, show_run
from bigday.present.console import console, err_console
from bigday.probe.ab import AbMeasureOptions, SideTarget, measure_ab
from bigday.probe.app import check_answers
from bigday.probe.assets import load_assets
from bigday.probe.browser import chromium, in_own_thread, sync_playwright_blocked
from bigday.probe.profiles import PROFILES
from bigday.report.ab import render_ab_markdown
from bigday.runfolder import (
    AbDesign,
    AbExperiment,
    AbRun,
    AbSide,
    RunFile,
    RunFolder,
    RunsMode,
    exit_code_of,
    utc_now,
    write_ab,
    write_ab_report,
)
from bigday.settings import limits, redact, resolve
from bigday.settings.scenario import Scenario
from bigday.stats.sequential import SequentialDesign, fixed_design, group_sequential, look_schedule

DEFAULT_MAX_RUNS = 30
DEFAULT_FIRST_LOOK = 5
DEFAULT_LOOK_EVERY = 5
PROCEDURE = "group-sequential, Lan-DeMets O'Brien-Fleming alpha spending"


def _side_url(flag: str | None, name: str, scenario: Scenario) -> str | None:
    if flag is None:
        return resolve.base_url(None, scenario)
    redact.register_url(flag, bare_user_is_secret=True)
    if urlsplit(flag).scheme not in ("http", "https") or not urlsplit(flag).netloc:
        raise ConfigError(f"--{name}: expected an http:// or https:// base URL, got {redact.url(flag)!r}")
    return flag.rstrip("/")


def _check_knobs(knobs: tuple[tuple[str, str], ...], flag: str, embedded: bool) -> None:
    if not embedded:
        return  # another app's query parameters are its own business
    from bigday.target.knobs import parse_knob

    for name, value in knobs:
        parse_knob(name, value, where=f"{flag} {name}={value}:")


def _design(args: argparse.Namespace, alpha: float) -> tuple[SequentialDesign, RunsMode]:
    raw = str(args.runs).strip().lower()
    if raw == "auto":
        first, every, most = args.first_look, args.look_every, args.max_runs
        if not 3 <= first <= most <= limits.MAX_RUNS:
            raise ConfigError(
                f"--max-runs {most} / --first-look {first}: expected 3 <= first look <= max runs <= {limits.MAX_RUNS}"
            )
        if every < 1:
            raise ConfigError(f"--look-every: expected at least 1, got {every}")
        return group_sequential(look_schedule(first, most, every), alpha), "auto"
    if not raw.isdigit() or not 1 <= int(raw) <= limits.MAX_RUNS:
        raise ConfigError(f"--runs: expected auto or a whole number 1..{limits.MAX_RUNS}, got {args.runs!r}")
    return fixed_design(int(raw), alpha), "fixed"


def _metrics(text: str | None) -> tuple[str, ...]:
    if text is None:
        return DEFAULT_METRICS
    names = tuple(m.strip() for m in text.split(",") if m.strip())
    for m in names:
        if base_metric(m) not in METRICS:
            raise ConfigError(f"--metrics {m!r}: unknown metric; known: {', '.join(sorted(METRICS))}")
    if not names:
        raise ConfigError("--metrics: expected comma-separated metric names, got nothing")
    return names


@contextmanager
def _target(a: str | None, b: str | None, scenario: Scenario) -> Iterator[str | None]:
    """The embedded reference target's URL when a side needs it (one server for both: the knobs differ)."""
    for url in (a, b):
        if url:
            check_answers(url)
    if a and b:
        yield None
        return
    from bigday.target.server import running_target  # only the command line starts the reference target

    with running_target(isolation="fair", scenario=scenario.source) as url:
        yield url.rstrip("/")


def handle(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    url_a, url_b = _side_url(args.a, "a", scenario), _side_url(args.b, "b", scenario)
    knobs_a, knobs_b = _knobs(args.knob_a), _knobs(args.knob_b)
    _check_knobs(knobs_a, "--knob-a", url_a is None)
    _check_knobs(knobs_b, "--knob-b", url_b is None)
    pages = tuple(p.strip() for p in args.pages.split(",") if p.strip()) if args.pages else ()
    for p in pages:
        scenario.page(p)
    pages = pages or tuple(p.name for p in scenario.pages)
    profile = resolve.profile(args.profile, PROFILES)
    metrics = _metrics(args.metrics)
    design, mode = _design(args, scenario.regression.alpha)
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= MAX_TIMEOUT_S):
        raise ConfigError(f"--timeout: expected seconds above 0 and at most {MAX_TIMEOUT_S:g}, got {args.timeout}")
    results = results_dir_from_args(args)
    load_assets()  # a missing npm asset fails before a target or browser is started
    out, err = console(), err_console()
    judge = Judge(scenario.regression, design, metrics)
    started = utc_now()
    options = AbMeasureOptions(scenario, pages, profile, design.max_runs, args.timeout)

    def measure() -> tuple[RunFolder, list[AbRun]]:
        with _target(url_a, url_b, scenario) as embedded, chromium() as browser:
            a = SideTarget("a", url_a or embedded or "", knobs_a)
            b = SideTarget("b", url_b or embedded or "", knobs_b)
            folder = RunFolder.create("ab", results)
            return folder, measure_ab(options, a, b, browser, judge.after_round, on_run=lambda r: show_run(err, r))

    # Where this thread already runs a sync Playwright (a pytest session), Chromium starts in a thread of its own.
    folder, runs = in_own_thread(measure) if sync_playwright_blocked() else measure()
    findings = judge.result()
    experiment = AbExperiment(
        run_id=folder.run_id,
        started_at=started,
        finished_at=utc_now(),
        a=AbSide(name="a", base_url=redact.url(url_a) if url_a else None, knobs=knobs_a),
        b=AbSide(name="b", base_url=redact.url(url_b) if url_b else None, knobs=knobs_b),
        pages=pages,
        metrics=metrics,
        profile=profile,
        design=AbDesign(
            mode=mode,
            procedure=PROCEDURE if mode == "auto" else "fixed number of runs, one look",
            alpha=design.alpha,
            looks=design.looks,
            nominal=design.nominal,
            max_runs=design.max_runs,
        ),
        runs_per_side=max((r.round + 1 for r in runs), default=0),
        looks_taken=judge.looks_taken,
        stopped=judge.stopped or "no look was reached",
        outcome=outcome_of_findings(findings),
        findings=tuple(findings),
        runs=tuple(runs),
    )
    write_ab(folder, experiment)
    write_ab_report(folder, render_ab_markdown(experiment))
    show_experiment(experiment, args.json, out, str(folder.file(RunFile.AB_REPORT)))
    return exit_code_of(experiment.outcome, args.strict)


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "ab",
        handle,
        description="Measure A and B in interleaved rounds (A B, then B A) and judge B against A per page and "
        "metric with the baseline comparison's rank test, interval and minimum effect: 'B faster by 12% "
        "[8%, 15%]', 'no difference larger than 10% at this n', or 'inconclusive: about N more runs needed'. "
        "Exit 0: B not worse on a gated metric; 1: B worse on one (or, with --strict, anything inconclusive); "
        "2: bad input; 3: could not run.",
    )
    add_scenario_option(p, "$BIGDAY_SCENARIO or scenarios/wedsync.yaml")
    p.add_argument(
        "--a",
        metavar="BASE_URL",
        help="version A (default: $BIGDAY_BASE_URL, the scenario's base_url, else the embedded reference target)",
    )
    p.add_argument("--b", metavar="BASE_URL", help="version B (default: as A)")
    p.add_argument(
        "--knob-a",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="query parameter on A's page URLs (a reference-target knob such as lcp_delay=1000)",
    )
    p.add_argument("--knob-b", action="append", default=[], metavar="NAME=VALUE", help="the same for B")
    p.add_argument("--pages", metavar="A,B", help="comma-separated page names (default: every page of the scenario)")
    p.add_argument("--metrics", metavar="M,N", help=f"metrics to compare (default: {','.join(DEFAULT_METRICS)})")
    p.add_argument(
        "--runs",
        "-n",
        default="auto",
        metavar="N|auto",
        help="runs per side and page, or auto: measure until every gated comparison is decided (default)",
    )
    p.add_argument(
        "--max-runs",
        type=int,
        default=DEFAULT_MAX_RUNS,
        metavar="N",
        help=f"with --runs auto: the most runs per side and page (default {DEFAULT_MAX_RUNS})",
    )
    p.add_argument(
        "--first-look",
        type=int,
        default=DEFAULT_FIRST_LOOK,
        metavar="N",
        help=f"with --runs auto: runs before the first look (default {DEFAULT_FIRST_LOOK})",
    )
    p.add_argument(
        "--look-every",
        type=int,
        default=DEFAULT_LOOK_EVERY,
        metavar="N",
        help=f"with --runs auto: runs between looks (default {DEFAULT_LOOK_EVERY})",
    )
    p.add_argument(
        "--profile", choices=tuple(PROFILES), help="throttling profile (default: $BIGDAY_PROFILE or desktop)"
    )
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds per page run (default: 30)")
    p.add_argument(
        "--results-dir",
        metavar="DIR",
        type=Path,
        help="where run folders go (default: $BIGDAY_RESULTS_DIR or ./results)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when any comparison is inconclusive")
    p.add_argument("--json", action="store_true", help="print the experiment as JSON instead of a table")
