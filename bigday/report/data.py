"""What every report renders: a judged run folder (manifest, verdicts, alerts, samples), the runs its answer
covers (load rehearsals, the probe under the spike), the answer itself, and optionally the store's history."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bigday.errors import ConfigError
from bigday.metrics import format_value
from bigday.report.answer import JudgedRun, decide
from bigday.report.history import History, StoredAlert
from bigday.runfolder import (
    SEVERITIES,
    Alert,
    Answer,
    Check,
    Decision,
    Filmstrip,
    LoadHistograms,
    LoadSamples,
    LoadStats,
    Manifest,
    ProbeSample,
    Reason,
    Recommendation,
    RunFile,
    RunFolder,
    RunKind,
    RunRole,
    Status,
    TimelinePoint,
    Verdicts,
    read_alerts,
    read_answer,
    read_filmstrip,
    read_load_histograms,
    read_load_samples,
    read_load_stats,
    read_load_timeline,
    read_manifest,
    read_probe_samples,
    read_recommendations,
    read_verdicts,
    utc_now,
)

STATUS_ORDER = {Status.FAIL: 0, Status.INCONCLUSIVE: 1, Status.WARN: 2, Status.SKIPPED: 3, Status.PASS: 4}


@dataclass(frozen=True)
class RunView:
    """One judged run folder as reports need it."""

    role: RunRole
    folder: Path
    manifest: Manifest
    verdicts: Verdicts | None
    alerts: tuple[Alert, ...] = ()
    samples: tuple[ProbeSample, ...] = ()
    load_stats: LoadStats | None = None
    timeline: tuple[TimelinePoint, ...] = ()
    # The per-second histograms of the run; raw samples only for a folder written before them.
    load_histograms: LoadHistograms | None = None
    load_samples: LoadSamples | None = None
    # A probe run's median runs' frames (probe --filmstrip); each frame's file is relative to ``folder``.
    filmstrip: Filmstrip | None = None
    # A probe run's findings (recommendations.json), one per page, kind and subject.
    recommendations: tuple[Recommendation, ...] = ()

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    def has_locust_report(self) -> bool:
        return (self.folder / RunFile.LOCUST_REPORT).is_file()

    def page_tenants(self) -> dict[str, str | None]:
        return {s.page: s.tenant for s in self.samples}

    def judged(self) -> JudgedRun | None:
        if self.verdicts is None:
            return None
        return JudgedRun(
            self.role,
            self.verdicts,
            self.load_stats.verdicts if self.load_stats else (),
            self.page_tenants(),
            self.manifest.complete,
        )


def read_run_view(run_dir: str | Path, role: RunRole | None = None, need_verdicts: bool = True) -> RunView:
    folder = RunFolder.open(run_dir)
    manifest = read_manifest(folder)
    if manifest.rehearsal == "capacity":
        raise ConfigError(
            f"{folder.path}: a capacity search; its answer is {RunFile.CAPACITY}, and each step is a Saturday "
            "rehearsal of its own (the run ids it lists): report those"
        )
    if need_verdicts and not folder.has(RunFile.VERDICTS):
        raise ConfigError(f"{folder.file(RunFile.VERDICTS)}: missing; run 'bigday compare {folder.path}' first")
    verdicts = read_verdicts(folder) if folder.has(RunFile.VERDICTS) else None
    alerts = read_alerts(folder)
    if role is None:
        role = "probe" if manifest.kind is RunKind.PROBE else (manifest.rehearsal or "saturday")
    view = RunView(role, folder.path, manifest, verdicts, alerts.alerts if alerts else ())
    if manifest.kind is RunKind.PROBE:
        found = read_recommendations(folder)
        return replace(
            view,
            samples=read_probe_samples(folder).samples,
            filmstrip=read_filmstrip(folder),
            recommendations=found.recommendations if found else (),
        )
    histograms = read_load_histograms(folder)
    return replace(
        view,
        load_stats=read_load_stats(folder) if folder.has(RunFile.LOAD_STATS) else None,
        timeline=read_load_timeline(folder) if folder.has(RunFile.LOAD_TIMELINE) else (),
        load_histograms=histograms,
        load_samples=read_load_samples(folder) if histograms is None else None,
    )


def alert_cells(a: Alert | StoredAlert) -> list[Any]:
    """An alert as every report's table shows it: id, severity, type, page, metric, actual, threshold."""
    return [
        a.id,
        a.severity,
        a.type,
        a.page,
        a.metric,
        format_value(a.metric, a.actual),
        format_value(a.metric, a.threshold),
    ]


