"""Judging one run, with nothing else: run data + scenario + Lighthouse CI checks + baseline samples -> Verdicts.

No store, no files, no network: ``compare_run`` (bigday.compare.engine) reads the inputs, then records,
notifies and writes what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bigday.compare.checks import SourcedBudget, SourcedThreshold, band_checks, budget_checks, threshold_checks
from bigday.compare.lighthouse import LighthouseChecks
from bigday.compare.regression import regression_checks
from bigday.compare.rundata import RunData
from bigday.errors import ConfigError
from bigday.runfolder import (
    BaselineInfo,
    Check,
    CheckKind,
    IsolationVerdict,
    LoadVerdict,
    RunKind,
    Status,
    Verdicts,
    outcome_of,
)
from bigday.settings.scenario import Scenario


@dataclass(frozen=True)
class BaselineSamples:
    """The chosen baseline and its samples per page x metric (None: no baseline run to compare with)."""

    info: BaselineInfo
    values: dict[tuple[str, str], np.ndarray] | None = None


def check_budget_chunks(data: RunData, scenario: Scenario) -> None:
    """A budget on a chunk no page of the run loads would judge nothing, silently; when the run measured chunk
    sizes on every page of the scenario, such a name is a mistake (a typo, a renamed bundle) and is refused."""
    known = {name for chunks in data.chunks.values() for name in chunks}
    if not known or not {p.name for p in scenario.pages} <= set(data.chunks):
        return  # sizes not reported, or some pages not probed: budget_checks says so per page
    for i, budget in enumerate(scenario.budgets):
        if budget.chunk != "total" and budget.chunk not in known:
            raise ConfigError(
                f"{scenario.source}: budgets[{i}].chunk: unknown JS chunk {budget.chunk!r}; the run's pages load "
                f"{', '.join(sorted(known))} (or total, for all JS)"
            )


def scenario_checks(data: RunData, scenario: Scenario, lighthouse: LighthouseChecks) -> list[Check]:
    """Thresholds, alert bands and budgets from the scenario and any Lighthouse CI files."""
    check_budget_chunks(data, scenario)
    thresholds = [SourcedThreshold(t) for t in scenario.thresholds] + list(lighthouse.thresholds)
    budgets = [SourcedBudget(b) for b in scenario.budgets] + list(lighthouse.budgets)
    checks = threshold_checks(data, thresholds) + budget_checks(data, budgets)
    covered = {(c.page, c.metric) for c in checks if c.kind is CheckKind.THRESHOLD}
    checks += band_checks(data, dict(scenario.alert_bands), covered)
    return checks


def load_verdict_checks(verdicts: tuple[LoadVerdict, ...]) -> list[Check]:
    """A load run's own verdicts (tenant isolation, Saturday spike) as checks of the verdict's kind.

    An inconclusive verdict stays INCONCLUSIVE: "could not tell" is never turned into a failure here (a
    strict gate may treat it as one, see ``--strict``)."""
    out = []
    for v in verdicts:
        status = v.status if v.status in (Status.PASS, Status.FAIL, Status.INCONCLUSIVE) else Status.WARN
        if isinstance(v, IsolationVerdict):
            reasons = v.reason or "; ".join(v.reasons) or str(v.status)
        else:
            reasons = "; ".join(v.reasons) or str(v.status)
        if not v.trustworthy:
            reasons += " (not trustworthy: " + ("; ".join(v.caveats) or "the load generator was saturated") + ")"
        extra: dict[str, Any] = {}
        if isinstance(v, IsolationVerdict):
            ratio = v.p95_ratio
            extra = dict(
                aggregate="p95",
                bound=v.tolerance,
                actual=ratio.estimate if ratio else None,
                n=v.spike.n if v.spike else None,
            )
        page = f"tenant:{v.victim}" if isinstance(v, IsolationVerdict) and v.victim else v.name
        out.append(
            Check(
                kind=v.check_kind,
                page=page,
                metric=v.name,
                status=status,
                message=f"{v.name}: {status}: {reasons}",
                source="load_stats",
                **extra,
            )
        )
    return out


def judge(data: RunData, scenario: Scenario, lighthouse: LighthouseChecks, baseline: BaselineSamples) -> Verdicts:
    """Every check of the run and the outcome they add up to."""
    # The scenario's thresholds and budgets are browser metrics; a load run is judged by its own verdicts
    # (isolation, spike) and against a baseline load run.
    checks = scenario_checks(data, scenario, lighthouse) if data.kind is RunKind.PROBE else []
    checks += load_verdict_checks(data.load_verdicts)
    if baseline.values is not None:
        checks += regression_checks(
            data.values,
            baseline.values,
            scenario.regression,
            fail_on_regression=not baseline.info.environment_differences,
        )
    notes = []
    if data.failed_page_runs:
        notes.append(f"{data.failed_page_runs} page run(s) failed and carry no values")
    if not data.manifest.complete:
        notes.append("the run is incomplete (manifest complete=false)")
    return Verdicts(
        run_id=data.run_id,
        kind=data.kind,
        outcome=outcome_of(checks),
        baseline=baseline.info,
        unsupported=lighthouse.unsupported,
        notes=tuple(notes),
        checks=tuple(checks),
    )
