"""``bigday sla``: availability, the share within every threshold, error budgets and burn rates per page and
tenant over a window, as a terminal table, JSON, Markdown or HTML ("SLA evidence")."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from bigday.cli.common import Subparsers, add_scenario_option, add_verb, scenario_from_args
from bigday.cli.rum import print_table
from bigday.cli.store import add_store_option, parse_age, store_from_args
from bigday.errors import EXIT_OK, EXIT_VERDICT_FAILED, ConfigError
from bigday.present.console import console


def _sla(args: argparse.Namespace) -> int:
    from bigday.monitor.evidence import RENDERERS
    from bigday.monitor.sla import sla_report
    from bigday.present.sla import sla_renderable
    from bigday.serve import field

    scenario = scenario_from_args(args)
    window = parse_age(args.window, "--window").total_seconds() if args.window else None
    if args.tenant is not None:
        scenario.tenant(args.tenant)
    with store_from_args(args) as store, store.begin("reading checks for the SLA") as conn:
        report = sla_report(conn, scenario, window, tenant=args.tenant, location=args.location)
        days = max(1, min(400, math.ceil((report.end - report.start).total_seconds() / 86_400)))
        views = field.measured(field.field_beside_lab(conn, scenario, args.tenant, days)) if args.field else []
    if args.format == "terminal":
        console().print(sla_renderable(report))
        if views:
            print(f"\nfield (real visits, p75 over {days} days) beside lab (bigday's probe, same days)")
            print_table(views)
    else:
        text = RENDERERS[args.format](report)
        if views:
            text = _with_field(args.format, text, views, days)
        if args.output and args.output != "-":
            try:
                Path(args.output).write_text(text, encoding="utf-8")
            except OSError as e:
                raise ConfigError(f"--output {args.output}: cannot write: {e.strerror}") from None
            print(f"SLA evidence written to {args.output}")
        else:
            print(text, end="")
    return EXIT_OK if report.met else EXIT_VERDICT_FAILED


def _with_field(fmt: str, text: str, views: list[Any], days: int) -> str:
    """The SLA evidence with the field-beside-lab section added in its format."""
    from bigday.serve import field

    if fmt == "json":
        body = json.loads(text)
        body["field"] = field.as_json(views, days)
        return json.dumps(body, indent=2) + "\n"
    if fmt == "md":
        return text.rstrip("\n") + "\n\n" + field.as_markdown(views, days)
    end = text.rindex("</body>")
    return text[:end] + field.as_html(views, days) + text[end:]


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "sla",
        _sla,
        description="Per page and per tenant over --window: availability (checks that loaded), the share of "
        "checks within every threshold, error budget used and left, burn rates over 1h/6h/3d with their short "
        "windows. Maintenance windows are left out. Exit 1 when an objective is missed over the window.",
    )
    p.add_argument(
        "--window", metavar="DURATION", help="e.g. 30d, 7d, 12h (default: the scenario's monitor.sla.window, 30d)"
    )
    p.add_argument("--tenant", metavar="ID", help="only this studio's pages (a report it can be sent)")
    p.add_argument("--location", metavar="NAME", help="only the checks run from this location")
    p.add_argument("--format", choices=("terminal", "md", "html", "json"), default="terminal")
    p.add_argument(
        "--no-field",
        dest="field",
        action="store_false",
        help="leave out the field p75 of real visits beside the probe's (shown when the store holds beacons)",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    add_scenario_option(p, "$BIGDAY_SCENARIO or the bundled one")
    add_store_option(p)
