"""Choosing a baseline run: by name, by branch (latest passing run), by age (nearest to N days ago), or by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from bigday.errors import ConfigError
from bigday.runfolder import BaselineInfo, Manifest
from bigday.settings.scenario import parse_duration_ms
from bigday.store import repo
from bigday.store.repo import StoredRun

DEFAULT_BASELINE = "branch:main"
# What must match for a comparison without a caveat (DESIGN §1).
COMPARED_ENVIRONMENT = ("browser", "browser_version", "web_vitals_version", "profile", "cpu_count")


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def environment_differences(current: dict[str, Any], baseline: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for key in COMPARED_ENVIRONMENT:
        a, b = current.get(key), baseline.get(key)
        if a is not None and b is not None and str(a) != str(b):
            out.append(f"{key}: {b} (baseline) vs {a} (this run)")
    return tuple(out)


def resolve_baseline(
    conn: Connection, spec: str | None, current: Manifest, explicit: bool
) -> tuple[StoredRun | None, BaselineInfo]:
    """The baseline run for ``spec``; an unknown name is a ConfigError, an empty history only a note."""
    spec = spec or DEFAULT_BASELINE
    run_id, kind, started = current.run_id, current.kind.value, current.started_at
    found: StoredRun | None
    if spec.startswith("branch:"):
        branch = spec.removeprefix("branch:")
        if not branch:
            raise ConfigError(f"--baseline {spec!r}: expected branch:NAME, e.g. branch:main")
        found = repo.latest_passing_on_branch(conn, branch, kind, started, run_id)
        missing = f"no passing {kind} run on branch {branch!r} before this one"
    elif spec.startswith("age:"):
        raw = spec.removeprefix("age:")
        try:
            age = timedelta(milliseconds=parse_duration_ms(raw, default_unit="d"))
        except ValueError as e:
            raise ConfigError(f"--baseline {spec!r}: expected age:DURATION like age:7d ({e})") from None
        found = repo.nearest_to(conn, started - age, kind, run_id)
        missing = f"no complete {kind} run in the store to compare with"
    elif spec.startswith("run:"):
        found = repo.get_run(conn, spec.removeprefix("run:"))
        if found is None:
            raise ConfigError(f"--baseline {spec!r}: no such run in the store; ingest it first")
        missing = ""
    else:
        base_id = repo.get_baseline(conn, spec)
        if base_id is None:
            raise ConfigError(f"--baseline {spec!r}: unknown baseline name; see 'bigday baseline list'")
        found = repo.get_run(conn, base_id)
        missing = f"baseline {spec!r} points at run {base_id}, which is no longer stored"
    if found is None:
        return None, BaselineInfo(spec, None, note=missing + ("" if explicit else "; baseline comparison skipped"))
    if found.run_id == run_id:
        return None, BaselineInfo(spec, None, note="the baseline is this run itself; baseline comparison skipped")
    environment = {key: getattr(current.environment, key) for key in COMPARED_ENVIRONMENT}
    diffs = environment_differences(environment, found.environment)
    note = (
        "baseline recorded in a different environment: regressions are reported as warnings, not failures"
        if diffs
        else ""
    )
    return found, BaselineInfo(spec, found.run_id, _aware(found.started_at).isoformat(), diffs, note)
