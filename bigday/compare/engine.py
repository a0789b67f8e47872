"""``compare_run``: judge one run folder and write verdicts.json and alerts.json beside its samples."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigday.compare.alerts import alerts_for
from bigday.compare.baseline import resolve_baseline
from bigday.compare.checks import (
    SourcedBudget,
    SourcedThreshold,
    band_checks,
    budget_checks,
    threshold_checks,
)
from bigday.compare.history import recent_change_points
from bigday.compare.lighthouse import LighthouseChecks, read_budget_json, read_lighthouserc
from bigday.compare.model import FAIL, PASS, WARN, BaselineInfo, Check, Verdicts, outcome_of
from bigday.compare.regression import regression_checks
from bigday.compare.rundata import RunData, read_run_data
from bigday.compare.webhook import notify
from bigday.errors import ConfigError
from bigday.runfolder import write_json_atomic
from bigday.settings.scenario import Scenario
from bigday.store import repo
from bigday.store.alerts import Alert, raise_alert
from bigday.store.engine import Store
from bigday.store.ingest import store_run

VERDICTS_FILE = "verdicts.json"
ALERTS_FILE = "alerts.json"


@dataclass(frozen=True)
class CompareOptions:
    """What to compare against, beyond the scenario."""

    baseline: str | None = None  # NAME | branch:X | age:7d | run:ID; None: branch:main if there is one
    budget_json: Path | None = None
    lighthouserc: Path | None = None
    notify: bool = True


def load_checks(data: RunData, scenario: Scenario, lighthouse: LighthouseChecks) -> list[Check]:
    """Thresholds, alert bands and budgets from the scenario and any Lighthouse CI files."""
    thresholds = [SourcedThreshold(t) for t in scenario.thresholds] + list(lighthouse.thresholds)
    budgets = [SourcedBudget(b) for b in scenario.budgets] + list(lighthouse.budgets)
    checks = threshold_checks(data, thresholds) + budget_checks(data, budgets)
    covered = {(c.page, c.metric) for c in checks if c.kind == "threshold"}
    checks += band_checks(data, dict(scenario.alert_bands), covered)
    return checks


def load_verdict_checks(data: RunData) -> list[Check]:
    """A load run's own verdicts (tenant isolation, Saturday spike) as checks."""
    out = []
    for v in data.load_verdicts:
        name = str(v.get("name", "load"))
        isolation = "isolation" in name
        status = {"pass": PASS, "fail": FAIL}.get(str(v.get("status")), WARN)
        reasons = "; ".join(str(r) for r in v.get("reasons") or []) or str(v.get("status"))
        if v.get("trustworthy") is False:
            reasons += " (not trustworthy: the load generator was saturated)"
        page = f"tenant:{v['victim']}" if isolation and v.get("victim") else name
        out.append(
            Check(
                kind="isolation" if isolation else "load",
                page=page,
                metric=name,
                status=status,
                message=f"{name}: {status}: {reasons}",
                source="load_stats",
            )
        )
    return out


def _read_lighthouse(scenario: Scenario, options: CompareOptions, profile: str) -> LighthouseChecks:
    out = LighthouseChecks()
    if options.budget_json:
        out += read_budget_json(options.budget_json, scenario.pages)
    if options.lighthouserc:
        out += read_lighthouserc(options.lighthouserc, scenario.pages, profile)
    return out


def check_compare_inputs(store: Store, scenario: Scenario, options: CompareOptions, profile: str = "desktop") -> None:
    """Fail on a malformed budget.json / lighthouserc or an unknown baseline name before a run is probed."""
    _read_lighthouse(scenario, options, profile)
    spec = options.baseline
    if spec and not spec.startswith(("branch:", "age:")):
        with store.begin("checking the baseline") as conn:
            if spec.startswith("run:"):
                known = repo.get_run(conn, spec.removeprefix("run:")) is not None
            else:
                known = repo.get_baseline(conn, spec) is not None
        if not known:
            raise ConfigError(f"--baseline {spec!r}: unknown baseline; see 'bigday baseline list'")


def compare_run(
    store: Store, run_dir: str | Path, scenario: Scenario, options: CompareOptions | None = None
) -> Verdicts:
    """Ingest (if needed) and judge a run; writes verdicts.json and alerts.json; raises on bad input first."""
    options = options or CompareOptions()
    # Everything that can be wrong with the input is found before anything is written.
    data = read_run_data(run_dir)
    lighthouse = _read_lighthouse(scenario, options, str(data.run.get("profile") or "desktop"))
    with store.begin("choosing the baseline") as conn:
        base_run, base_info = resolve_baseline(conn, options.baseline, data.run, explicit=options.baseline is not None)
        base_values = repo.run_samples(conn, base_run.run_id) if base_run else {}
    store_run(store, data.run, list(data.rows))  # the folder was read and validated once, above

    # The scenario's thresholds and budgets are browser metrics; a load run is judged by its own verdicts
    # (isolation, spike) and against a baseline load run.
    checks = load_checks(data, scenario, lighthouse) if data.run["kind"] == "probe" else []
    checks += load_verdict_checks(data)
    if base_run is not None:
        checks += regression_checks(
            data.values, base_values, scenario.regression, fail_on_regression=not base_info.environment_differences
        )
    notes = []
    if data.failed_page_runs:
        notes.append(f"{data.failed_page_runs} page run(s) failed and carry no values")
    if not data.run["complete"]:
        notes.append("the run is incomplete (manifest complete=false)")
    with store.begin("reading nightly trends") as conn:
        found = recent_change_points(conn, set(data.values), scenario.regression, data.run["started_at"].date())
    outcome = outcome_of(checks)
    verdicts = Verdicts(
        data.run_id,
        data.run["kind"],
        outcome,
        tuple(checks),
        base_info,
        lighthouse.unsupported,
        tuple(found),
        tuple(notes),
    )

    bands = dict(scenario.alert_bands)
    raised = alerts_for(data.run_id, checks, list(found), bands)
    with store.begin("recording verdict and alerts") as conn:
        stored = [raise_alert(conn, a) for a in raised]
        repo.set_verdict(conn, data.run_id, outcome)
    if options.notify:
        result = notify(data.run_id, stored)
        if result is not None and not result.sent:
            notes.append(f"webhook notification failed after {result.attempts} attempt(s): {result.detail}")
            print(f"bigday: warning: webhook notification failed ({result.detail})", file=sys.stderr)
        elif result is not None:
            notes.append(f"webhook notified of {sum(1 for a in stored if a.new)} new alert(s)")
    verdicts = Verdicts(
        verdicts.run_id,
        verdicts.kind,
        outcome,
        verdicts.checks,
        base_info,
        verdicts.unsupported,
        verdicts.change_points,
        tuple(notes),
    )
    write_outputs(data.folder.path, verdicts, stored)
    return verdicts


def write_outputs(run_dir: Path, verdicts: Verdicts, alerts: list[Alert]) -> None:
    write_json_atomic(run_dir / VERDICTS_FILE, verdicts.to_json())
    write_json_atomic(run_dir / ALERTS_FILE, {"run_id": verdicts.run_id, "alerts": [a.to_json() for a in alerts]})


def baseline_info_json(info: BaselineInfo | None) -> dict[str, Any] | None:
    return info.to_json() if info else None
