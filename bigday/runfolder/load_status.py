"""``load_status.json``: where a running load rehearsal is, rewritten about once a second by the Locust side.

Locust runs as a child process; the command line reads this file to show live users, request rate, p95 and
errors, and to know when the spike plateau has begun.  It is progress, not evidence: the results are
``load_stats.json`` and the CSV files.
"""

from __future__ import annotations

from pydantic.dataclasses import dataclass

from bigday.errors import ConfigError
from bigday.runfolder.document import FORBID, Record, read_document, write_document
from bigday.runfolder.folder import RunFile, RunFolder


@dataclass(frozen=True, config=FORBID, kw_only=True)
class LoadStatus(Record):
    """The rehearsal ``t`` seconds in: phase, users, rates, Locust's current p95 (ms) and totals."""

    t: float
    planned_s: float
    phase: str
    users: int
    peak_users: int
    rps: float
    fail_rps: float
    p95_ms: float | None
    requests: int
    failures: int
    done: bool = False


def read_load_status(folder: RunFolder) -> LoadStatus | None:
    """The latest status, or None before the first one is written (or while a write is being replaced)."""
    if not folder.has(RunFile.LOAD_STATUS):
        return None
    try:
        return read_document(folder.file(RunFile.LOAD_STATUS), RunFile.LOAD_STATUS, LoadStatus)
    except ConfigError:
        return None  # progress only: a status from another bigday version is not worth failing a run over


def write_load_status(folder: RunFolder, status: LoadStatus) -> None:
    write_document(folder, RunFile.LOAD_STATUS, status)
