"""``bigday target``: serve the embedded reference target in the foreground (the target's own entry point)."""

from __future__ import annotations

import argparse

from bigday.target.main import add_target_arguments, run_target


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "target",
        help="serve the embedded reference target",
        description="Serve the multi-tenant reference wedding app on loopback, with fault knobs "
        "(see docs/reference-target.md).",
    )
    add_target_arguments(p)
    p.set_defaults(handler=run_target)
