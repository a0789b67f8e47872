"""What a viewer may see, read from the store: every query here is filtered by the viewer's scope.

A ``tenant:ID`` viewer sees the scenario's pages whose tenant is ID, and only rows whose ``tenant`` column is
ID (checks, alerts); rows without a tenant are an admin's alone. Nothing here writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from bigday.monitor.check import BROKEN, COUNTED, OK, RUNNING
from bigday.monitor.sla import SlaReport, maintenance_rows, sla_report
from bigday.runfolder import utc_now
from bigday.serve.tokens import Viewer
from bigday.settings.scenario import Scenario
from bigday.store import schema
from bigday.store.alerts import alerts_by_status

ALERT_STATUSES = ("open", "acknowledged", "resolved", "all")
TREND_METRICS = ("lcp", "inp", "cls", "ttfb", "tbt", "fcp")
CHECK_COLUMNS = ("lcp", "inp", "cls", "ttfb", "tbt")


def _iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    return (t.replace(tzinfo=UTC) if t.tzinfo is None else t).isoformat()


@dataclass(frozen=True)
class PageInfo:
    name: str
    path: str | None
    tenant: str | None


class Scope:
    """The pages and rows one viewer may see."""

    def __init__(self, scenario: Scenario, viewer: Viewer) -> None:
        self.scenario = scenario
        self.viewer = viewer
        self.tenant = viewer.tenant
        default = scenario.default_tenant.id
        self._pages = {p.name: PageInfo(p.name, p.path, p.tenant or default) for p in scenario.pages}

    def pages(self, conn: Connection) -> list[PageInfo]:
        if self.tenant is not None:
            return [p for p in self._pages.values() if p.tenant == self.tenant]
        # Pages the monitor schedules that the scenario does not name (another scenario's monitor, say).
        s = schema.monitor_schedule.c
        extra = [r[0] for r in conn.execute(select(s.page).distinct()).fetchall() if r[0] not in self._pages]
        return list(self._pages.values()) + [PageInfo(name, None, None) for name in sorted(extra)]

    def may_see(self, page: str) -> bool:
        if self.tenant is None:
            return True
        info = self._pages.get(page)
        return info is not None and info.tenant == self.tenant

    def rows(self, column: Any) -> list[Any]:
        """The WHERE clause that keeps a tenant viewer to its own rows (nothing for an admin)."""
        return [] if self.tenant is None else [column == self.tenant]

    def tenant_names(self) -> dict[str, str]:
        return {t.id: t.name for t in self.scenario.tenants if self.tenant is None or t.id == self.tenant}


def _check_dict(r: Any) -> dict[str, Any]:
    metrics = json.loads(r.metrics or "{}")
    breaches = json.loads(r.breaches or "[]")
    return {
        "id": r.id,
        "page": r.page,
        "tenant": r.tenant,
        "location": r.location,
        "slot_at": _iso(r.slot_at),
        "started_at": _iso(r.started_at),
        "status": r.status,
        "error": r.error,
        "within_thresholds": r.within_thresholds,
        "maintenance": bool(r.maintenance),
        "metrics": metrics,
        "outside": sorted({b["metric"] for b in breaches if b.get("kind") == "threshold"}),
        "anomalies": sorted({b["metric"] for b in breaches if b.get("kind") == "anomaly"}),
        "duration_s": r.duration_s,
    }


def checks(conn: Connection, scope: Scope, page: str, limit: int = 50) -> list[dict[str, Any]]:
    """The page's latest checks, newest first."""
    if not scope.may_see(page):
        return []
    c = schema.checks
    q = (
        select(c)
        .where(c.c.page == page, c.c.status != RUNNING, *scope.rows(c.c.tenant))
        .order_by(c.c.started_at.desc())
        .limit(limit)
    )
    return [_check_dict(r) for r in conn.execute(q).fetchall()]


