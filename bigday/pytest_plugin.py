"""pytest plugin: fixtures that measure a page of the app under test and return typed vitals.

Follows pytest-playwright's conventions and reuses its pieces: its ``--base-url`` option and ``base_url``
fixture (not redefined here), its session ``playwright`` driver and ``--headed``/``--slowmo`` launch
arguments.  The ladder is: a session Chromium (Debian's, ``bigday_browser``) → a fresh context per page run
(cold cache) → the page.  Without ``--base-url`` a session fixture starts the embedded reference target.

    def test_dashboard_lcp(measure_page):
        m = measure_page("dashboard", tenant="everafter")      # a scenario page name, or a path
        assert m.stat("lcp", "p95") < 2000

    @pytest.mark.bigday_page("/dashboard", knobs={"lcp_delay": 1500})
    def test_slow_hero(vitals):
        assert vitals.lcp >= 1500                               # medians of the runs

To make pytest-playwright's own ``page`` fixture use the same browser, override ``browser`` in a conftest:
``@pytest.fixture(scope="session")`` ``def browser(bigday_browser): return bigday_browser``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest

from bigday.cli.common import app_under_test
from bigday.errors import BigdayError
from bigday.probe.access import TenantAccess
from bigday.probe.app import AppUnderTest
from bigday.probe.assets import load_assets
from bigday.probe.measure import MeasureSettings
from bigday.probe.profiles import PROFILES, get_profile
from bigday.probe.results import SAMPLE_METRICS, PageRun, PageTarget, Vitals
from bigday.probe.runner import BrowserKeeper, measure_with_retries
from bigday.settings.scenario import InteractionStep, Scenario, load_scenario
from bigday.stats import aggregate_or_none

DEFAULT_RUNS = 3


@dataclass(frozen=True)
class Measurement:
    """Repeated runs of one page; ``vitals`` holds the median of each metric over the successful runs."""

    page: str
    path: str
    tenant: str | None
    profile: str
    runs: tuple[PageRun, ...]

    @property
    def ok_runs(self) -> tuple[PageRun, ...]:
        return tuple(r for r in self.runs if r.ok and not r.warm)

    def values(self, metric: str) -> list[float]:
        """The metric over the successful cold runs, unmeasured runs left out."""
        return [v for r in self.ok_runs if (v := r.vitals.get(metric)) is not None]

    def stat(self, metric: str, aggregate_name: str) -> float | None:
        """One named aggregate (median, p75, p95, p99, mean, min, max); None if the metric was never measured."""
        return aggregate_or_none(self.values(metric), aggregate_name)

    @property
    def vitals(self) -> Vitals:
        return Vitals(**{m: self.stat(m, "median") for m in SAMPLE_METRICS})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bigday", "bigday browser probes")
    group.addoption(
        "--bigday-runs", type=int, default=None, metavar="N", help=f"runs per measured page (default: {DEFAULT_RUNS})"
    )
    group.addoption(
        "--bigday-profile",
        choices=tuple(PROFILES),
        default=None,
        help="throttling profile for measured pages (default: desktop)",
    )
    group.addoption(
        "--bigday-scenario",
        default=None,
        metavar="FILE",
        help="scenario YAML for page names, tenants and thresholds (default: scenarios/wedsync.yaml)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bigday_page(page, tenant=None, knobs=None, runs=None): what the `vitals` fixture measures"
    )


@pytest.fixture(scope="session")
def bigday_scenario(pytestconfig: pytest.Config) -> Scenario:
    """The scenario: its pages (paths and interactions), tenants and thresholds."""
    try:
        return load_scenario(pytestconfig.getoption("--bigday-scenario"))
    except BigdayError as e:
        raise pytest.UsageError(str(e)) from None


@pytest.fixture(scope="session")
def bigday_app(base_url: str | None, bigday_scenario: Scenario) -> Iterator[AppUnderTest]:
    """The app at ``--base-url``, or the embedded reference target for the whole session."""
    try:
        with app_under_test(base_url, bigday_scenario) as app:
            yield app
    except BigdayError as e:
        pytest.exit(f"bigday: {e}", returncode=3)


@pytest.fixture(scope="session")
def bigday_browser(playwright: Any, browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    """One Debian Chromium for the session, honouring pytest-playwright's --headed and --slowmo."""
    from bigday.probe.browser import launch

    overrides = {k: v for k, v in browser_type_launch_args.items() if k in ("headless", "slow_mo")}
    try:
        browser = launch(playwright, **overrides)
    except BigdayError as e:
        pytest.exit(f"bigday: {e}", returncode=3)
    yield browser
    if browser.is_connected():
        browser.close()


