"""Synthetic monitor histories written straight into a store: checks, their probe runs and samples, daily
trends and a few alerts, with known numbers. For tests and benchmarks that need days of monitoring without
days of waiting (``benchmarks/serve_dashboard.py`` builds a store of a million samples this way)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bigday import __version__
from bigday.monitor.check import OK, RUN_KIND, UNAVAILABLE
from bigday.probe.results import SAMPLE_METRICS
from bigday.settings.scenario import Scenario
from bigday.store import schema
from bigday.store.engine import Store
from bigday.store.trends import rebuild_trends

# Typical values of a healthy page on the reference target (desktop, loopback), and the noise around them.
TYPICAL = {
    "lcp": 600.0,
    "inp": 60.0,
    "cls": 0.01,
    "fcp": 450.0,
    "ttfb": 20.0,
    "fid": 5.0,
    "tbt": 10.0,
    "si": 500.0,
    "page_load": 700.0,
    "js_bytes": 454_141.0,
    "js_heap_used": 4_000_000.0,
    "performance_score": 99.0,
    "accessibility_score": 100.0,
}
NOISE = 0.12  # log-normal sigma of the timings


@dataclass(frozen=True)
class HistorySpec:
    """What to write: pages, span, spacing, and the share of checks that did not load."""

    start: datetime
    days: float
    every_s: float
    pages: tuple[str, ...] = ()  # empty: every page of the scenario
    unavailable_share: float = 0.005
    scale: dict[str, float] | None = None  # page -> factor on its timings (a slow studio, say)
    location: str = "synthetic"
    seed: int = 7
    chunk: int = 20_000


def _judge(scenario: Scenario, page: str, metrics: dict[str, float]) -> tuple[list[dict[str, object]], bool]:
    """The thresholds a one-run check breaches: the aggregate of one value is the value, so each threshold is
    its own bound against it (what bigday.monitor.check.judge_values finds, without building Check records
    a million times)."""
    breaches: list[dict[str, object]] = []
    for t in scenario.thresholds:
        value = metrics.get(t.metric)
        if value is not None and t.applies_to(page) and t.breached_by(value):
            breaches.append(
                {
                    "metric": t.metric,
                    "source": "scenario",
                    "aggregate": t.aggregate,
                    "bound": t.bound,
                    "actual": value,
                    "level": t.level,
                    "severity": "medium" if t.level == "error" else "low",
                    "kind": "threshold",
                }
            )
    return breaches, not breaches


def _metrics(rng: np.random.Generator, factor: float, n: int) -> dict[str, np.ndarray]:
    out = {}
    for m in SAMPLE_METRICS:
        base = TYPICAL[m]
        if m in ("js_bytes", "performance_score", "accessibility_score"):
            out[m] = np.full(n, base)
        elif m == "cls":
            out[m] = np.round(rng.uniform(0, 0.02, n), 4)
        elif m == "js_heap_used":
            out[m] = np.round(base * np.exp(rng.normal(0, 0.02, n)))
        else:
            out[m] = np.round(base * factor * np.exp(rng.normal(0, NOISE, n)), 1)
    return out


def write_history(store: Store, scenario: Scenario, spec: HistorySpec) -> dict[str, int]:
    """Write the history; returns counts of checks and samples written."""
    rng = np.random.default_rng(spec.seed)
    pages = spec.pages or tuple(p.name for p in scenario.pages)
    n = int(spec.days * 86400 / spec.every_s)
    times = [spec.start + timedelta(seconds=i * spec.every_s) for i in range(n)]
    checks_rows: list[dict[str, object]] = []
    runs_rows: list[dict[str, object]] = []
    sample_rows: list[dict[str, object]] = []
    written = {"checks": 0, "samples": 0}
    c, r, s = schema.checks, schema.runs, schema.samples

    def flush(final: bool = False) -> None:
        if not (final or len(sample_rows) >= spec.chunk):
            return
        with store.begin("writing a synthetic history") as conn:
            if runs_rows:
                conn.execute(r.insert(), runs_rows)
            if checks_rows:
                conn.execute(c.insert(), checks_rows)
            for i in range(0, len(sample_rows), 5000):
                conn.execute(s.insert(), sample_rows[i : i + 5000])
        written["checks"] += len(checks_rows)
        written["samples"] += len(sample_rows)
        runs_rows.clear()
        checks_rows.clear()
        sample_rows.clear()

    for page in pages:
        info = scenario.page(page)
        tenant = info.tenant or scenario.default_tenant.id
        factor = (spec.scale or {}).get(page, 1.0)
        values = _metrics(rng, factor, n)
        down = rng.random(n) < spec.unavailable_share
        for i, at in enumerate(times):
            run_id = f"syn-{spec.location}-{page}-{i}"
            status = UNAVAILABLE if down[i] else OK
            metrics = {m: float(values[m][i]) for m in SAMPLE_METRICS} if status == OK else {}
            breaches, within = _judge(scenario, page, metrics) if metrics else ([], None)
            runs_rows.append(_run_row(run_id, at, len(metrics)))
            checks_rows.append(
                {
                    "page": page,
                    "location": spec.location,
                    "tenant": tenant,
                    "slot_at": at,
                    "due_at": at,
                    "claimed_by": "synthetic",
                    "claimed_at": at,
                    "started_at": at,
                    "finished_at": at + timedelta(seconds=2),
                    "status": status,
                    "error": None if status == OK else f"HTTP 503 for /{page}",
                    "run_id": run_id,
                    "within_thresholds": within,
                    "breaches": json.dumps(breaches),
                    "metrics": json.dumps(metrics),
                    "maintenance": False,
                    "attempts": 1,
                    "duration_s": 2.0,
                }
            )
            for m, v in metrics.items():
                sample_rows.append(
                    {
                        "run_id": run_id,
                        "page": page,
                        "metric": m,
                        "value": v,
                        "day": at.date(),
                        "recorded_at": at,
                        "run_index": 0,
                        "warm": False,
                        "tenant": tenant,
                        "device": "desktop",
                        "profile": "desktop",
                        "connection": "none",
                        "browser": "chromium",
                    }
                )
            flush()
    flush(final=True)
    with store.begin("rebuilding trends") as conn:
        rebuild_trends(conn)
    return written


def _run_row(run_id: str, at: datetime, samples: int) -> dict[str, object]:
    return {
        "run_id": run_id,
        "kind": RUN_KIND,
        "status": "ok",
        "complete": True,
        "started_at": at,
        "finished_at": at + timedelta(seconds=2),
        "scenario_name": "synthetic",
        "scenario_sha256": "0" * 64,
        "harness_version": __version__,
        "browser": "chromium",
        "browser_version": "156.0.0.0",
        "web_vitals_version": "6.2.3",
        "profile": "desktop",
        "cpu_count": 2,
        "platform": "Linux",
        "app_git_sha": None,
        "app_git_branch": None,
        "base_url": "http://127.0.0.1:1",
        "ingested_at": at,
        "sample_count": samples,
    }
