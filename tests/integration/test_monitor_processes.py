"""Monitors as processes: two sharing one PostgreSQL store for 60 s (no slot run twice, none skipped), and a
monitor SIGKILLed in the middle of a check, then restarted (no duplicate or lost alert, the schedule goes on)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from sqlalchemy import select

from bigday.settings.scenario import DEFAULT_SCENARIO
from bigday.store import schema
from bigday.store.engine import open_store
from bigday.target.server import clear_faults, running_target, set_faults

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def scenario_file(tmp_path: Path, pages: tuple[str, ...], **alerts: Any) -> Path:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["pages"] = [p for p in data["pages"] if p["name"] in pages]
    data["monitor"] = {"jitter": "0s", "attempts": 1, "accessibility": "off", "alerts": alerts or {}}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def start_monitor(
    tmp_path: Path, name: str, url: str, store: str, scenario: Path, *extra: str
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "bigday", "monitor", "--scenario", str(scenario), "--base-url", url, "--store", store]
    cmd += ["--results-dir", str(tmp_path / "results"), *extra]
    with (tmp_path / f"{name}.log").open("w") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)


def wait_for(what: str, cond: Callable[[], Any], timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _reap(procs: list[psutil.Process]) -> None:
    """End what a killed monitor left behind (its Playwright driver and Chromium), by PID."""
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.mark.postgres
def test_two_monitors_share_one_postgresql_store_without_running_a_slot_twice(tmp_path: Path, pg) -> None:
    url_store = pg.new_database()
    scenario = scenario_file(tmp_path, ("dashboard", "clients"))
    open_store(url_store).close()  # migrate once, before both start
    with running_target() as url:
        procs = [
            # 15 s: on two shared cores a check can take 9 s, and two pages due together must both fit a slot
            # with one monitor starting late; the pages share each slot's due time (no jitter), so the two
            # monitors contend for every slot.
            start_monitor(tmp_path, f"m{i}", url, url_store, scenario, "--every", "15s", "--duration", "60s")
            for i in range(2)
        ]
        try:
            codes = [p.wait(timeout=150) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    logs = [(tmp_path / f"m{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], logs
    with open_store(url_store) as store, store.begin() as conn:
        rows = conn.execute(select(schema.checks).order_by(schema.checks.c.slot_at)).fetchall()
        missed = conn.execute(
            select(schema.audit_log).where(schema.audit_log.c.action == "monitor.missed_slots")
        ).fetchall()
    # Every claimed slot ran to a verdict (a page that timed out on this busy machine is a verdict too).
    assert {r.status for r in rows} <= {"ok", "unavailable", "broken"}, [(r.page, r.status, r.error) for r in rows]
    for page in ("dashboard", "clients"):
        slots = [_aware(r.slot_at) for r in rows if r.page == page]
        assert len(slots) == len(set(slots)), f"{page}: a slot ran twice"
        steps = {(b - a).total_seconds() for a, b in zip(slots, slots[1:], strict=False)}
        assert steps == {15.0}, f"{page}: slots skipped: {slots}"
        assert len(slots) >= 3
    assert missed == []
    assert len({r.claimed_by for r in rows}) == 2, "both monitors ran checks"


def test_sigkill_mid_check_then_restart_keeps_one_alert_and_the_schedule(tmp_path: Path) -> None:
    store_path = str(tmp_path / "s.sqlite")
    scenario = scenario_file(tmp_path, ("dashboard",), open_after=3, resolve_after=2)
    store = open_store(store_path)
    c, a = schema.checks, schema.alerts

    def checks(status: str | None = None) -> list[Any]:
        with store.begin() as conn:
            q = select(c).order_by(c.c.slot_at)
            return conn.execute(q.where(c.c.status == status) if status else q).fetchall()

    def alerts() -> list[Any]:
        with store.begin() as conn:
            return conn.execute(select(a).where(a.c.type == "availability")).fetchall()

    with running_target() as url:
        set_faults(url, down=True)
        first = start_monitor(tmp_path, "first", url, store_path, scenario, "--every", "5s")
        try:
            wait_for("two unavailable checks", lambda: len(checks("unavailable")) >= 2, 90)
            running = wait_for("the third check to be under way", lambda: checks("running"), 30)
            children = psutil.Process(first.pid).children(recursive=True)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        _reap(children)
        assert alerts() == []  # two failing checks counted, N is three
        killed = running[0]
        second = start_monitor(tmp_path, "second", url, store_path, scenario, "--every", "5s")
        try:
            opened = wait_for("the availability alert", alerts, 90)
            clear_faults(url)
            wait_for("it to resolve", lambda: all(x.resolved_at is not None for x in alerts()), 90)
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()
    rows = checks()
    by_id = {r.id: r for r in rows}
    assert by_id[killed.id].status == "abandoned" and "stopped before finishing" in by_id[killed.id].error
    (alert,) = alerts()  # one alert, opened once, resolved once
    assert alert.id == opened[0].id and alert.resolved_at is not None
    unavailable = [r for r in rows if r.status == "unavailable"]
    assert json.loads(alert.data)["check_id"] == unavailable[2].id  # the third counted failure opened it
    slots = [_aware(r.slot_at) for r in rows]
    assert len(slots) == len(set(slots))
    after = [s for s in slots if s > _aware(killed.slot_at)]
    assert after and after[0] - _aware(killed.slot_at) <= timedelta(seconds=30)  # the schedule went on
    with store.begin() as conn:
        n = schema.notifications
        events = conn.execute(select(n.c.event).where(n.c.alert_id == alert.id)).scalars().all()
    assert events == [] or sorted(events) == ["opened", "resolved"]  # no channel configured: nothing queued
    store.close()
    assert "Traceback" not in (tmp_path / "second.log").read_text()
    assert os.path.exists(store_path + ".monitor.lock")
