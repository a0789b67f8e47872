"""``bigday ab``: an A/B performance experiment, B against A, interleaved runs until the answer is decisive.

Exit codes: 0 no page x metric where B is worse on a gated metric (B better, no difference, or, without
``--strict``, inconclusive); 1 B worse on a gated metric (LCP, FID, INP, CLS, scores), or with ``--strict``
any comparison inconclusive; 2 bad input; 3 the experiment could not be carried out.
"""

from __future__ import annotations

import argparse
import math
import re
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
    Status,
    exit_code_of,
    utc_now,
    write_ab,
    write_ab_report,
)
from bigday.settings import limits, redact, resolve
from bigday.settings.scenario import Page, Scenario
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
        raise ConfigError(f"--{name}: expected an http:// or https:// base or page URL, got {redact.url(flag)!r}")
    return flag.rstrip("/")


def _split_page_url(url: str, scenario: Scenario) -> tuple[str, str, Page | None] | None:
    """A side given as one page's URL: (base URL, the page's path, the scenario's page at that path if any);
    None for a base URL (no path but ``/``). A path that ends with a scenario page's path is that page on the
    base before it (an app under a path prefix); any other path is a page of its own on the site's root."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path in ("", "/"):
        return None
    for page in scenario.pages:
        if page.path != "/" and path.endswith(page.path):
            return f"{parts.scheme}://{parts.netloc}{path[: -len(page.path)]}", page.path, page
    return f"{parts.scheme}://{parts.netloc}", path, None


def _page_of_urls(
    url_a: str | None, url_b: str | None, scenario: Scenario, flags: tuple[bool, bool] = (True, True)
) -> tuple[Page, tuple[str | None, str | None], tuple[str | None, str | None]] | None:
    """When either side is a page URL: the one page of the experiment, and each side's (base URL, path); a side
    given as a base measures the other side's path. None when both sides are base URLs. Only a URL from the
    command line (``flags``) can be a page's: the scenario's ``base_url`` is a base, whatever its path."""
    split = {
        s: _split_page_url(u, scenario) if u and flag else None
        for s, u, flag in (("a", url_a, flags[0]), ("b", url_b, flags[1]))
    }
    given = [x for x in split.values() if x is not None]
    if not given:
        return None
    # One path on both sides: the scenario's page there, with its interaction. Two paths (an old and a new
    # design): a page of its own with no interaction, since one page's steps need not fit the other.
    page = given[0][2] if len({x[1] for x in given}) == 1 else None
    if page is None:
        slug = re.sub(r"[^a-z0-9_-]+", "-", given[0][1].split("?")[0].lower()).strip("-_") or "page"
        page = Page(name=slug[:60], path=given[0][1])
    sides = []
    for s, u in (("a", url_a), ("b", url_b)):
        x = split[s]
        sides.append((x[0], x[1]) if x else (u, given[0][1]))
    return page, sides[0], sides[1]


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
    url_a = _side_url(args.a, "a", scenario)
    url_b = _side_url(args.b if args.b is not None else args.a, "b", scenario)
    knobs_a, knobs_b = _knobs(args.knob_a), _knobs(args.knob_b)
    _check_knobs(knobs_a, "--knob-a", url_a is None)
    _check_knobs(knobs_b, "--knob-b", url_b is None)
    pages: tuple[str | Page, ...] = ()
    paths: tuple[str | None, str | None] = (None, None)
    if args.pages:  # the sides are base URLs, with the scenario's pages under them
        pages = tuple(p.strip() for p in args.pages.split(",") if p.strip())
        for p in pages:
            scenario.page(str(p))
    elif one := _page_of_urls(url_a, url_b, scenario, (args.a is not None, (args.b or args.a) is not None)):
        page, (url_a, path_a), (url_b, path_b) = one
        pages, paths = (page,), (path_a, path_b)
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

    measured: list[AbRun] = []
    made: list[RunFolder] = []

    def measure() -> tuple[RunFolder, list[AbRun]]:
        with _target(url_a, url_b, scenario) as embedded, chromium() as browser:
            a = SideTarget("a", url_a or embedded or "", knobs_a, paths[0])
            b = SideTarget("b", url_b or embedded or "", knobs_b, paths[1])
            made.append(RunFolder.create("ab", results))
            runs = measure_ab(
                options, a, b, browser, judge.after_round, on_run=lambda r: show_run(err, r), into=measured
            )
            return made[0], runs

    interrupted = False
    try:
        # Where this thread already runs a sync Playwright (a pytest session), Chromium starts in a thread of
        # its own.
        folder, runs = in_own_thread(measure) if sync_playwright_blocked() else measure()
    except KeyboardInterrupt:
        # Ctrl-C: the runs measured so far are kept, judged as of the last look taken, then the interruption
        # goes on to the command line (exit 130).
        if not made:
            raise
        folder, runs, interrupted = made[0], measured, True
    findings = judge.result()
    outcome = outcome_of_findings(findings) if findings or not interrupted else Status.INCONCLUSIVE
    stopped = judge.stopped or "no look was reached"
    if interrupted:
        stopped = f"interrupted after {len(runs)} page runs; " + (
            f"the findings are those of look {judge.looks_taken}" if judge.looks_taken else "no look was reached"
        )
    experiment = AbExperiment(
        run_id=folder.run_id,
        started_at=started,
        finished_at=utc_now(),
        a=AbSide(name="a", base_url=redact.url(url_a) if url_a else None, knobs=knobs_a, path=redact.url(paths[0])),
        b=AbSide(name="b", base_url=redact.url(url_b) if url_b else None, knobs=knobs_b, path=redact.url(paths[1])),
        pages=tuple(p if isinstance(p, str) else p.name for p in pages),
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
        stopped=stopped,
        outcome=outcome,
        findings=tuple(findings),
        runs=tuple(runs),
    )
    write_ab(folder, experiment)
    write_ab_report(folder, render_ab_markdown(experiment))
    show_experiment(experiment, args.json, out, str(folder.file(RunFile.AB_REPORT)))
    if interrupted:
        raise KeyboardInterrupt
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
        metavar="URL",
        help="version A: a base URL (the scenario's pages under it), or without --pages one page's URL, which "
        "is the scenario's page whose path it ends with, else a page of its own (default: $BIGDAY_BASE_URL, the "
        "scenario's base_url, else the embedded reference target)",
    )
    p.add_argument(
        "--b",
        metavar="URL",
        help="version B, as --a; a base URL beside a page URL measures that page's path (default: as A)",
    )
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
