"""``bigday report``."""

from __future__ import annotations

import argparse

from bigday.cliargs import pending


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render a run's results as Markdown, JUnit XML, JSON or HTML")
    p.set_defaults(handler=pending("report", "the reports"))
