"""Loading a run folder into the store: the folder is read and validated first (bigday.runfolder), then
written in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from bigday.errors import StoreError
from bigday.runfolder import Manifest, RunContents, measurements, read_run_contents, utc_now
from bigday.store import schema
from bigday.store.engine import Store
from bigday.store.trends import rebuild_trends

INSERT_CHUNK = 5000


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did."""

    run_id: str
    kind: str
    samples: int
    already_stored: bool


def run_row(manifest: Manifest) -> dict[str, Any]:
    """The ``runs`` row of a run."""
    env, app, scenario = manifest.environment, manifest.app, manifest.scenario
    return {
        "run_id": manifest.run_id,
        "kind": manifest.kind.value,
        "status": manifest.status,
        "complete": manifest.complete,
        "started_at": manifest.started_at,
        "finished_at": manifest.finished_at,
        "scenario_name": scenario.name,
        "scenario_sha256": scenario.sha256,
        "harness_version": env.harness_version,
        "browser": env.browser,
        "browser_version": env.browser_version,
        "web_vitals_version": env.web_vitals_version,
        "profile": env.profile,
        "cpu_count": env.cpu_count,
        "platform": env.platform,
        "app_git_sha": app.git_sha,
        "app_git_branch": app.git_branch,
        "base_url": app.base_url,
    }


def sample_rows(contents: RunContents) -> list[dict[str, Any]]:
    """One ``samples`` row per measurement of the run (bigday.runfolder.measurements)."""
    run_id = contents.run_id
    return [m._asdict() | {"run_id": run_id, "day": m.recorded_at.date()} for m in measurements(contents)]


# The run row carries its findings under this key to write_run, which stores them in their own table.
FINDINGS = "recommendations"


def recommendation_rows(contents: RunContents) -> list[dict[str, Any]]:
    """One ``recommendations`` row per finding of a probe run."""
    return [
        {
            "run_id": contents.run_id,
            "finding": r.id,
            **{k: v for k, v in r.to_json().items() if k != "id"},
        }
        for r in contents.recommendations
    ]


def rows_of(contents: RunContents) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run row (with its findings under ``FINDINGS``) and sample rows of a run folder already read."""
    return {**run_row(contents.manifest), FINDINGS: recommendation_rows(contents)}, sample_rows(contents)


def read_run(run_dir: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate a run folder and return its run row and sample rows; nothing is written."""
    return rows_of(read_run_contents(run_dir))


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def write_run(conn: Connection, run: dict[str, Any], rows: list[dict[str, Any]], trends: bool = True) -> None:
    """Insert a run, its samples and (unless ``trends`` is False) the daily trends they touch, inside the caller's
    transaction. The monitor stores a check every few seconds and rebuilds the day's trends on its own clock."""
    row = {k: v for k, v in run.items() if k != FINDINGS}
    conn.execute(schema.runs.insert().values(**row, ingested_at=utc_now(), sample_count=len(rows)))
    for chunk in _chunks(rows, INSERT_CHUNK):
        conn.execute(schema.samples.insert(), chunk)
    if run.get(FINDINGS):
        conn.execute(schema.recommendations.insert(), run[FINDINGS])
    days: set[date] = {r["day"] for r in rows}
    if days and trends:
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
