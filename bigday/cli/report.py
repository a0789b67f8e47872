"""``bigday report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bigday.cli.common import Subparsers, add_verb
from bigday.errors import EXIT_OK
from bigday.report.render import FORMATS, render, write_report


def _report(args: argparse.Namespace) -> int:
    text = render(args.run_dir, args.format)
    if args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.output) if args.output else None
    path = write_report(args.run_dir, args.format, text, target)
    print(path)
    return EXIT_OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "report", _report, "render a run's results as Markdown, JUnit XML, JSON or HTML", run_dir=True)
    p.add_argument(
        "--format",
        "-f",
        default="terminal",
        choices=sorted(FORMATS),
        help="terminal (default, to stdout), md, junit, json or html",
    )
    p.add_argument(
        "--output", "-o", metavar="FILE", help="where to write (default: RUN_DIR/report.<ext>; '-' for stdout)"
    )
