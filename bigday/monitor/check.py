"""One check: one page probed once, its outcome classified and judged against the scenario's thresholds.

A check is ``ok`` (loaded and measured), ``unavailable`` (did not load: connection refused, HTTP 4xx/5xx,
timeout before the load event), ``broken`` (loaded, but its interaction or instrumentation failed: available,
yet not within thresholds) or ``error`` (the monitor's own failure, a browser that crashed on every attempt;
left out of the SLA). The probe itself is ``bigday.probe.runner.probe_app`` with one run of one page.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

from bigday.compare.checks import SourcedThreshold, band_checks, breach_severity, threshold_checks
from bigday.compare.rundata import run_data
from bigday.errors import BigdayError
from bigday.probe.app import AppUnderTest
from bigday.probe.runner import ProbeOptions, probe_app
from bigday.runfolder import SEVERITIES, CheckKind, Status, read_run_contents, utc_now
from bigday.settings.scenario import Scenario
from bigday.store.ingest import rows_of

RUNNING, OK, UNAVAILABLE, BROKEN, ERROR, ABANDONED = "running", "ok", "unavailable", "broken", "error", "abandoned"
CHECK_STATUSES = (RUNNING, OK, UNAVAILABLE, BROKEN, ERROR, ABANDONED)
# The statuses the SLA counts: availability is (ok + broken) / these; ``within thresholds`` is ok-and-within / these.
COUNTED = (OK, UNAVAILABLE, BROKEN)
RUN_KIND = "monitor"  # the runs row of a check, so baselines ("age:7d") never pick a one-run check

_UNAVAILABLE_PREFIXES = ("HTTP ", "navigation error", "timeout:")


def classify(error: str | None) -> str:
    """A failed page run's status from the probe's reason."""
    if error is None:
        return OK
    if error.startswith("browser crash"):
        return ERROR
    if error.startswith(_UNAVAILABLE_PREFIXES):
        return UNAVAILABLE
    return BROKEN


@dataclass(frozen=True)
class Breach:
    """A threshold (or, for metrics no threshold covers, an alert band) this check was outside."""

    metric: str
    source: str  # the threshold's source ("scenario") or "alert_bands"
    aggregate: str | None
    bound: float | None
    actual: float | None
    level: str | None
    severity: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "source": self.source,
            "aggregate": self.aggregate,
            "bound": self.bound,
            "actual": self.actual,
            "level": self.level,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class CheckOutcome:
    """What one check found, ready to be recorded."""

    status: str
    error: str | None
    started_at: datetime
    finished_at: datetime
    attempts: int
    metrics: dict[str, float] = field(default_factory=dict)
    breaches: tuple[Breach, ...] = ()
    within_thresholds: bool | None = None
    run: dict[str, Any] | None = None  # the runs row of the check's probe run
    samples: list[dict[str, Any]] = field(default_factory=list)
    tenant: str | None = None

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def judged_metrics(scenario: Scenario, page: str) -> frozenset[str]:
    """The metrics a check of ``page`` is judged on: thresholds that apply to it, and alert bands."""
    names = {t.metric for t in scenario.thresholds if t.applies_to(page)}
    return frozenset(names | set(scenario.alert_bands))


def judge_values(scenario: Scenario, page: str, data: Any) -> tuple[tuple[Breach, ...], bool]:
    """Breaches of one check's run data, and whether it was within every threshold (alert bands aside)."""
    checks = threshold_checks(data, [SourcedThreshold(t) for t in scenario.thresholds if t.applies_to(page)])
    covered = {(c.page, c.metric) for c in checks if c.kind is CheckKind.THRESHOLD}
    bands = band_checks(data, dict(scenario.alert_bands), covered)
    breaches = []
    for c in checks + bands:
        if c.status in (Status.FAIL, Status.WARN):
            severity = breach_severity(c, dict(scenario.alert_bands))
            breaches.append(Breach(c.metric, c.source, c.aggregate, c.bound, c.actual, c.level, severity))
    within = not any(b.source != "alert_bands" for b in breaches)
    return tuple(breaches), within


def worst(severities: list[str]) -> str:
    return max(severities, key=SEVERITIES.index) if severities else "low"


@dataclass(frozen=True)
class CheckSettings:
    """How a check probes: its attempts, timeout, profile and accessibility audit."""

    attempts: int = 2
    timeout_s: float = 30.0
    profile: str = "desktop"
    accessibility: str = "every"  # every | off (one run per check: "first" is every)


def run_check(
    browser: Browser,
    app: AppUnderTest,
    scenario: Scenario,
    page: str,
    settings: CheckSettings,
    results_dir: Path,
    keep_folder: bool = False,
) -> CheckOutcome:
    """Probe ``page`` once; never raises for what the app or the browser did (that is the check's status)."""
    started = utc_now()
    t0 = time.monotonic()
    spec = scenario.page(page)
    tenant = spec.tenant or scenario.default_tenant.id
    options = ProbeOptions(
        scenario=scenario,
        base_url=app.base_url,
        results_dir=results_dir,
        runs=1,
        profile=settings.profile,
        pages=(page,),
        timeout_s=settings.timeout_s,
        max_attempts=settings.attempts,
        accessibility="every" if settings.accessibility != "off" else "off",
    )
    try:
        outcome = probe_app(options, app, browser=browser)
    except BigdayError as e:  # the browser could not be restarted: the monitor starts a fresh one
        finished = utc_now()
        return CheckOutcome(ERROR, str(e), started, finished, settings.attempts, tenant=tenant)
    folder = outcome.folder.path
    try:
        runs = [r for r in outcome.runs if not r.warm]
        last = runs[-1] if runs else None
        ok_run = next((r for r in runs if r.ok), None)
        status = OK if ok_run is not None else classify(last.error if last else "no page run")
        error = None if ok_run is not None else (last.error if last else "no page run")
        contents = read_run_contents(folder)
        run, samples = rows_of(contents)
        run["kind"] = RUN_KIND
        metrics: dict[str, float] = {}
        breaches: tuple[Breach, ...] = ()
        within: bool | None = None
        if ok_run is not None:
            metrics = {k: v for k, v in ok_run.vitals.as_dict().items() if v is not None}
            breaches, within = judge_values(scenario, page, run_data(contents))
        elif status == BROKEN:
            within = False
        return CheckOutcome(
            status=status,
            error=error,
            started_at=started,
            finished_at=started + _elapsed(t0),
            attempts=len(runs),
            metrics=metrics,
            breaches=breaches,
            within_thresholds=within,
            run=run,
            samples=samples,
            tenant=tenant,
        )
    finally:
        if not keep_folder:
            shutil.rmtree(folder, ignore_errors=True)


def _elapsed(t0: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=time.monotonic() - t0)
