"""Field data in the store: inserting validated beacons, the retention policy, and CrUX-style aggregates.

The aggregates are SQL, the same on SQLite and PostgreSQL, and exact. Beside each value in ``rum_values``, the
insert counts it into ``rum_buckets``: per UTC day, group (metric, tenant, route, device class) and value bucket
(2% wide), with its web-vitals rating. A window's p75 sums its days' buckets in one GROUP BY (a few hundred
rows a group where the values are millions), finds the bucket holding rank ``floor((n - 1) * 0.75)``, and reads
only the values in that bucket from rum_values along the covering index ``ix_rum_group`` (``ix_rum_route``
over all devices): about one value in a hundred of the group, where the last version stepped over three
quarters of them (LIMIT 2 OFFSET k), and a per-day window function ranked every value. Only the two order
statistics around the rank are used, and ``bigday.stats.quantile_of_neighbours`` interpolates between them
exactly as ``numpy.quantile`` does.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, func, select

from bigday.metrics import FIELD_METRICS, METRICS
from bigday.runfolder import utc_now
from bigday.stats import quantile_of_neighbours
from bigday.store import schema

WINDOW_DAYS = 28  # CrUX's rolling window
P = 0.75


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def route_of(path: str) -> str:
    """The field route of a scenario page's path: its template (``/studios/{tenant_key}/clients`` is
    ``/studios/:tenant_key/clients``), the query dropped; what the snippet reports for the same page."""
    bare = path.split("?")[0].split("#")[0] or "/"
    return _PLACEHOLDER.sub(lambda m: ":" + m.group(1).lower(), bare)


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
    """Insert validated rows (one per metric of a beacon) in one executemany, and count them into rum_buckets;
    the caller's transaction. A row without ``visit`` stores none.

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
    _add_buckets(
        conn, _bucket_counts((r["day"], r["metric"], r["tenant"], r["route"], r["device"], r["value"]) for r in rows)
    )
    return len(rows)


def prune(conn: Connection, retention_s: float, now: datetime | None = None) -> int:
    """Delete field values received on days wholly older than the retention period; how many went."""
    cutoff = ((now or utc_now()) - timedelta(seconds=retention_s)).date()
    result = conn.execute(delete(schema.rum_values).where(schema.rum_values.c.day < cutoff))
    conn.execute(delete(schema.rum_buckets).where(schema.rum_buckets.c.day < cutoff))
    return int(result.rowcount or 0)


# ---------------------------------------------------------------- value buckets (rum_buckets)

# A value v > 0 is in bucket b when edge(b) <= v < edge(b + 1), edge(b) = exp(b * BUCKET_STEP): 2% wide, so a
# window's p75 bucket holds about one value in a hundred of its group near the p75 (for a spread like field LCP's);
# values <= 0 (a CLS of 0, a TTFB served from the page cache) are bucket ZERO_BUCKET. The edges are floats computed
# here alone, both to file a value and to read a bucket back, so a bucket read is exactly the values filed in it.
BUCKET_STEP = math.log(1.02)
ZERO_BUCKET = -2_000_000_000


def _edge(b: int) -> float:
    return math.exp(b * BUCKET_STEP)


def bucket_of(value: float) -> int:
    if value <= 0:
        return ZERO_BUCKET
    b = math.floor(math.log(value) / BUCKET_STEP)
    while value < _edge(b):
        b -= 1
    while value >= _edge(b + 1):
        b += 1
    return b


