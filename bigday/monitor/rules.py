"""When a monitored problem opens an alert, reminds, escalates and resolves: a pure decision over the last
checks, so the same checks give the same answer in any monitor, before or after a restart.

An observation is one check's verdict on one problem (a page's availability, one metric against its
thresholds, one metric's anomaly test); checks that say nothing about it (a page that did not load says
nothing of its LCP; checks in a maintenance window say nothing at all) are not observations. The caller
passes the observations made since the problem's last alert was resolved, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bigday.runfolder import SEVERITIES
from bigday.settings.scenario import AlertSettings

Action = Literal["none", "open", "update", "escalate", "remind", "resolve"]


@dataclass(frozen=True)
class Observation:
    """One check's verdict on one problem."""

    check_id: int
    at: datetime
    failing: bool
    severity: str = "low"  # when failing
    actual: float | None = None
    bound: float | None = None


@dataclass(frozen=True)
class OpenAlert:
    """The problem's alert while it is open."""

    id: int
    severity: str
    acknowledged: bool
    last_notified_at: datetime | None


@dataclass(frozen=True)
class Decision:
    """What to do about a problem after its latest check, and why."""

    action: Action
    severity: str | None = None
    streak: int = 0  # failing checks in a row (passing, for a resolve)
    since: datetime | None = None  # when the streak began
    reason: str = ""


def _trailing(observations: list[Observation], failing: bool) -> list[Observation]:
    run: list[Observation] = []
    for o in reversed(observations):
        if o.failing is not failing:
            break
        run.append(o)
    return run[::-1]


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def typical_severity(failing: list[Observation], n: int) -> str:
    """The median severity of the last ``n`` failing checks (the lower one of an even count).

    How bad a breach is for users is read at its typical check, not its worst: bands are monotone in the
    value, so this is the band of the median value. One slow check does not page anyone as critical."""
    ranks = sorted(_rank(o.severity) for o in failing[-n:])
    return SEVERITIES[ranks[(len(ranks) - 1) // 2]]


def decide(observations: list[Observation], alert: OpenAlert | None, rule: AlertSettings, now: datetime) -> Decision:
    """Open after ``open_after`` failing checks in a row (or ``open_after_time`` of failing); while open,
    escalate when the typical severity of the latest failing checks is worse than the alert's, remind every
    ``remind_every`` unless acknowledged; resolve after ``resolve_after`` passing checks in a row."""
    if not observations:
        return Decision("none")
    latest = observations[-1]
    if not latest.failing:
        passing = _trailing(observations, failing=False)
        if alert is not None and len(passing) >= rule.resolve_after:
            return Decision(
                "resolve", streak=len(passing), since=passing[0].at, reason=f"{len(passing)} passing checks"
            )
        return Decision("none", streak=len(passing))
    failing = _trailing(observations, failing=True)
    severity = rule.severity or typical_severity(failing, max(rule.open_after, 3))
    since = failing[0].at
    if alert is None:
        long_enough = rule.open_after_time_s is not None and (now - since).total_seconds() >= rule.open_after_time_s
        if len(failing) >= rule.open_after or long_enough:
            why = f"{len(failing)} failing checks" + (
                f" over {(now - since).total_seconds():.0f} s" if long_enough else ""
            )
            return Decision("open", severity, len(failing), since, why)
        return Decision("none", severity, len(failing), since)
    if _rank(severity) > _rank(alert.severity):
        return Decision("escalate", severity, len(failing), since, f"{alert.severity} -> {severity}")
    due = alert.last_notified_at is None or (now - alert.last_notified_at).total_seconds() >= rule.remind_every_s
    if not alert.acknowledged and due:
        return Decision("remind", alert.severity, len(failing), since, f"still failing after {len(failing)} checks")
    return Decision("update", alert.severity, len(failing), since)
