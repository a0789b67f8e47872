"""``bigday compare``."""

from __future__ import annotations

import argparse

from bigday.cliargs import add_scenario_options, pending


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="judge a run against thresholds, budgets and a baseline")
    add_scenario_options(p)
    p.set_defaults(handler=pending("compare", "the comparator"))
