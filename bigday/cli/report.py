"""``bigday report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bigday.cli.common import scenario_from_args
from bigday.cli.store import add_store_option, store_from_args
from bigday.cli.verbs import verb_help
from bigday.errors import EXIT_OK, ConfigError
from bigday.present.console import terminal_safe
from bigday.report.history import History
from bigday.report.render import FORMATS, RenderOptions, default_path, render, write_report
from bigday.serve.history import store_history

TREND_DAYS = 90


def _history(args: argparse.Namespace) -> History | None:
    """The store's trends for the dashboard: from --store, else the default store beside the run if it exists."""
    if args.format != "html":
        return None
    if not args.store and not (Path(args.run_dir).parent / "bigday.sqlite").is_file():
        return None
    if not args.store:
        args.results_dir = str(Path(args.run_dir).parent)
    with store_from_args(args) as store:
        return store_history(store, scenario_from_args(args), TREND_DAYS)


def _report(args: argparse.Namespace) -> int:
    if args.pr_comment and args.format != "md":
        raise ConfigError("--pr-comment: the pull-request comment is Markdown; add --format md")
    scenario = scenario_from_args(args)
    target = Path(args.output) if args.output and args.output != "-" else None
    link_base = (target or default_path(args.run_dir, args.format, args.tenant)).parent
    options = RenderOptions(scenario=scenario, link_base=link_base, pr_comment=args.pr_comment)
    text = render(args.run_dir, args.format, options, tenant=args.tenant, history=_history(args))
    if args.output == "-":
        # A terminal shows what it is sent: the terminal format loses control characters and escape sequences
        # (an ESC or BEL in a page name or lighthouserc key is text, never a command to the terminal).
        sys.stdout.write(terminal_safe(text) if args.format == "terminal" else text)
        return EXIT_OK
    print(write_report(args.run_dir, args.format, text, target, tenant=args.tenant))
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help=verb_help("report"))
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument(
        "--format",
        "-f",
        default="terminal",
        choices=sorted(FORMATS),
        help="terminal (default, to stdout), md, junit, json or html (the dashboard)",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="where to write (default: RUN_DIR/dashboard.html for html, else RUN_DIR/report.<ext>; '-' for stdout)",
    )
    p.add_argument(
        "--tenant", metavar="ID", help="only this tenant's pages and data (no other tenant's name or numbers)"
    )
    p.add_argument(
        "--pr-comment",
        action="store_true",
        help="with --format md: the compact pull-request comment with deltas against the baseline, marked "
        "<!-- bigday-pr-comment --> so a workflow can update one sticky comment",
    )
    p.add_argument("--scenario", "-s", metavar="FILE", help="scenario YAML (tenant names, thresholds on trend charts)")
    add_store_option(p, results_dir=False)
    p.set_defaults(handler=_report)
