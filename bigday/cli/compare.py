"""``bigday compare``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from bigday.cli.common import Subparsers, add_scenario_option, add_verb, scenario_from_args
from bigday.cli.store import add_store_option, store_from_args
from bigday.present.console import console, plain
from bigday.runfolder import RunFolder, Verdicts, read_manifest
from bigday.settings import redact, resolve
from bigday.settings.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from bigday.compare.engine import CompareOptions


def scenario_for_run(args: argparse.Namespace, run_dir: str | Path) -> Scenario:
    """Flag > BIGDAY_SCENARIO > the scenario the run recorded (if still there) > the bundled one."""
    if resolve.scenario_given(getattr(args, "scenario", None)):
        return scenario_from_args(args)
    try:
        recorded = read_manifest(RunFolder.open(run_dir)).scenario.path
    except Exception:  # a damaged folder is reported by compare itself, with its name
        recorded = None
    if isinstance(recorded, str) and Path(recorded).is_file():
        return load_scenario(recorded)
    return load_scenario(None)


def _compare(args: argparse.Namespace) -> int:
    from bigday.compare.engine import compare_run
    from bigday.report.data import load_report
    from bigday.report.terminal import render_terminal

    scenario = scenario_for_run(args, args.run_dir)
    options = compare_options_from_args(args)
    with store_from_args(args) as store:
        verdicts = compare_run(store, args.run_dir, scenario, options)
    print_warnings(verdicts)
    # Through the console: names from scenarios and apps reach the terminal as text, secrets hidden.
    console().print(Text(render_terminal(load_report(args.run_dir), verbose=args.verbose)), soft_wrap=True)
    return verdicts.exit_code_for(args.strict)


def print_warnings(verdicts: Verdicts) -> None:
    """What compare wants the user told at once (a failed webhook notification), on stderr."""
    for w in verdicts.warnings:
        print(f"bigday: warning: {plain(redact.text(w))}", file=sys.stderr)


def compare_options_from_args(args: argparse.Namespace) -> CompareOptions:
    """--baseline > $BIGDAY_BASELINE > branch:main when there is one; Lighthouse CI files; notification."""
    from bigday.compare.engine import CompareOptions

    return CompareOptions(
        baseline=resolve.baseline(args.baseline),
        budget_json=Path(args.budget) if args.budget else None,
        lighthouserc=Path(args.lighthouserc) if args.lighthouserc else None,
        notify=not args.no_notify,
    )


def add_compare_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--baseline",
        metavar="SPEC",
        help="NAME (see 'bigday baseline'), branch:NAME (latest passing run), age:7d (run nearest to "
        "7 days ago) or run:ID (default: $BIGDAY_BASELINE, else branch:main when there is one)",
    )
    p.add_argument("--budget", metavar="budget.json", help="a Lighthouse budget.json to check as well")
    p.add_argument("--lighthouserc", metavar="FILE", help="a lighthouserc.json whose ci.assert block to check as well")
    p.add_argument("--no-notify", action="store_true", help=f"do not post new alerts to ${'BIGDAY_WEBHOOK_URL'}")
    add_strict_option(p)


def add_strict_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--strict",
        action="store_true",
        help="a gate: exit 1 on an INCONCLUSIVE outcome too (evidence that could not tell pass from fail)",
    )


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "compare", _compare, run_dir=True)
    add_scenario_option(p, "$BIGDAY_SCENARIO, else the one the run recorded")
    add_compare_options(p)
    p.add_argument("--verbose", "-v", action="store_true", help="list passing checks too")
    add_store_option(p)
