"""SLA arithmetic over the checks in the store: availability, the share within every threshold, error budgets
and multi-window burn rates (the SRE workbook's method), per page and per tenant.

Counted checks are those that ran to a verdict on the app (``ok``, ``unavailable``, ``broken``) outside any
maintenance window; ``error`` checks (the monitor's own failures) and abandoned ones are not counted.
Availability is (ok + broken) / counted; *within thresholds* is (ok and within every threshold) / counted, so
a check that did not load is not within thresholds either.

Burn rate over a window = the window's bad share / the error budget (1 - target). A burn-rate alert fires
when a long window and its short window both burn faster than the factor that would spend the given share
of a whole SLA period's budget in the long window: 2% in 1 h (short window 5 min; 14.4 for 30 days), 5% in
6 h (30 min; 6), 10% in 3 days (6 h; 1), as critical, high and medium.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from bigday.monitor.check import BROKEN, COUNTED, OK
from bigday.monitor.maintenance import occurrences
from bigday.runfolder import utc_now
from bigday.settings.scenario import Scenario, SlaPolicy
from bigday.store import schema

OBJECTIVES = ("availability", "within_thresholds")


@dataclass(frozen=True)
class BurnWindow:
    """One rung of the multi-window burn-rate ladder."""

    name: str
    long_s: float
    short_s: float
    budget_share: float  # of a whole SLA period's budget, spent in the long window
    severity: str

    def factor(self, period_s: float) -> float:
        return self.budget_share * period_s / self.long_s


BURN_WINDOWS = (
    BurnWindow("1h", 3600.0, 300.0, 0.02, "critical"),
    BurnWindow("6h", 6 * 3600.0, 1800.0, 0.05, "high"),
    BurnWindow("3d", 3 * 86400.0, 6 * 3600.0, 0.10, "medium"),
)
_SPANS = sorted({w.long_s for w in BURN_WINDOWS} | {w.short_s for w in BURN_WINDOWS})


def span_name(seconds: float) -> str:
    if seconds % 86400 == 0:
        return f"{seconds / 86400:g}d"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    return f"{seconds / 60:g}m"


@dataclass(frozen=True)
class Counts:
    """Counted checks, and how many were available and within every threshold."""

    total: int = 0
    available: int = 0
    within: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.total + other.total, self.available + other.available, self.within + other.within)

    def good(self, objective: str) -> int:
        return self.available if objective == "availability" else self.within


@dataclass(frozen=True)
class Burn:
    """A burn-rate window's rates and whether its alert condition holds."""

    window: BurnWindow
    factor: float
    long_rate: float | None
    short_rate: float | None
    long_checks: int
    firing: bool


@dataclass(frozen=True)
class Objective:
    """One SLO over the report's window."""

    name: str
    target: float  # a fraction, 0.99
    good: int
    total: int
    burns: tuple[Burn, ...] = ()
    rates: dict[str, float | None] = field(default_factory=dict)  # span name -> burn rate

    @property
    def share(self) -> float | None:
        return self.good / self.total if self.total else None

    @property
    def budget(self) -> float:
        return 1.0 - self.target

    @property
    def budget_used(self) -> float | None:
        """The share of the window's error budget spent (1.0: all of it; above 1: overspent)."""
        if not self.total:
            return None
        return ((self.total - self.good) / self.total) / self.budget

    @property
    def budget_left(self) -> float | None:
        used = self.budget_used
        return None if used is None else 1.0 - used

    @property
    def met(self) -> bool | None:
        share = self.share
        return None if share is None else share >= self.target

    @property
    def firing(self) -> tuple[Burn, ...]:
        return tuple(b for b in self.burns if b.firing)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "good": self.good,
            "total": self.total,
            "share": self.share,
            "met": self.met,
            "budget_used": self.budget_used,
            "budget_left": self.budget_left,
            "burn_rates": self.rates,
            "burn_alerts": [
                {
                    "window": b.window.name,
                    "short_window": span_name(b.window.short_s),
                    "factor": b.factor,
                    "long_rate": b.long_rate,
                    "short_rate": b.short_rate,
                    "severity": b.window.severity,
                    "firing": b.firing,
                }
                for b in self.burns
            ],
        }


@dataclass(frozen=True)
class Scope:
    """A page's or a tenant's SLA."""

    name: str
    tenant: str | None
    counts: Counts
    objectives: tuple[Objective, ...]
    first_check: datetime | None = None
    last_check: datetime | None = None

    def objective(self, name: str) -> Objective:
        return next(o for o in self.objectives if o.name == name)


@dataclass(frozen=True)
class MaintenanceRow:
    starts_at: datetime
    ends_at: datetime
    pages: tuple[str, ...]  # empty: every page
    reason: str


