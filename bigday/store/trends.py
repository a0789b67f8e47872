"""Daily trends: per day, page and metric the mean, p75, p95, count and the share of each web-vitals rating."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, text

from bigday.metrics import METRICS, Direction
from bigday.stats import sorted_group_quantiles
from bigday.store import schema

# Key of the PostgreSQL advisory lock that serialises trend rebuilds ("bigday trends" as a number).
TRENDS_LOCK_KEY = 0x6269_6764_7472_6E64 & 0x7FFF_FFFF_FFFF_FFFF


def day_value(conn: Connection, d: date) -> Any:
    """A day as the driver wants it in raw SQL: SQLite keeps ISO strings (SQLAlchemy's Date storage)."""
    return d.isoformat() if conn.dialect.name == "sqlite" else d


def _as_date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


_SEP = "\x1f"  # unit separator: cannot appear in a page or metric name we store


def _fetch(conn: Connection, days: set[date] | None) -> tuple[list[str], np.ndarray]:
    """(day|page|metric keys, values) of the samples on ``days`` (all when None).

    A raw DB-API cursor and one concatenated key column: at a million rows SQLAlchemy's Row objects and
    a three-column object frame cost more than the statistics themselves.
    """
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    # Daily trends follow bigday's own measurements; Lighthouse's (engine lighthouse) stay samples only.
    sql = (
        f"SELECT day || '{_SEP}' || page || '{_SEP}' || metric, value FROM samples"
        " WHERE (engine IS NULL OR engine = 'bigday')"
    )
    params: tuple[object, ...] = ()
    if days is not None:
        ordered = sorted(days)
        sql += f" AND day IN ({', '.join([mark] * len(ordered))})"
        params = tuple(day_value(conn, d) for d in ordered)
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql, params)
        rows = cur.fetchall()
    finally:
        cur.close()
    keys = [r[0] for r in rows]
    values = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))
    return keys, values


def compute_trends(keys: list[str], values: np.ndarray) -> list[dict[str, Any]]:
    """Trend rows from ``day|page|metric`` keys and their values, vectorised over all groups."""
    if not keys:
        return []
    import pandas as pd  # half a second to import: only when trends are rebuilt

    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    order = np.lexsort((values, codes))
    codes, v = codes[order], values[order]
    counts = np.bincount(codes, minlength=len(uniques))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    means = np.bincount(codes, weights=v, minlength=len(uniques)) / counts
    p75 = sorted_group_quantiles(v, starts, counts, 0.75)
    p95 = sorted_group_quantiles(v, starts, counts, 0.95)
    parts = [str(u).split(_SEP) for u in uniques]
    # Rating bands per group, spread to rows through the group codes.
    good_b = np.full(len(uniques), np.nan)
    poor_b = np.full(len(uniques), np.nan)
    higher = np.zeros(len(uniques), dtype=bool)
    for g, (_, _, metric) in enumerate(parts):
        spec = METRICS.get(metric)
        if spec is not None and spec.good is not None and spec.poor is not None:
            good_b[g], poor_b[g] = spec.good, spec.poor
            higher[g] = spec.direction is Direction.HIGHER_IS_BETTER
    gb, pb, hb = good_b[codes], poor_b[codes], higher[codes]
    is_good = np.where(hb, v >= gb, v <= gb)
    is_poor = np.where(hb, v < pb, v > pb)
    n_good = np.bincount(codes, weights=is_good, minlength=len(uniques))
    n_poor = np.bincount(codes, weights=is_poor, minlength=len(uniques))
    out = []
    for g, (d, page, metric) in enumerate(parts):
        rated = not np.isnan(good_b[g])
        n = int(counts[g])
        out.append(
            {
                "day": _as_date(d),
                "page": page,
                "metric": metric,
                "avg": float(means[g]),
                "p75": float(p75[g]),
                "p95": float(p95[g]),
                "count": n,
                "share_good": float(n_good[g] / n) if rated else None,
                "share_needs_improvement": float((n - n_good[g] - n_poor[g]) / n) if rated else None,
                "share_poor": float(n_poor[g] / n) if rated else None,
            }
        )
    return out


def rebuild_trends(conn: Connection, days: Iterable[date] | None = None) -> int:
    """Recompute the trend rows of ``days`` (all days when None) from the samples; returns rows written."""
    day_set = set(days) if days is not None else None
    if conn.dialect.name == "postgresql":
        # Under READ COMMITTED two ingests would each aggregate without the other's uncommitted samples
        # and the later commit would overwrite the earlier trend rows. The lock is held to commit, and
        # the read below starts after it is granted, so it sees every run committed before ours.
        # (SQLite needs nothing: BEGIN IMMEDIATE already makes writers take turns.)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TRENDS_LOCK_KEY})
    rows = compute_trends(*_fetch(conn, day_set))
    t = schema.daily_trends
    if day_set is None:
        conn.execute(delete(t))
    elif day_set:
        conn.execute(delete(t).where(t.c.day.in_(sorted(day_set))))
    for i in range(0, len(rows), 5000):
        conn.execute(t.insert(), rows[i : i + 5000])
    return len(rows)
