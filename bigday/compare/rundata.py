"""A run folder's measurements as compare judges them: values per page x metric, JS chunk sizes, manifest."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from bigday.runfolder import LoadVerdict, Manifest, RunContents, RunKind, measurements
from bigday.stats.lighthouse import ACCESSIBILITY_INFORMATIVE, ACCESSIBILITY_WEIGHTS

AXE_RULES = frozenset(ACCESSIBILITY_WEIGHTS) | ACCESSIBILITY_INFORMATIVE


@dataclass(frozen=True)
class RunData:
    """What one run measured."""

    manifest: Manifest
    values: dict[tuple[str, str], np.ndarray]  # the primary engine's (bigday's own when it measured)
    chunks: dict[str, dict[str, float]]  # page -> chunk -> largest bytes seen
    pages: tuple[str, ...]
    failed_page_runs: int
    load_verdicts: tuple[LoadVerdict, ...] = ()
    engine: str = "bigday"  # the primary engine of a probe run: bigday, or lighthouse when only it measured
    engine_values: dict[str, dict[tuple[str, str], np.ndarray]] | None = None  # every engine's values

    def values_of(self, engine: str | None) -> dict[tuple[str, str], np.ndarray]:
        """The values one engine measured (None: the primary engine's)."""
        if engine is None or engine == self.engine:
            return self.values
        return (self.engine_values or {}).get(engine, {})

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


AUDIT_PREFIX = "audit:"


def audit_values(details: Any) -> dict[str, float]:
    """``audit:<id>`` per run: Lighthouse's score of that audit (engine lighthouse), or for bigday's own axe
    audit 1 when the rule passed and 0 when it failed (rules axe found inapplicable have no value); and
    ``console_errors``, the number of console errors the run saw."""
    if not isinstance(details, dict):
        return {}
    out: dict[str, float] = {}
    errors = details.get("console_errors")
    if isinstance(errors, list):
        out["console_errors"] = float(len(errors))
    scores = details.get("audit_scores")
    if isinstance(scores, dict):
        out |= {AUDIT_PREFIX + str(a): float(v) for a, v in scores.items() if isinstance(v, (int, float))}
    a11y = details.get("accessibility")
    if isinstance(a11y, dict) and isinstance(a11y.get("inapplicable"), list):
        failed = {str(v.get("id")) for v in a11y.get("violations") or [] if isinstance(v, dict)}
        skipped = {str(r) for r in a11y["inapplicable"]}
        for rule in AXE_RULES - skipped:
            out[AUDIT_PREFIX + rule] = 0.0 if rule in failed else 1.0
    return out


def run_data(contents: RunContents) -> RunData:
    """The values compare judges, from a run folder already read and validated (bigday.runfolder)."""
    by_engine: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(lambda: defaultdict(list))
    for m in measurements(contents):
        by_engine[m.engine or "bigday"][(m.page, m.metric)].append(m.value)
    engine = "bigday" if "bigday" in by_engine or not by_engine else next(iter(by_engine))
    acc = by_engine[engine]
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
            for name, value in (resource_values(rec.details) | audit_values(rec.details)).items():
                by_engine[rec.engine][(rec.page, name)].append(value)
            if rec.engine != engine:
                continue  # the JS chunk budgets judge the primary engine's sizes
            for name, size in chunk_bytes(rec.details).items():
                chunks[rec.page][name] = max(size, chunks[rec.page].get(name, 0.0))
    else:
        pages = sorted({p for p, _ in acc})
        verdicts = contents.load_stats.verdicts if contents.load_stats is not None else ()
    arrays = {e: {k: np.asarray(v, dtype=float) for k, v in vals.items()} for e, vals in by_engine.items()}
    return RunData(
        contents.manifest,
        {k: np.asarray(v, dtype=float) for k, v in acc.items()},
        dict(chunks),
        tuple(pages),
        failed,
        verdicts,
        engine,
        arrays,
    )
