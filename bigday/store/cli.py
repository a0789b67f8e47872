"""``bigday ingest|prune|baseline|alerts``."""

from __future__ import annotations

import argparse

from bigday.cliargs import pending


def register(sub: argparse._SubParsersAction) -> None:
    for verb, text in (
        ("ingest", "load a run folder into the results store"),
        ("prune", "delete stored results older than a retention period"),
        ("baseline", "set, show or list named baselines"),
        ("alerts", "list, acknowledge or resolve alerts"),
    ):
        p = sub.add_parser(verb, help=text)
        p.set_defaults(handler=pending(verb, "the results store"))
