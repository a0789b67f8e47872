"""``bigday monitor`` (the long-running probe loop) and ``bigday maintenance`` (windows that mute alerts)."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from bigday.cli.common import (
    Subparsers,
    add_scenario_option,
    add_scenario_options,
    add_verb,
    base_url_from_args,
    results_dir_from_args,
    scenario_from_args,
)
from bigday.cli.store import add_store_option, parse_age, store_from_args
from bigday.errors import EXIT_OK, ConfigError
from bigday.present.console import console, err_console, plain
from bigday.present.monitor import event_line
from bigday.probe.profiles import PROFILES
from bigday.settings import resolve

if TYPE_CHECKING:
    from bigday.monitor.loop import Monitor


def _pages(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    pages = tuple(p.strip() for p in raw.split(",") if p.strip())
    if not pages:
        raise ConfigError("--pages: expected comma-separated page names, got nothing")
    return pages


def _seconds(raw: str | None, flag: str, unit: str = "s", allow_zero: bool = False) -> float | None:
    if raw is None:
        return None
    from bigday.settings.scenario import parse_duration_ms

    try:
        seconds = parse_duration_ms(raw, default_unit=unit) / 1000
    except ValueError as e:
        raise ConfigError(f"{flag}: expected a duration like 10s, 15m or 1h ({e})") from None
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(f"{flag}: expected a positive duration, got {raw!r}")
    return seconds


@contextmanager
def _stop_on_signals(monitor: Monitor) -> Iterator[None]:
    """SIGTERM/SIGINT finish the check in progress, then stop; a second one stops at once."""
    seen = {"n": 0}

    def handler(signum: int, frame: FrameType | None) -> None:
        seen["n"] += 1
        if seen["n"] > 1:
            raise KeyboardInterrupt
        print(f"bigday monitor: {signal.Signals(signum).name}: stopping after the check in progress", file=sys.stderr)
        monitor.request_stop()

    saved = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in saved.items():
            signal.signal(s, h)


@contextmanager
def _monitored_app(base_url: str | None, scenario_source: object) -> Iterator[tuple[str, bool]]:
    if base_url:
        yield base_url.rstrip("/"), False
        return
    from bigday.target.server import running_target  # no base URL: the embedded target, for trying it out

    with running_target(isolation="fair", scenario=scenario_source) as url:
        yield url, True


def _monitor(args: argparse.Namespace) -> int:
    from bigday.monitor.loop import Monitor, MonitorOptions, describe_schedules
    from bigday.probe.assets import load_assets

    scenario = scenario_from_args(args)
    every = _seconds(args.every, "--every")
    if every is not None and every < 1:
        raise ConfigError(f"--every: expected at least 1s, got {args.every!r}")
    options_kw = dict(
        scenario=scenario,
        location=resolve.location(args.location),
        pages=_pages(args.pages),
        every_s=every,
        jitter_s=_seconds(args.jitter, "--jitter", allow_zero=True),
        results_dir=results_dir_from_args(args),
        keep_runs=args.keep_runs,
        profile=resolve.profile(args.profile, PROFILES),
        max_checks=args.max_checks,
        duration_s=_seconds(args.duration, "--duration", unit="m"),
    )
    MonitorOptions(base_url="http://127.0.0.1", **options_kw).schedules()  # bad pages fail before anything starts
    load_assets()
    out, err = console(), err_console()
    with (
        store_from_args(args) as store,
        _monitored_app(base_url_from_args(args, scenario), scenario.source) as (url, embedded),
    ):
        options = MonitorOptions(base_url=url, embedded=embedded, **options_kw)
        monitor = Monitor(store, options, on_event=lambda e: out.print(event_line(e), soft_wrap=True))
        err.print(
            plain(f"bigday monitor: {url} from {options.location} into {store.display_url} as {monitor.instance_id}")
        )
        for line in describe_schedules(monitor.schedules):
            err.print(plain(f"  {line}"))
        channels = ", ".join(c.name for c in monitor.channels) or "none (set BIGDAY_WEBHOOK_URL, ...)"
        err.print(plain(f"  alert channels: {channels}"))
        with _stop_on_signals(monitor):
            summary = monitor.run()
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.checks.items())) or "no checks"
    err.print(plain(f"bigday monitor: stopped after {counts}; {summary.alerts} alert event(s)"))
    return EXIT_OK


def _maintenance(args: argparse.Namespace) -> int:
    from bigday.monitor import maintenance

    scenario = scenario_from_args(args)
    with store_from_args(args) as store:
        if args.action == "add":
            start = maintenance.parse_time(args.start, "--from")
            end = maintenance.parse_time(args.end, "--to") if args.end else None
            if end is None:
                length = parse_age(args.length, "--for") if args.length else None
                if length is None:
                    raise ConfigError("maintenance add: expected --to TIME or --for DURATION")
                end = start + length
            wid = maintenance.add_window(
                store, start, end, _pages(args.pages), args.reason or "", args.by or getpass.getuser(), scenario
            )
            print(
                f"maintenance window #{wid}: {start.isoformat()} to {end.isoformat()} for {args.pages or 'every page'}"
            )
        elif args.action == "delete":
            maintenance.delete_window(store, args.id, args.by or getpass.getuser(), scenario)
            print(f"maintenance window #{args.id} deleted")
        else:
            rows = maintenance.list_windows(store, include_past=args.all)
            if not rows:
                print("no maintenance windows" + ("" if args.all else " now or ahead (--all for past ones)"))
            for r in rows:
                pages = ",".join(r["pages"]) or "every page"
                print(
                    plain(
                        f"#{r['id']}\t{r['starts_at'].isoformat()}\t{r['ends_at'].isoformat()}\t{pages}\t"
                        f"{r['source']}\t{r['created_by'] or '-'}\t{r['reason'] or ''}"
                    )
                )
            for w in scenario.monitor.maintenance:
                if w.cron:
                    pages = ",".join(w.pages) or "every page"
                    print(plain(f"recurring\tcron {w.cron}\tfor {w.duration_s:g}s\t{pages}\tscenario\t{w.reason}"))
    return EXIT_OK


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "monitor",
        _monitor,
        description="Check each page of the scenario on its schedule (--every, or monitor.schedules in the "
        "scenario, with jitter), record every check in the store, open, remind and resolve alerts, and "
        "deliver them to the configured channels. Runs until SIGTERM/SIGINT (which let the check in progress "
        "finish). Several monitors can share one PostgreSQL store; a SQLite store takes one. See docs/monitor.md.",
    )
    add_scenario_options(p)
    add_store_option(p, results_dir=False)
    p.add_argument(
        "--every",
        metavar="DURATION",
        help="check every page this often, e.g. 10s, 15m (overrides the scenario's schedules)",
    )
    p.add_argument(
        "--jitter",
        metavar="DURATION",
        help="delay each slot's start by up to this (default: the scenario's, else 10%% of the interval, at most 60s)",
    )
    p.add_argument("--pages", metavar="A,B", help="comma-separated page names (default: every page)")
    p.add_argument(
        "--location",
        metavar="NAME",
        help="where this monitor runs, e.g. eu-west (default: $BIGDAY_LOCATION or 'default'); "
        "monitors of one location share its checks",
    )
    p.add_argument(
        "--profile", choices=tuple(PROFILES), help="throttling profile (default: $BIGDAY_PROFILE or desktop)"
    )
    p.add_argument(
        "--keep-runs",
        action="store_true",
        help="keep each check's run folder under <results>/monitor/ (default: removed once stored)",
    )
    p.add_argument("--max-checks", type=int, metavar="N", help="stop after N checks")
    p.add_argument("--duration", metavar="DURATION", help="stop after this long, e.g. 30m")

    p = add_verb(sub, "maintenance", _maintenance)
    msub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(p))
    a = msub.add_parser("add", help="add a window")
    a.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="TIME",
        help="now, now+30m, +2h or ISO 8601 (UTC without an offset)",
    )
    a.add_argument("--to", dest="end", metavar="TIME", help="end time (or --for)")
    a.add_argument("--for", dest="length", metavar="DURATION", help="length instead of --to, e.g. 2h")
    a.add_argument("--pages", metavar="A,B", help="pages it covers (default: every page)")
    a.add_argument("--reason", metavar="TEXT")
    a.add_argument("--by", metavar="WHO", help="who adds it (default: the login name)")
    a = msub.add_parser("list", help="list windows now or ahead (and the scenario's recurring ones)")
    a.add_argument("--all", action="store_true", help="past windows too")
    a = msub.add_parser("delete", help="delete a window")
    a.add_argument("id", type=int)
    a.add_argument("--by", metavar="WHO")
    for parser in msub.choices.values():
        add_scenario_option(parser, "$BIGDAY_SCENARIO or the bundled one")
        add_store_option(parser)
