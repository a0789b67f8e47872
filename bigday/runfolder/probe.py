"""A probe run's files: ``samples.json`` (one record per page run) and ``summary.json`` (per page aggregates)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StringConstraints, field_validator
from pydantic.dataclasses import dataclass

from bigday.runfolder.document import (
    FORBID,
    Count,
    Number,
    Record,
    Seconds,
    UtcTime,
    metric_problem,
    omitted,
    read_document,
    write_document,
)
from bigday.runfolder.folder import RunFile, RunFolder

# Metric names as the store keeps them (bigday/metrics.py, and Lighthouse-style extras such as js:main).
MetricName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]{0,39}$")]
PageName = Annotated[str, StringConstraints(min_length=1)]
# Who measured a sample: bigday's own probe, or the pinned Lighthouse run by ``--engine lighthouse``.
Engine = Literal["bigday", "lighthouse"]
ENGINES: tuple[Engine, ...] = ("bigday", "lighthouse")


@dataclass(frozen=True, config=FORBID, kw_only=True)
class ProbeSample(Record):
    """One run of one page.  Metric values are in the units of bigday/metrics.py, or None when not
    measured (INP and FID without an interaction are None, never 0); a failed run carries no values."""

    page: PageName
    path: str
    url: str | None = omitted()
    tenant: str | None
    run_index: Count
    warm: bool
    profile: str
    device: str
    connection: str
    browser: str
    browser_version: str
    ok: bool
    error: str | None
    attempt: Count
    started_at: UtcTime
    duration_s: Seconds | None = omitted()
    metrics: dict[MetricName, Number | None]
    details: dict[str, Any]
    engine: Engine = "bigday"

    @field_validator("metrics")
    @classmethod
    def _physical(cls, v: dict[str, float | None]) -> dict[str, float | None]:
        for name, value in v.items():
            problem = None if value is None else metric_problem(name, value)
            if problem:
                raise ValueError(problem)
        return v


@dataclass(frozen=True, config=FORBID)
class ProbeSamples(Record):
    samples: tuple[ProbeSample, ...]


@dataclass(frozen=True, config=FORBID)
class MetricSummary(Record):
    """A metric's aggregates over a page's successful runs."""

    n: Count
    median: Number
    p75: Number
    p95: Number
    min: Number
    max: Number


@dataclass(frozen=True, config=FORBID)
class PageRunCounts(Record):
    ok: int
    failed_attempts: int
    wanted: int


PageSummaries = dict[str, dict[str, MetricSummary]]


@dataclass(frozen=True, config=FORBID, kw_only=True)
class AccessibilityAudit(Record):
    """A Lighthouse accessibility audit that failed: the axe rule, its weight in the category, what axe said."""

    audit: str
    weight: int
    impact: str | None
    help: str
    nodes: int
    selectors: tuple[str, ...]


@dataclass(frozen=True, config=FORBID, kw_only=True)
class PageAccessibility(Record):
    """A page's accessibility as Lighthouse scores it, from its last audited run, and the audits it failed."""

    score: float | None
    engine: Engine = "bigday"
    axe_version: str | None = None
    lighthouse_version: str
    failed: tuple[AccessibilityAudit, ...] = ()
    # Failed rules Lighthouse gives no weight (best practices axe reports beside the scored audits).
    unweighted: tuple[AccessibilityAudit, ...] = ()


@dataclass(frozen=True, config=FORBID, kw_only=True)
class ProbeSummary(Record):
    """Per page, per measured metric: n, median, p75, p95, min, max (``warm_pages`` for warm runs)."""

    pages: PageSummaries
    warm_pages: PageSummaries | None = omitted()
    runs: dict[str, PageRunCounts] | None = omitted()
    # Per engine other than bigday (``--engine lighthouse``): its pages' summaries, as ``pages``.
    engines: dict[Engine, PageSummaries] | None = omitted()
    accessibility: dict[str, PageAccessibility] | None = omitted()


def read_probe_samples(folder: RunFolder) -> ProbeSamples:
    return read_document(folder.file(RunFile.PROBE_SAMPLES), RunFile.PROBE_SAMPLES, ProbeSamples)


def write_probe_samples(folder: RunFolder, samples: ProbeSamples) -> None:
    write_document(folder, RunFile.PROBE_SAMPLES, samples)


def read_probe_summary(folder: RunFolder) -> ProbeSummary:
    return read_document(folder.file(RunFile.PROBE_SUMMARY), RunFile.PROBE_SUMMARY, ProbeSummary)


def write_probe_summary(folder: RunFolder, summary: ProbeSummary) -> None:
    write_document(folder, RunFile.PROBE_SUMMARY, summary)
