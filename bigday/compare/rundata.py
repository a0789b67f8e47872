"""A run folder's measurements as compare judges them: values per page x metric, JS chunk sizes, manifest."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from bigday.runfolder import LoadVerdict, Manifest, RunContents, RunKind, measurements


@dataclass(frozen=True)
class RunData:
    """What one run measured."""

    manifest: Manifest
    values: dict[tuple[str, str], np.ndarray]
    chunks: dict[str, dict[str, float]]  # page -> chunk -> largest bytes seen
    pages: tuple[str, ...]
    failed_page_runs: int
    load_verdicts: tuple[LoadVerdict, ...] = ()

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def kind(self) -> RunKind:
        return self.manifest.kind


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


def run_data(contents: RunContents) -> RunData:
    """The values compare judges, from a run folder already read and validated (bigday.runfolder)."""
    acc: dict[tuple[str, str], list[float]] = defaultdict(list)
    for m in measurements(contents):
        acc[(m.page, m.metric)].append(m.value)
    chunks: dict[str, dict[str, float]] = defaultdict(dict)
    pages: list[str] = []
    failed = 0
    verdicts: tuple[LoadVerdict, ...] = ()
    if contents.probe_samples is not None:
        for rec in contents.probe_samples.samples:
            if rec.page not in pages:
                pages.append(rec.page)
            if not rec.ok:
                failed += 1
                continue
            for name, size in chunk_bytes(rec.details).items():
                chunks[rec.page][name] = max(size, chunks[rec.page].get(name, 0.0))
            for name, value in resource_values(rec.details).items():
                acc[(rec.page, name)].append(value)
    else:
        pages = sorted({p for p, _ in acc})
        verdicts = contents.load_stats.verdicts if contents.load_stats is not None else ()
    return RunData(
        contents.manifest,
        {k: np.asarray(v, dtype=float) for k, v in acc.items()},
        dict(chunks),
        tuple(pages),
        failed,
        verdicts,
    )
