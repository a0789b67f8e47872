"""``bigday monitor``: claim the next due check, run it, record it, deliver notifications; repeat until stopped.

Nothing a check does stops the loop: a target that is down or answers 500 is an ``unavailable`` check, a
crashed browser is restarted (and Chromium is recycled every ``browser_recycle`` checks so its memory stays
flat), an unexpected error in a check is an ``error`` check, and a store that cannot be reached is retried
with a pause. A stop request (SIGTERM or SIGINT, through ``request_stop``) lets the check in progress finish
and be recorded, then the loop ends.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bigday.errors import BigdayError, RunError, StoreError
from bigday.monitor import claims, maintenance, notify
from bigday.monitor.check import ERROR, CheckOutcome, CheckSettings, run_check
from bigday.monitor.claims import Claim
from bigday.monitor.record import MonitorEvent, RecordContext, record_check
from bigday.monitor.schedule import Schedule, schedules_for
from bigday.probe.app import AppUnderTest
from bigday.probe.browser import launch
from bigday.runfolder import utc_now
from bigday.settings.scenario import Scenario
from bigday.store.engine import Store
from bigday.store.trends import rebuild_trends

STORE_RETRY_S = 5.0
REAP_EVERY_S = 30.0
TRENDS_EVERY_S = 900.0
IDLE_POLL_S = 5.0
TICK_S = 0.2


@dataclass(frozen=True)
class MonitorOptions:
    """What to monitor and how; flags and scenario already resolved (bigday/cli/monitor.py)."""

    scenario: Scenario
    base_url: str
    location: str = "default"
    pages: tuple[str, ...] = ()
    every_s: float | None = None  # None: the scenario's schedules
    jitter_s: float | None = None
    results_dir: Path | None = None  # where run folders go while a check runs (and stay, with keep_runs)
    keep_runs: bool = False
    profile: str = "desktop"
    max_checks: int | None = None  # stop after this many checks (tests, benchmarks)
    duration_s: float | None = None  # stop after this long
    browser_recycle: int = 200  # a fresh Chromium every this many checks
    embedded: bool = False

    def schedules(self) -> dict[str, Schedule]:
        return schedules_for(self.scenario, self.pages, self.every_s, self.jitter_s)

    def check_settings(self) -> CheckSettings:
        m = self.scenario.monitor
        return CheckSettings(
            attempts=m.attempts, timeout_s=m.timeout_s, profile=self.profile, accessibility=m.accessibility
        )


@dataclass
class MonitorSummary:
    """What a monitor did before it stopped."""

    instance_id: str
    checks: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    notifications_sent: int = 0
    browser_restarts: int = 0


class StoreLock:
    """One monitor per SQLite store: an exclusive lock on a file beside it, released by the kernel when the
    process dies (SIGKILL included). PostgreSQL needs none: claims coordinate there."""

    def __init__(self, store: Store) -> None:
        self.path: Path | None = None
        self._file: IO[str] | None = None
        if store.dialect == "sqlite" and store.engine.url.database:
            self.path = Path(f"{store.engine.url.database}.monitor.lock")

    def __enter__(self) -> StoreLock:
        if self.path is None:
            return self
        f = self.path.open("a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise RunError(
                f"another bigday monitor ({holder}) is using the SQLite store {self.path.with_suffix('')}: "
                "SQLite takes one monitor per store; use a PostgreSQL store (--store postgresql://...) for several"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        self._file = f
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class _Heartbeat(threading.Thread):
    def __init__(self, store: Store, instance_id: str) -> None:
        super().__init__(name="monitor-heartbeat", daemon=True)
        self.store, self.instance_id = store, instance_id
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(claims.HEARTBEAT_S):
            try:
                claims.heartbeat(self.store, self.instance_id)
            except StoreError:
                pass  # the loop reports the store's trouble; a missed beat only risks a late reap


class Monitor:
    """One monitor process's loop (see the module)."""

    def __init__(self, store: Store, options: MonitorOptions, on_event: Callable[[MonitorEvent], None] | None = None):
        self.store = store
        self.options = options
        self.on_event = on_event or (lambda e: None)
        self.instance_id = claims.new_instance_id()
        self.summary = MonitorSummary(self.instance_id)
        self._stop = threading.Event()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._since_recycle = 0
        scenario = options.scenario
        self.schedules = options.schedules()
        self.tenants = {p.name: p.tenant or scenario.default_tenant.id for p in scenario.pages}
        self.channels = notify.channels_from(scenario)
        self.context = RecordContext(scenario, options.location, self.instance_id, tuple(c.name for c in self.channels))
        settings = options.check_settings()
        self.max_check_s = settings.attempts * (settings.timeout_s + 15.0) + 60.0

    # ------------------------------------------------------------ control

    def request_stop(self) -> None:
        """Stop after the check in progress (safe to call from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _emit(self, kind: str, text: str, page: str | None = None, severity: str | None = None) -> None:
        self.on_event(MonitorEvent(kind, page, text, severity))

    # ------------------------------------------------------------ the loop

    def run(self) -> MonitorSummary:
        o = self.options
        with StoreLock(self.store) as lock:
            claims.register(self.store, self.instance_id, o.location)
            with self.store.begin("syncing maintenance windows") as conn:
                added = maintenance.sync_scenario_windows(conn, o.scenario)
            if added:
                self._emit("schedule", f"{added} maintenance window(s) from the scenario added to the store")
            claims.sync_schedules(self.store, self.schedules, o.location)
            reaped = claims.reap(self.store, self.instance_id, self.max_check_s, everyone_else=lock.path is not None)
            if reaped:
                self._emit("schedule", f"{reaped} check(s) left running by a stopped monitor marked abandoned")
            beat = _Heartbeat(self.store, self.instance_id)
            beat.start()
            try:
                self._loop()
            finally:
                beat.halt.set()
                self._close_browser()
                self._finish()
        return self.summary

    def _finish(self) -> None:
        try:
            self._rebuild_trends()
            claims.stop(self.store, self.instance_id)
        except StoreError as e:
            self._emit("error", str(e))

    def _loop(self) -> None:
        o = self.options
        started = time.monotonic()
        last_reap = last_trends = time.monotonic()
        done = 0
        while not self.stopping:
            if o.max_checks is not None and done >= o.max_checks:
                break
            if o.duration_s is not None and time.monotonic() - started >= o.duration_s:
                break
            try:
                if time.monotonic() - last_reap >= REAP_EVERY_S:
                    last_reap = time.monotonic()
                    claims.reap(self.store, self.instance_id, self.max_check_s)
                if time.monotonic() - last_trends >= TRENDS_EVERY_S:
                    last_trends = time.monotonic()
                    self._rebuild_trends()
                claim = claims.claim_next(self.store, self.schedules, o.location, self.instance_id, self.tenants)
                if claim is None:
                    self._deliver()
                    self._idle()
                    continue
                self._run_one(claim)
                done += 1
                self._deliver()
            except StoreError as e:
                self._emit("error", f"{e}; retrying in {STORE_RETRY_S:g} s")
                self._sleep(STORE_RETRY_S)

    def _run_one(self, claim: Claim) -> None:
        outcome = self._check(claim)
        self.summary.checks[outcome.status] += 1
        for event in record_check(self.store, self.context, claim, outcome):
            if event.kind == "alert":
                self.summary.alerts += 1
            self.on_event(event)

    def _check(self, claim: Claim) -> CheckOutcome:
        o = self.options
        started = utc_now()
        try:
            browser = self._ensure_browser()
            app = AppUnderTest(o.base_url, embedded=o.embedded)
            return run_check(
                browser, app, o.scenario, claim.page, o.check_settings(), self._runs_dir(), keep_folder=o.keep_runs
            )
        except (BigdayError, PlaywrightError, OSError) as e:
            self._close_browser()  # whatever happened, the next check starts with a fresh browser
            return CheckOutcome(
                ERROR, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", started, utc_now(), 0
            )
        finally:
            self._since_recycle += 1

    def _runs_dir(self) -> Path:
        base = self.options.results_dir or Path.cwd() / "results"
        path = base / "monitor" / self.options.location
        path.mkdir(parents=True, exist_ok=True)
        return path

    # ------------------------------------------------------------ browser

    def _ensure_browser(self) -> Browser:
        if self._browser is not None and (
            not self._browser.is_connected() or self._since_recycle >= self.options.browser_recycle
        ):
            crashed = not self._browser.is_connected()
            self._close_browser()
            if crashed:
                self.summary.browser_restarts += 1
                self._emit("schedule", "Chromium was gone; starting a new one")
        if self._playwright is None:
            self._playwright = sync_playwright().start()
        if self._browser is None:
            self._browser = launch(self._playwright)
            self._since_recycle = 0
        return self._browser

    def _close_browser(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            try:
                if browser.is_connected():
                    browser.close()
            except PlaywrightError:
                pass
        manager, self._playwright = self._playwright, None
        if manager is not None:
            try:
                manager.stop()
            except (PlaywrightError, OSError):
                pass

    # ------------------------------------------------------------ between checks

    def _deliver(self) -> None:
        for d in notify.deliver_pending(self.store, self.channels):
            if d.sent:
                self.summary.notifications_sent += 1
            what = "sent" if d.sent else f"not sent ({d.detail}){'; giving up' if d.gave_up else '; will retry'}"
            self._emit("notification", f"alert #{d.alert_id} {d.event} via {d.channel}: {what}")

    def _rebuild_trends(self) -> None:
        today = utc_now().date()
        with self.store.begin("rebuilding daily trends") as conn:
            rebuild_trends(conn, {today, today - timedelta(days=1)})

    def _idle(self) -> None:
        due = claims.next_due(self.store, sorted(self.schedules), self.options.location)
        now = utc_now()
        wait = IDLE_POLL_S if due is None else (due - now).total_seconds()
        self._sleep(min(max(wait, TICK_S), IDLE_POLL_S))

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(TICK_S, max(deadline - time.monotonic(), 0.0)))


def describe_schedules(schedules: dict[str, Schedule], now: datetime | None = None) -> list[str]:
    """One line per page: its schedule and its next slot."""
    now = now or utc_now()
    out = []
    for page, s in schedules.items():
        nxt = s.next_after(s.slot_at_or_before(now))
        out.append(f"{page}: {s.spec}; next slot {nxt.strftime('%Y-%m-%d %H:%M:%SZ')}")
    return out
