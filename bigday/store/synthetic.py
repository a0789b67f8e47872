"""Synthetic run folders in the documented format (docs/run-folder.md), for tests and benchmarks.

Real probe runs come from ``bigday.probe``; these let the store and comparator be exercised on
controlled numbers (known medians, known steps) without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bigday import __version__
from bigday.runfolder import (
    App,
    Engine,
    Environment,
    Manifest,
    ProbeSample,
    ProbeSamples,
    RunFolder,
    RunKind,
    ScenarioRef,
    utc_now,
    write_manifest,
    write_probe_samples,
)

DEFAULT_ENVIRONMENT: dict[str, Any] = {
    "harness_version": __version__,
    "python": "3.11.7",
    "platform": "Linux",
    "cpu_count": 2,
    "browser": "chromium",
    "browser_version": "156.0.0.0",
    "web_vitals_version": "6.2.3",
    "profile": "desktop",
}


def write_probe_run(
    results_dir: Path,
    pages: Mapping[str, Mapping[str, Sequence[float | None]]],
    *,
    started_at: datetime | None = None,
    run_id: str | None = None,
    branch: str | None = "main",
    sha: str | None = "abc123",
    environment: Mapping[str, Any] | None = None,
    details: Mapping[str, Mapping[str, Any]] | None = None,
    tenant: str = "everafter",
    complete: bool = True,
    engines: Mapping[str, Engine] | None = None,
) -> Path:
    """A probe run folder whose page ``p`` run ``i`` measured ``pages[p][metric][i]`` (``engines[p]``: who
    measured page ``p``, bigday by default)."""
    started = started_at or utc_now()
    folder = RunFolder.create(
        "probe", results_dir, run_id=run_id or f"{started.strftime('%Y%m%dT%H%M%S%fZ')}-probe-syn"
    )
    env: dict[str, Any] = dict(DEFAULT_ENVIRONMENT) | dict(environment or {})
    samples = []
    for page, metrics in pages.items():
        n = max(len(v) for v in metrics.values())
        for i in range(n):
            samples.append(
                ProbeSample(
                    page=page,
                    path=f"/{page}",
                    tenant=tenant,
                    run_index=i,
                    warm=i > 0,
                    profile=env["profile"],
                    device=env["profile"],
                    connection="none",
                    browser="chromium",
                    browser_version=env["browser_version"],
                    ok=True,
                    error=None,
                    attempt=1,
                    started_at=started + timedelta(seconds=i),
                    metrics={m: (v[i] if i < len(v) else None) for m, v in metrics.items()},
                    details=dict((details or {}).get(page, {})),
                    engine=(engines or {}).get(page, "bigday"),
                )
            )
    write_probe_samples(folder, ProbeSamples(tuple(samples)))
    write_manifest(
        folder,
        Manifest(
            run_id=folder.run_id,
            kind=RunKind.PROBE,
            started_at=started,
            finished_at=started + timedelta(minutes=1),
            complete=complete,
            status="ok" if complete else "incomplete",
            scenario=ScenarioRef("wedsync", "scenarios/wedsync.yaml", "0" * 64),
            environment=Environment(**env),
            app=App(base_url="http://127.0.0.1:1", embedded_target=True, git_sha=sha, git_branch=branch),
        ),
    )
    return folder.path
