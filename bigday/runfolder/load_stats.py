"""A load run's summaries: ``load_stats.json`` with its verdicts, and the CSV copies of its tables.

``load_stats.csv`` holds the same rows as ``load_stats.json``'s ``stats`` (for spreadsheets),
``load_timeline.csv`` the users/rps timeline, one row a second.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic.dataclasses import dataclass

from bigday.errors import ConfigError
from bigday.runfolder.document import (
    FORBID,
    Amount,
    Count,
    Milliseconds,
    Rate,
    Record,
    Seconds,
    UtcTime,
    check_version,
    omitted,
    read_document,
    validate,
    write_document,
)
from bigday.runfolder.folder import RunFile, RunFolder, atomic_writer
from bigday.runfolder.load_verdicts import GeneratorHealth, LoadVerdict
from bigday.runfolder.manifest import read_manifest

KEY_FIELDS = ("tenant", "user_kind", "endpoint", "phase")
STATS_CSV_COLUMNS = (*KEY_FIELDS, "count", "rps", "p50", "p95", "p99", "max", "mean", "error_rate", "errors")
TIMELINE_COLUMNS = ("t", "users", "rps", "fail_rps", "phase")


@dataclass(frozen=True, config=FORBID)
class EndpointStats(Record):
    """One group's counts, rate, exact latency percentiles (ms) and errors; ``*`` marks a rolled-up field."""

    tenant: str
    user_kind: str
    endpoint: str
    phase: str
    count: Count
    rps: Amount
    p50: Milliseconds | None
    p95: Milliseconds | None
    p99: Milliseconds | None
    max: Milliseconds | None
    mean: Milliseconds | None
    error_rate: Rate
    errors: dict[str, Count] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _mean_came_later(cls, data: Any) -> Any:
        # Rows written before the mean was recorded (and the documented row) have none: not recorded.
        if isinstance(data, dict) and "mean" not in data:
            return {**data, "mean": None}
        return data


@dataclass(frozen=True, config=FORBID, kw_only=True)
class TimelinePoint(Record):
    """Users and request rate ``t`` seconds into the run."""

    t: Seconds
    users: Count
    rps: Amount
    fail_rps: Amount | None = omitted()
    phase: str | None = omitted()


@dataclass(frozen=True, config=FORBID)
class CpuSample(Record):
    """One load-generator process's CPU (percent of one core) at epoch time ``t``; ``lag_ms``, the longest its
    event loop overslept a 50 ms timer in the second before (time its own requests' timings include), and
    ``victims``, whether it ran victim users then (runs recorded before either have neither)."""

    node: str
    t: float
    cpu: float
    lag_ms: Milliseconds | None = omitted()
    victims: bool | None = omitted()
    rss_mb: Amount | None = omitted()  # its resident memory (MB), in runs since memory was recorded


@dataclass(frozen=True, config=FORBID, kw_only=True)
class ProcessMemory(Record):
    """One load-generator process's resident memory (MB) over the run, and its photo pool's share of it.

    ``growth_after_first_minute``: the last sample over the one a minute into the run, less one (None for a
    run shorter than a minute and a half): memory that grows with the run's length shows here."""

    samples: Count
    first_mb: Amount
    median_mb: Amount
    peak_mb: Amount
    last_mb: Amount
    photo_pool_mb: Amount
    growth_after_first_minute: float | None = None


@dataclass(frozen=True, config=FORBID)
class PhaseRecord(Record):
    """When a phase (a shape stage) ran, in seconds from the start of the run."""

    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True, config=FORBID, kw_only=True)
class WorkerReport(Record):
    """What one Locust worker reported to the master: its requests, when it last reported (seconds from the
    start of the run), for a worker the master lost mid-run (no heartbeat) when it was declared lost, and for
    one that connected after the start when it joined."""

    node: str
    requests: Count
    last_report_s: float | None = None
    lost_at_s: float | None = None
    joined_at_s: float | None = None  # None: connected before the run started


@dataclass(frozen=True, config=FORBID, kw_only=True)
class GeneratorRecord(Record):
    cpu_samples: tuple[CpuSample, ...]
    saturated: bool
    health: GeneratorHealth | None = omitted()
    processes: int | None = omitted()
    memory: dict[str, ProcessMemory] | None = omitted()
    workers: tuple[WorkerReport, ...] | None = omitted()  # a master-and-workers run's workers