def overview(conn: Connection, scope: Scope, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per visible page: its latest check, the last 24 h's availability and share within thresholds, open alerts."""
    now = now or utc_now()
    c, a = schema.checks, schema.alerts
    since = now - timedelta(hours=24)
    visible = scope.pages(conn)
    names = [p.name for p in visible]
    day = {
        r.page: r
        for r in conn.execute(
            select(
                c.c.page,
                func.count().label("n"),
                func.sum(case((c.c.status.in_((OK, BROKEN)), 1), else_=0)).label("available"),
                func.sum(case((and_(c.c.status == OK, c.c.within_thresholds.is_(True)), 1), else_=0)).label("within"),
            )
            .where(
                c.c.page.in_(names),
                c.c.started_at >= since,
                c.c.status.in_(COUNTED),
                c.c.maintenance.is_(False),
                *scope.rows(c.c.tenant),
            )
            .group_by(c.c.page)
        ).fetchall()
    }
    open_counts: dict[str, int] = dict(
        conn.execute(
            select(a.c.page, func.count())
            .where(a.c.page.in_(names), a.c.resolved_at.is_(None), *scope.rows(a.c.tenant))
            .group_by(a.c.page)
        ).fetchall()
    )
    out = []
    for p in visible:
        latest = checks(conn, scope, p.name, limit=1)
        d = day.get(p.name)
        n = int(d.n) if d is not None else 0
        out.append(
            {
                "page": p.name,
                "path": p.path,
                "tenant": p.tenant,
                "latest": latest[0] if latest else None,
                "checks_24h": n,
                "availability_24h": (int(d.available or 0) / n) if d is not None and n else None,
                "within_24h": (int(d.within or 0) / n) if d is not None and n else None,
                "open_alerts": int(open_counts.get(p.name, 0)),
            }
        )
    return out


def trends(conn: Connection, scope: Scope, page: str, days: int = 30, end: date | None = None) -> dict[str, Any]:
    """Daily avg/p75/p95 per metric of a visible page, with the maintenance windows that touch the span."""
    if not scope.may_see(page):
        return {"page": page, "days": [], "series": {}, "maintenance": []}
    end = end or utc_now().date()
    start = end - timedelta(days=days - 1)
    t = schema.daily_trends
    rows = conn.execute(
        select(t.c.day, t.c.metric, t.c.avg, t.c.p75, t.c.p95, t.c.count)
        .where(t.c.page == page, t.c.day >= start, t.c.day <= end, t.c.metric.in_(TREND_METRICS))
        .order_by(t.c.day)
    ).fetchall()
    series: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        day = r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day))
        series.setdefault(r.metric, []).append(
            {"day": day.isoformat(), "avg": r.avg, "p75": r.p75, "p95": r.p95, "count": r.count}
        )
    span_start = datetime.combine(start, datetime.min.time(), UTC)
    span_end = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    windows = [
        {"from": w.starts_at.isoformat(), "to": w.ends_at.isoformat()}
        for w in maintenance_rows(conn, span_start, span_end)
        if not w.pages or page in w.pages
    ]
    return {"page": page, "from": start.isoformat(), "to": end.isoformat(), "series": series, "maintenance": windows}


def alerts(conn: Connection, scope: Scope, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    a = schema.alerts
    q = alerts_by_status(status).limit(limit)
    if scope.tenant is not None:
        visible = [p.name for p in scope.pages(conn)]
        q = q.where(a.c.tenant == scope.tenant, a.c.page.in_(visible))
    out = []
    for r in conn.execute(q).fetchall():
        d = {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in r._mapping.items()}
        d["data"] = json.loads(r.data or "{}")
        out.append(d)
    return out


def alert_visible(conn: Connection, scope: Scope, alert_id: int) -> bool:
    a = schema.alerts
    row = conn.execute(select(a.c.page, a.c.tenant).where(a.c.id == alert_id)).first()
    if row is None:
        return False
    return scope.tenant is None or (row.tenant == scope.tenant and scope.may_see(row.page))


def sla(conn: Connection, scope: Scope, window_s: float | None = None) -> SlaReport:
    return sla_report(conn, scope.scenario, window_s, tenant=scope.tenant)


def maintenance(conn: Connection, scope: Scope, days: int = 30) -> list[dict[str, Any]]:
    now = utc_now()
    visible = {p.name for p in scope.pages(conn)}
    out = []
    for w in maintenance_rows(conn, now - timedelta(days=days), now + timedelta(days=365)):
        if scope.tenant is not None and w.pages and not set(w.pages) & visible:
            continue
        pages = [p for p in w.pages if p in visible] if scope.tenant is not None else list(w.pages)
        own = not w.pages or set(w.pages) <= visible
        out.append(
            {
                "from": w.starts_at.isoformat(),
                "to": w.ends_at.isoformat(),
                "pages": pages or "all",
                "reason": w.reason if scope.tenant is None or (w.pages and own) else "",
            }
        )
    return out


def audit_rows(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    t = schema.audit_log
    rows = conn.execute(select(t).order_by(t.c.at.desc(), t.c.id.desc()).limit(limit)).fetchall()
    return [
        {
            "id": r.id,
            "at": _iso(r.at),
            "actor": r.actor,
            "action": r.action,
            "target": r.target,
            "detail": json.loads(r.detail or "{}"),
            "source": r.source,
        }
        for r in rows
    ]
