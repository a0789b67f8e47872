"""Who runs which check: the schedule rows, claims and the monitors' heartbeats, all in the store.

A claim is one short transaction: the due schedule row of this location is locked (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so a second monitor takes the next row instead of waiting), a ``running`` check row
is inserted for its slot (unique per page, location and slot: a slot cannot run twice even if two monitors
disagreed about the schedule), and the row moves on to the next slot. On SQLite, ``BEGIN IMMEDIATE``
serialises the claims and a lock file keeps to one monitor per store (bigday.monitor.loop).

A monitor that dies leaves its claimed check ``running``; it is marked ``abandoned`` once its monitor's
heartbeat is stale (or, on SQLite, when the next monitor starts), and the slot is not rerun: the schedule
had already moved past it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bigday import __version__
from bigday.monitor.check import ABANDONED, RUNNING
from bigday.monitor.schedule import Schedule
from bigday.runfolder import utc_now
from bigday.store import audit, schema
from bigday.store.engine import Store

HEARTBEAT_S = 10.0
STALE_AFTER_S = 4 * HEARTBEAT_S


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _insert(conn: Connection, table: object) -> object:
    return pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)  # type: ignore[arg-type]


def new_instance_id() -> str:
    return f"{socket.gethostname()[:60]}-{os.getpid()}-{secrets.token_hex(3)}"


def register(store: Store, instance_id: str, location: str) -> None:
    now = utc_now()
    with store.begin("registering the monitor") as conn:
        conn.execute(
            schema.monitor_instances.insert().values(
                id=instance_id,
                location=location,
                host=socket.gethostname()[:200],
                pid=os.getpid(),
                version=__version__,
                started_at=now,
                heartbeat_at=now,
            )
        )


def heartbeat(store: Store, instance_id: str) -> None:
    m = schema.monitor_instances
    with store.begin("monitor heartbeat") as conn:
        conn.execute(m.update().where(m.c.id == instance_id).values(heartbeat_at=utc_now()))


def stop(store: Store, instance_id: str) -> None:
    m = schema.monitor_instances
    with store.begin("stopping the monitor") as conn:
        conn.execute(m.update().where(m.c.id == instance_id).values(stopped_at=utc_now(), heartbeat_at=utc_now()))


def sync_schedules(store: Store, schedules: dict[str, Schedule], location: str, now: datetime | None = None) -> int:
    """Add a schedule row per page, or restart a page's grid when its schedule changed; returns rows (re)set."""
    now = now or utc_now()
    s = schema.monitor_schedule
    changed = 0
    with store.begin("syncing the schedule") as conn:
        rows = {
            r.page: r
            for r in conn.execute(
                select(s).where(s.c.location == location, s.c.page.in_(sorted(schedules))).with_for_update()
            ).fetchall()
        }
        for page, sched in schedules.items():
            row = rows.get(page)
            if row is not None and row.spec == sched.spec:
                continue
            slot = sched.first_slot(now)
            values = {"spec": sched.spec, "slot_at": slot, "due_at": sched.due(slot), "updated_at": now}
            if row is None:
                stmt = _insert(conn, s).values(page=page, location=location, **values)  # type: ignore[attr-defined]
                conn.execute(stmt.on_conflict_do_nothing(index_elements=[s.c.page, s.c.location]))
            else:
                conn.execute(s.update().where(s.c.page == page, s.c.location == location).values(**values))
            changed += 1
    return changed


@dataclass(frozen=True)
class Claim:
    """A check this monitor is to run now."""

    check_id: int
    page: str
    location: str
    slot_at: datetime
    due_at: datetime
    skipped: int  # stale slots passed over to reach this one


