"""``ab.json``: an A/B experiment, its design, every page run of both sides and one verdict per page x metric.

``bigday ab`` measures two versions of the app (A and B) in interleaved rounds and judges B against A with the
baseline comparison's rank test, interval and minimum effect; ``bigday.compare.ab`` computes the findings,
this module is only their data. The folder also holds ``ab.md``, the experiment's report.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic.dataclasses import dataclass

from bigday.runfolder.document import FORBID, Record, UtcTime, read_document, write_document
from bigday.runfolder.enums import Status
from bigday.runfolder.folder import RunFile, RunFolder, atomic_writer

Side = Literal["a", "b"]
RunsMode = Literal["fixed", "auto"]


class AbVerdict(StrEnum):
    """What one page x metric comparison of B against A found."""

    B_BETTER = "b_better"
    B_WORSE = "b_worse"
    NO_DIFFERENCE = "no_difference"  # the interval lies inside the minimum effect: any difference is smaller
    INCONCLUSIVE = "inconclusive"  # neither: more runs needed


@dataclass(frozen=True, config=FORBID, kw_only=True)
class AbSide(Record):
    """One side of the experiment: a base URL (None: the embedded reference target) and its target knobs."""

    name: Side
    base_url: str | None = None
    knobs: tuple[tuple[str, str], ...] = ()
    path: str | None = None  # a side given as one page's URL: that page's path, on this side's base URL


@dataclass(frozen=True, config=FORBID, kw_only=True)
class AbRun(Record):
    """One page run of one side: round (0-based), its place in the interleaved order, and its metrics."""

    side: Side
    page: str
    round: int
    order: int
    ok: bool
    metrics: dict[str, float]
    error: str | None = None


@dataclass(frozen=True, config=FORBID, kw_only=True)
class AbFinding(Record):
    """B against A on one page x metric: the verdict, its sentence, and the figures behind it."""

    page: str
    metric: str
    verdict: AbVerdict
    status: Status
    message: str
    runs_a: int
    runs_b: int
    median_a: float | None = None
    median_b: float | None = None
    effect: float | None = None  # B relative to A (ratio - 1) or B - A
    effect_kind: Literal["ratio", "difference"] | None = None
    interval: tuple[float, float] | None = None
    min_effect: float | None = None
    p_value: float | None = None  # two-sided rank test
    q_value: float | None = None  # after Benjamini-Hochberg over the look's comparisons
    bound: float | None = None  # the q the look had to reach (the design's nominal level)
    look: int | None = None  # the look (1-based) that decided it; None: not decided
    more_runs: int | None = None  # about how many more runs per side an inconclusive finding needs


@dataclass(frozen=True, config=FORBID, kw_only=True)
class AbDesign(Record):
    """How many runs and when to look: a fixed number (one look) or the group-sequential design."""

    mode: RunsMode
    procedure: str  # "fixed" or "group-sequential, Lan-DeMets O'Brien-Fleming spending"
    alpha: float
    looks: tuple[int, ...]
    nominal: tuple[float, ...]  # per look: the level a comparison's q must reach
    max_runs: int


@dataclass(frozen=True, config=FORBID, kw_only=True)
class AbExperiment(Record):
    """The whole experiment: sides, pages, metrics, design, what happened, and the verdicts."""

    run_id: str
    started_at: UtcTime
    finished_at: UtcTime | None = None
    a: AbSide
    b: AbSide
    pages: tuple[str, ...]
    metrics: tuple[str, ...]
    profile: str
    design: AbDesign
    runs_per_side: int  # rounds completed
    looks_taken: int
    stopped: str  # why measuring ended
    outcome: Status
    findings: tuple[AbFinding, ...] = ()
    runs: tuple[AbRun, ...] = ()
    notes: tuple[str, ...] = ()


def read_ab(folder: RunFolder) -> AbExperiment:
    return read_document(folder.file(RunFile.AB), RunFile.AB, AbExperiment)


def write_ab(folder: RunFolder, experiment: AbExperiment) -> None:
    write_document(folder, RunFile.AB, experiment)


def write_ab_report(folder: RunFolder, text: str) -> None:
    with atomic_writer(folder.file(RunFile.AB_REPORT)) as f:
        f.write(text)
