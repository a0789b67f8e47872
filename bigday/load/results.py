"""Writing a load run's results into its run folder: ``load_stats.json`` (+ CSVs), histograms, reservoirs,
manifest (raw samples, with ``--keep-samples``, each process streams itself).

Called by the Locust master (or the single local process) once the run is over, so plain ``locust -f`` runs
produce the same folder as ``bigday load``.  Format: docs/run-folder.md, "Load runs".
"""

from __future__ import annotations

import dataclasses
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bigday.load.isolation import judge_isolation
from bigday.load.plan import LoadPlan, plan_secrets, sign_in_method
from bigday.load.samples import SampleBook, TimelineBook
from bigday.load.soak import judge_soak
from bigday.load.stats import PhaseSpan, endpoint_stats
from bigday.load.verdict import generator_health, generator_memory, judge_spike
from bigday.runfolder import (
    App,
    CpuSample,
    GeneratorRecord,
    IsolationLook,
    KeyHistogram,
    LoadHistograms,
    LoadStats,
    LoadVerdict,
    Manifest,
    PhaseRecord,
    RunFile,
    RunFolder,
    RunKind,
    ScenarioRef,
    TimelinePoint,
    WindowHistogram,
    WorkerReport,
    environment_fingerprint,
    git_info,
    load_csv_formats,
    read_manifest,
    write_load_histograms,
    write_load_reservoir,
    write_load_stats,
    write_load_stats_csv,
    write_load_timeline,
    write_manifest,
)


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
    # The isolation check's looks judged on the master during the run (adaptive runs only).
    looks: tuple[IsolationLook, ...] = ()
    # Per tenant per second: the charts over time.
    timeline_book: TimelineBook | None = None
    # Each process's photo pool (bytes), as reported.
    photo_pool_bytes: dict[str, int] = field(default_factory=dict)
    # A master's workers: requests each reported, its last report and, if it was lost mid-run, when (epoch s).
    worker_requests: dict[str, int] = field(default_factory=dict)
    worker_last_report: dict[str, float] = field(default_factory=dict)
    lost_workers: dict[str, float] = field(default_factory=dict)
    # Workers that connected after the run started, with when (epoch s).
    joined_workers: dict[str, float] = field(default_factory=dict)


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def write_results(folder: RunFolder, plan: LoadPlan, book: SampleBook, rec: RunRecord) -> LoadStats:
    """Summaries, verdicts, histograms and reservoirs into ``folder``; returns what ``load_stats.json`` holds."""
    run_span = PhaseSpan("*", rec.started_at, rec.finished_at)
    rows = endpoint_stats(book, rec.phases, run_span)
    health = generator_health(list(rec.cpu_samples), plan.saturation_cpu_pct, plan.saturation_fraction)
    peak_reached = max((int(p["users"]) for p in rec.timeline), default=0)
    verdicts: list[LoadVerdict] = []
    if plan.kind == "isolation" and plan.isolation is not None:
        lag = tuple((float(c["t"]), float(c["lag_ms"])) for c in rec.cpu_samples if c.get("victims") and "lag_ms" in c)
        verdicts.append(judge_isolation(book, plan.isolation, rec.phases, health, looks=rec.looks, lag=lag))
    else:
        soak = judge_soak(plan, rec.phases, rec.timeline_book, plan.spike_max_error_rate)
        verdicts.append(judge_spike(plan, rows, book, peak_reached, health, soak))
    workers = _workers(rec)
    verdicts = [_with_worker_changes(v, workers) for v in verdicts]
    timeline = tuple(TimelinePoint.from_json(p, "the load timeline") for p in rec.timeline)
    stats = LoadStats(
        kind=plan.kind,
        host=rec.host,
        trustworthy=all(v.trustworthy for v in verdicts),
        stop_reason=rec.stop_reason,
        started_at=_utc(rec.started_at),
        finished_at=_utc(rec.finished_at),
        duration_s=round(rec.finished_at - rec.started_at, 3),
        samples=len(book),
        peak_users_reached=peak_reached,
        phases=tuple(
            PhaseRecord(p.name, round(p.start - rec.started_at, 3), round(p.end - rec.started_at, 3))
            for p in rec.phases
        ),
        stats=tuple(rows),
        timeline=timeline,
        verdicts=tuple(verdicts),
        generator=GeneratorRecord(
            cpu_samples=tuple(CpuSample.from_json(c, "the load generator's CPU samples") for c in rec.cpu_samples),
            saturated=health.saturated,
            health=health,
            processes=rec.processes,
            memory=generator_memory(list(rec.cpu_samples), rec.started_at, rec.photo_pool_bytes) or None,
            workers=workers or None,
        ),
    )
    write_load_stats(folder, stats)
    write_load_stats_csv(folder, rows)
    write_load_timeline(folder, timeline)
    write_load_histograms(folder, load_histograms(book, rec.timeline_book, rec.started_at))
    write_load_reservoir(folder, book.columns(rec.started_at))
    _write_manifest(folder, plan, rec, stats)
    return stats


