"""``bigday run``: the nightly chain (target if needed → probe → ingest → compare → report)."""

from __future__ import annotations

import argparse

from bigday.cliargs import add_scenario_options, pending


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the nightly check: probe the critical paths, compare, report")
    add_scenario_options(p)
    p.set_defaults(handler=pending("run", "the browser probe"))
