"""``bigday run``: the nightly chain, one library call per step.

Steps: the app under test (the given base URL, or the embedded target started here) → probe of the
scenario's critical paths → the per-page summary table → ingest into the store and compare (thresholds,
budgets, baseline) → the verdicts, written to the run folder.  Each step takes the previous step's output.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.text import Text

from bigday.cli.common import add_scenario_options, app_under_test, base_url_from_args, scenario_from_args
from bigday.cli.compare import add_compare_options, compare_options_from_args, print_warnings
from bigday.cli.load import add_phase_option, add_scale_options, rehearsals
from bigday.cli.probe import AUTO, add_probe_options, probe_options_from_args
from bigday.cli.saturday import LoadSettings, overrides_for, rehearse
from bigday.cli.store import add_store_option
from bigday.cli.verbs import verb_help
from bigday.compare.engine import CompareOptions, check_compare_inputs, compare_run
from bigday.compare.enough import SequentialBaseline
from bigday.errors import EXIT_OK, EXIT_RUN_FAILED, EXIT_VERDICT_FAILED, ConfigError
from bigday.load.rehearsal import LoadOptions, check_rehearsal
from bigday.present.answer import show_answer
from bigday.present.console import console, err_console
from bigday.present.probe import ProbeProgress, show_outcome
from bigday.probe.assets import load_assets
from bigday.probe.results import PageRun
from bigday.probe.runner import ProbeOptions, ProbeOutcome, probe_app
from bigday.report.data import report_of_runs
from bigday.report.render import RenderOptions, render_data, write_report
from bigday.report.terminal import render_verdicts
from bigday.runfolder import Answer, Decision, RunFolder, RunRole, Verdicts, write_answer
from bigday.serve.history import store_history
from bigday.settings import limits
from bigday.settings.scenario import Scenario
from bigday.stats.sequential import SequentialDesign, group_sequential, look_schedule
from bigday.store.engine import open_store

TREND_DAYS = 90
DEFAULT_MAX_RUNS = 30
FIRST_LOOK = LOOK_EVERY = 5


@dataclass(frozen=True)
class NightlyOptions:
    """What the nightly run does: the scenario, where the app is, and what the probe measures."""

    scenario: Scenario
    base_url: str | None
    probe: ProbeOptions
    compare: CompareOptions = CompareOptions()
    store: str | None = None  # None: $BIGDAY_STORE, else <results>/bigday.sqlite
    # --runs auto: the looks of the probe against the baseline (probe.runs is then the most runs)
    sequential: SequentialDesign | None = None


@dataclass(frozen=True)
class RunOutcome:
    """What each step of the nightly run produced, and the exit code they add up to."""

    probe: ProbeOutcome
    verdicts: Verdicts | None = None
    stopped: str = ""  # --runs auto: why probing ended

    @property
    def exit_code(self) -> int:
        return self.exit_code_for(strict=False)

    def exit_code_for(self, strict: bool) -> int:
        if not self.probe.complete:
            return EXIT_RUN_FAILED
        return self.verdicts.exit_code_for(strict) if self.verdicts else EXIT_OK


def run_nightly(options: NightlyOptions, on_run: Callable[[PageRun], None] | None = None) -> RunOutcome:
    """Target if needed → probe → ingest and compare; the target lives for the probe and is stopped after it."""
    load_assets()  # a missing npm asset fails before a target or browser is started
    # Store and compare inputs are checked first: a bad one fails the run before minutes of probing.
    with open_store(options.store, options.probe.results_dir) as store:
        check_compare_inputs(store, options.scenario, options.compare, options.probe.profile)
        scenario, looks = options.scenario, None
        if options.sequential is not None:
            looks = SequentialBaseline(store, scenario.regression, options.compare, options.sequential)
        with app_under_test(options.base_url, options.scenario) as app:
            after = _after_round(looks) if looks else None
            probe = probe_app(options.probe, app, on_run=on_run, after_round=after)
        if looks is not None:
            scenario = dataclasses.replace(scenario, regression=looks.judged_policy())
        verdicts = compare_run(store, probe.folder.path, scenario, options.compare)
    return RunOutcome(probe=probe, verdicts=verdicts, stopped=looks.stopped if looks else "")


def _after_round(looks: SequentialBaseline) -> Callable[[RunFolder, list[PageRun]], bool]:
    def after(folder: RunFolder, runs: list[PageRun]) -> bool:
        values: dict[tuple[str, str], list[float]] = {}
        for r in runs:
            if r.ok and not r.warm and r.engine == "bigday":
                for metric, v in r.vitals.as_dict().items():
                    if v is not None:
                        values.setdefault((r.target.page, metric), []).append(float(v))
        rounds = max((r.run_index + 1 for r in runs), default=0)
        return looks.look(folder.path, rounds, {k: np.asarray(v, dtype=float) for k, v in values.items()})

    return after


def handle(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    options = NightlyOptions(
        scenario=scenario,
        base_url=base_url_from_args(args, scenario),
        probe=probe_options_from_args(args, scenario),
        compare=compare_options_from_args(args),
        store=args.store,
        sequential=_design(args, scenario) if args.runs == AUTO else None,
    )
    if args.rehearsal and not args.load:
        raise ConfigError("--rehearsal: probes the pages during the Saturday spike plateau; it needs --load")
    load_overrides = overrides_for(args.time_scale, args.peak_users, args.stages, args.phase)
    if args.load:  # load input is judged before minutes of probing
        for kind in rehearsals(scenario):
            check_rehearsal(scenario, kind, options.base_url, LoadOptions(overrides=load_overrides))
    out, err = console(), err_console()
    quiet = args.quiet
    probe = options.probe
    progress = ProbeProgress(err, total=probe.runs * len(probe.selected_pages()), max_attempts=probe.max_attempts)
    with progress if not quiet else nullcontext():
        outcome = run_nightly(options, on_run=progress.on_run if not quiet else None)
    if outcome.verdicts is not None and not quiet:
        print_warnings(outcome.verdicts)
    if outcome.stopped and not quiet:
        err.print(Text(f"--runs auto: {outcome.stopped}"))
    if not quiet and not args.json:
        show_outcome(outcome.probe, False, out, err)
        if outcome.verdicts is not None:
            out.print(Text(render_verdicts(outcome.verdicts)), soft_wrap=True)
    exit_code = outcome.exit_code_for(args.strict)
    linked: list[tuple[Path, RunRole]] = []
    if args.load:  # the Saturday spike and the isolation check, compared and stored like the probe run
        part = rehearse(
            LoadSettings(
                scenario=scenario,
                base_url=options.base_url,
                store=options.store,
                results_dir=probe.results_dir,
                compare=options.compare,
                overrides=load_overrides,
                under_load=probe if args.rehearsal else None,
                quiet=quiet or args.json,
                strict=args.strict,
            ),
            outcome.probe.folder.path,
            out,
            err,
        )
        exit_code = max(exit_code, part.exit_code)
        linked = part.runs
    if outcome.verdicts is None:
        return exit_code
    answer, dashboard = write_answer_and_dashboard(options, outcome.probe.folder.path, linked)
    if answer.decision is Decision.NO_GO or (args.strict and answer.decision is Decision.INCONCLUSIVE):
        exit_code = max(exit_code, EXIT_VERDICT_FAILED)
    show_answer(answer, dashboard, out, quiet=quiet, as_json=args.json, exit_code=exit_code, probe=outcome.probe)
    return exit_code


def _design(args: argparse.Namespace, scenario: Scenario) -> SequentialDesign:
    """Looks every LOOK_EVERY runs from FIRST_LOOK up to --max-runs; the two-sided design at 2 alpha spends
    alpha on the side the gate asks about (worse)."""
    if not FIRST_LOOK <= args.max_runs <= limits.MAX_RUNS:
        raise ConfigError(f"--max-runs: expected {FIRST_LOOK}..{limits.MAX_RUNS} with --runs auto, got {args.max_runs}")
    looks = look_schedule(FIRST_LOOK, args.max_runs, LOOK_EVERY)
    return group_sequential(looks, 2 * scenario.regression.alpha)


def write_answer_and_dashboard(
    options: NightlyOptions, folder: Path, linked: list[tuple[Path, RunRole]]
) -> tuple[Answer, Path]:
    """The answer over every run (into ``answer.json``) and the dashboard (``dashboard.html``) in the probe run's
    folder, with the store's last 90 days of trends."""
    with open_store(options.store, options.probe.results_dir) as store:
        history = store_history(store, options.scenario, TREND_DAYS)
    data = report_of_runs(folder, linked, history)
    write_answer(RunFolder(folder), data.answer)
    html = render_data(data, "html", RenderOptions(scenario=options.scenario))
    return data.answer, write_report(folder, "html", html)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help=verb_help("run"))
    add_scenario_options(p)
    add_probe_options(p)
    add_compare_options(p)
    add_store_option(p, results_dir=False)
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the answer, run folders and summary as JSON")
    shown.add_argument("--quiet", "-q", action="store_true", help="print only the answer line (for cron)")
    p.add_argument(
        "--max-runs",
        type=int,
        default=DEFAULT_MAX_RUNS,
        metavar="N",
        help=f"with --runs auto: the most runs per page (default {DEFAULT_MAX_RUNS}; looks every {LOOK_EVERY} "
        f"from {FIRST_LOOK})",
    )
    p.add_argument(
        "--load",
        action="store_true",
        help="also rehearse the Saturday upload spike and the tenant-isolation check (see bigday load)",
    )
    p.add_argument(
        "--rehearsal",
        action="store_true",
        help="with --load: probe the pages again during the spike plateau, judged against the run at rest",
    )
    scale = p.add_argument_group("load scale (with --load; as for bigday load)")
    add_scale_options(scale)
    add_phase_option(scale)
    p.set_defaults(handler=handle)
