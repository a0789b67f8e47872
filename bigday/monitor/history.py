"""The monitor's own history, read back from the checks: values over a span, cached robust references for the
anomaly test, and daily aggregates for forecasts. Checks in maintenance windows are left out of all three."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from bigday.monitor.check import OK
from bigday.monitor.detectors import ANOMALY_METRICS, Reference, reference
from bigday.runfolder import utc_now
from bigday.settings.scenario import AnomalyPolicy
from bigday.stats import aggregate
from bigday.store import schema

MIN_DAILY_CHECKS = 3  # a day with fewer checks says too little to be a point of a trend


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def values(
    conn: Connection, page: str, start: datetime, end: datetime, metrics: tuple[str, ...] | None = None
) -> dict[str, list[tuple[datetime, float]]]:
    """metric -> (time, value) of the page's ok checks outside maintenance that started in [start, end)."""
    c = schema.checks.c
    rows = conn.execute(
        select(c.started_at, c.metrics)
        .where(
            c.page == page,
            c.status == OK,
            c.maintenance.is_(False),
            c.started_at >= start,
            c.started_at < end,
        )
        .order_by(c.started_at)
    ).fetchall()
    out: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for at, raw in rows:
        for metric, v in json.loads(raw or "{}").items():
            if (metrics is None or metric in metrics) and isinstance(v, (int, float)):
                out[metric].append((_aware(at), float(v)))
    return dict(out)


def get_state(conn: Connection, key: str, lock: bool = False) -> dict[str, Any] | None:
    s = schema.monitor_state
    q = select(s.c.value).where(s.c.key == key)
    row = conn.execute(q.with_for_update() if lock else q).first()
    return json.loads(row[0]) if row else None


def put_state(conn: Connection, key: str, value: dict[str, Any]) -> None:
    s = schema.monitor_state
    text = json.dumps(value, default=str)
    if conn.execute(s.update().where(s.c.key == key).values(value=text, updated_at=utc_now())).rowcount == 0:
        conn.execute(s.insert().values(key=key, value=text, updated_at=utc_now()))


def is_due(conn: Connection, key: str, every_s: float, now: datetime) -> bool:
    """Whether a periodic evaluation is due, and if so mark it done (the caller holds the page's lock)."""
    state = get_state(conn, key)
    if state is not None and (now - datetime.fromisoformat(state["at"])).total_seconds() < every_s:
        return False
    put_state(conn, key, {"at": now.isoformat()})
    return True


def anomaly_references(conn: Connection, page: str, policy: AnomalyPolicy, now: datetime) -> dict[str, Reference]:
    """The page's robust reference per metric over the last ``history`` of checks, recomputed hourly (or every
    few minutes while there are still too few checks to judge by)."""
    key = f"anomaly:{page}"
    state = get_state(conn, key)
    if state is not None:
        age = (now - datetime.fromisoformat(state["at"])).total_seconds()
        refs = {m: Reference(r["median"], r["scale"], int(r["n"])) for m, r in state["refs"].items()}
        young = any(r.n < policy.min_checks for r in refs.values()) or not refs
        if age < (policy.refresh_s / 12 if young else policy.refresh_s):
            return refs
    history = values(conn, page, now - timedelta(seconds=policy.history_s), now, ANOMALY_METRICS)
    refs = {}
    for metric, pairs in history.items():
        ref = reference([v for _, v in pairs], metric, policy.spread)
        if ref is not None:
            refs[metric] = ref
    put_state(conn, key, {"at": now.isoformat(), "refs": {m: r.as_dict() for m, r in refs.items()}})
    return refs


def daily_aggregates(
    conn: Connection, page: str, wanted: set[tuple[str, str]], window_s: float, now: datetime
) -> dict[tuple[str, str], list[tuple[date, float]]]:
    """(metric, aggregate) -> (day, the day's aggregate) over complete UTC days of the window.

    Each finished day is computed once and kept in the monitor's state; today is left out until it is over."""
    key = f"daily:{page}"
    state = get_state(conn, key) or {"days": {}}
    today = now.date()
    first = (now - timedelta(seconds=window_s)).date()
    days: dict[str, dict[str, dict[str, float]]] = {
        d: v for d, v in state["days"].items() if date.fromisoformat(d) >= first
    }
    missing = [
        first + timedelta(days=i)
        for i in range((today - first).days)
        if (first + timedelta(days=i)).isoformat() not in days
    ]
    need = {m for m, _ in wanted}
    if missing:
        start = datetime.combine(missing[0], datetime.min.time(), UTC)
        end = datetime.combine(today, datetime.min.time(), UTC)
        by_day: dict[date, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for metric, pairs in values(conn, page, start, end, tuple(sorted(need))).items():
            for at, v in pairs:
                by_day[at.date()][metric].append(v)
        for d in missing:
            per = by_day.get(d, {})
            days[d.isoformat()] = {
                m: {agg: aggregate(np.asarray(per[m]), agg) for mm, agg in wanted if mm == m}
                | {"n": float(len(per[m]))}
                for m in per
                if len(per[m]) >= MIN_DAILY_CHECKS
            }
        put_state(conn, key, {"days": days})
    out: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    for day_text, per_metric in sorted(days.items()):
        for metric, aggs in per_metric.items():
            for m, agg in wanted:
                if m == metric and agg in aggs:
                    out[(m, agg)].append((date.fromisoformat(day_text), float(aggs[agg])))
    return dict(out)
