"""Recording a check and everything that follows from it, in one transaction per check.

In that transaction, under a per-page lock (an advisory lock on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
serialises writers anyway): the check's probe run and samples are stored, the check row gets its outcome,
maintenance flag and anomaly verdicts, and every problem of the page is judged again from the checks in the
store (bigday.monitor.rules), alerts opened, escalated, reminded or resolved, and their notifications queued.
A kill at any point leaves either all of it or none of it; two monitors recording checks of the same page
take turns; every answer comes from the store, so a restarted monitor decides as the old one would have.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Connection, func, select, text

from bigday.compare.checks import band_severity, fmt
from bigday.compare.field import judge_field
from bigday.compare.regression import GATED_METRICS, regression_checks
from bigday.metrics import METRICS, Direction
from bigday.monitor import history, maintenance, notify
from bigday.monitor.check import COUNTED, OK, UNAVAILABLE, CheckOutcome, judged_metrics, worst
from bigday.monitor.claims import Claim
from bigday.monitor.detectors import ANOMALY_METRICS, forecast_crossing, grows_by_factors, judge_anomaly
from bigday.monitor.rules import Decision, Observation, OpenAlert, decide
from bigday.monitor.sla import page_objectives
from bigday.runfolder import Alert, AlertType, RegressionLabel, Severity, Status, utc_now
from bigday.settings.scenario import AVAILABILITY, AlertSettings, Scenario
from bigday.store import schema
from bigday.store.alerts import raise_alert, resolve_in
from bigday.store.engine import Store
from bigday.store.ingest import write_run

# Each problem the monitor judges: the alert type and what its "metric" column holds.
THRESHOLD, AVAILABILITY_ALERT, ANOMALY, BURN, REGRESSION, FORECAST, FIELD = (
    "threshold_breach",
    "availability",
    "anomaly",
    "burn_rate",
    "regression",
    "forecast",
    "field",
)
MAX_BASELINE_VALUES = 2000


@dataclass(frozen=True)
class MonitorEvent:
    """Something a person running the monitor may want to see (the CLI prints these)."""

    kind: str  # check | alert | notification | schedule | error
    page: str | None
    text: str
    severity: str | None = None


@dataclass(frozen=True)
class RecordContext:
    """What recording needs besides the check: the scenario, who and where we are, the channels to queue for."""

    scenario: Scenario
    location: str
    instance_id: str
    channels: tuple[str, ...] = ()


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def page_lock(conn: Connection, page: str) -> None:
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"bigday-page:{page}".encode()) | (0x6269 << 32)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _breach_dicts(outcome: CheckOutcome) -> list[dict[str, Any]]:
    return [b.as_dict() | {"kind": "band" if b.source == "alert_bands" else "threshold"} for b in outcome.breaches]


def _anomalies(
    conn: Connection, ctx: RecordContext, page: str, outcome: CheckOutcome, now: datetime
) -> list[dict[str, Any]]:
    policy = ctx.scenario.monitor.anomaly
    refs = history.anomaly_references(conn, page, policy, now)
    out = []
    for metric in ANOMALY_METRICS:
        value = outcome.metrics.get(metric)
        ref = refs.get(metric)
        if value is None or ref is None:
            continue
        verdict = judge_anomaly(
            value, ref, metric, policy.spread, ctx.scenario.regression.timing_pct, policy.min_checks
        )
        if verdict is not None and verdict.anomalous:
            severity = band_severity(metric, value, dict(ctx.scenario.alert_bands)) or "medium"
            out.append(
                {
                    "kind": "anomaly",
                    "metric": metric,
                    "source": "anomaly",
                    "aggregate": None,
                    "bound": round(verdict.limit, 3),
                    "actual": value,
                    "level": None,
                    "severity": severity,
                    "median": ref.median,
                    "z": round(verdict.z, 2),
                    "reference_checks": ref.n,
                }
            )
    return out


def record_check(store: Store, ctx: RecordContext, claim: Claim, outcome: CheckOutcome) -> list[MonitorEvent]:
    """Store the check's outcome and act on it; returns what happened, for the person watching."""
    now = utc_now()
    events: list[MonitorEvent] = []
    with store.begin(f"recording the check of {claim.page}") as conn:
        page_lock(conn, claim.page)
        muted = maintenance.covered(conn, ctx.scenario, claim.page, outcome.started_at)
        run_id = None
        if outcome.run is not None:
            run_id = outcome.run["run_id"]
            r = schema.runs
            if conn.execute(select(r.c.run_id).where(r.c.run_id == run_id)).first() is None:
                write_run(conn, outcome.run, outcome.samples, trends=False)
        breaches = _breach_dicts(outcome)
        if outcome.status == OK and not muted:
            breaches += _anomalies(conn, ctx, claim.page, outcome, now)
        c = schema.checks
        conn.execute(
            c.update()
            .where(c.c.id == claim.check_id)
            .values(
                status=outcome.status,
                error=outcome.error,
                started_at=outcome.started_at,
                finished_at=outcome.finished_at,
                run_id=run_id,
                within_thresholds=outcome.within_thresholds,
                breaches=json.dumps(breaches, default=str),
                metrics=json.dumps(outcome.metrics),
                maintenance=muted,
                attempts=outcome.attempts,
                duration_s=round(outcome.duration_s, 3),
                tenant=outcome.tenant,
            )
        )
        events.append(_check_event(claim, outcome, breaches, muted))
        if muted:
            return events
        if outcome.status in COUNTED:
            events += Judge(conn, ctx, claim.page, claim.check_id, run_id, now).all()
    return events


