"""Alerts from a run's checks: breaches, regressions, isolation failures and recent change points."""

from __future__ import annotations

from typing import Any

from bigday.compare.checks import band_severity, breach_severity
from bigday.runfolder import (
    AlertType,
    BaselineComparison,
    ChangePointFinding,
    Check,
    CheckKind,
    RegressionLabel,
    Severity,
    Status,
)
from bigday.settings.scenario import AlertBand
from bigday.store.alerts import Alert


def _regression_severity(check: Check, comparison: BaselineComparison, bands: dict[str, AlertBand]) -> Severity:
    past_band = band_severity(check.metric, check.actual, bands) if check.actual is not None else None
    if past_band == "critical":
        return "critical"
    worse = abs(comparison.effect or 0.0)
    return "high" if comparison.min_effect and worse >= 2 * comparison.min_effect else "medium"


def alerts_for(
    run_id: str, checks: list[Check], change_points: list[ChangePointFinding], bands: dict[str, AlertBand]
) -> list[Alert]:
    """The alerts a run raises, before deduplication against the store's open alerts."""
    out = []
    for c in checks:
        data: dict[str, Any] = {
            "message": c.message,
            "source": c.source,
            "aggregate": c.aggregate,
            "level": c.level,
            "n": c.n,
        }
        comparison = c.comparison
        if c.kind in (CheckKind.THRESHOLD, CheckKind.BUDGET) and c.status in (Status.FAIL, Status.WARN):
            out.append(
                Alert(
                    "threshold_breach",
                    breach_severity(c, bands),
                    c.page,
                    c.metric,
                    c.bound,
                    c.actual,
                    f"run {run_id}",
                    data,
                    run_id,
                )
            )
        elif (
            c.kind is CheckKind.REGRESSION
            and comparison is not None
            and comparison.label is RegressionLabel.REGRESSION
            and comparison.gated
        ):
            data |= {
                "baseline": comparison.baseline,
                "effect": comparison.effect,
                "interval": comparison.interval,
                "q_value": comparison.q_value,
            }
            out.append(
                Alert(
                    "regression",
                    _regression_severity(c, comparison, bands),
                    c.page,
                    c.metric,
                    comparison.baseline,
                    c.actual,
                    f"run {run_id}",
                    data,
                    run_id,
                )
            )
        elif c.kind in (CheckKind.ISOLATION, CheckKind.LOAD) and c.status is Status.FAIL:
            kind: AlertType = "isolation" if c.kind is CheckKind.ISOLATION else "threshold_breach"
            out.append(Alert(kind, "high", c.page, c.metric, c.bound, c.actual, f"run {run_id}", data, run_id))
    for cp in change_points:
        if cp.worse:
            out.append(
                Alert(
                    "anomaly",
                    "high" if abs(cp.change) >= 0.2 else "medium",
                    cp.page,
                    cp.metric,
                    cp.before,
                    cp.after,
                    f"nightly trend from {cp.day}",
                    {"change": cp.change, "p_value": cp.p_value, "day": cp.day},
                    run_id,
                )
            )
    return out
