"""The ``bigday`` command: parse, call one library function per verb, map errors to exit codes.

Each area of the engine registers its own verbs (``register(subparsers)``); this module only wires them.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bigday import __version__
from bigday.errors import EXIT_RUN_FAILED, EXIT_USAGE, BigdayError
from bigday.settings import environment

if TYPE_CHECKING:
    from bigday.cli.common import Subparsers

EPILOG = """exit codes: 0 all within bounds; 1 a threshold, budget, regression or isolation verdict failed;
2 usage or configuration error; 3 the run could not be carried out (target down, browser failed).
configuration: flag > BIGDAY_* environment variable > scenario file > defaults."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default already uses 2) and no usage dump on errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _registrars() -> list[Callable[[Subparsers], None]]:
    # Imported here so `bigday --help` stays fast and a broken optional area cannot break the others.
    from bigday.cli import assets, compare, dashboard, load, probe, report, run, scenario, store, target

    return [
        run.register,
        probe.register,
        load.register,
        compare.register,
        report.register,
        dashboard.register,
        store.register,
        target.register,
        scenario.register,
        assets.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bigday",
        description="Synthetic monitoring and load rehearsal for a multi-tenant wedding-vendor web app.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bigday {__version__}")
    sub: Subparsers = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except BigdayError as e:
        print(f"bigday: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("bigday: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug of ours: one line unless asked for the traceback
        if environment.debug():
            traceback.print_exc()
        print(f"bigday: internal error: {type(e).__name__}: {e} (set BIGDAY_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_RUN_FAILED


def entry() -> None:
    sys.exit(main())
