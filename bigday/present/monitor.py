"""The monitor at a terminal: one line per event, with the time and the severity's colour."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from rich.text import Text

from bigday.present.console import plain

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_KIND_STYLE = {"error": "bold red", "notification": "magenta", "schedule": "blue"}


class EventLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def severity(self) -> str | None: ...


def event_line(event: EventLike, now: datetime | None = None) -> Text:
    """``10:15:02 alert [high] threshold_breach tbt opened: dashboard ...`` as text, never markup."""
    at = (now or datetime.now(UTC)).strftime("%H:%M:%S")
    style = _STYLE.get(event.severity or "", "") if event.kind == "alert" else _KIND_STYLE.get(event.kind, "")
    line = Text(f"{at} ")
    line.append(f"{event.kind:<12} ", style=style or None)
    line.append(plain(event.text), style=style or None)
    return line
