"""``bigday trends`` at the terminal: per page and metric the latest daily p75/p95, the change over the window,
a sparkline of the p75, and the change points found in it."""

from __future__ import annotations

from collections import defaultdict

from rich.table import Table
from rich.text import Text

from bigday.metrics import format_change, format_value
from bigday.present.console import plain
from bigday.report.history import History, TrendPoint

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo
    return "".join(_BARS[0 if not span else min(len(_BARS) - 1, int((v - lo) / span * len(_BARS)))] for v in values)


def trends_table(history: History) -> Table:
    series: dict[tuple[str, str], list[TrendPoint]] = defaultdict(list)
    for p in history.trends:
        series[(p.page, p.metric)].append(p)
    table = Table(
        title=f"daily trends, last {history.days} days to {history.until.isoformat()} ({plain(history.store)})",
        box=None,
        pad_edge=False,
        header_style="bold",
    )
    for col in ("page", "metric", "days", "latest p75", "latest p95", "change p75", "p75 over the window", "steps"):
        table.add_column(
            col, no_wrap=col != "steps", justify="right" if col.startswith(("latest", "change")) else "left"
        )
    steps = defaultdict(list)
    for c in history.change_points:
        steps[(c.page, c.metric)].append(f"{format_change(c.change, 'ratio', c.metric)} on {c.day}")
    for (page, metric), points in sorted(series.items()):
        first, last = points[0], points[-1]
        change = (last.p75 - first.p75) / first.p75 if first.p75 else None
        table.add_row(
            Text(plain(page)),
            metric,
            str(len(points)),
            format_value(metric, last.p75),
            format_value(metric, last.p95),
            format_change(change, "ratio", metric) if change is not None and len(points) > 1 else "-",
            sparkline([p.p75 for p in points]),
            Text("; ".join(steps.get((page, metric), [])) or "-"),
        )
    if not series:
        table.caption = "no trends in the store for this window"
    return table
