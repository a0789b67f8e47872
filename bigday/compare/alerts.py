"""Alerts from a run's checks: breaches, regressions, isolation failures and recent change points."""

from __future__ import annotations

from typing import Any

from bigday.compare.checks import band_severity, breach_severity
from bigday.runfolder import (
    Alert,
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


def _regression_severity(check: Check, comparison: BaselineComparison, bands: dict[str, AlertBand]) -> Severity:
    past_band = band_severity(check.metric, check.actual, bands) if check.actual is not None else None
    if past_band == "critical":
        return "critical"
    worse = abs(comparison.effect or 0.0)
    return "high" if comparison.min_effect and worse >= 2 * comparison.min_effect else "medium"


def _check_alert(
    kind: AlertType, severity: Severity, c: Check, threshold: float | None, data: dict[str, Any], run_id: str
) -> Alert:
    return Alert(
        type=kind,
        severity=severity,
        page=c.page,
        metric=c.metric,
        threshold=threshold,
        actual=c.actual,
        window=f"run {run_id}",
        run_id=run_id,
        data=data,
    )


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
            out.append(_check_alert("threshold_breach", breach_severity(c, bands), c, c.bound, data, run_id))
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
            severity = _regression_severity(c, comparison, bands)
            out.append(_check_alert("regression", severity, c, comparison.baseline, data, run_id))
        elif c.kind in (CheckKind.ISOLATION, CheckKind.LOAD) and c.status is Status.FAIL:
            kind: AlertType = "isolation" if c.kind is CheckKind.ISOLATION else "threshold_breach"
            out.append(_check_alert(kind, "high", c, c.bound, data, run_id))
    for cp in change_points:
        if cp.worse:
            out.append(
                Alert(
                    type="anomaly",
                    severity="high" if abs(cp.change) >= 0.2 else "medium",
                    page=cp.page,
                    metric=cp.metric,
                    threshold=cp.before,
                    actual=cp.after,
                    window=f"nightly trend from {cp.day}",
                    run_id=run_id,
                    data={"change": cp.change, "p_value": cp.p_value, "day": cp.day},
                )
            )
    return out
