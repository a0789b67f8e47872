"""Loading a run folder into the store: validate everything first, then write it in one transaction."""

from __future__ import annotations

import csv
import gzip
import math
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from bigday.errors import ConfigError, StoreError
from bigday.runfolder import MANIFEST, RunFolder, utc_now
from bigday.store import schema
from bigday.store.engine import Store
from bigday.store.trends import rebuild_trends

SAMPLES_FILE = "samples.json"
LOAD_STATS_FILE = "load_stats.json"
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_.:-]{0,39}$")
# Locust-style latency columns kept per endpoint of a load run, as metrics latency_p50 ... latency_max.
LOAD_COLUMNS = ("p50", "p95", "p99", "max")
# A load run's raw samples (bigday.load.results writes them); a seeded random subset of each tenant x endpoint
# x phase's successful response times is stored as metric "latency", so a later run can be compared with it
# sample against sample (rank test, interval, minimum effect) rather than one p95 against another.
LOAD_SAMPLES_FILE = "load_samples.csv.gz"
LOAD_SAMPLE_COLUMNS = ("tenant", "endpoint", "phase", "response_ms", "ok")
RAW_LATENCY_PER_KEY = 200
INSERT_CHUNK = 5000


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did."""

    run_id: str
    kind: str
    samples: int
    already_stored: bool


def parse_time(value: Any, where: str) -> datetime:
    """ISO-8601 to an aware UTC datetime; ConfigError names ``where``."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected an ISO-8601 time, got {value!r}")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{where}: expected an ISO-8601 time, got {value!r}") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number or null, got {value!r}")
    return float(value)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def run_row(folder: RunFolder, manifest: dict[str, Any]) -> dict[str, Any]:
    """The ``runs`` row for a manifest (validated)."""
    where = str(folder.file(MANIFEST))
    kind = manifest.get("kind")
    if kind not in ("probe", "load"):
        raise ConfigError(f"{where}: kind: expected 'probe' or 'load', got {kind!r}")
    run_id = manifest.get("run_id") or folder.run_id
    if not isinstance(run_id, str) or not run_id:
        raise ConfigError(f"{where}: run_id: expected a non-empty string, got {run_id!r}")
    env = manifest.get("environment") or {}
    app = manifest.get("app") or {}
    scenario = manifest.get("scenario") or {}
    for key, part in (("environment", env), ("app", app), ("scenario", scenario)):
        if not isinstance(part, dict):
            raise ConfigError(f"{where}: {key}: expected a mapping, got {type(part).__name__}")
    cpu = env.get("cpu_count")
    if cpu is not None and (isinstance(cpu, bool) or not isinstance(cpu, int)):
        raise ConfigError(f"{where}: environment.cpu_count: expected a whole number, got {cpu!r}")
    return {
        "run_id": run_id,
        "kind": kind,
        "status": str(manifest.get("status") or ("ok" if manifest.get("complete") else "incomplete")),
        "complete": bool(manifest.get("complete")),
        "started_at": parse_time(manifest.get("started_at"), f"{where}: started_at"),
        "finished_at": parse_time(manifest["finished_at"], f"{where}: finished_at")
        if manifest.get("finished_at")
        else None,
        "scenario_name": _str_or_none(scenario.get("name")),
        "scenario_sha256": _str_or_none(scenario.get("sha256")),
        "harness_version": _str_or_none(env.get("harness_version")),
        "browser": _str_or_none(env.get("browser")),
        "browser_version": _str_or_none(env.get("browser_version")),
        "web_vitals_version": _str_or_none(env.get("web_vitals_version")),
        "profile": _str_or_none(env.get("profile")),
        "cpu_count": cpu,
        "platform": _str_or_none(env.get("platform")),
        "app_git_sha": _str_or_none(app.get("git_sha")),
        "app_git_branch": _str_or_none(app.get("git_branch")),
        "base_url": _str_or_none(app.get("base_url")),
    }


