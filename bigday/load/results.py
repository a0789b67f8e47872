"""Writing a load run's results into its run folder: ``load_stats.json`` (+ CSVs), raw samples, manifest.

Called by the Locust master (or the single local process) once the run is over, so plain ``locust -f`` runs
produce the same folder as ``bigday load``.  Format: docs/run-folder.md, "Load runs".
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bigday.load.plan import LoadPlan
from bigday.load.samples import SampleBook
from bigday.load.stats import PhaseSpan, endpoint_stats, write_stats_csv, write_timeline_csv
from bigday.load.verdict import IsolationVerdict, SpikeVerdict, generator_health, judge_isolation, judge_spike
from bigday.runfolder import MANIFEST, RunFolder, environment_fingerprint, git_info, read_json

STATS = "load_stats.json"
STATS_CSV = "load_stats.csv"
TIMELINE_CSV = "load_timeline.csv"
SAMPLES_CSV = "load_samples.csv.gz"

HTML = "locust_report.html"


@dataclass(frozen=True)
class RunRecord:
    """What the Locust side observed, besides the samples themselves."""

    host: str
    started_at: float
    finished_at: float
    phases: tuple[PhaseSpan, ...]
    timeline: tuple[dict[str, Any], ...]
    cpu_samples: tuple[dict[str, Any], ...]
    locust_version: str
    processes: int
    stop_reason: str


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def write_results(folder: RunFolder, plan: LoadPlan, book: SampleBook, rec: RunRecord) -> dict[str, Any]:
    """Summaries, verdicts and raw samples into ``folder``; returns the ``load_stats.json`` document."""
    run_span = PhaseSpan("*", rec.started_at, rec.finished_at)
    rows = endpoint_stats(book, rec.phases, run_span)
    health = generator_health(list(rec.cpu_samples), plan.saturation_cpu_pct, plan.saturation_fraction)
    peak_reached = max((int(p["users"]) for p in rec.timeline), default=0)
    verdicts: list[IsolationVerdict | SpikeVerdict] = []
    if plan.kind == "isolation" and plan.isolation is not None:
        verdicts.append(judge_isolation(book, plan.isolation, rec.phases, health))
    else:
        verdicts.append(judge_spike(plan, rows, book, peak_reached, health))
    doc: dict[str, Any] = {
        "kind": plan.kind,
        "host": rec.host,
        "trustworthy": all(v.trustworthy for v in verdicts),
        "stop_reason": rec.stop_reason,
        "started_at": _iso(rec.started_at),
        "finished_at": _iso(rec.finished_at),
        "duration_s": round(rec.finished_at - rec.started_at, 3),
        "samples": len(book),
        "peak_users_reached": peak_reached,
        "phases": [
            {"name": p.name, "start_s": round(p.start - rec.started_at, 3), "end_s": round(p.end - rec.started_at, 3)}
            for p in rec.phases
        ],
        "stats": [r.to_json() for r in rows],
        "timeline": list(rec.timeline),
        "verdicts": [v.to_json() for v in verdicts],
        "generator": {
            "cpu_samples": list(rec.cpu_samples),
            "saturated": health.saturated,
            "health": health.to_json(),
            "processes": rec.processes,
        },
    }
    folder.write(STATS, doc)
    write_stats_csv(folder.file(STATS_CSV), rows)
    write_timeline_csv(folder.file(TIMELINE_CSV), list(rec.timeline))
    book.write_csv_gz(folder.file(SAMPLES_CSV), rec.started_at)
    _write_manifest(folder, plan, rec, doc)
    return doc


def _write_manifest(folder: RunFolder, plan: LoadPlan, rec: RunRecord, doc: dict[str, Any]) -> None:
    previous: dict[str, Any] = {}
    if folder.file(MANIFEST).is_file():
        previous = read_json(folder.file(MANIFEST))
    app = dict(previous.get("app") or {})
    app.setdefault("base_url", rec.host)
    app.setdefault("embedded_target", False)
    for k, v in git_info().items():
        app.setdefault(k, v)
    manifest = {
        **previous,
        "run_id": folder.run_id,
        "kind": "load",
        "rehearsal": plan.kind,
        "started_at": _iso(rec.started_at),
        "finished_at": _iso(rec.finished_at),
        "complete": True,
        "status": "ok",
        "trustworthy": doc["trustworthy"],
        "scenario": {"name": plan.scenario_name, "path": plan.scenario_path, "sha256": plan.scenario_sha256},
        "environment": environment_fingerprint(
            locust_version=rec.locust_version, load_processes=rec.processes, machine=platform.node()
        ),
        "app": app,
    }
    folder.write_manifest(manifest)


def read_stats(folder: Path) -> dict[str, Any]:
    return read_json(Path(folder) / STATS)
