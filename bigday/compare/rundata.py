"""A run folder's measurements as compare reads them: values per page x metric, JS chunk sizes, manifest."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bigday.errors import ConfigError
from bigday.runfolder import RunFolder
from bigday.store.ingest import LOAD_STATS_FILE, SAMPLES_FILE, read_run


@dataclass(frozen=True)
class RunData:
    """What one run measured."""

    folder: RunFolder
    run: dict[str, Any]  # the runs row (validated manifest)
    values: dict[tuple[str, str], np.ndarray]
    chunks: dict[str, dict[str, float]]  # page -> chunk -> largest bytes seen
    pages: tuple[str, ...]
    failed_page_runs: int
    load_verdicts: tuple[dict[str, Any], ...] = ()
    rows: tuple[dict[str, Any], ...] = ()  # the samples rows, as ingest stores them

    @property
    def run_id(self) -> str:
        return str(self.run["run_id"])


_SIZE_KEYS = ("body_bytes", "bytes", "transfer_bytes", "transfer_size", "size")


def _size(v: Any) -> float | None:
    if isinstance(v, dict):
        v = next((v[k] for k in _SIZE_KEYS if k in v), None)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _resources(details: Any) -> dict[str, Any]:
    """The probe's resource summary: ``details.resources`` (or the details themselves)."""
    if not isinstance(details, dict):
        return {}
    inner = details.get("resources")
    return inner if isinstance(inner, dict) else details


def chunk_bytes(details: Any) -> dict[str, float]:
    """Per-chunk JS bytes (encoded body, as on the wire) from a sample's details ``js_chunks``."""
    raw = _resources(details).get("js_chunks") or {}
    out: dict[str, float] = {}
    if isinstance(raw, dict):
        for name, v in raw.items():
            size = _size(v)
            if size is not None:
                out[str(name)] = size
    elif isinstance(raw, list):
        for rec in raw:
            name = rec.get("chunk") or rec.get("name") if isinstance(rec, dict) else None
            size = _size(rec)
            if name and size is not None:
                out[str(name)] = size
    return out


def resource_values(details: Any) -> dict[str, float]:
    """``resource.<type>.bytes`` (transferred) and ``.count`` per resource type, for Lighthouse budgets."""
    by_type = _resources(details).get("by_type")
    out: dict[str, float] = {}
    if not isinstance(by_type, dict):
        return out
    for kind, rec in by_type.items():
        if not isinstance(rec, dict):
            continue
        name = "other" if kind == "fetch" else str(kind)
        count, size = rec.get("count"), rec.get("transfer_bytes")
        if isinstance(count, (int, float)):
            out[f"resource.{name}.count"] = out.get(f"resource.{name}.count", 0.0) + float(count)
        if isinstance(size, (int, float)):
            out[f"resource.{name}.bytes"] = out.get(f"resource.{name}.bytes", 0.0) + float(size)
    return out


def read_run_data(run_dir: str | Path) -> RunData:
    """Read and validate a probe or load run folder (ConfigError names the damaged file)."""
    run, rows = read_run(run_dir)
    folder = RunFolder.open(run_dir)
    acc: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        acc[(r["page"], r["metric"])].append(r["value"])
    chunks: dict[str, dict[str, float]] = defaultdict(dict)
    pages: list[str] = []
    failed = 0
    verdicts: tuple[dict[str, Any], ...] = ()
    if run["kind"] == "probe":
        for rec in folder.read(SAMPLES_FILE)["samples"]:
            if rec["page"] not in pages:
                pages.append(rec["page"])
            if rec.get("ok") is False:
                failed += 1
                continue
            for name, size in chunk_bytes(rec.get("details")).items():
                chunks[rec["page"]][name] = max(size, chunks[rec["page"]].get(name, 0.0))
            for name, value in resource_values(rec.get("details")).items():
                acc[(rec["page"], name)].append(value)
    else:
        stats = folder.read(LOAD_STATS_FILE)
        pages = sorted({p for p, _ in acc})
        raw_verdicts = stats.get("verdicts") or []
        if not isinstance(raw_verdicts, list) or not all(isinstance(v, dict) for v in raw_verdicts):
            raise ConfigError(f"{folder.file(LOAD_STATS_FILE)}: verdicts: expected a list of mappings")
        verdicts = tuple(raw_verdicts)
    return RunData(
        folder,
        run,
        {k: np.asarray(v, dtype=float) for k, v in acc.items()},
        dict(chunks),
        tuple(pages),
        failed,
        verdicts,
        tuple(rows),
    )