def _check_event(claim: Claim, outcome: CheckOutcome, breaches: list[dict[str, Any]], muted: bool) -> MonitorEvent:
    lcp = outcome.metrics.get("lcp")
    bits = [outcome.status]
    if lcp is not None:
        bits.append(f"LCP {lcp:.0f} ms")
    if outcome.status == OK and outcome.within_thresholds:
        bits.append("within thresholds")
    elif outcome.status == OK:
        bits.append("outside " + ", ".join(sorted({b["metric"] for b in breaches if b["kind"] == "threshold"})))
    anomalous = sorted({b["metric"] for b in breaches if b["kind"] == "anomaly"})
    if anomalous:
        bits.append("anomalous " + ", ".join(anomalous))
    if outcome.error:
        bits.append(outcome.error)
    if muted:
        bits.append("maintenance: alerts muted")
    if claim.skipped:
        bits.append(f"{claim.skipped} stale slot(s) skipped")
    line = (
        f"{claim.page} @ {claim.slot_at.strftime('%H:%M:%S')}: "
        + "; ".join(b for b in bits if b)
        + f" ({outcome.duration_s:.1f} s)"
    )
    return MonitorEvent("check", claim.page, line)


class Judge:
    """Every problem of one page judged again after a check, inside the recording transaction."""

    def __init__(
        self, conn: Connection, ctx: RecordContext, page: str, check_id: int, run_id: str | None, now: datetime
    ):
        self.conn, self.ctx, self.page, self.check_id, self.now = conn, ctx, page, check_id, now
        self.run_id = run_id or f"check-{check_id}"
        spec = ctx.scenario.page(page)
        self.tenant = spec.tenant or ctx.scenario.default_tenant.id
        a = schema.alerts
        self.open = {
            (r.type, r.metric): r
            for r in conn.execute(select(a).where(a.c.page == page, a.c.resolved_at.is_(None))).fetchall()
        }
        self.resolved = {
            (t, m): _aware(at)
            for t, m, at in conn.execute(
                select(a.c.type, a.c.metric, func.max(a.c.resolved_at))
                .where(a.c.page == page, a.c.resolved_at.is_not(None))
                .group_by(a.c.type, a.c.metric)
            ).fetchall()
        }

    # ------------------------------------------------------------ the checks as observations

    def _recent(self, limit: int) -> list[Any]:
        c = schema.checks.c
        rows = self.conn.execute(
            select(c.id, c.started_at, c.status, c.metrics, c.breaches)
            .where(c.page == self.page, c.maintenance.is_(False), c.status.in_(COUNTED), c.finished_at.is_not(None))
            .order_by(c.started_at.desc(), c.id.desc())
            .limit(limit)
        ).fetchall()
        return list(rows)[::-1]

    def _observe(self, rows: list[Any], kind: str, metric: str, severity: str) -> list[Observation]:
        after = self.resolved.get((kind, metric))
        out = []
        for r in rows:
            at = _aware(r.started_at)
            if after is not None and at <= after:
                continue
            if kind == AVAILABILITY_ALERT:
                out.append(Observation(r.id, at, r.status == UNAVAILABLE, severity))
                continue
            if r.status != OK:  # a page that did not load (or broke) says nothing of its metrics
                continue
            wanted = ("threshold", "band") if kind == THRESHOLD else ("anomaly",)
            hits = [b for b in json.loads(r.breaches or "[]") if b["metric"] == metric and b["kind"] in wanted]
            if hits:
                top = max(hits, key=lambda b: ("low", "medium", "high", "critical").index(b["severity"]))
                out.append(Observation(r.id, at, True, top["severity"], top.get("actual"), top.get("bound")))
            elif metric in json.loads(r.metrics or "{}"):
                out.append(Observation(r.id, at, False))
        return out

    def all(self) -> list[MonitorEvent]:
        policy = self.ctx.scenario.monitor.alerts
        problems = [(AVAILABILITY_ALERT, AVAILABILITY)]
        problems += [(THRESHOLD, m) for m in sorted(judged_metrics(self.ctx.scenario, self.page))]
        problems += [(ANOMALY, m) for m in ANOMALY_METRICS]
        rules = {key: policy.for_(self.page, key[1]) for key in problems}
        longest = max(max(r.open_after, r.resolve_after) for r in rules.values())
        rows = self._recent(3 * longest + 5)
        events: list[MonitorEvent] = []
        for kind, metric in problems:
            rule = rules[(kind, metric)]
            if kind == ANOMALY:
                rule = replace(rule, open_after=1, open_after_time_s=None)
            obs = self._observe(rows, kind, metric, rule.severity or "high")
            latest = obs[-1] if obs else None
            decision = decide(obs, self._open_alert(kind, metric), rule, self.now)
            events += self.apply(kind, metric, decision, latest)
        events += self._burn_rates()
        events += self._regressions()
        events += self._forecasts()
        events += self._field()
        events += self._retired(
            {
                THRESHOLD: {m for k, m in problems if k == THRESHOLD},
                FIELD: self._field_metrics(),
            }
        )
        return events

    def _retired(self, judged: dict[str, set[str]]) -> list[MonitorEvent]:
        """Resolve an open threshold or field alert whose threshold is no longer in the scenario: nothing will
        judge it again, so left open it would remind the on-call forever about a bound nobody sets."""
        events = []
        for kind, metric in sorted(self.open):
            if kind in judged and metric not in judged[kind]:
                source = "field" if kind == FIELD else "lab"
                why = f"no {source} threshold on {metric} applies to {self.page} any more"
                events += self.apply(kind, metric, Decision("resolve", reason=why), None)
        return events

    def _open_alert(self, kind: str, metric: str) -> OpenAlert | None:
        row = self.open.get((kind, metric))
        if row is None:
            return None
        notified = _aware(row.last_notified_at) if row.last_notified_at is not None else None
        return OpenAlert(row.id, row.severity, row.acknowledged_at is not None, notified)

    # ------------------------------------------------------------ acting on a decision

    def apply(
        self,
        kind: str,
        metric: str,
        d: Decision,
        latest: Observation | None,
        data: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> list[MonitorEvent]:
        if d.action == "none":
            return []
        actual = latest.actual if latest else None
        bound = latest.bound if latest else None
        since = d.since.strftime("%Y-%m-%d %H:%M:%SZ") if d.since else "?"
        window = (
            f"{d.streak} check(s) since {since}" if kind not in (REGRESSION, FORECAST, BURN, FIELD) else (message or "")
        )
        info = {"reason": d.reason, "check_id": self.check_id, "location": self.ctx.location, "streak": d.streak}
        info |= data or {}
        a = schema.alerts
        if d.action == "open":
            alert = Alert(
                type=cast(AlertType, kind),
                severity=cast(Severity, d.severity or "medium"),
                page=self.page,
                metric=metric,
                threshold=bound,
                actual=actual,
                window=window,
                data=info,
                run_id=self.run_id,
                tenant=self.tenant,
            )
            stored = raise_alert(self.conn, alert)
            self.conn.execute(a.update().where(a.c.id == stored.id).values(last_notified_at=self.now))
            if stored.new and stored.id is not None:
                return [
                    self._notify(
                        "opened", stored.id, kind, metric, stored.severity, actual, bound, message or d.reason, window
                    )
                ]
            return []
        row = self.open[(kind, metric)]
        if d.action == "resolve":
            resolve_in(
                self.conn, row.id, f"bigday monitor ({self.ctx.location})", f"resolved by itself: {d.reason}", self.now
            )
            return [self._notify("resolved", row.id, kind, metric, row.severity, actual, bound, d.reason, row.window)]
        values: dict[str, Any] = {
            "occurrences": row.occurrences + 1,
            "last_seen_at": self.now,
            "run_id": self.run_id,
            "actual": actual if actual is not None else row.actual,
            "threshold": bound if bound is not None else row.threshold,
            "window": window or row.window,
        }
        if d.action in ("escalate", "remind"):
            values["last_notified_at"] = self.now
        if d.action == "escalate":
            values["severity"] = d.severity
        self.conn.execute(a.update().where(a.c.id == row.id).values(**values))
        if d.action == "update":
            return []
        event = "escalated" if d.action == "escalate" else "reminder"
        return [
            self._notify(
                event, row.id, kind, metric, d.severity or row.severity, actual, bound, message or d.reason, window
            )
        ]

    def _notify(
        self,
        event: str,
        alert_id: int,
        kind: str,
        metric: str,
        severity: str,
        actual: float | None,
        bound: float | None,
        reason: str,
        window: str | None,
    ) -> MonitorEvent:
        message = {
            "event": event,
            "alert_id": alert_id,
            "type": kind,
            "severity": severity,
            "page": self.page,
            "metric": metric,
            "tenant": self.tenant,
            "actual": actual,
            "threshold": bound,
            "window": window,
            "text": reason,
            "location": self.ctx.location,
            "at": self.now.isoformat(),
        }
        notify.enqueue(self.conn, alert_id, message, list(self.ctx.channels), self.now)
        return MonitorEvent("alert", self.page, notify.summary(message), severity)

    # ------------------------------------------------------------ burn rates, regressions, forecasts

    def _single(
        self, kind: str, metric: str, failing: bool, severity: str, actual: float | None, bound: float | None
    ) -> Decision:
        rule = AlertSettings(1, None, 1, self.ctx.scenario.monitor.alerts.remind_every_s, None)
        obs = [Observation(self.check_id, self.now, failing, severity, actual, bound)]
        return decide(obs, self._open_alert(kind, metric), rule, self.now)

    def _burn_rates(self) -> list[MonitorEvent]:
        policy = self.ctx.scenario.monitor.sla
        events = []
        for objective in page_objectives(self.conn, self.page, policy, self.now):
            firing = objective.firing
            top = max(firing, key=lambda b: b.factor / max(b.window.long_s, 1)) if firing else None
            severity = worst([b.window.severity for b in firing])
            actual = top.long_rate if top else None
            bound = top.factor if top else None
            d = self._single(BURN, objective.name, bool(firing), severity, actual, bound)
            text_ = (
                f"{objective.name} burning its error budget {top.long_rate:.1f}x over {top.window.name} "
                f"(and {top.short_rate:.1f}x over the short window; alert at {top.factor:.1f}x)"
                if top and top.long_rate is not None and top.short_rate is not None
                else f"{objective.name} burn rates back under their alert factors"
            )
            data = {"rates": objective.rates, "firing": [b.window.name for b in firing]}
            events += self.apply(
                BURN,
                objective.name,
                d,
                Observation(self.check_id, self.now, bool(firing), severity, actual, bound),
                data,
                text_,
            )
        return events

    def _regressions(self) -> list[MonitorEvent]:
        watch = self.ctx.scenario.monitor.regression
        if not history.is_due(self.conn, f"regression:{self.page}", watch.every_s, self.now):
            return []
        recent_start = self.now - timedelta(seconds=watch.recent_s)
        metrics = tuple(sorted(GATED_METRICS))
        cur = history.values(self.conn, self.page, recent_start, self.now + timedelta(seconds=1), metrics)
        base = history.values(
            self.conn, self.page, recent_start - timedelta(seconds=watch.baseline_s), recent_start, metrics
        )

        def arr(pairs: list[tuple[datetime, float]], cap: int | None = None) -> np.ndarray:
            xs = np.asarray([v for _, v in pairs], dtype=float)
            if cap is not None and xs.size > cap:  # evenly spread, so the baseline's whole span is represented
                xs = xs[np.linspace(0, xs.size - 1, cap).astype(int)]
            return xs

        current = {(self.page, m): arr(p) for m, p in cur.items()}
        baseline = {(self.page, m): arr(p, MAX_BASELINE_VALUES) for m, p in base.items()}
        events = []
        for check in regression_checks(current, baseline, self.ctx.scenario.regression):
            comp = check.comparison
            if check.status is Status.SKIPPED or comp is None or not comp.gated:
                continue
            failing = comp.label is RegressionLabel.REGRESSION
            severity = "medium"
            if failing:
                past = (
                    band_severity(check.metric, check.actual, dict(self.ctx.scenario.alert_bands))
                    if check.actual is not None
                    else None
                )
                severity = (
                    "critical"
                    if past == "critical"
                    else ("high" if comp.min_effect and abs(comp.effect or 0) >= 2 * comp.min_effect else "medium")
                )
            d = self._single(REGRESSION, check.metric, failing, severity, check.actual, comp.baseline)
            data = {
                "effect": comp.effect,
                "interval": comp.interval,
                "q_value": comp.q_value,
                "n_baseline": comp.n_baseline,
            }
            obs = Observation(self.check_id, self.now, failing, severity, check.actual, comp.baseline)
            events += self.apply(REGRESSION, check.metric, d, obs, data, check.message)
        return events

    def _forecasts(self) -> list[MonitorEvent]:
        scenario = self.ctx.scenario
        policy = scenario.monitor.forecast
        if not history.is_due(self.conn, f"forecast:{self.page}", policy.every_s, self.now):
            return []
        thresholds = [t for t in scenario.thresholds if t.applies_to(self.page) and t.metric in METRICS]
        wanted: set[tuple[str, str]] = {(t.metric, t.aggregate) for t in thresholds}
        series = history.daily_aggregates(self.conn, self.page, wanted, policy.window_s, self.now)
        events = []
        for t in thresholds:
            points = series.get((t.metric, t.aggregate), [])
            epoch = self.now.date()
            days = [(d - epoch).days for d, _ in points]
            f = forecast_crossing(
                days,
                [v for _, v in points],
                t.bound,
                t.direction if isinstance(t.direction, Direction) else Direction(t.direction),
                policy.min_days,
                policy.horizon_s / 86400,
                policy.confidence,
                policy.window_s / 86400,
                relative=grows_by_factors(t.metric),
            )
            if f is None and (FORECAST, t.metric) not in self.open:
                continue
            severity = "medium" if f is not None and f.days <= 7 else "low"
            message = (
                f.describe(t.metric, t.aggregate, self.page, fmt(t.metric, t.bound))
                if f
                else f"{t.metric} no longer trending to {fmt(t.metric, t.bound)}"
            )
            data = (
                {
                    "aggregate": t.aggregate,
                    "days": f.days,
                    "earliest": f.earliest,
                    "latest": f.latest if f and np.isfinite(f.latest) else None,
                    "points": len(points),
                }
                if f
                else {"points": len(points)}
            )
            d = self._single(FORECAST, t.metric, f is not None, severity, f.current if f else None, t.bound)
            obs = Observation(self.check_id, self.now, f is not None, severity, f.current if f else None, t.bound)
            events += self.apply(FORECAST, t.metric, d, obs, data, message)
        return events

    def _field_metrics(self) -> set[str]:
        """The metrics a field threshold sets for this page."""
        return {t.metric for t in self.ctx.scenario.monitor.field.thresholds if t.applies_to(self.page)}

    def _field(self) -> list[MonitorEvent]:
        """Real users' p75 of each metric a field threshold sets for this page (bigday.compare.field), judged once
        per ``monitor.field.every`` (every check of the page would judge the same beacons again). A p75 is already
        an aggregate of many visits, so one judgement opens or resolves; a p75 of too few values (or none) says
        nothing, and an open alert stays as it is."""
        watch = self.ctx.scenario.monitor.field
        if not self._field_metrics():
            return []
        if not history.is_due(self.conn, f"field:{self.page}", watch.every_s, self.now):
            return []
        events = []
        for j in judge_field(self.conn, self.ctx.scenario, [self.page], end=self.now.date()):
            d = self._single(FIELD, j.metric, j.breached, j.severity, j.p75, j.threshold.bound)
            obs = Observation(self.check_id, self.now, j.breached, j.severity, j.p75, j.threshold.bound)
            data = {k: v for k, v in j.as_dict().items() if k in ("route", "days", "count", "good", "poor", "level")}
            events += self.apply(FIELD, j.metric, d, obs, data | {"source": "field"}, j.describe())
        return events
