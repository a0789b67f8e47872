"""``recommendations.json``: what a probe run's data says a team should change, one finding per page, kind and
subject (a resource, element or script), deduplicated over the page's runs ("in N of M runs")."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field
from pydantic.dataclasses import dataclass

from bigday.runfolder.document import FORBID, Record, read_document, write_document
from bigday.runfolder.folder import RunFile, RunFolder

# Recommendations come from the page's content and timings; delivery findings from the responses' headers.
FindingCategory = Literal["recommendation", "delivery"]
Priority = Literal["high", "medium", "low"]
PRIORITIES: tuple[str, ...] = get_args(Priority)  # highest first


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Recommendation(Record):
    """One finding: its ``kind`` (a rule of bigday/probe/insights.py), the page and the thing it names, what
    fixing it would save (bytes and/or ms, the median over the runs it was seen in) and the evidence."""

    id: str  # "<page>:<kind>:<subject>", stable across runs of the same finding
    kind: str
    category: FindingCategory
    priority: Priority
    page: str
    subject: str
    title: str
    impact_bytes: Annotated[int, Field(ge=0)] | None = None
    impact_ms: Annotated[float, Field(ge=0)] | None = None
    evidence: str
    runs: Annotated[int, Field(ge=1)]
    of_runs: Annotated[int, Field(ge=1)]
    warm: bool = False  # seen in the warm (second, cached) runs


@dataclass(frozen=True, config=FORBID)
class Recommendations(Record):
    run_id: str
    recommendations: tuple[Recommendation, ...]


def write_recommendations(folder: RunFolder, recommendations: Recommendations) -> None:
    write_document(folder, RunFile.RECOMMENDATIONS, recommendations)


def read_recommendations(folder: RunFolder) -> Recommendations | None:
    """The run's findings, or None for a run that has none recorded (a load run, or one older than them)."""
    if not folder.has(RunFile.RECOMMENDATIONS):
        return None
    return read_document(folder.file(RunFile.RECOMMENDATIONS), RunFile.RECOMMENDATIONS, Recommendations)
