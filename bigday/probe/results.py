"""Typed results of the probe: one page run's vitals, the run record, and its sample form (docs/run-folder.md)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from bigday.runfolder import Engine, ProbeSample

# The metrics every sample carries, in the order of docs/run-folder.md; units are those of bigday/metrics.py.
SAMPLE_METRICS: tuple[str, ...] = (
    "lcp",
    "inp",
    "cls",
    "fcp",
    "ttfb",
    "fid",
    "tbt",
    "si",
    "page_load",
    "js_bytes",
    "js_heap_used",
    "performance_score",
    "accessibility_score",
)


@dataclass(frozen=True)
class Vitals:
    """One page run's metrics; ``None`` means not measured (INP and FID without an interaction), never 0."""

    lcp: float | None = None
    inp: float | None = None
    cls: float | None = None
    fcp: float | None = None
    ttfb: float | None = None
    fid: float | None = None
    tbt: float | None = None
    si: float | None = None
    page_load: float | None = None
    js_bytes: float | None = None
    js_heap_used: float | None = None
    performance_score: float | None = None
    accessibility_score: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def get(self, metric: str) -> float | None:
        if metric not in SAMPLE_METRICS:
            raise KeyError(f"unknown probe metric {metric!r}; known: {', '.join(SAMPLE_METRICS)}")
        value: float | None = getattr(self, metric)
        return value


@dataclass(frozen=True)
class PageTarget:
    """What one page run measures: a page of the scenario at a URL, as a tenant, with its interaction."""

    page: str
    path: str
    url: str
    tenant: str | None
    interaction: tuple[Any, ...] = ()  # bigday.settings.scenario.InteractionStep
    settle_min_ms: float | None = None  # the page's own settle bounds (scenario settle_min / settle_max)
    settle_max_ms: float | None = None


@dataclass(frozen=True)
class PageRun:
    """One run of one page: its vitals and details, or the reason it failed."""

    target: PageTarget
    run_index: int
    warm: bool
    profile: str
    device: str
    connection: str
    browser_version: str
    attempt: int
    started_at: str
    ok: bool
    error: str | None = None
    vitals: Vitals = field(default_factory=Vitals)
    details: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    # The frames painted during the load, kept only when a filmstrip was asked for (never in samples.json).
    frames: tuple[Any, ...] = field(default=(), repr=False)  # bigday.probe.speedindex.Frame
    engine: Engine = "bigday"

    def to_sample(self) -> ProbeSample:
        """The sample record of docs/run-folder.md."""
        return ProbeSample(
            page=self.target.page,
            path=self.target.path,
            url=self.target.url,
            tenant=self.target.tenant,
            run_index=self.run_index,
            warm=self.warm,
            profile=self.profile,
            device=self.device,
            connection=self.connection,
            browser="chromium",
            browser_version=self.browser_version,
            ok=self.ok,
            error=self.error,
            attempt=self.attempt,
            started_at=datetime.fromisoformat(self.started_at),
            duration_s=round(self.duration_s, 3),
            metrics=self.vitals.as_dict(),
            details=self.details,
            engine=self.engine,
        )
