"""The store's history for reports: trends, change points over the window, open alerts, the latest runs."""

from __future__ import annotations

from datetime import date

from bigday.compare.history import recent_change_points
from bigday.report.history import History, read_history
from bigday.settings.scenario import Scenario
from bigday.store.engine import Store


def store_history(
    store: Store,
    scenario: Scenario,
    days: int,
    pages: list[str] | None = None,
    metrics: list[str] | None = None,
    until: date | None = None,
) -> History:
    """``read_history`` with the change points compare finds in the same window."""
    first = read_history(store, days, until, pages, metrics)
    keys = {(p.page, p.metric) for p in first.trends}
    with store.begin("finding change points") as conn:
        found = recent_change_points(conn, keys, scenario.regression, first.until, recent_days=days)
    return read_history(store, days, first.until, pages, metrics, change_points=found)