def _bucket_counts(rows: Iterable[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[int]]:
    """(day, metric, tenant, route, device, bucket) -> [values, good, poor] of (day, metric, tenant, route,
    device, value) ``rows``."""
    bands = {name: (METRICS[name].good, METRICS[name].poor) for name in FIELD_METRICS}
    counts: dict[tuple[Any, ...], list[int]] = {}
    for day, metric, tenant, route, device, value in rows:
        good, poor = bands.get(metric, (None, None))
        c = counts.setdefault((day, metric, tenant, route, device, bucket_of(value)), [0, 0, 0])
        c[0] += 1
        c[1] += good is not None and value <= good
        c[2] += poor is not None and value > poor
    return counts


_BUCKET_COLUMNS = ("metric", "tenant", "route", "device", "bucket", "day", "n", "good", "poor")


def _add_buckets(conn: Connection, counts: dict[tuple[Any, ...], list[int]]) -> None:
    """Add ``counts`` to rum_buckets (an upsert, in key order so two writers take the rows' locks alike)."""
    if not counts:
        return
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    table = schema.rum_buckets.name
    sql = (
        f"INSERT INTO {table} ({', '.join(_BUCKET_COLUMNS)}) VALUES ({', '.join([mark] * len(_BUCKET_COLUMNS))}) "
        f"ON CONFLICT ({', '.join(_BUCKET_COLUMNS[:6])}) DO UPDATE SET n = {table}.n + excluded.n, "
        f"good = {table}.good + excluded.good, poor = {table}.poor + excluded.poor"
    )
    params = [
        (*k[1:], k[0].isoformat() if sqlite and isinstance(k[0], date) else k[0], *c)
        for k, c in sorted(counts.items(), key=lambda kc: (*kc[0][1:], str(kc[0][0])))
    ]
    conn.exec_driver_sql(sql, params)


def rebuild_buckets(conn: Connection) -> int:
    """rum_buckets anew from every value in rum_values (migration 8); how many values.

    Group by group (metric, tenant, route, device), each read along ``ix_rum_group``: memory is one group's
    values, and each bucket row is written once (chunks of the table in id order wrote most rows again in
    every chunk: over 10 minutes for 25 million values here)."""
    v = schema.rum_values.c
    conn.execute(delete(schema.rum_buckets))
    groups = conn.execute(select(v.metric, v.tenant, v.route, v.device).distinct()).fetchall()
    seen = 0
    for metric, tenant, route, device in groups:
        rows = conn.execute(
            select(v.day, v.value).where(v.metric == metric, v.tenant == tenant, v.route == route, v.device == device)
        ).fetchall()
        seen += len(rows)
        _add_buckets(conn, _bucket_counts((d, metric, tenant, route, device, x) for d, x in rows))
    return seen


# ---------------------------------------------------------------- the field p75


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
    over the ``days`` UTC days ending with ``end`` (default today), or per day of them when ``by_day``.

    One GROUP BY over rum_buckets gives each group's count, ratings and values per bucket; the bucket holding
    rank ``floor((n - 1) * 0.75)`` (and the next rank's) then bounds the values read from rum_values along its
    covering index, one range per group over all devices or days at once, and the two order statistics give the
    quantile as ``numpy.quantile`` does."""
    b = schema.rum_buckets.c
    end = end or utc_now().date()
    start = end - timedelta(days=days - 1)
    where = [b.day >= start, b.day <= end, b.metric.in_(list(metrics))]
    if tenant is not None:
        where.append(b.tenant == tenant)
    fetch_keys: list[Any] = [b.metric, b.tenant, b.route] + ([b.device] if by_device else [])
    keys = fetch_keys + ([b.day] if by_day else [])
    found = conn.execute(
        select(
            *keys,
            b.bucket,
            func.sum(b.n).label("n"),
            func.sum(b.good).label("good"),
            func.sum(b.poor).label("poor"),
        )
        .where(*where)
        .group_by(*keys, b.bucket)
        .order_by(*keys, b.bucket)
    ).fetchall()
    width = len(keys)
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for row in found:
        groups.setdefault(tuple(row[:width]), []).append(row)
    # Per group: its figures, the value range holding its two order statistics, and their ranks within it.
    wanted: dict[tuple[Any, ...], list[tuple[tuple[Any, ...], int, int, int, int]]] = {}
    figures: dict[tuple[Any, ...], tuple[int, int, int]] = {}
    for key, buckets in groups.items():
        sizes = np.array([int(r.n) for r in buckets], dtype=np.int64)
        cum = np.cumsum(sizes)
        n = int(cum[-1])
        k = (n - 1) * 3 // 4
        k2 = min(k + 1, n - 1)
        i, j = int(np.searchsorted(cum, k, side="right")), int(np.searchsorted(cum, k2, side="right"))
        below = int(cum[i - 1]) if i else 0
        figures[key] = (n, sum(int(r.good or 0) for r in buckets), sum(int(r.poor or 0) for r in buckets))
        wanted.setdefault(key[: len(fetch_keys)], []).append(
            (key, buckets[i].bucket, buckets[j].bucket, k - below, k2 - below)
        )
    picked = []
    for fkey, targets in wanted.items():
        values = _bucket_values(conn, fkey, by_device, by_day, start, end, targets)
        for key, low, _, at, at2 in targets:
            day = key[-1] if by_day else None
            ordered = values.get(day, [])
            first = 0 if low == ZERO_BUCKET else bisect_left(ordered, _edge(low))
            pair = [ordered[first + at], ordered[first + at2]]
            n, good, poor = figures[key]
            device = key[3] if by_device else "all"
            picked.append((key[0], key[1], key[2], device, day, n, good, poor, pair))
    picked.sort(key=lambda p: (p[1], p[2], p[0], p[3], p[4] or date.min))
    return _rows(picked)


def _bucket_values(
    conn: Connection,
    fkey: tuple[Any, ...],
    by_device: bool,
    by_day: bool,
    start: date,
    end: date,
    targets: list[tuple[tuple[Any, ...], int, int, int, int]],
) -> dict[date | None, list[float]]:
    """The group's values in order within the buckets ``targets`` need (from the lowest bucket of any to the
    highest), per day when the targets are days, else under None."""
    v = schema.rum_values.c
    same = [v.metric == fkey[0], v.tenant == fkey[1], v.route == fkey[2]]
    if by_device:
        same.append(v.device == fkey[3])
    low = min(t[1] for t in targets)
    high = max(t[2] for t in targets)
    bounds = [v.value <= 0] if high == ZERO_BUCKET else [v.value < _edge(high + 1)]
    if low != ZERO_BUCKET:
        bounds.append(v.value >= _edge(low))
    rows = conn.execute(
        select(v.day, v.value).where(*same, *bounds, v.day >= start, v.day <= end).order_by(v.value)
    ).fetchall()
    out: dict[date | None, list[float]] = {}
    for day, value in rows:
        out.setdefault(day if by_day else None, []).append(float(value))
    return out


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
