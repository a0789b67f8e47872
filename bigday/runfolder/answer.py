"""``answer.json``: the one answer to "is Saturday safe?" over everything a ``bigday run`` did.

A run of ``bigday run`` is a probe run, and with ``--load`` also the Saturday spike, the isolation check and
(with ``--rehearsal``) a probe taken during the spike plateau, each in a run folder of its own.  The answer is
written into the probe run's folder and names the others, so a report of that folder can show all of them.
``bigday.report.answer`` computes it from the typed verdicts; this module is only its data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic.dataclasses import dataclass

from bigday.runfolder.document import FORBID, Record, UtcTime, omitted, read_document, write_document
from bigday.runfolder.enums import Status
from bigday.runfolder.folder import RunFile, RunFolder

RunRole = Literal["probe", "saturday", "isolation", "under_load"]
# What a reason is judged against.
Against = Literal[
    "threshold", "budget", "alert band", "baseline", "isolation tolerance", "minimum effect", "SLA", "at rest", "run"
]


class Decision(StrEnum):
    GO = "go"
    NO_GO = "no-go"
    INCONCLUSIVE = "inconclusive"

    @property
    def label(self) -> str:
        return self.value.upper()


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Reason(Record):
    """One thing the answer rests on: where (page or tenant), which metric, by how much, against what."""

    rank: int
    status: Status
    kind: str  # the check's kind (threshold, budget, regression, isolation, load) or "run"
    subject: str  # a page name, "tenant:<id>" or a rehearsal
    metric: str
    text: str  # one sentence with its numbers and units
    against: Against
    actual: float | None = None
    bound: float | None = None
    interval: tuple[float, float] | None = None
    excess: float | None = None  # how far past (or short of) what it is judged against, relative; ranks reasons
    run_id: str
    tenant: str | None = omitted()


@dataclass(frozen=True, config=FORBID)
class RunLink(Record):
    """A run folder the answer covers (a sibling of this folder in the results directory)."""

    run_id: str
    role: RunRole
    outcome: Status


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Answer(Record):
    """GO / NO-GO / INCONCLUSIVE, its reasons ranked worst first, and the runs it covers."""

    decision: Decision
    headline: str
    reasons: tuple[Reason, ...]
    runs: tuple[RunLink, ...]
    checks: int  # how many checks the answer weighed
    decided_at: UtcTime
    tenant: str | None = omitted()  # set when the answer is one tenant's view

    def run_of(self, role: RunRole) -> RunLink | None:
        return next((r for r in self.runs if r.role == role), None)


def read_answer(folder: RunFolder) -> Answer | None:
    """The folder's answer, or None when it holds no ``bigday run`` answer (a run judged on its own)."""
    if not folder.has(RunFile.ANSWER):
        return None
    return read_document(folder.file(RunFile.ANSWER), RunFile.ANSWER, Answer)


def write_answer(folder: RunFolder, answer: Answer) -> None:
    write_document(folder, RunFile.ANSWER, answer)
