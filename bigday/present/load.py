"""A load rehearsal at the terminal: a progress bar over the plan with live users, rps, p95 and errors."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from bigday.metrics import format_number
from bigday.runfolder import LoadStatus


def status_line(s: LoadStatus) -> str:
    p95 = "-" if s.p95_ms is None else f"{format_number(s.p95_ms)} ms"
    share = s.failures / s.requests if s.requests else 0.0
    return (
        f"{s.phase}: {s.users:,}/{s.peak_users:,} users, {format_number(s.rps)} req/s, p95 {p95}, "
        f"{s.failures:,} errors ({format_number(share * 100)}%)"
    )


class LoadProgress:
    """One bar per rehearsal, advanced in seconds of the plan, described by the latest status."""

    def __init__(self, console: Console, kind: str, planned_s: float) -> None:
        self.progress = Progress(
            TextColumn(f"{kind}"),
            BarColumn(),
            TextColumn("{task.fields[line]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task(kind, total=max(planned_s, 1.0), line="starting Locust")

    def __enter__(self) -> LoadProgress:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.stop()

    def on_status(self, status: LoadStatus) -> None:
        self.progress.update(self.task, completed=min(status.t, status.planned_s), line=status_line(status))
