"""``bigday run``: the nightly chain, one library call per step.

Steps so far: the app under test (the given base URL, or the embedded target started here) → probe of the
scenario's critical paths → the per-page summary table.  Later steps (ingest, compare, report) are appended to
``run_nightly`` in the same style: take the previous step's output, return their own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from bigday.cliargs import add_scenario_options, base_url_from_args, scenario_from_args
from bigday.errors import EXIT_OK, EXIT_RUN_FAILED
from bigday.probe.app import app_under_test
from bigday.probe.assets import load_assets
from bigday.probe.cli import add_probe_options, probe_options_from_args, progress_line, report_outcome
from bigday.probe.results import PageRun
from bigday.probe.runner import ProbeOptions, ProbeOutcome, probe_app
from bigday.scenario import Scenario


@dataclass(frozen=True)
class NightlyOptions:
    """What the nightly run does: the scenario, where the app is, and what the probe measures."""

    scenario: Scenario
    base_url: str | None
    probe: ProbeOptions


@dataclass(frozen=True)
class RunOutcome:
    """What each step of the nightly run produced, and the exit code they add up to."""

    probe: ProbeOutcome

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.probe.complete else EXIT_RUN_FAILED


def run_nightly(options: NightlyOptions, on_run: Callable[[PageRun], None] | None = None) -> RunOutcome:
    """Target if needed → probe; the target lives for the whole chain and is stopped at the end."""
    load_assets()  # a missing npm asset fails before a target or browser is started
    with app_under_test(options.base_url, options.scenario) as app:
        probe = probe_app(options.probe, app, on_run=on_run)
    return RunOutcome(probe=probe)


def handle(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    options = NightlyOptions(scenario=scenario, base_url=base_url_from_args(args, scenario),
                             probe=probe_options_from_args(args, scenario))
    outcome = run_nightly(options, on_run=lambda run: print(progress_line(run), file=sys.stderr, flush=True))
    report_outcome(outcome.probe, as_json=args.json)
    return outcome.exit_code


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the nightly check: probe the critical paths, compare, report")
    add_scenario_options(p)
    add_probe_options(p)
    p.add_argument("--json", action="store_true", help="print the probe summary as JSON instead of a table")
    p.set_defaults(handler=handle)
