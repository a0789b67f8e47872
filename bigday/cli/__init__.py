"""The ``bigday`` command: parse, call one library function per verb, map errors to exit codes.

Each area of the engine registers its own verbs (``register(subparsers)``); this module only wires them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bigday import __version__
from bigday.cli.verbs import VERBS
from bigday.errors import EXIT_RUN_FAILED, EXIT_USAGE, BigdayError
from bigday.settings import environment, redact

if TYPE_CHECKING:
    from bigday.cli.common import Subparsers

EPILOG = """exit codes: 0 all within bounds, or some check INCONCLUSIVE (the evidence could not tell; exit 1 with
--strict); 1 a threshold, budget, regression or isolation verdict failed; 2 usage or configuration error; 3 the
run could not be carried out (target down, browser failed, untrustworthy load evidence).
configuration: flag > BIGDAY_* environment variable > scenario file > defaults."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default already uses 2) and no usage dump on errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _register(sub: Subparsers, verb: str | None) -> None:
    """The verbs' parsers: all of them, or only the module of ``verb`` and a bare entry for each other."""
    modules = list(dict.fromkeys(module for module, _ in VERBS.values()))
    if verb is not None:
        modules = [VERBS[verb][0]]
    for module in modules:
        # A verb's module brings in the engine it drives; imported only when wanted.
        importlib.import_module(f"bigday.cli.{module}").register(sub)
    for name, (module, help) in VERBS.items():
        if module not in modules:
            sub.add_parser(name, help=help)


def _verb_of(argv: Sequence[str]) -> str | None:
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in VERBS else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the command line, only the parser of the verb it names is built in full (so
    ``bigday --help`` and ``bigday VERB`` stay quick)."""
    parser = _Parser(
        prog="bigday",
        description="Synthetic monitoring and load rehearsal for a multi-tenant wedding-vendor web app.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bigday {__version__}")
    sub: Subparsers = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    if argv is None:
        _register(sub, None)
    elif (verb := _verb_of(argv)) is not None:
        _register(sub, verb)
    else:  # no verb, or one that is not: the list of verbs is all argparse needs
        for name, (_, help) in VERBS.items():
            sub.add_parser(name, help=help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except BigdayError as e:
        print(f"bigday: error: {plain(redact.text(str(e)))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("bigday: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a full disk, a read-only folder, ... outside bigday's own writers: the environment
        where = f"{e.filename}: " if e.filename else ""
        print(f"bigday: error: {plain(redact.text(f'{where}{e.strerror or e}'))}", file=sys.stderr)
        return EXIT_RUN_FAILED
    except Exception as e:  # a bug of ours: one line unless asked for the traceback
        if environment.debug():
            traceback.print_exc()
        reason = plain(redact.text(str(e)))
        print(
            f"bigday: internal error: {type(e).__name__}: {reason} (set BIGDAY_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED


def plain(text: str) -> str:
    """One line without control characters (ESC, BEL, ...): an error may quote what a user or an app wrote."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def entry() -> None:
    sys.exit(main())
