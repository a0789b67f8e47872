"""Daily trends: per day, page and metric the mean, p75, p95, count and the share of each web-vitals rating."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, delete, text

from bigday.metrics import METRICS, Direction
from bigday.store import schema


def day_value(conn: Connection, d: date) -> Any:
    """A day as the driver wants it in raw SQL: SQLite keeps ISO strings (SQLAlchemy's Date storage)."""
    return d.isoformat() if conn.dialect.name == "sqlite" else d


def _as_date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def _fetch(conn: Connection, days: set[date] | None) -> pd.DataFrame:
    # Raw text SQL: no per-row type processing, which matters at a million rows.
    if days is None:
        result = conn.execute(text("SELECT day, page, metric, value FROM samples"))
    else:
        stmt = text("SELECT day, page, metric, value FROM samples WHERE day IN :days").bindparams(
            bindparam("days", expanding=True)
        )
        result = conn.execute(stmt, {"days": [day_value(conn, d) for d in days]})
    cursor_rows = result.fetchall()
    if not cursor_rows:
        return pd.DataFrame({"day": [], "page": [], "metric": [], "value": []})
    day, page, metric, value = zip(*cursor_rows, strict=True)
    return pd.DataFrame({"day": day, "page": page, "metric": metric, "value": np.asarray(value, dtype=float)})


def rating_shares(metric_name: str, values: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """Share of values rated good / needs-improvement / poor; Nones for metrics without bands."""
    spec = METRICS.get(metric_name)
    if spec is None or spec.good is None or spec.poor is None or len(values) == 0:
        return None, None, None
    if spec.direction is Direction.LOWER_IS_BETTER:
        good = np.count_nonzero(values <= spec.good)
        poor = np.count_nonzero(values > spec.poor)
    else:
        good = np.count_nonzero(values >= spec.good)
        poor = np.count_nonzero(values < spec.poor)
    n = len(values)
    return good / n, (n - good - poor) / n, poor / n


def compute_trends(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Trend rows from a (day, page, metric, value) frame."""
    if frame.empty:
        return []
    frame = frame.sort_values(["page", "metric", "day"], kind="stable")
    grouped = frame.groupby(["day", "page", "metric"], sort=False)["value"]
    stats = grouped.agg(["mean", "count"])
    q = grouped.quantile([0.75, 0.95]).unstack()
    out = []
    values_by_group = grouped.indices
    all_values = frame["value"].to_numpy()
    for (d, page, metric), row in stats.iterrows():
        vals = all_values[values_by_group[(d, page, metric)]]
        good, ni, poor = rating_shares(metric, vals)
        out.append({
            "day": _as_date(d), "page": page, "metric": metric,
            "avg": float(row["mean"]), "p75": float(q.loc[(d, page, metric), 0.75]),
            "p95": float(q.loc[(d, page, metric), 0.95]), "count": int(row["count"]),
            "share_good": good, "share_needs_improvement": ni, "share_poor": poor,
        })
    return out


def rebuild_trends(conn: Connection, days: Iterable[date] | None = None) -> int:
    """Recompute the trend rows of ``days`` (all days when None) from the samples; returns rows written."""
    day_set = set(days) if days is not None else None
    rows = compute_trends(_fetch(conn, day_set))
    t = schema.daily_trends
    if day_set is None:
        conn.execute(delete(t))
    elif day_set:
        conn.execute(delete(t).where(t.c.day.in_(sorted(day_set))))
    for i in range(0, len(rows), 5000):
        conn.execute(t.insert(), rows[i : i + 5000])
    return len(rows)
