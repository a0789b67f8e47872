"""Field data in the store: inserting validated beacons, the retention policy, and CrUX-style aggregates.

The aggregates are SQL, the same on SQLite and PostgreSQL. Over the rolling window, one GROUP BY counts each
group (metric, tenant, route, device class) and its web-vitals ratings, then per group the database steps
along the covering index ``ix_rum_group`` to the two values around rank ``floor((n - 1) * 0.75)`` (LIMIT 2
OFFSET k): a window function ranking every value was ten times slower on SQLite. Per day, one statement's
window ranks and counts each day's group. Either way only those two order statistics leave the database, and
``bigday.stats.quantile_of_neighbours`` interpolates between them exactly as ``numpy.quantile`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, case, delete, func, literal, select

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


COLUMNS = (
    "beacon",
    "received_at",
    "day",
    "tenant",
    "route",
    "device",
    "connection",
    "navigation",
    "browser",
    "metric",
    "value",
    "attribution",
    "visit",
)


def _sqlite_time(t: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime writes and reads (UTC, no offset).
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_values(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert validated rows (one per metric of a beacon) in one executemany; the caller's transaction.
    A row without ``visit`` stores none.

    The driver gets plain tuples: SQLAlchemy's per-row parameter processing cost three times the insert itself
    (a collector writes thousands of rows a second)."""
    if not rows:
        return 0
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO {schema.rum_values.name} ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"
    if sqlite:
        params = [
            tuple(
                _sqlite_time(r[c]) if c == "received_at" else r[c].isoformat() if c == "day" else r.get(c)
                for c in COLUMNS
            )
            for r in rows
        ]
    else:
        params = [tuple(r.get(c) for c in COLUMNS) for r in rows]  # visit: absent for most beacons
    conn.exec_driver_sql(sql, params)
    return len(rows)


def prune(conn: Connection, retention_s: float, now: datetime | None = None) -> int:
    """Delete field values received on days wholly older than the retention period; how many went."""
    cutoff = ((now or utc_now()) - timedelta(seconds=retention_s)).date()
    result = conn.execute(delete(schema.rum_values).where(schema.rum_values.c.day < cutoff))
    return int(result.rowcount or 0)


def _rating(column: Any, band: str) -> Any:
    """1 where the value is in the metric's band: good (at most the good bound) or poor (above the poor bound)."""
    v = schema.rum_values.c
    bounds = {name: METRICS[name].good if band == "good" else METRICS[name].poor for name in FIELD_METRICS}
    bound = case(bounds, value=v.metric)
    return case((column <= bound if band == "good" else column > bound, 1), else_=0)


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
    where = [v.day >= start, v.day <= end, v.metric.in_(list(metrics))]
    if tenant is not None:
        where.append(v.tenant == tenant)
    if by_day:
        return _ranked(conn, where, by_device)
    keys: list[Any] = [v.metric, v.tenant, v.route] + ([v.device] if by_device else [])
    groups = conn.execute(
        select(
            *keys,
            func.count().label("n"),
            func.sum(_rating(v.value, "good")).label("good"),
            func.sum(_rating(v.value, "poor")).label("poor"),
        )
        .where(*where)
        .group_by(*keys)
        .order_by(v.tenant, v.route, v.metric, *([v.device] if by_device else []))
    ).fetchall()
    picked = []
    for g in groups:
        # The two values around rank floor((n - 1) * 0.75): ix_rum_group (ix_rum_route over all devices) holds
        # the group's values in order, and the database steps over the lower three quarters in the index alone.
        same = [v.metric == g.metric, v.tenant == g.tenant, v.route == g.route]
        if by_device:
            same.append(v.device == g.device)
        below = (int(g.n) - 1) * 3 // 4
        values = conn.execute(
            select(v.value).where(*same, v.day >= start, v.day <= end).order_by(v.value).limit(2).offset(below)
        ).scalars()
        pair = [float(x) for x in values]
        device = g.device if by_device else "all"
        picked.append((g.metric, g.tenant, g.route, device, None, g.n, g.good, g.poor, pair))
    return _rows(picked)


def _ranked(conn: Connection, where: list[Any], by_device: bool) -> list[FieldRow]:
    """Per day: one statement whose window ranks and counts each group's values (a day's group has no index
    order of its own, so the database sorts once for all of them)."""
    v = schema.rum_values.c
    keys: list[Any] = [v.metric, v.tenant, v.route, v.day] + ([v.device] if by_device else [])
    ranked = (
        select(
            v.metric,
            v.tenant,
            v.route,
            (v.device if by_device else literal("all")).label("device"),
            v.day,
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
    below = (r.n - 1) * 3 // 4  # in integers, so both databases pick the rank numpy does
    rows = conn.execute(
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
    ).fetchall()
    picked = []
    for x in rows:
        pair = [float(y) for y in (x.below, x.above) if y is not None]
        picked.append((x.metric, x.tenant, x.route, x.device, x.day, x.n, x.good, x.poor, pair))
    return _rows(picked)


def _rows(picked: list[tuple[Any, ...]]) -> list[FieldRow]:
    """FieldRows from (metric, tenant, route, device, day, n, good, poor, [below, above?]) tuples."""
    if not picked:
        return []
    counts = np.array([int(p[5]) for p in picked], dtype=np.int64)
    lo = np.array([p[8][0] for p in picked], dtype=np.float64)
    hi = np.array([p[8][-1] for p in picked], dtype=np.float64)
    p75 = quantile_of_neighbours(counts, lo, hi, P)
    out = []
    for (metric, tenant, route, device, day, n, good, poor, _), q in zip(picked, p75, strict=True):
        n, good, poor = int(n), int(good or 0), int(poor or 0)
        if day is not None and not isinstance(day, date):
            day = date.fromisoformat(str(day))
        out.append(
            FieldRow(
                metric=metric,
                tenant=tenant,
                route=route,
                device=device,
                day=day,
                count=n,
                p75=float(q),
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
