"""Threshold and budget checks on one run, and the alert severity their breaches carry (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bigday.compare.rundata import RunData
from bigday.metrics import METRICS, Direction, Unit
from bigday.runfolder import Check, CheckKind, Severity, Status
from bigday.settings.scenario import AlertBand, Budget, Threshold
from bigday.stats import aggregate, median


@dataclass(frozen=True)
class SourcedThreshold:
    """A threshold and the file it came from (the scenario, a budget.json or a lighthouserc)."""

    threshold: Threshold
    source: str = "scenario"


@dataclass(frozen=True)
class SourcedBudget:
    """A JS chunk budget and the file it came from."""

    budget: Budget
    source: str = "scenario"


def fmt(metric: str, value: float | None) -> str:
    """A value in its metric's unit, for messages."""
    if value is None:
        return "n/a"
    spec = METRICS.get(metric.split("_p")[0])
    unit = spec.unit if spec else None
    if metric.endswith(".bytes"):  # resource.<type>.bytes of Lighthouse budgets
        unit = Unit.BYTES
    elif metric.endswith(".count") or metric == "console_errors":
        return f"{value:,.0f}"
    elif metric.startswith("audit:"):
        return f"{value:.2f}"
    if unit is Unit.MS:
        return f"{value:,.0f} ms"
    if unit is Unit.BYTES:
        return f"{value / 1000:,.1f} KB"
    if unit is Unit.SCORE:
        return f"{value:.0f}"
    if unit is Unit.RATIO:
        return f"{value:.2%}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}"


def _cmp(direction: Direction) -> str:
    return ">" if direction is Direction.LOWER_IS_BETTER else "<"


def threshold_checks(data: RunData, thresholds: list[SourcedThreshold]) -> list[Check]:
    """One check per threshold per page it applies to; unmeasured metrics are skipped, never passed."""
    out = []
    for st in thresholds:
        t = st.threshold
        for page in data.pages:
            if not t.applies_to(page):
                continue
            values = data.values_of(t.engine).get((page, t.metric))
            base: dict[str, Any] = dict(
                kind=CheckKind.THRESHOLD,
                page=page,
                metric=t.metric,
                source=st.source,
                aggregate=t.aggregate,
                level=t.level,
                bound=t.bound,
                engine=t.engine,
            )
            who = f" [{t.engine}]" if t.engine else ""
            if values is None or len(values) == 0:
                out.append(
                    Check(status=Status.SKIPPED, message=f"{page} {t.metric}{who}: not measured in this run", **base)
                )
                continue
            actual = aggregate(values, t.aggregate)
            breached = t.breached_by(actual)
            status = (Status.FAIL if t.level == "error" else Status.WARN) if breached else Status.PASS
            rel = _cmp(t.direction) if breached else ("<=" if t.direction is Direction.LOWER_IS_BETTER else ">=")
            msg = (
                f"{page} {t.metric}{who} {t.aggregate} {fmt(t.metric, actual)} {rel} {fmt(t.metric, t.bound)} "
                f"({t.level}, n={len(values)})"
            )
            out.append(Check(status=status, message=msg, actual=actual, n=len(values), typical=median(values), **base))
    return out


def budget_checks(data: RunData, budgets: list[SourcedBudget]) -> list[Check]:
    """JS chunk budgets against the largest size seen per page; ``total`` is all JS of the page."""
    out = []
    for sb in budgets:
        b = sb.budget
        if b.chunk != "total" and not any(b.chunk in data.chunks.get(page, {}) for page in data.pages):
            # Never silently dropped: said once (a name no page of the scenario loads is refused before this).
            out.append(
                Check(
                    kind=CheckKind.BUDGET,
                    page="*",
                    metric=f"js:{b.chunk}",
                    status=Status.SKIPPED,
                    message=f"JS {b.chunk}: no page of this run loads it, so its budget was not judged",
                    source=sb.source,
                    aggregate="max",
                    level=b.level,
                    bound=float(b.max_bytes),
                )
            )
            continue
        for page in data.pages:
            chunks = data.chunks.get(page, {})
            actual: float | None
            if b.chunk == "total":
                js = data.values.get((page, "js_bytes"))
                actual = float(js.max()) if js is not None and len(js) else (sum(chunks.values()) if chunks else None)
            else:
                actual = chunks.get(b.chunk)
                if actual is None:
                    continue  # this page does not load that chunk
            base: dict[str, Any] = dict(
                kind=CheckKind.BUDGET,
                page=page,
                metric=f"js:{b.chunk}",
                source=sb.source,
                aggregate="max",
                level=b.level,
                bound=float(b.max_bytes),
            )
            if actual is None:
                out.append(
                    Check(status=Status.SKIPPED, message=f"{page} JS {b.chunk}: sizes not reported by this run", **base)
                )
                continue
            over = actual > b.max_bytes
            status = (Status.FAIL if b.level == "error" else Status.WARN) if over else Status.PASS
            rel = ">" if over else "<="
            msg = f"{page} JS {b.chunk} {actual / 1000:,.1f} KB {rel} budget {b.max_bytes / 1000:,.1f} KB ({b.level})"
            out.append(Check(status=status, message=msg, actual=actual, **base))
    return out


def band_severity(metric: str, actual: float, bands: dict[str, AlertBand]) -> Severity | None:
    """critical past the critical band, high past the warning band, None inside both (or no band)."""
    band = bands.get(metric)
    if band is None:
        return None
    lower = band.direction is Direction.LOWER_IS_BETTER

    def past(bound: float | None) -> bool:
        return bound is not None and (actual > bound if lower else actual < bound)

    if past(band.critical):
        return "critical"
    if past(band.warning):
        return "high"
    return None


def breach_severity(check: Check, bands: dict[str, AlertBand]) -> Severity:
    """A breach's severity: the alert bands applied to the typical (median) visit; else error medium, warn low.

    The threshold's own aggregate (often p95) decides *whether* it is breached; how bad the breach is for
    users is read at the median, so one slow tail run does not page anyone as critical.
    """
    value = check.typical if check.typical is not None else check.actual
    from_band = band_severity(check.metric, value, bands) if value is not None else None
    if from_band:
        return from_band
    return "medium" if check.level == "error" else "low"


def band_checks(data: RunData, bands: dict[str, AlertBand], covered: set[tuple[str, str]]) -> list[Check]:
    """Alert bands on metrics no threshold covers (TBT in the wedding profile): judged at p95, warn only."""
    out = []
    for metric, band in bands.items():
        for page in data.pages:
            values = data.values.get((page, metric))
            if (page, metric) in covered or values is None or len(values) == 0:
                continue
            actual = aggregate(values, "p95")
            sev = band_severity(metric, actual, bands)
            bound = band.warning if band.warning is not None else band.critical
            where = "past" if sev else "within"
            msg = f"{page} {metric} p95 {fmt(metric, actual)} {where} its alert band ({fmt(metric, bound)})"
            out.append(
                Check(
                    kind=CheckKind.THRESHOLD,
                    page=page,
                    metric=metric,
                    status=Status.WARN if sev else Status.PASS,
                    message=msg,
                    source="alert_bands",
                    aggregate="p95",
                    level="warn",
                    bound=bound,
                    actual=actual,
                    n=len(values),
                    typical=median(values),
                )
            )
    return out
