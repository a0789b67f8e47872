"""``bigday ingest|prune|baseline|alerts``."""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bigday.cli.common import Subparsers, add_verb, results_dir_from_args
from bigday.errors import EXIT_OK, ConfigError
from bigday.settings.scenario import parse_duration_ms

if TYPE_CHECKING:
    from bigday.store.engine import Store


def add_store_option(p: argparse.ArgumentParser, results_dir: bool = True) -> None:
    p.add_argument(
        "--store",
        metavar="URL",
        help="results store: a SQLite path or sqlite:///path, or postgresql://user@host:port/db "
        "(default: $BIGDAY_STORE, else <results-dir>/bigday.sqlite); put the password in the environment "
        "(PGPASSWORD) rather than on the command line",
    )
    if results_dir:  # verbs with the scenario options already have --results-dir
        p.add_argument("--results-dir", metavar="DIR", help="where run folders and the default store live")


def store_from_args(args: argparse.Namespace) -> Store:
    from bigday.store.engine import open_store  # SQLAlchemy loads only for the verbs that use it

    return open_store(getattr(args, "store", None), results_dir_from_args(args))


def _ingest(args: argparse.Namespace) -> int:
    from bigday.store.ingest import ingest_run

    with store_from_args(args) as store:
        for run_dir in args.run_dirs:
            r = ingest_run(store, run_dir)
            if r.already_stored:
                print(f"{r.run_id}: already in {store.display_url}; nothing to do")
            else:
                print(f"{r.run_id}: ingested {r.samples} samples ({r.kind} run) into {store.display_url}")
    return EXIT_OK


def parse_age(raw: str, flag: str) -> timedelta:
    try:
        ms = parse_duration_ms(raw, default_unit="d")
    except ValueError as e:
        raise ConfigError(f"{flag}: expected a duration like 90d or 12h ({e})") from None
    if ms <= 0:
        raise ConfigError(f"{flag}: expected a positive duration, got {raw!r}")
    return timedelta(milliseconds=ms)


def _prune(args: argparse.Namespace) -> int:
    from bigday.store.repo import prune

    age = parse_age(args.older_than, "--older-than")
    with store_from_args(args) as store:
        r = prune(store, age)
    print(
        f"pruned {r.runs} run(s), {r.samples} sample(s), {r.checks} monitor check(s), {r.alerts} resolved alert(s) "
        f"older than {args.older_than}"
        + (f"; kept {r.kept_baselines} run(s) named as baselines" if r.kept_baselines else "")
    )
    return EXIT_OK


def _baseline(args: argparse.Namespace) -> int:
    from bigday.store import repo

    with store_from_args(args) as store:
        if args.action == "set":
            repo.set_baseline(store, args.name, args.run_id)
            print(f"baseline {args.name!r} -> run {args.run_id}")
            return EXIT_OK
        rows = repo.list_baselines(store)
    if args.action == "show":
        match = [r for r in rows if r["name"] == args.name]
        if not match:
            raise ConfigError(f"baseline {args.name!r}: unknown; known: {', '.join(r['name'] for r in rows) or 'none'}")
        rows = match
    if not rows:
        print("no baselines; set one with 'bigday baseline set NAME RUN_ID'")
    for r in rows:
        print(
            f"{r['name']}\t{r['run_id']}\tstarted {r['started_at']}\tbranch {r['app_git_branch'] or '-'}\t"
            f"verdict {r['verdict'] or '-'}"
        )
    return EXIT_OK


def _alert_line(a: dict[str, Any]) -> str:
    state = (
        "resolved"
        if a["resolved_at"]
        else ("acknowledged by " + a["acknowledged_by"] if a["acknowledged_at"] else "open")
    )
    actual = f"{a['actual']:.4g}" if a["actual"] is not None else "-"
    bound = f"{a['threshold']:.4g}" if a["threshold"] is not None else "-"
    return (
        f"#{a['id']}\t{a['severity']}\t{a['type']}\t{a['page']}\t{a['metric']}\tactual {actual} vs {bound}\t"
        f"x{a['occurrences']}\t{state}\tlast {a['last_seen_at']}"
    )


def _alerts(args: argparse.Namespace) -> int:
    from bigday.store import alerts

    with store_from_args(args) as store:
        if args.action == "ack":
            alerts.acknowledge(store, args.id, args.by, note=args.note)
            print(f"alert #{args.id} acknowledged by {args.by}")
        elif args.action == "resolve":
            alerts.resolve(store, args.id, args.note, by=args.by or getpass.getuser())
            print(f"alert #{args.id} resolved")
        else:
            rows = alerts.list_alerts(store, args.status)
            if args.json:
                print(json.dumps(rows, default=str, indent=2))
            elif not rows:
                print(f"no {args.status} alerts")
            for a in rows if not args.json else []:
                print(_alert_line(a))
    return EXIT_OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "ingest", _ingest)
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    add_store_option(p)

    p = add_verb(sub, "prune", _prune)
    p.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 90d")
    add_store_option(p)

    p = add_verb(sub, "baseline", _baseline)
    bsub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(p))
    b = bsub.add_parser("set", help="name a stored run as a baseline")
    b.add_argument("name")
    b.add_argument("run_id")
    add_store_option(b)
    b = bsub.add_parser("show", help="show one baseline")
    b.add_argument("name")
    add_store_option(b)
    b = bsub.add_parser("list", help="list baselines")
    add_store_option(b)

    p = add_verb(sub, "alerts", _alerts)
    asub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(p))
    a = asub.add_parser("list", help="list alerts (open by default)")
    a.add_argument("--status", default="open", choices=("open", "acknowledged", "resolved", "all"))
    a.add_argument("--json", action="store_true", help="machine-readable output")
    add_store_option(a)
    a = asub.add_parser("ack", help="acknowledge an alert (stops its reminders; written to the audit log)")
    a.add_argument("id", type=int)
    a.add_argument("--by", required=True, metavar="WHO")
    a.add_argument("--note", metavar="TEXT")
    add_store_option(a)
    a = asub.add_parser("resolve", help="resolve an alert (written to the audit log)")
    a.add_argument("id", type=int)
    a.add_argument("--note", metavar="TEXT")
    a.add_argument("--by", metavar="WHO", help="who resolves it (default: the login name)")
    add_store_option(a)
