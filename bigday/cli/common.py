"""What several verbs share: the scenario options, and the app under test (a given URL or the embedded target)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeAlias

from playwright.sync_api import Browser

from bigday.cli.verbs import verb_help
from bigday.probe.app import AppUnderTest, check_answers
from bigday.probe.assets import load_assets
from bigday.probe.results import PageRun
from bigday.probe.runner import ProbeOptions, ProbeOutcome, probe_app
from bigday.settings import resolve
from bigday.settings.scenario import Scenario

# argparse's class is generic only to type checkers.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_verb(
    sub: Subparsers,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    description: str | None = None,
    run_dir: bool = False,
) -> argparse.ArgumentParser:
    """The parser of verb ``name`` (its help from the verb table), which runs ``handler``; ``run_dir``: the verb
    works on one run folder, named first."""
    parser = sub.add_parser(name, help=verb_help(name), description=description)
    if run_dir:
        parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.set_defaults(handler=handler)
    return parser


def add_scenario_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--scenario", "-s", metavar="FILE", help=f"scenario YAML (default: {default})")


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    add_scenario_option(parser, "$BIGDAY_SCENARIO or scenarios/wedsync.yaml")
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


@contextmanager
def app_under_test(base_url: str | None, scenario: Scenario) -> Iterator[AppUnderTest]:
    """The given base URL (checked to answer), or the embedded reference target on a free loopback port."""
    if base_url:
        check_answers(base_url)
        yield AppUnderTest(base_url.rstrip("/"), embedded=False)
        return
    from bigday.target.server import running_target  # only the command line starts the reference target

    with running_target(isolation="fair", scenario=scenario.source) as url:
        yield AppUnderTest(url.rstrip("/"), embedded=True)


def run_probe(
    options: ProbeOptions, browser: Browser | None = None, on_run: Callable[[PageRun], None] | None = None
) -> ProbeOutcome:
    """Probe the scenario's pages: the embedded target is started (and stopped) when no base URL is given."""
    load_assets()  # a missing npm asset fails before a target or browser is started
    with app_under_test(options.base_url, options.scenario) as app:
        return probe_app(options, app, browser=browser, on_run=on_run)


@contextmanager
def load_target(base_url: str | None, isolation: str | None) -> Iterator[tuple[str, bool]]:
    """(URL, embedded): the given base URL, or the reference target in ``isolation`` mode (default fair)."""
    if base_url:
        yield base_url.rstrip("/"), False
        return
    from bigday.target.server import running_target

    with running_target(isolation=isolation or "fair") as url:
        yield url.rstrip("/"), True