def baseline_notes(v: Verdicts) -> list[tuple[str, str]]:
    """What a run was compared against, as (kind, text) with kind ``run``, ``note`` or ``environment``."""
    base = v.baseline
    if not base:
        return []
    notes = [("run", f"{base.spec}: run {base.run_id} ({base.started_at})")] if base.run_id else []
    if base.note:
        notes.append(("note", base.note))
    return notes + [("environment", d) for d in base.environment_differences]


@dataclass(frozen=True)
class ReportData:
    """A judged run, the runs its answer covers, the answer, and (when asked for) the store's history."""

    main: RunView | None  # None: the store's history alone (bigday dashboard)
    answer: Answer
    linked: tuple[RunView, ...] = ()
    history: History | None = None
    tenant: str | None = None
    tenant_names: dict[str, str] | None = None  # every tenant id -> name, to keep other tenants out of a view

    # The fields most reports read, under the names they always had.
    @property
    def run(self) -> RunView:
        if self.main is None:
            raise ConfigError("this report holds the store's history only, no run")
        return self.main

    @property
    def run_dir(self) -> Path:
        return self.run.folder

    @property
    def manifest(self) -> Manifest:
        return self.run.manifest

    @property
    def verdicts(self) -> Verdicts:
        assert self.run.verdicts is not None
        return self.run.verdicts

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return self.main.alerts if self.main else ()

    @property
    def samples(self) -> tuple[ProbeSample, ...]:
        return self.main.samples if self.main else ()

    @property
    def run_id(self) -> str:
        if self.main is None:
            return "history"
        return self.verdicts.run_id or self.manifest.run_id

    def page_tenants(self) -> dict[str, str | None]:
        return {
            **(self.history.page_tenants if self.history else {}),
            **(self.main.page_tenants() if self.main else {}),
        }

    def runs(self) -> tuple[RunView, ...]:
        return ((self.main,) if self.main else ()) + self.linked

    def recommendations(self) -> list[Recommendation]:
        """The findings of every probe run this report covers, in a tenant's view only its pages'."""
        out = []
        for view in self.runs():
            tenants = view.page_tenants()
            out += [r for r in view.recommendations if self.tenant is None or self.in_view(r.page, tenants)]
        return out

    def run_in(self, role: RunRole) -> RunView | None:
        return next((r for r in self.runs() if r.role == role), None)

    def checks(self) -> list[Check]:
        """The main run's checks, failures first (in a tenant's view, that tenant's only)."""
        tenants = self.page_tenants()
        return sorted(
            (c for c in self.verdicts.checks if self.in_view(c.page, tenants)),
            key=lambda c: (STATUS_ORDER[c.status], c.page, c.metric, c.kind),
        )

    def in_view(self, page: str, tenants: dict[str, str | None]) -> bool:
        if self.tenant is None:
            return True
        if page.startswith("tenant:"):
            return page == f"tenant:{self.tenant}"
        return tenants.get(page) == self.tenant

    def for_tenant(self, tenant: str, names: dict[str, str]) -> ReportData:
        """This report as one tenant sees it: the answer recomputed over that tenant's checks only."""
        if tenant not in names:
            raise ConfigError(f"--tenant {tenant!r}: not a tenant of this run's scenario; known: {', '.join(names)}")
        if self.main is None:
            answer = alerts_answer(self.history.alerts if self.history else (), self.page_tenants(), tenant)
        else:
            answer = decide([j for r in self.runs() if (j := r.judged()) is not None], tenant=tenant)
        return replace(self, answer=answer, tenant=tenant, tenant_names=names)