@dataclass(frozen=True)
class SlaReport:
    """``bigday sla``: the window, the targets, each page and tenant, and what was left out."""

    start: datetime
    end: datetime
    generated_at: datetime
    policy: SlaPolicy
    pages: tuple[Scope, ...]
    tenants: tuple[Scope, ...]
    maintenance: tuple[MaintenanceRow, ...]
    excluded_maintenance: int
    excluded_errors: int
    tenant_filter: str | None = None
    location: str | None = None
    scenario_name: str | None = None
    tenant_names: dict[str, str] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return all(o.met is not False for s in self.pages for o in s.objectives)


def _aware(t: datetime | None) -> datetime | None:
    from datetime import UTC

    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def _counted_filter(c: Any, start: datetime, end: datetime, location: str | None) -> list[Any]:
    where = [c.started_at >= start, c.started_at < end, c.status.in_(COUNTED), c.maintenance.is_(False)]
    if location is not None:
        where.append(c.location == location)
    return where


def _available(c: Any) -> Any:
    return case((c.status.in_((OK, BROKEN)), 1), else_=0)


def _within(c: Any) -> Any:
    return case((and_(c.status == OK, c.within_thresholds.is_(True)), 1), else_=0)


def window_counts(
    conn: Connection, start: datetime, end: datetime, pages: tuple[str, ...] | None = None, location: str | None = None
) -> dict[tuple[str, str | None], tuple[Counts, datetime | None, datetime | None]]:
    """(page, tenant) -> counts, first and last check, over [start, end)."""
    c = schema.checks
    q = select(
        c.c.page,
        c.c.tenant,
        func.count(),
        func.sum(_available(c.c)),
        func.sum(_within(c.c)),
        func.min(c.c.started_at),
        func.max(c.c.started_at),
    ).where(*_counted_filter(c.c, start, end, location))
    if pages is not None:
        q = q.where(c.c.page.in_(pages))
    out = {}
    for page, tenant, n, avail, within, first, last in conn.execute(q.group_by(c.c.page, c.c.tenant)).fetchall():
        out[(page, tenant)] = (Counts(int(n), int(avail or 0), int(within or 0)), _aware(first), _aware(last))
    return out


def span_counts(
    conn: Connection, end: datetime, pages: tuple[str, ...] | None = None, location: str | None = None
) -> dict[str, dict[float, Counts]]:
    """page -> span (seconds) -> counts over [end - span, end), for the burn-rate windows, in one query."""
    c = schema.checks.c
    columns = []
    for span in _SPANS:
        since = c.started_at >= end - timedelta(seconds=span)
        columns += [
            func.sum(case((since, 1), else_=0)),
            func.sum(case((and_(since, c.status.in_((OK, BROKEN))), 1), else_=0)),
            func.sum(case((and_(since, c.status == OK, c.within_thresholds.is_(True)), 1), else_=0)),
        ]
    q = select(c.page, *columns).where(*_counted_filter(c, end - timedelta(seconds=max(_SPANS)), end, location))
    if pages is not None:
        q = q.where(c.page.in_(pages))
    out: dict[str, dict[float, Counts]] = {}
    for row in conn.execute(q.group_by(c.page)).fetchall():
        values = [int(v or 0) for v in row[1:]]
        out[row[0]] = {span: Counts(*values[3 * i : 3 * i + 3]) for i, span in enumerate(_SPANS)}
    return out


def objectives(counts: Counts, spans: dict[float, Counts], policy: SlaPolicy) -> tuple[Objective, ...]:
    """Both SLOs of one scope from its window counts and its burn-window counts."""
    out = []
    for name in OBJECTIVES:
        target = (policy.availability if name == "availability" else policy.within_thresholds) / 100.0
        budget = 1.0 - target

        def rate(span: float, _name: str = name, _budget: float = budget) -> float | None:
            sc = spans.get(span, Counts())
            return ((sc.total - sc.good(_name)) / sc.total) / _budget if sc.total else None

        burns = []
        for w in BURN_WINDOWS:
            factor = w.factor(policy.window_s)
            lr, sr = rate(w.long_s), rate(w.short_s)
            n = spans.get(w.long_s, Counts()).total
            firing = lr is not None and sr is not None and n >= policy.min_checks and lr >= factor and sr >= factor
            burns.append(Burn(w, factor, lr, sr, n, firing))
        out.append(
            Objective(
                name, target, counts.good(name), counts.total, tuple(burns), {span_name(s): rate(s) for s in _SPANS}
            )
        )
    return tuple(out)


