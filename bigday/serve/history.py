"""The store's history as the dashboards show it: trends, change points over the window, open alerts, the
latest runs, and the monitor's maintenance windows to shade on the charts.

Compare finds the change points and report reads the rest; they are peers that never import each other, so
the two are put together here, for the written dashboards (``bigday run``, ``report``, ``dashboard``) and the
served one alike.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from bigday.compare.history import recent_change_points
from bigday.monitor.maintenance import occurrences
from bigday.monitor.sla import maintenance_rows
from bigday.report.dashboard import render_dashboard
from bigday.report.data import history_report
from bigday.report.history import History, MaintenanceMark, read_history
from bigday.report.render import tenant_names
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
    """``read_history`` with the change points compare finds in the same window and the maintenance windows
    (the store's and the scenario's recurring ones) that touch it."""
    history = read_history(store, days, until, pages, metrics)
    keys = {(p.page, p.metric) for p in history.trends}
    start = datetime.combine(history.until - timedelta(days=days - 1), time.min, UTC)
    end = datetime.combine(history.until + timedelta(days=1), time.min, UTC)
    with store.begin("finding change points") as conn:
        found = recent_change_points(conn, keys, scenario.regression, history.until, recent_days=days)
        rows = maintenance_rows(conn, start, end)
    marks = [MaintenanceMark(r.starts_at, r.ends_at, r.pages, r.reason) for r in rows]
    for spec in scenario.monitor.maintenance:
        marks += [MaintenanceMark(s, e, spec.pages, spec.reason) for s, e in occurrences(spec, start, end)]
    return replace(
        history,
        change_points=tuple(c for c in found if (c.page, c.metric) in keys),
        maintenance=tuple(sorted(marks, key=lambda m: m.starts_at)),
    )


def served_dashboard(store: Store, scenario: Scenario, tenant: str | None, days: int) -> str:
    """The ECharts dashboard of the store's history (bigday.report.dashboard) as one viewer may see it: the
    scenario says whose each page is, and a studio's view holds its pages, alerts and windows only."""
    history = store_history(store, scenario, days)
    page_tenants = {**history.page_tenants, **{p.name: p.tenant for p in scenario.pages}}
    # A studio is not told where the store lives.
    history = replace(history, page_tenants=page_tenants, store=history.store if tenant is None else "bigday serve")
    data = history_report(history)
    if tenant is not None:
        data = data.for_tenant(tenant, tenant_names(scenario))
    return render_dashboard(data, scenario)
