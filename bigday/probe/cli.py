"""``bigday probe``."""

from __future__ import annotations

import argparse

from bigday.cliargs import add_scenario_options, pending


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probe", help="measure web vitals of the critical paths in Chromium")
    add_scenario_options(p)
    p.set_defaults(handler=pending("probe", "the browser probe"))
