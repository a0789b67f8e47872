"""``bigday trends`` and ``bigday dashboard``: the store's history without a run."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.text import Text

from bigday.cli.common import scenario_from_args
from bigday.cli.load import positive_int
from bigday.cli.store import add_store_option, store_from_args
from bigday.cli.verbs import verb_help
from bigday.errors import EXIT_OK, ConfigError
from bigday.present.console import console
from bigday.present.trends import trends_table
from bigday.report.dashboard import render_dashboard
from bigday.report.data import history_report
from bigday.report.history import History
from bigday.report.render import default_path, tenant_names
from bigday.runfolder import write_text_atomic
from bigday.serve.history import store_history


def _history(args: argparse.Namespace, days: int) -> History:
    scenario = scenario_from_args(args)
    pages = [p for p in (args.page or []) if p]
    metrics = [m for m in (args.metric or []) if m]
    with store_from_args(args) as store:
        return store_history(store, scenario, days, pages or None, metrics or None)


def _trends(args: argparse.Namespace) -> int:
    history = _history(args, args.days)
    console().print(trends_table(history))
    return EXIT_OK


def _dashboard(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    history = _history(args, args.days)
    out_dir = Path(args.out)
    data = history_report(history)
    if args.tenant:
        names = tenant_names(scenario)
        if args.tenant not in names:
            raise ConfigError(f"--tenant {args.tenant!r}: not a tenant of the scenario; known: {', '.join(names)}")
        data = data.for_tenant(args.tenant, names)
    path = default_path(out_dir, "html", args.tenant)
    try:
        write_text_atomic(path, render_dashboard(data, scenario, out_dir))
    except OSError as e:
        raise ConfigError(f"{path}: cannot write the dashboard: {e.strerror}") from None
    console().print(Text(str(path)), soft_wrap=True)
    return EXIT_OK


def _common(p: argparse.ArgumentParser, days: int) -> None:
    p.add_argument("--scenario", "-s", metavar="FILE", help="scenario YAML (thresholds drawn; tenants)")
    p.add_argument("--page", action="append", metavar="NAME", help="only this page (repeatable)")
    p.add_argument("--metric", action="append", metavar="NAME", help="only this metric (repeatable)")
    p.add_argument("--days", type=positive_int, default=days, metavar="N", help=f"days of history (default {days})")
    add_store_option(p)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    t = sub.add_parser("trends", help=verb_help("trends"))
    _common(t, 30)
    t.set_defaults(handler=_trends)
    d = sub.add_parser("dashboard", help=verb_help("dashboard"))
    _common(d, 90)
    d.add_argument("--out", required=True, metavar="DIR", help="folder to write dashboard.html into")
    d.add_argument("--tenant", metavar="ID", help="only this tenant's pages and data")
    d.set_defaults(handler=_dashboard)
