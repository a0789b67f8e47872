"""Change points over the store's nightly trend series (p75 per page x metric)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Connection, select

from bigday.compare.changepoint import change_points
from bigday.compare.effects import effect_rule
from bigday.metrics import Direction, direction_of
from bigday.runfolder import ChangePointFinding
from bigday.settings.scenario import RegressionPolicy
from bigday.store import schema
from bigday.store.trends import _as_date

# Tuned on synthetic nights (10 % step, 5 % noise): Otava's split/merge with a stricter p, and segments of
# at least 3 nights so that one bad night cannot be cut out as a "step" of its own.
NIGHTLY_WINDOW = 50
NIGHTLY_MAX_PVALUE = 0.0001
NIGHTLY_MIN_SEGMENT = 3
RECENT_DAYS = 3
HISTORY_DAYS = 120
MIN_NIGHTS = 8


def nightly_change_points(series: np.ndarray | list[float], policy: RegressionPolicy, metric: str = "lcp") -> list[int]:
    """Indexes where a nightly series steps, at half the regression policy's minimum effect."""
    rule = effect_rule(metric, policy)
    min_mag = rule.minimum / 2 if rule.kind == "ratio" else 0.0
    cps = change_points(
        series,
        window=NIGHTLY_WINDOW,
        max_pvalue=NIGHTLY_MAX_PVALUE,
        min_magnitude=min_mag,
        min_segment=NIGHTLY_MIN_SEGMENT,
        refine=True,
    )
    return [c.index for c in cps]


def recent_change_points(
    conn: Connection, keys: set[tuple[str, str]], policy: RegressionPolicy, today: date, recent_days: int = RECENT_DAYS
) -> list[ChangePointFinding]:
    """Steps in the p75 trend of ``keys`` that began within ``recent_days`` of ``today``."""
    t = schema.daily_trends
    since = today - timedelta(days=HISTORY_DAYS)
    rows = conn.execute(
        select(t.c.page, t.c.metric, t.c.day, t.c.p75).where(t.c.day >= since).order_by(t.c.page, t.c.metric, t.c.day)
    ).fetchall()
    series: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    for page, metric, day, p75 in rows:
        if (page, metric) in keys:
            series[(page, metric)].append((_as_date(day), float(p75)))
    out = []
    for (page, metric), points in sorted(series.items()):
        if len(points) < MIN_NIGHTS:
            continue
        days = [d for d, _ in points]
        values = np.array([v for _, v in points])
        rule = effect_rule(metric, policy)
        for c in change_points(
            values,
            window=NIGHTLY_WINDOW,
            max_pvalue=NIGHTLY_MAX_PVALUE,
            min_magnitude=rule.minimum / 2 if rule.kind == "ratio" else 0.0,
            min_segment=NIGHTLY_MIN_SEGMENT,
            refine=True,
        ):
            if (today - days[c.index]).days > recent_days:
                continue
            up = c.mean_after > c.mean_before
            worse = up if direction_of(metric) is Direction.LOWER_IS_BETTER else not up
            out.append(
                ChangePointFinding(
                    page,
                    metric,
                    days[c.index].isoformat(),
                    c.mean_before,
                    c.mean_after,
                    c.forward_change,
                    c.p_value,
                    worse,
                )
            )
    return out