def claim_next(
    store: Store,
    schedules: dict[str, Schedule],
    location: str,
    instance_id: str,
    tenants: dict[str, str],
    now: datetime | None = None,
) -> Claim | None:
    """Claim the most overdue check of this location among ``schedules``' pages, or None when none is due."""
    now = now or utc_now()
    s, c = schema.monitor_schedule, schema.checks
    with store.begin("claiming a check") as conn:
        row = conn.execute(
            select(s)
            .where(s.c.location == location, s.c.page.in_(sorted(schedules)), s.c.due_at <= now)
            .order_by(s.c.due_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        sched = schedules[row.page]
        slot, skipped = sched.latest_due(_aware(row.slot_at), now)
        nxt = sched.next_after(slot)
        conn.execute(
            s.update()
            .where(s.c.page == row.page, s.c.location == location)
            .values(slot_at=nxt, due_at=sched.due(nxt), updated_at=now)
        )
        stmt = (
            _insert(conn, c)
            .values(  # type: ignore[attr-defined]
                page=row.page,
                location=location,
                tenant=tenants.get(row.page),
                slot_at=slot,
                due_at=sched.due(slot),
                claimed_by=instance_id,
                claimed_at=now,
                started_at=now,
                status=RUNNING,
                maintenance=False,
            )
            .on_conflict_do_nothing(index_elements=[c.c.page, c.c.location, c.c.slot_at])
            .returning(c.c.id)
        )
        check_id = conn.execute(stmt).scalar_one_or_none()
        if skipped:
            detail = {"location": location, "slots": skipped, "up_to": slot.isoformat(), "every": sched.spec}
            audit.record(conn, instance_id, "monitor.missed_slots", row.page, detail, source="monitor")
        if check_id is None:
            return None  # that slot ran already (the schedule was reset to a grid it had run)
    return Claim(int(check_id), row.page, location, slot, sched.due(slot), skipped)


def next_due(store: Store, pages: list[str], location: str) -> datetime | None:
    s = schema.monitor_schedule
    with store.begin("reading the schedule") as conn:
        t = conn.execute(
            select(func.min(s.c.due_at)).where(s.c.location == location, s.c.page.in_(sorted(pages)))
        ).scalar_one_or_none()
    return _aware(t) if t is not None else None


def reap(store: Store, instance_id: str, max_check_s: float, everyone_else: bool = False) -> int:
    """Mark ``abandoned`` the running checks of monitors that stopped or went silent (or that ran far too long);
    with ``everyone_else`` (SQLite, where this monitor holds the store's lock) every other monitor's."""
    now = utc_now()
    c, m = schema.checks, schema.monitor_instances
    gone = select(m.c.id).where(
        or_(m.c.stopped_at.is_not(None), m.c.heartbeat_at < now - timedelta(seconds=STALE_AFTER_S))
    )
    # Spelled as a literal so SQLite's planner can use the partial index on running checks (a bound parameter
    # does not imply the index's WHERE), instead of scanning every check.
    cond = [c.c.status == literal_column(f"'{RUNNING}'")]
    if everyone_else:
        cond.append(c.c.claimed_by != instance_id)
    else:
        cond.append(
            or_(
                c.c.claimed_by.in_(gone),
                c.c.claimed_at < now - timedelta(seconds=max_check_s),
                c.c.claimed_by.not_in(select(m.c.id)),
            )
        )
    with store.begin("reaping abandoned checks") as conn:
        rows = conn.execute(select(c.c.id, c.c.claimed_by).where(*cond).with_for_update(skip_locked=True)).fetchall()
        for r in rows:
            conn.execute(
                c.update()
                .where(c.c.id == r.id, c.c.status == RUNNING)
                .values(
                    status=ABANDONED,
                    finished_at=now,
                    error=f"the monitor that claimed it ({r.claimed_by}) stopped before finishing it",
                )
            )
        if rows:
            audit.record(
                conn,
                instance_id,
                "monitor.abandoned",
                f"{len(rows)} check(s)",
                {"ids": [r.id for r in rows]},
                "monitor",
            )
    return len(rows)


def instances(store: Store) -> list[dict[str, object]]:
    m = schema.monitor_instances
    with store.begin("listing monitors") as conn:
        rows = conn.execute(select(m).order_by(m.c.started_at.desc()).limit(50)).fetchall()
    return [json.loads(json.dumps(dict(r._mapping), default=str)) for r in rows]
