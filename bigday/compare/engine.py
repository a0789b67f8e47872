"""``compare_run``: judge one run folder, record the outcome in the store, notify, and write it beside the samples.

Four steps, each its own function: judging (bigday.compare.judge, pure), recording (ingest, alerts, the
run's verdict in the store) and writing (``verdicts.json`` and ``alerts.json`` through bigday.runfolder) in
one transaction, the folder's files before the commit, then notifying (the webhook; its result becomes a
note, never a print).  Everything that can be wrong with the input is found before any of them runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from bigday.compare.alerts import alerts_for
from bigday.compare.baseline import resolve_baseline
from bigday.compare.history import recent_change_points
from bigday.compare.judge import BaselineSamples, judge
from bigday.compare.lighthouse import LighthouseChecks, read_budget_json, read_lighthouserc
from bigday.compare.rundata import RunData, run_data
from bigday.compare.webhook import WebhookResult, notify
from bigday.errors import ConfigError
from bigday.runfolder import (
    Alert,
    Alerts,
    RunFile,
    RunFolder,
    Verdicts,
    read_run_contents,
    restored_on_failure,
    write_alerts,
    write_verdicts,
)
from bigday.settings.scenario import Scenario
from bigday.store import repo
from bigday.store.alerts import raise_alert
from bigday.store.engine import Store
from bigday.store.ingest import rows_of, store_run


@dataclass(frozen=True)
class CompareOptions:
    """What to compare against, beyond the scenario."""

    baseline: str | None = None  # NAME | branch:X | age:7d | run:ID; None: branch:main if there is one
    budget_json: Path | None = None
    lighthouserc: Path | None = None
    notify: bool = True


def read_lighthouse(scenario: Scenario, options: CompareOptions, profile: str) -> LighthouseChecks:
    """The checks of the Lighthouse CI files named in ``options`` (ConfigError names a malformed file)."""
    out = LighthouseChecks()
    if options.budget_json:
        out += read_budget_json(options.budget_json, scenario.pages)
    if options.lighthouserc:
        out += read_lighthouserc(options.lighthouserc, scenario.pages, profile)
    return out


def check_compare_inputs(store: Store, scenario: Scenario, options: CompareOptions, profile: str = "desktop") -> None:
    """Fail on a malformed budget.json / lighthouserc or an unknown baseline name before a run is probed."""
    read_lighthouse(scenario, options, profile)
    spec = options.baseline
    if spec and not spec.startswith(("branch:", "age:")):
        with store.begin("checking the baseline") as conn:
            if spec.startswith("run:"):
                known = repo.get_run(conn, spec.removeprefix("run:")) is not None
            else:
                known = repo.get_baseline(conn, spec) is not None
        if not known:
            raise ConfigError(f"--baseline {spec!r}: unknown baseline; see 'bigday baseline list'")


def choose_baseline(store: Store, options: CompareOptions, data: RunData) -> BaselineSamples:
    """The baseline run ``options`` asks for (by default the latest passing run on main) and its samples."""
    with store.begin("choosing the baseline") as conn:
        found, info = resolve_baseline(conn, options.baseline, data.manifest, explicit=options.baseline is not None)
        return BaselineSamples(info, repo.run_samples(conn, found.run_id, data.engine) if found else None)


def record(
    conn: Connection, folder: RunFolder, data: RunData, verdicts: Verdicts, scenario: Scenario
) -> tuple[Verdicts, list[Alert]]:
    """In the caller's transaction: find recent steps in the run's nightly trends, raise its alerts and set its
    verdict, and write the verdict and alerts into the run folder before the transaction commits; returns the
    verdicts with those steps, and the alerts as stored (new, or joined to an open one)."""
    found = recent_change_points(conn, set(data.values), scenario.regression, data.manifest.started_at.date())
    verdicts = dataclasses.replace(verdicts, change_points=tuple(found))
    raised = alerts_for(verdicts.run_id, list(verdicts.checks), found, dict(scenario.alert_bands))
    stored = [raise_alert(conn, a) for a in raised]
    repo.set_verdict(conn, verdicts.run_id, verdicts.outcome.value)
    write_outputs(folder, verdicts, stored)
    return verdicts, stored


def with_notification(verdicts: Verdicts, result: WebhookResult | None, alerts: list[Alert]) -> Verdicts:
    """The verdicts with a note on what the webhook did; a failed notification is also a warning to show."""
    if result is None:
        return verdicts
    if not result.sent:
        note = f"webhook notification failed after {result.attempts} attempt(s): {result.detail}"
        warning = f"webhook notification failed ({result.detail})"
        return dataclasses.replace(verdicts, notes=(*verdicts.notes, note), warnings=(*verdicts.warnings, warning))
    note = f"webhook notified of {sum(1 for a in alerts if a.new)} new alert(s)"
    return dataclasses.replace(verdicts, notes=(*verdicts.notes, note))


def write_outputs(folder: RunFolder, verdicts: Verdicts, alerts: list[Alert]) -> None:
    write_verdicts(folder, verdicts)
    write_alerts(folder, Alerts(verdicts.run_id, tuple(alerts)))


def compare_run(
    store: Store, run_dir: str | Path, scenario: Scenario, options: CompareOptions | None = None
) -> Verdicts:
    """Judge a run, record it in the store, notify and write verdicts.json and alerts.json; raises on bad input
    before anything is stored or written."""
    options = options or CompareOptions()
    contents = read_run_contents(run_dir)
    data = run_data(contents)
    lighthouse = read_lighthouse(scenario, options, data.manifest.environment.profile or "desktop")
    baseline = choose_baseline(store, options, data)
    verdicts = judge(data, scenario, lighthouse, baseline)
    # The run's samples first, with no verdict (as `bigday ingest` leaves a run); then the folder's verdict and
    # the store's in one transaction that commits only once verdicts.json and alerts.json are written, and a
    # failed commit takes those files back: the store never says `pass` for a folder that has no verdict.
    store_run(store, *rows_of(contents))  # the folder was read and validated once, before judging
    folder = contents.folder
    with restored_on_failure([folder.file(RunFile.VERDICTS), folder.file(RunFile.ALERTS)]):
        with store.begin("recording verdict and alerts") as conn:
            verdicts, alerts = record(conn, folder, data, verdicts, scenario)
    if options.notify:
        # After the commit, so only alerts that are stored are sent; the note it adds is rewritten in place.
        verdicts = with_notification(verdicts, notify(verdicts.run_id, alerts), alerts)
        write_verdicts(folder, verdicts)
    return verdicts
