"""``bigday load``."""

from __future__ import annotations

import argparse

from bigday.cliargs import add_scenario_options, pending


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="rehearse the Saturday upload spike and judge tenant isolation")
    add_scenario_options(p)
    p.set_defaults(handler=pending("load", "the load rehearsal"))
