"""The wedding app's critical paths, held to the scenario's thresholds (QA edits this file).

``pytest probes/`` measures the embedded reference target; ``pytest probes/ --base-url https://staging...``
measures a deployed app.  Each page is run ``--bigday-runs`` times (default 3) on the desktop profile
(``--bigday-profile``); every assertion names its aggregate, as the scenario's thresholds do.
"""

from __future__ import annotations

from typing import Any

import pytest

from bigday.pytest_plugin import Measurement
from bigday.settings.scenario import Scenario, load_scenario

pytestmark = pytest.mark.browser


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "critical_page" in metafunc.fixturenames:
        scenario = load_scenario(metafunc.config.getoption("--bigday-scenario"))
        metafunc.parametrize("critical_page", [p.name for p in scenario.pages])


def _breaches(m: Measurement, scenario: Scenario, level: str) -> list[str]:
    out = []
    for t in scenario.thresholds:
        if t.level != level or not t.applies_to(m.page):
            continue
        value = m.stat(t.metric, t.aggregate)
        if value is None:
            # INP/FID are only measured with an interaction: every critical path has one, so missing is a failure.
            out.append(f"{t.metric} {t.aggregate}: not measured")
        elif t.breached_by(value):
            sign = ">" if t.direction.value == "lower" else "<"
            out.append(f"{t.metric} {t.aggregate} = {value:g} {sign} {t.bound:g} ({t.level})")
    return out


def test_critical_path_meets_thresholds(
    critical_page: str, measure_page: Any, bigday_scenario: Scenario, record_property: Any
) -> None:
    m = measure_page(critical_page)
    warnings = _breaches(m, bigday_scenario, "warn")
    record_property("threshold_warnings", warnings)
    for line in warnings:
        print(f"{critical_page}: warning: {line}")
    errors = _breaches(m, bigday_scenario, "error")
    assert not errors, f"{critical_page} ({len(m.ok_runs)} runs): " + "; ".join(errors)


def _tenant_with_clients(scenario: Scenario, clients: int) -> str:
    for t in scenario.tenants:
        if t.clients == clients:
            return t.id
    pytest.skip(f"{scenario.source}: no tenant with {clients} clients")


def test_dashboard_renders_sub_linearly_in_clients(measure_page: Any, bigday_scenario: Scenario) -> None:
    """DESIGN §3: the dashboard with 2,000 clients renders in < 3 s and <= 1.8x the 1,000-client time.

    "Renders" is LCP, the moment the page's largest content is painted (web-vitals' own render metric)."""
    big = measure_page("dashboard", tenant=_tenant_with_clients(bigday_scenario, 2000), accessibility=False)
    small = measure_page("dashboard", tenant=_tenant_with_clients(bigday_scenario, 1000), accessibility=False)
    big_p95, big_median, small_median = big.stat("lcp", "p95"), big.stat("lcp", "median"), small.stat("lcp", "median")
    assert big_p95 is not None and big_median is not None and small_median is not None
    assert big_p95 < 3000, f"2,000-client dashboard LCP p95 {big_p95:.0f} ms, bound 3000 ms"
    ratio = big_median / small_median
    assert ratio <= 1.8, f"LCP median 2,000 clients / 1,000 clients = {ratio:.2f}, bound 1.8"