def _workers(rec: RunRecord) -> tuple[WorkerReport, ...]:
    names = sorted(set(rec.worker_requests) | set(rec.lost_workers) | set(rec.joined_workers))

    def since_start(t: float | None) -> float | None:
        return round(t - rec.started_at, 3) if t is not None else None

    return tuple(
        WorkerReport(
            node=n,
            requests=rec.worker_requests.get(n, 0),
            last_report_s=since_start(rec.worker_last_report.get(n)),
            lost_at_s=since_start(rec.lost_workers.get(n)),
            joined_at_s=since_start(rec.joined_workers.get(n)),
        )
        for n in names
    )


def _with_worker_changes(verdict: LoadVerdict, workers: tuple[WorkerReport, ...]) -> LoadVerdict:
    """A run that lost a worker did not send the load its plan describes, and what that worker's users did
    after its last report is gone: every verdict names the worker and is untrustworthy. A worker that joined
    after the start is named too (a caveat, the verdict still trustworthy)."""
    joined = tuple(
        f"worker {w.node} joined {w.joined_at_s:.1f}s into the run; Locust moved some of the users to it, where "
        "they started their journeys afresh"
        for w in workers
        if w.joined_at_s is not None
    )
    if joined:  # the plan's users were all there, some of them restarted: worth saying, not a loss
        verdict = dataclasses.replace(verdict, caveats=(*verdict.caveats, *joined))
    lost = [w for w in workers if w.lost_at_s is not None]
    if not lost:
        return verdict
    said = tuple(
        f"worker {w.node} was lost {w.lost_at_s:.1f}s into the run (no heartbeat); its {w.requests} requests "
        f"up to its last report{'' if w.last_report_s is None else f' at {w.last_report_s:.1f}s'} are counted, "
        "what its users did after that is missing"
        for w in lost
    )
    return dataclasses.replace(verdict, trustworthy=False, caveats=(*verdict.caveats, *said))


def load_histograms(book: SampleBook, timeline: TimelineBook | None, t0: float) -> LoadHistograms:
    """What ``load_histograms.json`` holds: every key's counts and histogram, and the per-second timeline."""
    keys = tuple(
        KeyHistogram(
            tenant=key[0],
            user_kind=key[1],
            endpoint=key[2],
            phase=key[3],
            count=s.n,
            ok=s.ok_n,
            errors=dict(sorted(s.errors.items())),
            sum_ms=round(s.sum_ms, 3),
            max_ms=round(s.max_ms, 3),
            reservoir=len(s.rt),
            histogram=s.histogram().encode(),
        )
        for key, s in book.histograms().items()
    )
    windows = tuple(
        WindowHistogram(tenant=tenant, t_s=round(second - t0, 3), count=n, errors=errors, histogram=encoded)
        for tenant, second, n, errors, encoded in (timeline.windows() if timeline is not None else [])
    )
    return LoadHistograms(reservoir_capacity=book.capacity, keys=keys, timeline=windows)


def load_manifest(folder: RunFolder, plan: LoadPlan, **fields: Any) -> Manifest:
    """The manifest of a load run that follows ``plan``: which run, rehearsal and scenario, then ``fields``."""
    return Manifest(
        run_id=folder.run_id,
        kind=RunKind.LOAD,
        rehearsal=plan.kind,
        scenario=ScenarioRef(plan.scenario_name, plan.scenario_path, plan.scenario_sha256),
        **fields,
    )


def _plain_locust_app(plan: LoadPlan) -> App:
    """What a run under plain ``locust -f`` knows of the app: the plan's tenancy and sign-in."""
    return App(tenancy=plan.tenancy.describe(), sign_in=sign_in_method(plan), secrets=plan_secrets(plan) or None)


def _write_manifest(folder: RunFolder, plan: LoadPlan, rec: RunRecord, stats: LoadStats) -> None:
    # ``bigday load`` wrote the start of the manifest (its command line, the app); plain Locust did not.
    previous = read_manifest(folder) if folder.has(RunFile.MANIFEST) else None
    app = previous.app if previous else _plain_locust_app(plan)
    git = git_info(Path(plan.scenario_path).parent) if previous is None else {"git_sha": None, "git_branch": None}
    app = dataclasses.replace(
        app,
        base_url=app.base_url if app.base_url is not None else rec.host,
        embedded_target=app.embedded_target if app.embedded_target is not None else False,
        git_sha=app.git_sha if app.git_sha is not None else git["git_sha"],
        git_branch=app.git_branch if app.git_branch is not None else git["git_branch"],
    )
    write_manifest(
        folder,
        load_manifest(
            folder,
            plan,
            started_at=_utc(rec.started_at),
            finished_at=_utc(rec.finished_at),
            complete=True,
            status="ok",
            trustworthy=stats.trustworthy,
            environment=environment_fingerprint(
                locust_version=rec.locust_version, load_processes=rec.processes, machine=platform.node()
            ),
            app=app,
            formats=load_csv_formats(),
            argv=previous.argv if previous else None,
        ),
    )
