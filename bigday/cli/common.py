"""Options shared by several verbs, resolved flag > BIGDAY_* environment > scenario > default."""

from __future__ import annotations

import argparse
from pathlib import Path

from bigday.settings import resolve
from bigday.settings.scenario import Scenario


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        "-s",
        metavar="FILE",
        help="scenario YAML (default: $BIGDAY_SCENARIO or scenarios/wedsync.yaml)",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="app under test (default: $BIGDAY_BASE_URL, the scenario's base_url, else the embedded target)",
    )
    parser.add_argument(
        "--results-dir",
        metavar="DIR",
        type=Path,
        help="where run folders go (default: $BIGDAY_RESULTS_DIR or ./results)",
    )


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    return resolve.scenario(getattr(args, "scenario", None))


def base_url_from_args(args: argparse.Namespace, scenario: Scenario) -> str | None:
    """The base URL to test, or None for the embedded reference target."""
    return resolve.base_url(getattr(args, "base_url", None), scenario)


def results_dir_from_args(args: argparse.Namespace) -> Path:
    return resolve.results_dir(getattr(args, "results_dir", None))