def _linked_views(main: RunView, answer: Answer | None) -> tuple[RunView, ...]:
    if answer is None:
        return ()
    out = []
    for link in answer.runs:
        if link.run_id == main.run_id:
            continue
        sibling = main.folder.parent / link.run_id
        if not (sibling / RunFile.MANIFEST).is_file():
            continue  # moved away or pruned: the answer still names it, its sections are left out
        out.append(read_run_view(sibling, link.role, need_verdicts=False))
    return tuple(out)


def load_report(run_dir: str | Path, history: History | None = None) -> ReportData:
    """A run folder's report data; the answer is the folder's ``answer.json`` when ``bigday run`` wrote one,
    else it is computed from this run's own verdicts."""
    main = read_run_view(run_dir)
    stored = read_answer(RunFolder(main.folder))
    linked = _linked_views(main, stored)
    judged = main.judged()
    assert judged is not None
    answer = stored or decide([judged])
    return ReportData(main, answer, linked, history)


def report_of_runs(
    main_dir: str | Path, linked: list[tuple[Path, RunRole]], history: History | None = None
) -> ReportData:
    """The report of a ``bigday run``: its probe run folder, the other run folders it made, and the answer over
    all of them (which the caller writes to ``answer.json``)."""
    main = read_run_view(main_dir, "probe")
    views = tuple(read_run_view(path, role, need_verdicts=False) for path, role in linked)
    judged = [j for v in (main, *views) if (j := v.judged()) is not None]
    return ReportData(main, decide(judged), views, history)


SERIOUS = ("high", "critical")


def alerts_answer(alerts: tuple[StoredAlert, ...], page_tenants: dict[str, str | None], tenant: str | None) -> Answer:
    """The history's answer: NO-GO while an alert of severity high or critical is open (on the tenant's
    pages, in a tenant's view), else GO; the open alerts are its reasons, the serious ones first."""
    mine = [a for a in alerts if tenant is None or page_tenants.get(a.page) == tenant or a.page == f"tenant:{tenant}"]
    mine.sort(key=lambda a: (-SEVERITIES.index(a.severity) if a.severity in SEVERITIES else 0, a.page, a.metric))
    serious = [a for a in mine if a.severity in SERIOUS]
    reasons = tuple(
        Reason(
            rank=i + 1,
            status=Status.FAIL if a.severity in SERIOUS else Status.WARN,
            kind=a.type,
            subject=a.page,
            metric=a.metric,
            text=f"open {a.severity} {a.type} alert #{a.id} on {a.page} {a.metric}: "
            f"{format_value(a.metric, a.actual)} against {format_value(a.metric, a.threshold)}"
            + (f", acknowledged by {a.acknowledged_by}" if a.acknowledged_by else "")
            + f", seen {a.occurrences}×",
            against="threshold" if a.type == "threshold_breach" else "baseline" if a.type == "regression" else "run",
            actual=a.actual,
            bound=a.threshold,
            run_id=a.run_id or "",
        )
        for i, a in enumerate(mine)
    )
    if serious:
        decision = Decision.NO_GO
        headline = f"NO-GO: {len(serious)} open alert(s) of severity high or critical: {reasons[0].text}"
    else:
        decision = Decision.GO
        headline = "GO: no open alert of severity high or critical" + (f" ({len(mine)} lower open)" if mine else "")
    return Answer(
        decision=decision,
        headline=headline,
        reasons=reasons,
        runs=(),
        checks=len(mine),
        decided_at=utc_now(),
        tenant=tenant,
    )


def history_report(history: History) -> ReportData:
    """The dashboard of the store's history: trends, change points, open alerts, the latest runs."""
    return ReportData(None, alerts_answer(history.alerts, history.page_tenants, None), (), history)


def impact_text(r: Recommendation) -> str:
    """What a finding would save, as a person reads it: "120.0 KB, 340 ms", or "" when it has no figure."""
    parts = []
    if r.impact_bytes:
        parts.append(f"{r.impact_bytes / 1000:.1f} KB")
    if r.impact_ms:
        parts.append(f"{r.impact_ms:.0f} ms")
    return ", ".join(parts)


def seen_text(r: Recommendation) -> str:
    return f"in {r.runs} of {r.of_runs} {'warm ' if r.warm else ''}run{'s' if r.of_runs != 1 else ''}"
