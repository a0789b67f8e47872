"""``bigday run``: the nightly chain, one library call per step.

Steps: the app under test (the given base URL, or the embedded target started here) → probe of the
scenario's critical paths → the per-page summary table → ingest into the store and compare (thresholds,
budgets, baseline) → the verdicts, written to the run folder.  Each step takes the previous step's output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigday.cli.common import (
    Subparsers,
    add_scenario_options,
    add_verb,
    app_under_test,
    base_url_from_args,
    load_target,
    scenario_from_args,
)
from bigday.cli.compare import add_compare_options, compare_options_from_args, print_warnings
from bigday.cli.load import describe
from bigday.cli.probe import add_probe_options, probe_options_from_args
from bigday.cli.store import add_store_option
from bigday.compare.engine import CompareOptions, check_compare_inputs, compare_run
from bigday.errors import EXIT_OK, EXIT_RUN_FAILED
from bigday.load.rehearsal import LoadOptions, check_rehearsal, run_rehearsal
from bigday.present.console import console, err_console
from bigday.present.probe import ProbeProgress, show_outcome
from bigday.probe.assets import load_assets
from bigday.probe.results import PageRun
from bigday.probe.runner import ProbeOptions, ProbeOutcome, probe_app
from bigday.report.terminal import render_verdicts
from bigday.runfolder import Verdicts
from bigday.settings import resolve
from bigday.settings.scenario import Scenario
from bigday.store.engine import open_store


@dataclass(frozen=True)
class NightlyOptions:
    """What the nightly run does: the scenario, where the app is, and what the probe measures."""

    scenario: Scenario
    base_url: str | None
    probe: ProbeOptions
    compare: CompareOptions = CompareOptions()
    store: str | None = None  # None: $BIGDAY_STORE, else <results>/bigday.sqlite


@dataclass(frozen=True)
class RunOutcome:
    """What each step of the nightly run produced, and the exit code they add up to."""

    probe: ProbeOutcome
    verdicts: Verdicts | None = None

    @property
    def exit_code(self) -> int:
        if not self.probe.complete:
            return EXIT_RUN_FAILED
        return self.verdicts.exit_code if self.verdicts else EXIT_OK


def run_nightly(options: NightlyOptions, on_run: Callable[[PageRun], None] | None = None) -> RunOutcome:
    """Target if needed → probe → ingest and compare; the target lives for the probe and is stopped after it."""
    load_assets()  # a missing npm asset fails before a target or browser is started
    # Store and compare inputs are checked first: a bad one fails the run before minutes of probing.
    with open_store(options.store, options.probe.results_dir) as store:
        check_compare_inputs(store, options.scenario, options.compare, options.probe.profile)
        with app_under_test(options.base_url, options.scenario) as app:
            probe = probe_app(options.probe, app, on_run=on_run)
        verdicts = compare_run(store, probe.folder.path, options.scenario, options.compare)
    return RunOutcome(probe=probe, verdicts=verdicts)


def handle(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    options = NightlyOptions(
        scenario=scenario,
        base_url=base_url_from_args(args, scenario),
        probe=probe_options_from_args(args, scenario),
        compare=compare_options_from_args(args),
        store=args.store,
    )
    out, err = console(), err_console()
    probe = options.probe
    with ProbeProgress(err, total=probe.runs * len(probe.selected_pages()), max_attempts=probe.max_attempts) as p:
        outcome = run_nightly(options, on_run=p.on_run)
    if outcome.verdicts is not None:
        print_warnings(outcome.verdicts)
    show_outcome(outcome.probe, args.json, out, err)
    if outcome.verdicts is not None and not args.json:
        print(render_verdicts(outcome.verdicts))
    if args.load:  # the Saturday spike and the isolation check, compared and stored like the probe run
        return max(
            outcome.exit_code,
            nightly_load(scenario, options.base_url, options.store, options.probe.results_dir, options.compare),
        )
    return outcome.exit_code


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "run", handle, "the nightly check: probe the critical paths, compare, report")
    add_scenario_options(p)
    add_probe_options(p)
    add_compare_options(p)
    add_store_option(p, results_dir=False)
    p.add_argument("--json", action="store_true", help="print the probe summary as JSON instead of a table")
    p.add_argument(
        "--load",
        action="store_true",
        help="also rehearse the Saturday upload spike and the tenant-isolation check (see bigday load)",
    )


NIGHTLY_REHEARSALS = ("saturday", "isolation")


def nightly_load(
    scenario: Scenario, base_url: str | None, store_url: str | None, results_dir: Path | None, compare_options: Any
) -> int:
    """Run the Saturday spike and the isolation check, compare each run, print verdicts; return the exit code."""
    options = LoadOptions(processes=resolve.load_processes(None), results_dir=results_dir)
    worst = EXIT_OK
    for kind in NIGHTLY_REHEARSALS:
        check_rehearsal(scenario, kind, base_url, options)
    for kind in NIGHTLY_REHEARSALS:
        with load_target(base_url, None) as (url, embedded):
            result = run_rehearsal(
                scenario,
                kind,
                url,
                options,
                lambda line: print(f"bigday load: {line}", file=sys.stderr, flush=True),
                embedded=embedded,
            )
        for line in describe(result):
            print(line)
        with open_store(store_url, results_dir) as store:
            verdicts = compare_run(store, result.folder, scenario, compare_options)
        print_warnings(verdicts)
        print(render_verdicts(verdicts))
        worst = max(worst, result.exit_code, verdicts.exit_code)
    return worst