@dataclass(frozen=True, config=FORBID, kw_only=True)
class LoadStats(Record):
    """``load_stats.json``.  ``stats``, ``timeline``, ``verdicts`` and ``generator`` are the documented core;
    the run's header (kind ... phases) is written by every bigday run and may be absent from other files."""

    kind: Literal["saturday", "isolation"] | None = omitted()
    host: str | None = omitted()
    trustworthy: bool | None = omitted()
    stop_reason: str | None = omitted()
    started_at: UtcTime | None = omitted()
    finished_at: UtcTime | None = omitted()
    duration_s: Seconds | None = omitted()
    samples: Count | None = omitted()
    peak_users_reached: Count | None = omitted()
    phases: tuple[PhaseRecord, ...] | None = omitted()
    stats: tuple[EndpointStats, ...]
    timeline: tuple[TimelinePoint, ...]
    verdicts: tuple[LoadVerdict, ...]
    generator: GeneratorRecord


def read_load_stats(folder: RunFolder) -> LoadStats:
    return read_document(folder.file(RunFile.LOAD_STATS), RunFile.LOAD_STATS, LoadStats)


def write_load_stats(folder: RunFolder, stats: LoadStats) -> None:
    write_document(folder, RunFile.LOAD_STATS, stats)


# ---------------------------------------------------------------- CSV copies


def _csv_version(folder: RunFolder, file: RunFile, path: Path) -> None:
    version = read_manifest(folder).format_of(file) if folder.has(RunFile.MANIFEST) else 1
    check_version(path, file, version)


def _cell(value: Any) -> Any:
    return "" if value is None else value


def write_load_stats_csv(folder: RunFolder, rows: Sequence[EndpointStats]) -> None:
    with atomic_writer(folder.file(RunFile.LOAD_STATS_CSV)) as f:
        w = csv.writer(f)
        w.writerow(STATS_CSV_COLUMNS)
        for r in rows:
            d = r.to_json()
            d["errors"] = ";".join(f"{k}:{v}" for k, v in r.errors.items())
            w.writerow([_cell(d[c]) for c in STATS_CSV_COLUMNS])


def _csv_rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise ConfigError(f"{path}: expected columns {', '.join(columns)}; missing {', '.join(missing)}")
            return list(reader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing; is this a bigday load run folder?") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"{path}: not a readable CSV ({type(e).__name__}: {e})") from None


def _number_or_text(text: str) -> Any:
    """A CSV cell as JSON would have held it: empty is null, numbers are numbers, the rest stays text."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def read_load_stats_csv(folder: RunFolder) -> tuple[EndpointStats, ...]:
    path = folder.file(RunFile.LOAD_STATS_CSV)
    _csv_version(folder, RunFile.LOAD_STATS_CSV, path)
    out = []
    for line, rec in enumerate(_csv_rows(path, STATS_CSV_COLUMNS), start=2):
        data: dict[str, Any] = {c: rec[c] for c in KEY_FIELDS}
        data |= {c: _number_or_text(rec[c]) for c in STATS_CSV_COLUMNS[4:-1]}
        errors = {}
        for item in filter(None, rec["errors"].split(";")):
            kind, _, n = item.rpartition(":")
            errors[kind] = _number_or_text(n)
        data["errors"] = errors
        out.append(validate(EndpointStats, data, f"{path}: line {line}"))
    return tuple(out)


def write_load_timeline(folder: RunFolder, points: Sequence[TimelinePoint]) -> None:
    with atomic_writer(folder.file(RunFile.LOAD_TIMELINE)) as f:
        w = csv.DictWriter(f, fieldnames=TIMELINE_COLUMNS)
        w.writeheader()
        w.writerows({c: _cell(v) for c, v in p.to_json().items()} for p in points)


def read_load_timeline(folder: RunFolder) -> tuple[TimelinePoint, ...]:
    path = folder.file(RunFile.LOAD_TIMELINE)
    _csv_version(folder, RunFile.LOAD_TIMELINE, path)
    out = []
    for line, rec in enumerate(_csv_rows(path, TIMELINE_COLUMNS[:3]), start=2):
        data = {c: _number_or_text(rec.get(c) or "") for c in TIMELINE_COLUMNS[:4]}
        data["phase"] = rec.get("phase") or None
        out.append(validate(TimelinePoint, data, f"{path}: line {line}"))
    return tuple(out)
