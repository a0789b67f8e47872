"""Options shared by several verbs, resolved flag > BIGDAY_* environment > scenario > default."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bigday.settings.scenario import Scenario, load_scenario


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
    return load_scenario(args.scenario or os.environ.get("BIGDAY_SCENARIO") or None)


def base_url_from_args(args: argparse.Namespace, scenario: Scenario) -> str | None:
    """The base URL to test, or None for the embedded reference target."""
    url = getattr(args, "base_url", None) or os.environ.get("BIGDAY_BASE_URL") or scenario.base_url
    return url.rstrip("/") if url else None


def results_dir_from_args(args: argparse.Namespace) -> Path | None:
    d = getattr(args, "results_dir", None) or os.environ.get("BIGDAY_RESULTS_DIR")
    return Path(d) if d else None
