"""The store's history as reports show it: daily trends, change points, alerts and the latest runs.

Read once from the store into plain records; change points are found by compare (``bigday.compare.history``)
and handed in by the caller, since report and compare are peers that never import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bigday.runfolder import ChangePointFinding, utc_now
from bigday.store import schema
from bigday.store.engine import Store
from bigday.store.trends import _as_date


@dataclass(frozen=True)
class TrendPoint:
    day: date
    page: str
    metric: str
    p75: float
    p95: float
    count: int


@dataclass(frozen=True)
class StoredAlert:
    id: int
    type: str
    severity: str
    page: str
    metric: str
    threshold: float | None
    actual: float | None
    occurrences: int
    created_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    run_id: str | None

    @property
    def state(self) -> str:
        return "acknowledged" if self.acknowledged_at else "open"


@dataclass(frozen=True)
class RecentRun:
    run_id: str
    kind: str
    started_at: datetime
    verdict: str | None
    branch: str | None
    sha: str | None


@dataclass(frozen=True)
class MaintenanceMark:
    """A maintenance window to shade on the charts: checks went on, alerts were muted, the SLA left it out."""

    starts_at: datetime
    ends_at: datetime
    pages: tuple[str, ...]  # empty: every page
    reason: str


@dataclass(frozen=True)
class History:
    """What the store knows over the last ``days`` days up to ``until``."""

    days: int
    until: date
    trends: tuple[TrendPoint, ...]
    change_points: tuple[ChangePointFinding, ...]
    alerts: tuple[StoredAlert, ...]  # open (unresolved), acknowledged or not
    runs: tuple[RecentRun, ...]
    page_tenants: dict[str, str | None]
    store: str
    maintenance: tuple[MaintenanceMark, ...] = ()  # the caller's (the monitor's windows), to mark on the trends


def _probe_pages(conn: object, since: date) -> dict[str, str | None]:
    """The pages with daily trends since ``since`` that probe runs measured, with their tenant. (One distinct
    over every sample took 6 s on a store of a million; the trends name the pages, one sample each the tenant.)"""
    t, s, r = schema.daily_trends, schema.samples, schema.runs
    pages = conn.execute(select(t.c.page).distinct().where(t.c.day >= since)).scalars().all()  # type: ignore[attr-defined]
    out: dict[str, str | None] = {}
    for page in pages:
        # A monitor's check is a probe run of one run (kind "monitor"): its pages have trends too.
        row = conn.execute(  # type: ignore[attr-defined]
            select(s.c.tenant)
            .join(r, r.c.run_id == s.c.run_id)
            .where(s.c.page == page, s.c.day >= since, r.c.kind.in_(("probe", "monitor")))
            .limit(1)
        ).first()
        if row is not None:
            out[page] = row[0]
    return out


def read_history(
    store: Store,
    days: int = 90,
    until: date | None = None,
    pages: Iterable[str] | None = None,
    metrics: Iterable[str] | None = None,
    change_points: Iterable[ChangePointFinding] = (),
    latest_runs: int = 10,
) -> History:
    """Trends of probe pages (filtered to ``pages`` / ``metrics`` when given), open alerts, the latest runs."""
    until = until or utc_now().date()
    since = until - timedelta(days=days - 1)
    t, a, r = schema.daily_trends, schema.alerts, schema.runs
    wanted_pages = set(pages) if pages else None
    wanted_metrics = set(metrics) if metrics else None
    with store.begin("reading the history") as conn:
        page_tenants = _probe_pages(conn, since)
        rows = conn.execute(
            select(t.c.day, t.c.page, t.c.metric, t.c.p75, t.c.p95, t.c.count)
            .where(t.c.day >= since, t.c.day <= until)
            .order_by(t.c.page, t.c.metric, t.c.day)
        ).fetchall()
        alert_rows = conn.execute(
            select(a).where(a.c.resolved_at.is_(None)).order_by(a.c.last_seen_at.desc(), a.c.id.desc())
        ).fetchall()
        run_rows = conn.execute(select(r).order_by(r.c.started_at.desc()).limit(latest_runs)).fetchall()
    trends = tuple(
        TrendPoint(_as_date(day), page, metric, float(p75), float(p95), int(count))
        for day, page, metric, p75, p95, count in rows
        if page in page_tenants
        and (wanted_pages is None or page in wanted_pages)
        and (wanted_metrics is None or metric in wanted_metrics)
    )
    alerts = tuple(
        StoredAlert(
            x.id,
            x.type,
            x.severity,
            x.page,
            x.metric,
            x.threshold,
            x.actual,
            int(x.occurrences or 1),
            x.created_at,
            x.last_seen_at,
            x.acknowledged_at,
            x.acknowledged_by,
            x.run_id,
        )
        for x in alert_rows
    )
    runs = tuple(
        RecentRun(x.run_id, x.kind, x.started_at, x.verdict, x.app_git_branch, x.app_git_sha) for x in run_rows
    )
    keep = {(p.page, p.metric) for p in trends}
    found = tuple(c for c in change_points if (c.page, c.metric) in keep)
    return History(days, until, trends, found, alerts, runs, page_tenants, store.display_url)
