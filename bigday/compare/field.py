"""Field thresholds: real users' p75 against the scenario's ``monitor.field.thresholds``.

One judgement per page and metric that a field threshold sets: the page's route and studio (its tenant, else
the scenario's first), the p75 of the field values of the last ``days`` UTC days (today included), and the
threshold it is past, the error one before a warn one. A p75 of fewer than ``min_count`` values is no
judgement at all. ``bigday monitor`` opens and resolves alerts from these (bigday.monitor.record); ``bigday
rum report`` prints them and exits 1 on an error-level breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from bigday.compare.checks import band_severity, fmt
from bigday.runfolder import Severity
from bigday.settings.scenario import Scenario, Threshold
from bigday.store import rum as rum_store


@dataclass(frozen=True)
class FieldJudgement:
    """One page's field p75 of one metric against its field thresholds."""

    page: str
    route: str
    tenant: str
    metric: str
    p75: float
    count: int
    days: int
    good: float
    poor: float
    threshold: Threshold  # the one breached (error before warn), else the error one nearest the p75
    breached: bool
    severity: Severity  # the alert bands at the p75, else error medium, warn low

    def describe(self) -> str:
        span = f"{self.count} visits to {self.route} ({self.tenant}) over the last {self.days} day(s)"
        head = f"field {self.metric} p75 {fmt(self.metric, self.p75)} over {span}"
        if self.breached:
            return f"{head}: past the {self.threshold.level} threshold {fmt(self.metric, self.threshold.bound)}"
        return f"{head}: within {fmt(self.metric, self.threshold.bound)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "route": self.route,
            "tenant": self.tenant,
            "metric": self.metric,
            "aggregate": "p75",
            "p75": self.p75,
            "count": self.count,
            "days": self.days,
            "good": self.good,
            "poor": self.poor,
            "bound": self.threshold.bound,
            "level": self.threshold.level,
            "breached": self.breached,
            "severity": self.severity,
        }


def _pick(mine: list[Threshold], p75: float) -> tuple[Threshold, bool]:
    breached = [t for t in mine if t.breached_by(p75)]
    pool = breached or mine
    return max(pool, key=lambda t: (t.level == "error", -abs(t.bound - p75))), bool(breached)


def judge_field(
    conn: Connection,
    scenario: Scenario,
    pages: list[str] | None = None,
    tenant: str | None = None,
    days: int | None = None,
    end: date | None = None,
) -> list[FieldJudgement]:
    """Every page of ``pages`` (default all; of ``tenant`` only, when given) that a field threshold applies to,
    judged over ``days`` (default ``monitor.field.days``) ending with ``end`` (default today)."""
    watch = scenario.monitor.field
    days = days or watch.days
    default = scenario.default_tenant.id
    wanted = []
    for p in scenario.pages:
        owner = p.tenant or default
        if (pages is not None and p.name not in pages) or (tenant is not None and owner != tenant):
            continue
        mine = [t for t in watch.thresholds if t.applies_to(p.name)]
        if mine:
            wanted.append((p.name, rum_store.route_of(p.path), owner, mine))
    if not wanted:
        return []
    metrics = sorted({t.metric for *_, mine in wanted for t in mine})
    owners = {owner for _, _, owner, _ in wanted}
    tenant_filter = next(iter(owners)) if len(owners) == 1 else None  # one studio's buckets only, when it can
    rows = rum_store.field_p75(conn, days=days, end=end, tenant=tenant_filter, by_device=False, metrics=metrics)
    found = {(r.tenant, r.route, r.metric): r for r in rows}
    bands = dict(scenario.alert_bands)
    out = []
    for name, route, owner, mine in wanted:
        for metric in sorted({t.metric for t in mine}):
            row = found.get((owner, route, metric))
            if row is None or row.count < watch.min_count:
                continue
            threshold, breached = _pick([t for t in mine if t.metric == metric], row.p75)
            severity = band_severity(metric, row.p75, bands) or ("medium" if threshold.level == "error" else "low")
            out.append(
                FieldJudgement(
                    name,
                    route,
                    owner,
                    metric,
                    row.p75,
                    row.count,
                    days,
                    row.good,
                    row.poor,
                    threshold,
                    breached,
                    severity,
                )
            )
    return out
