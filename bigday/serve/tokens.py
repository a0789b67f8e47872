"""Access tokens for the served dashboard: ``admin`` (everything; may acknowledge and resolve) or ``tenant:ID``
(only that studio's pages, data and alerts; read-only).

A token is shown once, when it is made; the store keeps its SHA-256 (a token is 256 random bits, so a plain
hash is as strong as a slow one would be) and its first characters, to tell tokens apart. Every token change
is written to the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from bigday.errors import ConfigError
from bigday.runfolder import utc_now
from bigday.settings.scenario import Scenario
from bigday.store import audit, schema
from bigday.store.engine import Store

PREFIX = "bdt_"
_ROLE = re.compile(r"^(admin|tenant:[a-z0-9][a-z0-9-]*)$")


@dataclass(frozen=True)
class Viewer:
    """Who a request acts as."""

    token_id: int
    name: str
    role: str

    @property
    def admin(self) -> bool:
        return self.role == "admin"

    @property
    def tenant(self) -> str | None:
        return self.role.removeprefix("tenant:") if self.role.startswith("tenant:") else None

    @property
    def actor(self) -> str:
        return f"token {self.name} (#{self.token_id})"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_role(role: str, scenario: Scenario | None) -> str:
    if not _ROLE.match(role):
        raise ConfigError(f"--role: expected admin or tenant:ID, got {role!r}")
    if role.startswith("tenant:") and scenario is not None:
        scenario.tenant(role.removeprefix("tenant:"))
    return role


def add_token(store: Store, name: str, role: str, by: str, scenario: Scenario | None = None) -> tuple[int, str]:
    """A new token: (id, the token itself, shown once)."""
    if not name.strip() or len(name) > 120:
        raise ConfigError(f"--name: expected a short name for the token, got {name!r}")
    check_role(role, scenario)
    token = PREFIX + secrets.token_urlsafe(32)
    t = schema.serve_tokens
    with store.begin("adding a token") as conn:
        token_id = conn.execute(
            t.insert()
            .values(
                name=name,
                role=role,
                token_hash=digest(token),
                prefix=token[: len(PREFIX) + 6],
                created_at=utc_now(),
                created_by=by,
            )
            .returning(t.c.id)
        ).scalar_one()
        audit.record(conn, by, "token.add", f"token {name} (#{token_id})", {"role": role})
    return int(token_id), token


def revoke_token(store: Store, token_id: int, by: str) -> None:
    t = schema.serve_tokens
    with store.begin(f"revoking token {token_id}") as conn:
        row = conn.execute(select(t).where(t.c.id == token_id)).first()
        if row is None:
            raise ConfigError(f"token {token_id}: no such token in the store {store.display_url}")
        if row.revoked_at is not None:
            raise ConfigError(f"token {token_id} ({row.name}) is already revoked")
        conn.execute(t.update().where(t.c.id == token_id).values(revoked_at=utc_now(), revoked_by=by))
        audit.record(conn, by, "token.revoke", f"token {row.name} (#{token_id})", {"role": row.role})


def list_tokens(store: Store) -> list[dict[str, Any]]:
    t = schema.serve_tokens
    with store.begin("listing tokens") as conn:
        rows = conn.execute(
            select(t.c.id, t.c.name, t.c.role, t.c.prefix, t.c.created_at, t.c.created_by, t.c.revoked_at).order_by(
                t.c.id
            )
        ).fetchall()
    return [dict(r._mapping) for r in rows]


def viewer_for(conn: Connection, token: str | None) -> Viewer | None:
    """The token's viewer, or None when it is missing, unknown or revoked."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    t = schema.serve_tokens
    row = conn.execute(
        select(t.c.id, t.c.name, t.c.role).where(t.c.token_hash == digest(token), t.c.revoked_at.is_(None))
    ).first()
    return Viewer(int(row.id), row.name, row.role) if row else None
