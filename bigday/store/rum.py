"""Field data in the store: inserting validated beacons, the retention policy, and CrUX-style aggregates.

The aggregates are SQL, the same statement on SQLite and PostgreSQL: per group (metric, tenant, route, device
class, and the day for daily figures) a window ranks the values and counts them and their web-vitals ratings;
only the two order statistics around the 75th percentile's index leave the database, and
``bigday.stats.quantile_of_neighbours`` interpolates between them exactly as ``numpy.quantile`` does. A
million beacons never travel to Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, case, delete, func, insert, literal, select

from bigday.metrics import METRICS
from bigday.runfolder import utc_now
from bigday.stats import quantile_of_neighbours
from bigday.store import schema

FIELD_METRICS = ("lcp", "inp", "cls", "fcp", "ttfb", "fid")
WINDOW_DAYS = 28  # CrUX's rolling window
P = 0.75


@dataclass(frozen=True)
class FieldRow:
    """One group's field figures: p75, how many values, and the shares rated good / needs improvement / poor."""

    metric: str
    tenant: str
    route: str
    device: str  # mobile | tablet | desktop | all
    day: date | None  # None: the whole window
    count: int
    p75: float
    good: float
    needs_improvement: float
    poor: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "tenant": self.tenant,
            "route": self.route,
            "device": self.device,
            "day": self.day.isoformat() if self.day else None,
            "count": self.count,
            "p75": self.p75,
            "good": self.good,
            "needs_improvement": self.needs_improvement,
            "poor": self.poor,
        }


def insert_values(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert validated rows (one per metric of a beacon) in one statement; the caller's transaction."""
    if rows:
        conn.execute(insert(schema.rum_values), list(rows))
    return len(rows)


def prune(conn: Connection, retention_s: float, now: datetime | None = None) -> int:
    """Delete field values received on days wholly older than the retention period; how many went."""
    cutoff = ((now or utc_now()) - timedelta(seconds=retention_s)).date()
    result = conn.execute(delete(schema.rum_values).where(schema.rum_values.c.day < cutoff))
    return int(result.rowcount or 0)


def _rating(column: Any, bound: str) -> Any:
    """1 where the value is in the metric's band: good (<= good bound) or poor (> poor bound), else 0."""
    v = schema.rum_values.c
    whens = []
    for name in FIELD_METRICS:
        spec = METRICS[name]
        limit = spec.good if bound == "good" else spec.poor
        test = column <= limit if bound == "good" else column > limit
        whens.append((and_(v.metric == name, test), 1))
    return case(*whens, else_=0)


def field_p75(
    conn: Connection,
    days: int = WINDOW_DAYS,
    end: date | None = None,
    tenant: str | None = None,
    by_device: bool = True,
    by_day: bool = False,
    metrics: Sequence[str] = FIELD_METRICS,
) -> list[FieldRow]:
    """p75, count and rating shares per metric, tenant, route and device class (``all`` unless ``by_device``)
    over the ``days`` UTC days ending with ``end`` (default today), or per day of them when ``by_day``."""
    v = schema.rum_values.c
    end = end or utc_now().date()
    start = end - timedelta(days=days - 1)
    device = v.device if by_device else literal("all")
    keys: list[Any] = [v.metric, v.tenant, v.route]
    if by_device:
        keys.append(v.device)
    if by_day:
        keys.append(v.day)
    where = [v.day >= start, v.day <= end, v.metric.in_(list(metrics))]
    if tenant is not None:
        where.append(v.tenant == tenant)
    ranked = (
        select(
            v.metric,
            v.tenant,
            v.route,
            device.label("device"),
            (v.day if by_day else literal(None)).label("day"),
            v.value,
            (func.row_number().over(partition_by=keys, order_by=v.value) - 1).label("i"),
            func.count().over(partition_by=keys).label("n"),
            func.sum(_rating(v.value, "good")).over(partition_by=keys).label("good"),
            func.sum(_rating(v.value, "poor")).over(partition_by=keys).label("poor"),
        )
        .where(*where)
        .subquery()
    )
    r = ranked.c
    # floor((n - 1) * 0.75) in integers, so both databases pick the same rank numpy does
    below = (r.n - 1) * 3 // 4
    q = (
        select(
            r.metric,
            r.tenant,
            r.route,
            r.device,
            r.day,
            r.n,
            r.good,
            r.poor,
            func.max(case((r.i == below, r.value))).label("below"),
            func.max(case((r.i == below + 1, r.value))).label("above"),
        )
        .where(r.i >= below, r.i <= below + 1)
        .group_by(r.metric, r.tenant, r.route, r.device, r.day, r.n, r.good, r.poor)
        .order_by(r.tenant, r.route, r.metric, r.device, r.day)
    )
    rows = conn.execute(q).fetchall()
    if not rows:
        return []
    counts = np.array([int(x.n) for x in rows], dtype=np.int64)
    lo = np.array([float(x.below) for x in rows], dtype=np.float64)
    hi = np.array([float(x.below if x.above is None else x.above) for x in rows], dtype=np.float64)
    p75 = quantile_of_neighbours(counts, lo, hi, P)
    out = []
    for x, p in zip(rows, p75, strict=True):
        n = int(x.n)
        good, poor = int(x.good or 0), int(x.poor or 0)
        day = x.day if x.day is None or isinstance(x.day, date) else date.fromisoformat(str(x.day))
        out.append(
            FieldRow(
                metric=x.metric,
                tenant=x.tenant,
                route=x.route,
                device=x.device,
                day=day,
                count=n,
                p75=float(p),
                good=good / n,
                needs_improvement=(n - good - poor) / n,
                poor=poor / n,
            )
        )
    return out


def lab_values(
    conn: Connection, pages: Sequence[str], days: int = WINDOW_DAYS, end: date | None = None
) -> dict[tuple[str, str], list[float]]:
    """(page, metric) -> the probe's values of bigday's own engine over the same window (lab figures are few:
    a handful of runs a night, so they are read whole)."""
    s, runs = schema.samples.c, schema.runs.c
    end = end or utc_now().date()
    start = end - timedelta(days=days - 1)
    q = (
        select(s.page, s.metric, s.value)
        .select_from(schema.samples.join(schema.runs, schema.runs.c.run_id == s.run_id))
        .where(
            runs.kind == "probe",
            s.page.in_(list(pages)),
            s.metric.in_(list(FIELD_METRICS)),
            s.day >= start,
            s.day <= end,
            (s.engine.is_(None)) | (s.engine == "bigday"),
        )
    )
    out: dict[tuple[str, str], list[float]] = {}
    for row in conn.execute(q):
        out.setdefault((row.page, row.metric), []).append(float(row.value))
    return out


def beacon_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count(func.distinct(schema.rum_values.c.beacon)))).scalar_one())
