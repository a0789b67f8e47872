"""Alerts in the store: raised deduplicated while open (same type, page, metric), acknowledged, resolved."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bigday.errors import ConfigError
from bigday.runfolder import SEVERITIES, Alert, Severity, utc_now
from bigday.store import audit, schema
from bigday.store.engine import Store


def _max_severity(a: Severity, b: Severity) -> Severity:
    return a if SEVERITIES.index(a) >= SEVERITIES.index(b) else b


def raise_alert(conn: Connection, alert: Alert) -> Alert:
    """Insert, or fold into the open alert with the same type, page and metric (escalating its severity)."""
    a = schema.alerts
    now = utc_now()
    values = {
        "type": alert.type,
        "severity": alert.severity,
        "page": alert.page,
        "metric": alert.metric,
        "threshold": alert.threshold,
        "actual": alert.actual,
        "window": alert.window,
        "data": json.dumps(alert.data, default=str),
        "run_id": alert.run_id,
        "first_run_id": alert.run_id,
        "occurrences": 1,
        "created_at": now,
        "last_seen_at": now,
        "tenant": alert.tenant,
    }
    insert = pg_insert(a) if conn.dialect.name == "postgresql" else sqlite_insert(a)
    # The partial unique index decides between concurrent raisers; the loser updates the winner's row.
    stmt = (
        insert.values(**values)
        .on_conflict_do_nothing(index_elements=[a.c.type, a.c.page, a.c.metric], index_where=a.c.resolved_at.is_(None))
        .returning(a.c.id)
    )
    new_id = conn.execute(stmt).scalar_one_or_none()
    if new_id is not None:
        return replace(alert, id=new_id, occurrences=1, new=True)
    row = conn.execute(
        select(a.c.id, a.c.severity, a.c.occurrences)
        .where(a.c.type == alert.type, a.c.page == alert.page, a.c.metric == alert.metric, a.c.resolved_at.is_(None))
        .with_for_update()
    ).one()
    severity = _max_severity(row.severity, alert.severity)
    conn.execute(
        a.update()
        .where(a.c.id == row.id)
        .values(
            severity=severity,
            threshold=alert.threshold,
            actual=alert.actual,
            window=alert.window,
            data=values["data"],
            run_id=alert.run_id,
            occurrences=row.occurrences + 1,
            last_seen_at=now,
        )
    )
    return replace(alert, id=row.id, severity=severity, occurrences=row.occurrences + 1, new=False)


def alerts_by_status(status: str) -> Select[Any]:
    """The query of alerts by status (open, acknowledged, resolved or all), newest first."""
    a = schema.alerts
    q = select(a).order_by(a.c.last_seen_at.desc(), a.c.id.desc())
    if status == "open":
        return q.where(a.c.resolved_at.is_(None))
    if status == "acknowledged":
        return q.where(a.c.resolved_at.is_(None), a.c.acknowledged_at.is_not(None))
    if status == "resolved":
        return q.where(a.c.resolved_at.is_not(None))
    if status != "all":
        raise ConfigError(f"alert status: expected open, acknowledged, resolved or all, got {status!r}")
    return q


def list_alerts(store: Store, status: str = "open") -> list[dict[str, Any]]:
    """Alerts by status: open (unresolved), acknowledged, resolved or all; newest first."""
    q = alerts_by_status(status)
    with store.begin("listing alerts") as conn:
        return [dict(r._mapping) for r in conn.execute(q).fetchall()]


def _get(conn: Connection, alert_id: int, store: Store) -> Any:
    row = conn.execute(select(schema.alerts).where(schema.alerts.c.id == alert_id)).first()
    if row is None:
        raise ConfigError(f"alert {alert_id}: no such alert in the store {store.display_url}")
    return row


def _with_note(notes: str | None, note: str | None) -> str | None:
    return "\n".join(x for x in (notes, note) if x) or None


def _change_open(
    store: Store, alert_id: int, doing: str, values: dict[str, Any], note: str | None, audited: tuple[str, str, str]
) -> None:
    """Set ``values`` on an alert that is not resolved yet, with the note appended; audited in the same
    transaction as (who, action, source)."""
    with store.begin(f"{doing} alert {alert_id}") as conn:
        row = _get(conn, alert_id, store)
        if row.resolved_at is not None:
            raise ConfigError(f"alert {alert_id} is already resolved")
        notes = _with_note(row.notes, note)
        conn.execute(schema.alerts.update().where(schema.alerts.c.id == alert_id).values(**values, notes=notes))
        who, action, source = audited
        audit.record(conn, who, action, f"alert {alert_id}", {"note": note}, source)


def acknowledge(
    store: Store,
    alert_id: int,
    by: str,
    when: datetime | None = None,
    note: str | None = None,
    source: str = "cli",
) -> None:
    """Acknowledge an open alert (reminders stop); written to the audit log in the same transaction."""
    if not by.strip():
        raise ConfigError("--by: expected who acknowledges the alert")
    values = {"acknowledged_at": when or utc_now(), "acknowledged_by": by}
    _change_open(store, alert_id, "acknowledging", values, note, (by, "alert.acknowledge", source))


def resolve(
    store: Store,
    alert_id: int,
    note: str | None,
    when: datetime | None = None,
    by: str | None = None,
    source: str = "cli",
) -> None:
    """Resolve an open alert by hand, with who and a note; written to the audit log in the same transaction."""
    values = {"resolved_at": when or utc_now(), "resolved_by": by}
    _change_open(store, alert_id, "resolving", values, note, (by or "unknown", "alert.resolve", source))


def resolve_in(conn: Connection, alert_id: int, by: str, note: str | None, when: datetime | None = None) -> None:
    """Resolve inside the caller's transaction (the monitor's auto-resolve, recorded with its check)."""
    row = conn.execute(select(schema.alerts.c.notes).where(schema.alerts.c.id == alert_id)).one()
    conn.execute(
        schema.alerts.update()
        .where(schema.alerts.c.id == alert_id, schema.alerts.c.resolved_at.is_(None))
        .values(resolved_at=when or utc_now(), notes=_with_note(row.notes, note), resolved_by=by)
    )
