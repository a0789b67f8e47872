"""``bigday target``."""

from __future__ import annotations

import argparse

from bigday.cliargs import pending


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("target", help="serve the embedded reference target")
    p.set_defaults(handler=pending("target", "the reference target"))
