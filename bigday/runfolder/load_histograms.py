"""``load_histograms.json``: a load run's latencies as mergeable HDR histograms, per key and per second.

One entry per tenant x user kind x endpoint x phase: exact counts (requests, successes, error kinds), the sum
and largest response time, how many of its requests ``load_reservoir.csv.gz`` holds, and its HDR histogram
(HdrHistogram's V2 encoding: compressed, base64; microseconds 0 .. an hour at three significant digits, see
bigday.stats.histogram).  ``timeline`` holds one histogram per tenant per second of the run for the charts
over time.  Any HdrHistogram library reads the histograms; adding two is an exact merge.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic.dataclasses import dataclass

from bigday.runfolder.document import (
    FORBID,
    Amount,
    Count,
    Milliseconds,
    Number,
    Record,
    Seconds,
    read_document,
    write_document,
)
from bigday.runfolder.folder import RunFile, RunFolder
from bigday.stats.histogram import LatencyHistogram

SampleKey = tuple[str, str, str, str]


def _readable(encoded: str) -> str:
    LatencyHistogram.decode(encoded)  # ValueError names what is wrong
    return encoded


@dataclass(frozen=True, config=FORBID, kw_only=True)
class KeyHistogram(Record):
    """One key's requests over the run."""

    tenant: str
    user_kind: str
    endpoint: str
    phase: str
    count: Count
    ok: Count
    errors: dict[str, Count]
    sum_ms: Amount
    max_ms: Milliseconds
    reservoir: Count  # rows of load_reservoir.csv.gz for this key: all of them when equal to count
    histogram: str

    _check = field_validator("histogram")(_readable)

    @property
    def key(self) -> SampleKey:
        return (self.tenant, self.user_kind, self.endpoint, self.phase)

    def decoded(self) -> LatencyHistogram:
        return LatencyHistogram.decode(self.histogram)


@dataclass(frozen=True, config=FORBID, kw_only=True)
class WindowHistogram(Record):
    """One tenant's requests that started in one second, ``t_s`` seconds from the start of the run."""

    tenant: str
    t_s: Number
    count: Count
    errors: Count
    histogram: str

    _check = field_validator("histogram")(_readable)

    def decoded(self) -> LatencyHistogram:
        return LatencyHistogram.decode(self.histogram)


@dataclass(frozen=True, config=FORBID, kw_only=True)
class LoadHistograms(Record):
    unit: Literal["us"] = "us"
    # The one layout bigday writes (bigday.stats.histogram); every histogram's own header says the same.
    lowest_us: Literal[1] = 1
    highest_us: Literal[3_600_000_000] = 3_600_000_000
    significant_figures: Literal[3] = 3
    window_s: Seconds = 1.0
    reservoir_capacity: Count
    keys: tuple[KeyHistogram, ...]
    timeline: tuple[WindowHistogram, ...] = ()


def read_load_histograms(folder: RunFolder) -> LoadHistograms | None:
    """The histograms, or None for a run folder written before them (or by another tool)."""
    if not folder.has(RunFile.LOAD_HISTOGRAMS):
        return None
    return read_document(folder.file(RunFile.LOAD_HISTOGRAMS), RunFile.LOAD_HISTOGRAMS, LoadHistograms)


def write_load_histograms(folder: RunFolder, histograms: LoadHistograms) -> None:
    write_document(folder, RunFile.LOAD_HISTOGRAMS, histograms)