def probe_sample_rows(folder: RunFolder, run: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per page run per measured metric; failed page runs and nulls carry no value."""
    path = folder.file(SAMPLES_FILE)
    data = folder.read(SAMPLES_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
        raise ConfigError(f'{path}: expected {{"samples": [...]}}')
    rows = []
    for i, rec in enumerate(data["samples"]):
        where = f"{path}: samples[{i}]"
        if not isinstance(rec, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(rec).__name__}")
        page = rec.get("page")
        if not isinstance(page, str) or not page:
            raise ConfigError(f"{where}.page: expected a page name, got {page!r}")
        metrics = rec.get("metrics") or {}
        if not isinstance(metrics, dict):
            raise ConfigError(f"{where}.metrics: expected a mapping, got {type(metrics).__name__}")
        if rec.get("ok") is False:
            continue
        at = parse_time(rec["started_at"], f"{where}.started_at") if rec.get("started_at") else run["started_at"]
        common = {
            "run_id": run["run_id"],
            "page": page,
            "day": at.date(),
            "recorded_at": at,
            "run_index": rec.get("run_index") if isinstance(rec.get("run_index"), int) else None,
            "warm": rec.get("warm") if isinstance(rec.get("warm"), bool) else None,
            "tenant": _str_or_none(rec.get("tenant")),
            "device": _str_or_none(rec.get("device")),
            "profile": _str_or_none(rec.get("profile")),
            "connection": _str_or_none(rec.get("connection")),
            "browser": _str_or_none(rec.get("browser_version") or rec.get("browser")),
        }
        for name, raw in metrics.items():
            if not isinstance(name, str) or not _METRIC_NAME.match(name):
                raise ConfigError(f"{where}.metrics: bad metric name {name!r}")
            value = _number(raw, f"{where}.metrics.{name}")
            if value is not None:
                rows.append({**common, "metric": name, "value": value})
    return rows


def load_sample_rows(folder: RunFolder, run: dict[str, Any]) -> list[dict[str, Any]]:
    """A load run's per-endpoint statistics as samples: latency_p50..max, error_rate, rps."""
    path = folder.file(LOAD_STATS_FILE)
    data = folder.read(LOAD_STATS_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("stats"), list):
        raise ConfigError(f'{path}: expected {{"stats": [...]}}')
    at = run["finished_at"] or run["started_at"]
    rows = []
    for i, rec in enumerate(data["stats"]):
        where = f"{path}: stats[{i}]"
        if not isinstance(rec, dict) or not isinstance(rec.get("endpoint"), str):
            raise ConfigError(f"{where}: expected a mapping with an endpoint")
        common = {
            "run_id": run["run_id"],
            "page": rec["endpoint"],
            "day": at.date(),
            "recorded_at": at,
            "run_index": None,
            "warm": None,
            "tenant": _str_or_none(rec.get("tenant")),
            "device": _str_or_none(rec.get("user_kind")),
            "profile": _str_or_none(rec.get("phase")),
            "connection": None,
            "browser": None,
        }
        values = {f"latency_{c}": rec.get(c) for c in LOAD_COLUMNS} | {
            "error_rate": rec.get("error_rate"),
            "rps": rec.get("rps"),
        }
        for name, raw in values.items():
            value = _number(raw, f"{where}.{name.removeprefix('latency_')}")
            if value is not None:
                rows.append({**common, "metric": name, "value": value})
    return rows


def load_latency_label(endpoint: str, tenant: str, phase: str) -> str:
    """The ``page`` under which one tenant's raw latencies of one endpoint in one phase are stored."""
    return f"{endpoint} [{tenant}, {phase}]"[:200]


def load_latency_rows(folder: RunFolder, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Up to RAW_LATENCY_PER_KEY successful response times per tenant x endpoint x phase, as ``latency`` rows."""
    path = folder.file(LOAD_SAMPLES_FILE)
    if not path.is_file():
        return []
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in LOAD_SAMPLE_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise ConfigError(
                    f"{path}: expected columns {', '.join(LOAD_SAMPLE_COLUMNS)}; missing {', '.join(missing)}"
                )
            for line, rec in enumerate(reader, start=2):
                if rec["ok"] != "1":
                    continue
                try:
                    ms = float(rec["response_ms"])
                except (TypeError, ValueError):
                    ms = math.nan
                if not math.isfinite(ms) or ms < 0:
                    raise ConfigError(
                        f"{path}: line {line}: response_ms: expected milliseconds >= 0, got {rec['response_ms']!r}"
                    )
                groups[(rec["tenant"], rec["endpoint"], rec["phase"])].append(ms)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"{path}: not a readable gzipped CSV of load samples ({type(e).__name__}: {e})") from None
    at = run["finished_at"] or run["started_at"]
    rows = []
    for (tenant, endpoint, phase), values in sorted(groups.items()):
        arr = np.asarray(values, dtype=float)
        if arr.size > RAW_LATENCY_PER_KEY:
            # Seeded by run and key: ingesting the same folder again stores the same subset.
            rng = np.random.default_rng(zlib.crc32(f"{run['run_id']}/{tenant}/{endpoint}/{phase}".encode()))
            arr = rng.choice(arr, RAW_LATENCY_PER_KEY, replace=False)
        common = {
            "run_id": run["run_id"],
            "page": load_latency_label(endpoint, tenant, phase),
            "metric": "latency",
            "day": at.date(),
            "recorded_at": at,
            "run_index": None,
            "warm": None,
            "tenant": tenant,
            "device": None,
            "profile": phase[:40],
            "connection": None,
            "browser": None,
        }
        rows.extend({**common, "value": float(v)} for v in arr)
    return rows


def read_run(run_dir: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate a run folder and return its run row and sample rows; nothing is written."""
    folder = RunFolder.open(run_dir)
    manifest = folder.manifest()
    run = run_row(folder, manifest)
    if run["kind"] == "probe":
        return run, probe_sample_rows(folder, run)
    return run, load_sample_rows(folder, run) + load_latency_rows(folder, run)


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def write_run(conn: Connection, run: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Insert a run, its samples and the daily trends they touch, inside the caller's transaction."""
    conn.execute(schema.runs.insert().values(**run, ingested_at=utc_now(), sample_count=len(rows)))
    for chunk in _chunks(rows, INSERT_CHUNK):
        conn.execute(schema.samples.insert(), chunk)
    days: set[date] = {r["day"] for r in rows}
    if days:
        rebuild_trends(conn, days)


def _stored(conn: Connection, run_id: str) -> bool:
    return conn.execute(select(schema.runs.c.run_id).where(schema.runs.c.run_id == run_id)).first() is not None


def ingest_run(store: Store, run_dir: str | Path) -> IngestResult:
    """Store a probe or load run folder; idempotent per run_id, all or nothing."""
    return store_run(store, *read_run(run_dir))


def store_run(store: Store, run: dict[str, Any], rows: list[dict[str, Any]]) -> IngestResult:
    """Store a run already read and validated by ``read_run``; idempotent per run_id, all or nothing."""
    try:
        with store.begin(f"ingesting {run['run_id']}") as conn:
            if _stored(conn, run["run_id"]):
                return IngestResult(run["run_id"], run["kind"], 0, already_stored=True)
            write_run(conn, run, rows)
    except StoreError as e:
        # On PostgreSQL a concurrent ingest of the same run can win between the check and the insert;
        # the primary key keeps the run single, and that is success for us too.
        if "duplicate key" not in str(e) and "UNIQUE" not in str(e):
            raise
        with store.begin("checking the run") as conn:
            if not _stored(conn, run["run_id"]):
                raise
        return IngestResult(run["run_id"], run["kind"], 0, already_stored=True)
    return IngestResult(run["run_id"], run["kind"], len(rows), already_stored=False)
