"""Reads and small writes on the store: runs, samples of a run, baselines, verdicts, retention."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, func, select, text

from bigday.errors import ConfigError
from bigday.runfolder import Recommendation, utc_now
from bigday.store import schema
from bigday.store.engine import Store

ENVIRONMENT_KEYS = ("browser", "browser_version", "web_vitals_version", "profile", "cpu_count", "harness_version")


@dataclass(frozen=True)
class StoredRun:
    """A run row as compare needs it."""

    run_id: str
    kind: str
    started_at: datetime
    complete: bool
    verdict: str | None
    app_git_branch: str | None
    app_git_sha: str | None
    scenario_sha256: str | None
    environment: dict[str, Any]
    sample_count: int

    @classmethod
    def from_row(cls, row: Any) -> StoredRun:
        m = row._mapping
        started = m["started_at"]
        return cls(
            run_id=m["run_id"],
            kind=m["kind"],
            started_at=started,
            complete=bool(m["complete"]),
            verdict=m["verdict"],
            app_git_branch=m["app_git_branch"],
            app_git_sha=m["app_git_sha"],
            scenario_sha256=m["scenario_sha256"],
            environment={k: m[k] for k in ENVIRONMENT_KEYS},
            sample_count=int(m["sample_count"] or 0),
        )


def get_run(conn: Connection, run_id: str) -> StoredRun | None:
    row = conn.execute(select(schema.runs).where(schema.runs.c.run_id == run_id)).first()
    return StoredRun.from_row(row) if row else None


def run_samples(conn: Connection, run_id: str, engine: str = "bigday") -> dict[tuple[str, str], np.ndarray]:
    """A run's values per (page, metric), of one engine (samples stored before engines count as bigday's)."""
    sql = "SELECT page, metric, value FROM samples WHERE run_id = :r AND COALESCE(engine, 'bigday') = :e"
    rows = conn.execute(text(sql), {"r": run_id, "e": engine}).fetchall()
    acc: dict[tuple[str, str], list[float]] = defaultdict(list)
    for page, metric, value in rows:
        acc[(page, metric)].append(value)
    return {k: np.asarray(v, dtype=float) for k, v in acc.items()}


def run_recommendations(conn: Connection, run_id: str) -> list[Recommendation]:
    """A probe run's findings as recommendations.json held them, highest priority first."""
    t = schema.recommendations
    rows = conn.execute(select(t).where(t.c.run_id == run_id).order_by(t.c.id)).mappings().all()
    return [
        Recommendation(
            **{k: row[k] for k in row.keys() if k not in ("id", "run_id", "finding")},
            id=row["finding"],
        )
        for row in rows
    ]


def set_verdict(conn: Connection, run_id: str, verdict: str) -> None:
    conn.execute(schema.runs.update().where(schema.runs.c.run_id == run_id).values(verdict=verdict))


def latest_passing_on_branch(
    conn: Connection, branch: str, kind: str, before: datetime, exclude: str
) -> StoredRun | None:
    r = schema.runs
    row = conn.execute(
        select(r)
        .where(
            r.c.app_git_branch == branch,
            r.c.verdict == "pass",
            r.c.kind == kind,
            r.c.complete.is_(True),
            r.c.run_id != exclude,
            r.c.started_at <= before,
        )
        .order_by(r.c.started_at.desc())
        .limit(1)
    ).first()
    return StoredRun.from_row(row) if row else None


def nearest_to(conn: Connection, when: datetime, kind: str, exclude: str) -> StoredRun | None:
    """The complete run of ``kind`` whose start is nearest to ``when``."""
    r = schema.runs
    base = select(r).where(r.c.kind == kind, r.c.complete.is_(True), r.c.run_id != exclude)
    before = conn.execute(base.where(r.c.started_at <= when).order_by(r.c.started_at.desc()).limit(1)).first()
    after = conn.execute(base.where(r.c.started_at > when).order_by(r.c.started_at.asc()).limit(1)).first()
    found = [StoredRun.from_row(x) for x in (before, after) if x]
    if not found:
        return None
    return min(found, key=lambda s: abs((_aware(s.started_at) - when).total_seconds()))


def _aware(t: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.

    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


# ---------------------------------------------------------------- baselines


def set_baseline(store: Store, name: str, run_id: str) -> None:
    if not name.strip():
        raise ConfigError("baseline name: expected a non-empty name")
    b = schema.baselines
    with store.begin(f"setting baseline {name!r}") as conn:
        if get_run(conn, run_id) is None:
            raise ConfigError(f"run {run_id!r} is not in the store {store.display_url}; ingest it first")
        conn.execute(delete(b).where(b.c.name == name))
        conn.execute(b.insert().values(name=name, run_id=run_id, created_at=utc_now()))


def get_baseline(conn: Connection, name: str) -> str | None:
    row = conn.execute(select(schema.baselines.c.run_id).where(schema.baselines.c.name == name)).first()
    return row[0] if row else None


def list_baselines(store: Store) -> list[dict[str, Any]]:
    b, r = schema.baselines, schema.runs
    with store.begin("listing baselines") as conn:
        rows = conn.execute(
            select(b.c.name, b.c.run_id, b.c.created_at, r.c.started_at, r.c.app_git_branch, r.c.verdict)
            .join(r, r.c.run_id == b.c.run_id)
            .order_by(b.c.name)
        ).fetchall()
    return [dict(x._mapping) for x in rows]


# ---------------------------------------------------------------- retention


@dataclass(frozen=True)
class PruneResult:
    """What a prune removed."""

    runs: int
    samples: int
    alerts: int
    kept_baselines: int
    checks: int = 0  # the monitor's checks


def prune(store: Store, older_than: timedelta, now: datetime | None = None) -> PruneResult:
    """Delete runs (and their samples), the monitor's checks and resolved alerts older than the cut-off; named
    baselines are kept.

    Daily trends are kept: they are the small long-term summary that change-point detection reads.
    """
    cutoff = (now or utc_now()) - older_than
    r, s, b, a = schema.runs, schema.samples, schema.baselines, schema.alerts
    with store.begin("pruning") as conn:
        pinned = select(b.c.run_id)
        old = select(r.c.run_id).where(r.c.started_at < cutoff, r.c.run_id.not_in(pinned))
        kept = conn.execute(
            select(func.count()).select_from(r).where(r.c.started_at < cutoff, r.c.run_id.in_(pinned))
        ).scalar_one()
        n_samples = conn.execute(delete(s).where(s.c.run_id.in_(old))).rowcount
        conn.execute(delete(schema.recommendations).where(schema.recommendations.c.run_id.in_(old)))
        n_runs = conn.execute(delete(r).where(r.c.started_at < cutoff, r.c.run_id.not_in(pinned))).rowcount
        n_alerts = conn.execute(delete(a).where(a.c.resolved_at.is_not(None), a.c.resolved_at < cutoff)).rowcount
        c = schema.checks
        n_checks = conn.execute(delete(c).where(c.c.claimed_at < cutoff, c.c.status != "running")).rowcount
    return PruneResult(n_runs, n_samples, n_alerts, int(kept), n_checks)