MeasurePage = Callable[..., Measurement]


@pytest.fixture
def measure_page(
    bigday_browser: Any, bigday_app: AppUnderTest, bigday_scenario: Scenario, pytestconfig: pytest.Config
) -> Iterator[MeasurePage]:
    """``measure_page(page_or_path, tenant=, knobs=, runs=, profile=, interaction=) -> Measurement``.

    A scenario page name brings its path and scripted interaction; a path matches a scenario page's interaction
    when one has that path.  Each run gets a fresh context; a run that still fails after retries fails the test."""
    keeper = BrowserKeeper(bigday_browser)
    # The scenario's tenancy and sign-in; signed-in state is kept for this test's measurements.
    access = TenantAccess(bigday_scenario, bigday_app.base_url, get_profile("desktop"))
    try:
        assets = load_assets()
    except BigdayError as e:
        pytest.fail(str(e), pytrace=False)

    def measure(
        page_or_path: str,
        *,
        tenant: str | None = None,
        knobs: Mapping[str, Any] | None = None,
        runs: int | None = None,
        profile: str | None = None,
        interaction: tuple[InteractionStep, ...] | None = None,
        timeout_s: float = 30.0,
        accessibility: bool = True,
    ) -> Measurement:
        page = _scenario_page(bigday_scenario, page_or_path)
        path = page.path if page else page_or_path
        name = page.name if page else page_or_path
        steps = interaction if interaction is not None else (page.interaction if page else ())
        who = tenant or (page.tenant if page else None) or bigday_scenario.default_tenant.id
        n = runs or pytestconfig.getoption("--bigday-runs") or DEFAULT_RUNS
        prof = get_profile(profile or pytestconfig.getoption("--bigday-profile") or "desktop")
        url = access.url(who, path, tuple((k, str(v)) for k, v in (knobs or {}).items()))
        target = PageTarget(name, path, url, who, access.steps(who, tuple(steps)))
        settings = MeasureSettings(profile=prof, timeout_s=timeout_s)
        try:
            access.ensure_signed_in(keeper.browser, who)
        except BigdayError as e:
            pytest.fail(str(e), pytrace=False)
        records: list[PageRun] = []
        for i in range(n):
            # axe audits the first measured run only: the DOM after the interaction does not change run to run.
            audit = accessibility and not any(r.vitals.accessibility_score is not None for r in records)
            attempt_records = measure_with_retries(
                keeper, target, replace(settings, accessibility=audit), assets, i, max_attempts=3, access=access
            )
            records.extend(attempt_records)
            if not any(r.ok for r in attempt_records):
                pytest.fail(f"{url}: run {i + 1} could not be measured: {attempt_records[-1].error}", pytrace=False)
        return Measurement(name, path, who, prof.name, tuple(records))

    try:
        yield measure
    finally:
        keeper.close_replacement()


@pytest.fixture
def vitals(request: pytest.FixtureRequest, measure_page: MeasurePage) -> Vitals:
    """Median vitals of the page named by the test's ``@pytest.mark.bigday_page(...)``."""
    marker = request.node.get_closest_marker("bigday_page")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{request.node.nodeid}: the vitals fixture needs @pytest.mark.bigday_page('<page>')")
    return measure_page(marker.args[0], **marker.kwargs).vitals


def _scenario_page(scenario: Scenario, page_or_path: str) -> Any:
    for p in scenario.pages:
        if page_or_path in (p.name, p.path):
            return p
    if not page_or_path.startswith("/"):
        names = ", ".join(p.name for p in scenario.pages)
        raise pytest.UsageError(
            f"{scenario.source}: no page named {page_or_path!r}; pages are {names} (or give a path)"
        )
    return None