def maintenance_rows(conn: Connection, start: datetime, end: datetime) -> list[MaintenanceRow]:
    import json

    m = schema.maintenance_windows
    rows = conn.execute(select(m).where(m.c.starts_at < end, m.c.ends_at > start).order_by(m.c.starts_at)).fetchall()
    return [
        MaintenanceRow(
            _aware(r.starts_at) or start,
            _aware(r.ends_at) or end,
            tuple(json.loads(r.pages)) if r.pages else (),
            r.reason or "",
        )
        for r in rows
    ]


def _excluded(
    conn: Connection, start: datetime, end: datetime, location: str | None, pages: set[str] | None = None
) -> tuple[int, int]:
    """Counted-kind checks left out for maintenance, and the monitor's own failures (error, abandoned)."""
    c = schema.checks.c
    where = [c.started_at >= start, c.started_at < end]
    if location is not None:
        where.append(c.location == location)
    if pages is not None:
        where.append(c.page.in_(sorted(pages)))
    maint = conn.execute(
        select(func.count()).where(*where, c.maintenance.is_(True), c.status.in_(COUNTED))
    ).scalar_one()
    errors = conn.execute(select(func.count()).where(*where, c.status.in_(("error", "abandoned")))).scalar_one()
    return int(maint), int(errors)


def sla_report(
    conn: Connection,
    scenario: Scenario,
    window_s: float | None = None,
    tenant: str | None = None,
    location: str | None = None,
    end: datetime | None = None,
) -> SlaReport:
    """The SLA of every page with checks in the window (and of the scenario's pages without any), per tenant."""
    policy = scenario.monitor.sla
    seconds = window_s or policy.window_s
    end = end or utc_now()
    start = end - timedelta(seconds=seconds)
    if tenant is not None:
        scenario.tenant(tenant)
    counts = window_counts(conn, start, end, location=location)
    spans = span_counts(conn, end, location=location)
    page_tenant = {p.name: p.tenant or scenario.default_tenant.id for p in scenario.pages}
    keys = set(counts) | {(p, t) for p, t in page_tenant.items()}
    pages = []
    for page, page_tenant_id in sorted(keys, key=lambda k: (k[0], k[1] or "")):
        if tenant is not None and page_tenant_id != tenant:
            continue
        if (page, page_tenant_id) not in counts and page in {k[0] for k in counts}:
            continue  # a scenario page whose checks carry another tenant id: its rows are listed as they are
        n, first, last = counts.get((page, page_tenant_id), (Counts(), None, None))
        pages.append(Scope(page, page_tenant_id, n, objectives(n, spans.get(page, {}), policy), first, last))
    tenants = []
    for tid in sorted({s.tenant for s in pages if s.tenant}):
        mine = [s for s in pages if s.tenant == tid]
        total = sum((s.counts for s in mine), Counts())
        merged: dict[float, Counts] = {}
        for s in mine:
            for span, sc in spans.get(s.name, {}).items():
                merged[span] = merged.get(span, Counts()) + sc
        firsts = [s.first_check for s in mine if s.first_check]
        lasts = [s.last_check for s in mine if s.last_check]
        tenants.append(
            Scope(
                tid, tid, total, objectives(total, merged, policy), min(firsts, default=None), max(lasts, default=None)
            )
        )
    visible = {s.name for s in pages}
    stored = maintenance_rows(conn, start, end)
    recurring = [
        MaintenanceRow(a, b, w.pages, w.reason)
        for w in scenario.monitor.maintenance
        for a, b in occurrences(w, start, end)
    ]
    every = sorted(stored + recurring, key=lambda w: w.starts_at)
    windows = [w for w in every if tenant is None or not w.pages or set(w.pages) & visible]
    if tenant is not None:  # a studio's evidence names no other studio's pages, nor a reason written for them
        windows = [
            MaintenanceRow(
                w.starts_at,
                w.ends_at,
                tuple(p for p in w.pages if p in visible),
                w.reason if w.pages and set(w.pages) <= visible else "",
            )
            for w in windows
        ]
    maint, errors = _excluded(conn, start, end, location, None if tenant is None else visible)
    return SlaReport(
        start=start,
        end=end,
        generated_at=utc_now(),
        policy=policy,
        pages=tuple(pages),
        tenants=tuple(tenants),
        maintenance=tuple(windows),
        excluded_maintenance=maint,
        excluded_errors=errors,
        tenant_filter=tenant,
        location=location,
        scenario_name=scenario.name,
        tenant_names={t.id: t.name for t in scenario.tenants if tenant is None or t.id == tenant},
    )


def page_objectives(conn: Connection, page: str, policy: SlaPolicy, end: datetime) -> tuple[Objective, ...]:
    """One page's SLOs with their burn windows only (for the monitor's burn-rate alerts after each check)."""
    spans = span_counts(conn, end, pages=(page,)).get(page, {})
    return objectives(spans.get(max(_SPANS), Counts()), spans, policy)
