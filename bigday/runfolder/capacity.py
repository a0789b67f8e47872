"""``capacity.json``: a capacity search's steps and the level it found (``bigday load capacity``).

The search runs one short Saturday rehearsal per load level (each a load run folder of its own, named here by
run id) and stops at the first level whose plateau breaks the p95 SLA or the error-rate bound; it then narrows
the bracket between the last level that held and the first that broke. A level is a number of users (Locust's
closed model) or an arrival rate (the open model, tasks a second). The run folder of the search holds its
manifest and this file.
"""

from __future__ import annotations

from typing import Literal

from pydantic.dataclasses import dataclass

from bigday.runfolder.document import FORBID, Record, read_document, write_document
from bigday.runfolder.enums import Status
from bigday.runfolder.folder import RunFile, RunFolder


@dataclass(frozen=True, config=FORBID, kw_only=True)
class CapacityStep(Record):
    """One load level held for the step's plateau: what its Saturday verdict measured there."""

    users: int
    run_id: str
    status: Status  # the step's plateau verdict: PASS (held), FAIL (broke), INCONCLUSIVE (untrustworthy)
    trustworthy: bool
    count: int | None = None
    rps: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = None
    reasons: tuple[str, ...] = ()
    # The open model's level (tasks a second at the plateau) when the search steps the arrival rate; the users
    # are then the generator's concurrency for it. None: the closed model, the users are the level.
    arrival_rate: float | None = None
    # A level measured twice (its first run broke on a few errors only): the first run's id; ``count`` and
    # ``error_rate`` are then over both runs, ``run_id``, ``p95_ms`` and the rest the second run's.
    confirms: str | None = None
    # Plateau requests slower than the p95 SLA (from the step's histograms): its p95 is past the SLA exactly
    # when more than 5% are. None when the step's folder has no histograms.
    slow: int | None = None
    # A level that held, run again before the search says it holds (``holds_users`` is a level that held
    # twice): the run id of the step this one re-measures. Its own figures are this run's alone.
    rechecks: str | None = None

    def level_text(self) -> str:
        return f"{self.users:,} users" if self.arrival_rate is None else f"{self.arrival_rate:,g}/s"


@dataclass(frozen=True, config=FORBID, kw_only=True)
class CapacityResult(Record):
    """Where the knee is: the most users a plateau held (``holds_users``) and the fewest that broke it
    (``breaks_users``), so the capacity lies between them; ``status`` FAIL when not even the first level held,
    INCONCLUSIVE when no level broke within the steps (or a step's evidence was untrustworthy), else PASS."""

    status: Status
    reason: str
    p95_sla_ms: float
    max_error_rate: float
    steps: tuple[CapacityStep, ...]
    holds_users: int | None = None
    breaks_users: int | None = None
    # The level the search steps: ``users`` (closed model) or ``arrival_rate`` (open model, tasks a second);
    # with ``arrival_rate`` the bracket is also in ``holds_rate`` / ``breaks_rate``.
    by: Literal["users", "arrival_rate"] = "users"
    holds_rate: float | None = None
    breaks_rate: float | None = None
    stopped_because: str = ""
    elapsed_s: float = 0.0


def read_capacity(folder: RunFolder) -> CapacityResult:
    return read_document(folder.file(RunFile.CAPACITY), RunFile.CAPACITY, CapacityResult)


def write_capacity(folder: RunFolder, result: CapacityResult) -> None:
    write_document(folder, RunFile.CAPACITY, result)
