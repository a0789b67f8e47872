"""The audit log: who acknowledged or resolved an alert, added or revoked a token, or changed maintenance."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from bigday.runfolder import utc_now
from bigday.store import schema
from bigday.store.engine import Store


def record(
    conn: Connection, actor: str, action: str, target: str, detail: dict[str, Any] | None = None, source: str = "cli"
) -> None:
    """One audit row, inside the caller's transaction (so the change and its record commit together)."""
    conn.execute(
        schema.audit_log.insert().values(
            at=utc_now(),
            actor=actor[:200],
            action=action,
            target=target[:200],
            detail=json.dumps(detail or {}, default=str),
            source=source,
        )
    )


def list_audit(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit rows first."""
    a = schema.audit_log
    with store.begin("reading the audit log") as conn:
        rows = conn.execute(select(a).order_by(a.c.at.desc(), a.c.id.desc()).limit(limit)).fetchall()
    return [dict(r._mapping) | {"detail": json.loads(r.detail or "{}")} for r in rows]
