"""``bigday rum snippet | report | prune``: field data (docs/rum.md).

``snippet`` prints the tag an app puts in its pages (the collector is ``POST /rum`` on ``bigday serve``);
``report`` prints the field p75 of real visits beside the lab's per page and the gap, and each page's field p75
against ``monitor.field.thresholds`` (exit 1 where the lab is too kind or an error-level field threshold is
past); ``prune`` applies the retention policy now (the collector also does, hourly).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bigday.cli.common import Subparsers, add_scenario_option, add_verb, scenario_from_args
from bigday.cli.store import add_store_option, store_from_args
from bigday.errors import EXIT_OK, EXIT_VERDICT_FAILED, ConfigError
from bigday.present.console import plain

DEFAULT_ENDPOINT = "http://127.0.0.1:8080/rum"
REPORT_DAYS = 28  # CrUX's rolling window


def _snippet(args: argparse.Namespace) -> int:
    from bigday.serve.collector import snippet

    scenario = scenario_from_args(args)
    sites = scenario.rum.sites
    if args.tenant is not None:
        scenario.tenant(args.tenant)
        sites = tuple(s for s in sites if s.tenant == args.tenant)
    if not sites:
        who = f"tenant {args.tenant!r}" if args.tenant else "any tenant"
        raise ConfigError(f"{scenario.source}: rum.sites names no site for {who}; add one with its key and origins")
    if len(sites) > 1:
        names = ", ".join(s.tenant for s in sites)
        raise ConfigError(f"--tenant: the scenario has several sites ({names}); name the one the tag is for")
    site = sites[0]
    print(snippet(args.endpoint, site.key, site.tenant, args.sample_rate, args.route, args.inline))
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from bigday.compare.field import judge_field
    from bigday.serve import field

    scenario = scenario_from_args(args)
    if args.tenant is not None:
        scenario.tenant(args.tenant)
    if args.days is not None and not 1 <= args.days <= 400:
        raise ConfigError(f"--days: expected 1 to 400, got {args.days}")
    days = args.days or REPORT_DAYS
    # The thresholds over the monitor's window unless --days says otherwise: the report agrees with the alerts.
    threshold_days = args.days or scenario.monitor.field.days
    with store_from_args(args) as store, store.read("reading field beacons") as conn:
        views = field.field_beside_lab(conn, scenario, args.tenant, days)
        judged = judge_field(conn, scenario, tenant=args.tenant, days=threshold_days)
    flags = field.warnings(views)
    failed = [j for j in judged if j.breached and j.threshold.level == "error"]
    if args.format == "json":
        print(json.dumps(field.as_json(views, days) | {"thresholds": [j.as_dict() for j in judged]}, indent=2))
    else:
        print(f"field (real visits, p75 over {days} days) beside lab (bigday's probe, same days)")
        print_table(views)
        if judged:
            print(f"field thresholds (monitor.field.thresholds, p75 over {threshold_days} day(s)):")
        for j in judged:
            mark = f"{j.threshold.level.upper()}" if j.breached else "ok"
            print(plain(f"{mark}\t{j.page}\t{j.describe()}"))
    return EXIT_VERDICT_FAILED if flags or failed else EXIT_OK


def print_table(views: list[Any]) -> None:
    """The field-beside-lab rows, tab-separated, then the flags (``bigday rum report``, ``bigday sla``)."""
    from bigday.serve import field

    print("\t".join(field.TABLE_HEAD))
    for row in field.table_rows(views):
        print(plain("\t".join(row)))
    for f in field.warnings(views):
        print(plain(f))


def _prune(args: argparse.Namespace) -> int:
    from bigday.store import rum as rum_store

    scenario = scenario_from_args(args)
    with store_from_args(args) as store, store.begin("pruning field beacons") as conn:
        gone = rum_store.prune(conn, scenario.rum.retention_s)
    print(f"{gone} field values older than {scenario.rum.retention_s / 86400:g} days deleted")
    return EXIT_OK


def _rate(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.1, got {raw!r}") from None


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "rum",
        lambda args: args.rum_handler(args),
        description="Field data: the beacon snippet for an app's pages, the field p75 beside the lab's, and the "
        "retention policy. The collector is POST /rum on 'bigday serve'. See docs/rum.md.",
    )
    rsub = p.add_subparsers(dest="rum_action", metavar="ACTION", required=True, parser_class=type(p))
    s = rsub.add_parser("snippet", help="print the <script> tag that sends web-vitals beacons to the collector")
    s.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help=f"the collector's URL (default {DEFAULT_ENDPOINT})")
    s.add_argument("--sample-rate", type=_rate, default=1.0, help="share of page views that send (default 1)")
    s.add_argument("--tenant", metavar="ID", help="the studio whose site key the tag carries (rum.sites)")
    s.add_argument("--route", metavar="TEMPLATE", help="the page's route template, e.g. /clients/:id")
    s.add_argument("--inline", action="store_true", help="inline the script instead of loading it from the server")
    add_scenario_option(s, "$BIGDAY_SCENARIO or the bundled one")
    s.set_defaults(rum_handler=_snippet)
    r = rsub.add_parser(
        "report",
        help="field p75 beside the lab's per page, where the lab is too kind, and the field thresholds; "
        "exit 1 on a flag or an error-level field threshold past",
    )
    r.add_argument(
        "--days",
        type=int,
        help="the rolling window in UTC days (default 28, as CrUX; the field thresholds: monitor.field.days)",
    )
    r.add_argument("--tenant", metavar="ID", help="only this studio's pages and beacons")
    r.add_argument("--format", choices=("terminal", "json"), default="terminal")
    add_scenario_option(r, "$BIGDAY_SCENARIO or the bundled one")
    add_store_option(r)
    r.set_defaults(rum_handler=_report)
    d = rsub.add_parser("prune", help="delete field values older than rum.retention (the collector does it hourly)")
    add_scenario_option(d, "$BIGDAY_SCENARIO or the bundled one")
    add_store_option(d)
    d.set_defaults(rum_handler=_prune)
