"""``alerts.json``: the alerts a compared run raised, as the store holds them (deduplicated while open)."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic.dataclasses import dataclass

from bigday.runfolder.document import FORBID, Record, read_document, write_document
from bigday.runfolder.folder import RunFile, RunFolder

# availability, forecast and burn_rate are raised by the monitor (docs/monitor.md), the others by compare too.
AlertType = Literal[
    "regression", "threshold_breach", "anomaly", "isolation", "availability", "forecast", "burn_rate", "field"
]
Severity = Literal["low", "medium", "high", "critical"]
ALERT_TYPES: tuple[str, ...] = get_args(AlertType)
SEVERITIES: tuple[str, ...] = get_args(Severity)  # in rising order


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Alert(Record):
    """One alert. Compare raises it with no ``id`` (None until the store holds it); the store counts its
    ``occurrences`` and says whether this run opened it (``new``) or it joined the alert already open."""

    id: int | None = None
    type: AlertType
    severity: Severity
    page: str
    metric: str
    threshold: float | None
    actual: float | None
    window: str
    run_id: str
    occurrences: int = 1
    new: bool = True
    data: dict[str, Any]
    tenant: str | None = None  # the studio whose page it is, when known (the monitor knows)


@dataclass(frozen=True, config=FORBID)
class Alerts(Record):
    run_id: str
    alerts: tuple[Alert, ...]


def read_alerts(folder: RunFolder) -> Alerts | None:
    """The run's alerts, or None when it was never compared (or compared before alerts were written)."""
    if not folder.has(RunFile.ALERTS):
        return None
    return read_document(folder.file(RunFile.ALERTS), RunFile.ALERTS, Alerts)


def write_alerts(folder: RunFolder, alerts: Alerts) -> None:
    write_document(folder, RunFile.ALERTS, alerts)
