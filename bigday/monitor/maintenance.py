"""Maintenance windows: checks keep measuring, alerts are muted, and the time is left out of the SLA.

One-off windows live in the store (``bigday maintenance add``, or the scenario's ``from``/``to`` windows,
copied in once by the monitor); recurring ones (``cron`` + ``duration``) are read from the scenario. A check
carries a ``maintenance`` flag set when it is recorded, and re-set for the checks a window covers when a
window is added or deleted later, so the SLA of a past day changes with the windows it had.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from bigday.errors import ConfigError
from bigday.runfolder import utc_now
from bigday.settings.scenario import MaintenanceSpec, Scenario, parse_duration_ms
from bigday.store import audit, schema
from bigday.store.engine import Store

_RELATIVE = re.compile(r"^\s*(now)?\s*([+-])\s*(\S+)\s*$")


def parse_time(text: str, flag: str, now: datetime | None = None) -> datetime:
    """``now``, ``now+30m`` / ``+2h``, or ISO 8601 (a time without an offset is UTC)."""
    now = now or utc_now()
    raw = text.strip()
    if raw == "now":
        return now
    m = _RELATIVE.match(raw)
    if m and (m.group(1) or raw.startswith(("+", "-"))):
        try:
            ms = parse_duration_ms(m.group(3), default_unit="m")
        except ValueError:
            raise ConfigError(f"{flag} {text!r}: expected now, now+30m, +2h or an ISO 8601 time") from None
        return now + (1 if m.group(2) == "+" else -1) * timedelta(milliseconds=ms)
    try:
        t = datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(
            f"{flag} {text!r}: expected now, now+30m, +2h or an ISO 8601 time like 2026-12-01T02:00:00Z"
        ) from None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _pages_json(pages: tuple[str, ...]) -> str | None:
    return json.dumps(sorted(pages)) if pages else None


def _covers(pages_json: str | None, page: str) -> bool:
    return pages_json is None or page in json.loads(pages_json)


def recurring_covers(spec: MaintenanceSpec, page: str, at: datetime) -> bool:
    """Whether a recurring (cron + duration) window of the scenario covers ``page`` at ``at``."""
    if spec.cron is None or spec.duration_s is None or (spec.pages and page not in spec.pages):
        return False
    from croniter import croniter

    start: datetime = croniter(spec.cron, at + timedelta(microseconds=1)).get_prev(datetime)
    return start <= at < start + timedelta(seconds=spec.duration_s)


def covered(conn: Connection, scenario: Scenario, page: str, at: datetime) -> bool:
    """Whether any window (stored or recurring) covers ``page`` at ``at``."""
    m = schema.maintenance_windows
    rows = conn.execute(select(m.c.pages).where(m.c.starts_at <= at, m.c.ends_at > at)).fetchall()
    if any(_covers(r.pages, page) for r in rows):
        return True
    return any(recurring_covers(w, page, at) for w in scenario.monitor.maintenance)


def reflag(conn: Connection, scenario: Scenario | None, start: datetime, end: datetime) -> int:
    """Recompute the maintenance flag of the checks that started in [start, end); returns how many changed."""
    c, m = schema.checks, schema.maintenance_windows
    windows = conn.execute(
        select(m.c.starts_at, m.c.ends_at, m.c.pages).where(m.c.starts_at < end, m.c.ends_at > start)
    )
    spans = [(_aware(w.starts_at), _aware(w.ends_at), w.pages) for w in windows.fetchall()]
    recurring = scenario.monitor.maintenance if scenario is not None else ()
    rows = conn.execute(
        select(c.c.id, c.c.page, c.c.started_at, c.c.maintenance).where(c.c.started_at >= start, c.c.started_at < end)
    ).fetchall()
    changed: dict[bool, list[int]] = {True: [], False: []}
    for r in rows:
        at = _aware(r.started_at)
        flag = any(a <= at < b and _covers(p, r.page) for a, b, p in spans) or any(
            recurring_covers(w, r.page, at) for w in recurring
        )
        if bool(r.maintenance) != flag:
            changed[flag].append(r.id)
    for flag, ids in changed.items():
        for i in range(0, len(ids), 500):
            conn.execute(c.update().where(c.c.id.in_(ids[i : i + 500])).values(maintenance=flag))
    return len(changed[True]) + len(changed[False])


def _check_pages(scenario: Scenario | None, pages: tuple[str, ...]) -> None:
    if scenario is not None:
        for p in pages:
            scenario.page(p)


def add_window(
    store: Store,
    start: datetime,
    end: datetime,
    pages: tuple[str, ...] = (),
    reason: str = "",
    by: str = "unknown",
    scenario: Scenario | None = None,
) -> int:
    """Store a window (pages empty: every page), re-flag the checks it covers, audit it; returns its id."""
    if end <= start:
        raise ConfigError(f"--to ({end.isoformat()}) must come after --from ({start.isoformat()})")
    _check_pages(scenario, pages)
    m = schema.maintenance_windows
    with store.begin("adding a maintenance window") as conn:
        new_id = conn.execute(
            m.insert()
            .values(
                starts_at=start,
                ends_at=end,
                pages=_pages_json(pages),
                reason=reason or None,
                created_by=by,
                created_at=utc_now(),
                source="cli",
            )
            .returning(m.c.id)
        ).scalar_one()
        reflag(conn, scenario, start, end)
        detail = {"from": start.isoformat(), "to": end.isoformat(), "pages": list(pages) or "all", "reason": reason}
        audit.record(conn, by, "maintenance.add", f"window {new_id}", detail)
    return int(new_id)


def delete_window(store: Store, window_id: int, by: str = "unknown", scenario: Scenario | None = None) -> None:
    m = schema.maintenance_windows
    with store.begin(f"deleting maintenance window {window_id}") as conn:
        row = conn.execute(select(m).where(m.c.id == window_id)).first()
        if row is None:
            raise ConfigError(f"maintenance window {window_id}: no such window in the store {store.display_url}")
        conn.execute(m.delete().where(m.c.id == window_id))
        reflag(conn, scenario, _aware(row.starts_at), _aware(row.ends_at))
        audit.record(conn, by, "maintenance.delete", f"window {window_id}", {"from": str(row.starts_at)})


def list_windows(store: Store, include_past: bool = False, now: datetime | None = None) -> list[dict[str, Any]]:
    m = schema.maintenance_windows
    q = select(m).order_by(m.c.starts_at)
    if not include_past:
        q = q.where(m.c.ends_at > (now or utc_now()))
    with store.begin("listing maintenance windows") as conn:
        rows = conn.execute(q).fetchall()
    return [
        dict(r._mapping)
        | {
            "starts_at": _aware(r.starts_at),
            "ends_at": _aware(r.ends_at),
            "pages": json.loads(r.pages) if r.pages else [],
        }
        for r in rows
    ]


def _key(w: MaintenanceSpec) -> str:
    text = f"{w.start.isoformat() if w.start else ''}|{w.end.isoformat() if w.end else ''}|{sorted(w.pages)}|{w.reason}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def sync_scenario_windows(conn: Connection, scenario: Scenario) -> int:
    """Copy the scenario's one-off windows into the store once each; returns how many were new."""
    m = schema.maintenance_windows
    have = {r[0] for r in conn.execute(select(m.c.source_key).where(m.c.source == "scenario")).fetchall()}
    added = 0
    for w in scenario.monitor.maintenance:
        if w.start is None or w.end is None or _key(w) in have:
            continue
        conn.execute(
            m.insert().values(
                starts_at=w.start,
                ends_at=w.end,
                pages=_pages_json(w.pages),
                reason=w.reason or None,
                created_by=f"scenario {scenario.source.name}",
                created_at=utc_now(),
                source="scenario",
                source_key=_key(w),
            )
        )
        reflag(conn, scenario, w.start, w.end)
        added += 1
    return added


def occurrences(
    spec: MaintenanceSpec, start: datetime, end: datetime, limit: int = 200
) -> Iterable[tuple[datetime, datetime]]:
    """The times a recurring window is open between ``start`` and ``end`` (at most ``limit``)."""
    if spec.cron is None or spec.duration_s is None:
        return []
    from croniter import croniter

    it = croniter(spec.cron, start - timedelta(seconds=spec.duration_s))
    out: list[tuple[datetime, datetime]] = []
    while len(out) < limit:
        s: datetime = it.get_next(datetime)
        if s >= end:
            break
        out.append((s, s + timedelta(seconds=spec.duration_s)))
    return out
