"""``bigday target``: serve the embedded reference target in the foreground (the target's own entry point)."""

from __future__ import annotations

from bigday.cli.common import Subparsers, add_verb
from bigday.target.main import add_target_arguments, run_target


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "target",
        run_target,
        description="Serve the multi-tenant reference wedding app on loopback, with fault knobs "
        "(see docs/reference-target.md).",
    )
    add_target_arguments(p)
