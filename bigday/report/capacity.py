"""The report of a capacity search (``bigday load capacity``): its answer, a chart of the plateau's p95 and
errors against the load level, and every step, in the dashboard, Markdown, JSON and the terminal.

A search is the whole app's: its steps judge the plateau over every tenant, so it has no tenant's view (each
step is a Saturday run folder of its own, reportable per tenant). It has no checks a JUnit gate could list
either: its answer is a level, not a pass.
"""

from __future__ import annotations

import json
from typing import Any

from bigday.errors import ConfigError
from bigday.report.markdown import md
from bigday.runfolder import (
    CapacityResult,
    CapacityStep,
    Manifest,
    RunFile,
    RunFolder,
    Status,
    read_capacity,
    read_manifest,
)

CAPACITY_FORMATS = ("terminal", "md", "json", "html")
TONE = {Status.PASS: "go", Status.FAIL: "nogo", Status.INCONCLUSIVE: "inconclusive"}


def is_capacity_search(folder: RunFolder) -> bool:
    return folder.has(RunFile.MANIFEST) and read_manifest(folder).rehearsal == "capacity"


def _level(s: CapacityStep) -> float:
    return float(s.users if s.arrival_rate is None else s.arrival_rate)


def _steps_by_level(cap: CapacityResult) -> list[CapacityStep]:
    return sorted(cap.steps, key=_level)


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 3)


def capacity_payload(folder: RunFolder, manifest: Manifest, cap: CapacityResult) -> dict[str, Any]:
    """The dashboard's document for a search: the sections every dashboard has (empty here), its answer, its
    environment, and a ``capacity`` section the chart and table are drawn from."""
    by_rate = cap.by == "arrival_rate"
    held = cap.holds_rate if by_rate else cap.holds_users
    broke = cap.breaks_rate if by_rate else cap.breaks_users
    env: list[list[Any]] = [["run", manifest.run_id], ["started", manifest.started_at.isoformat(timespec="seconds")]]
    if manifest.finished_at:
        env.append(["finished", manifest.finished_at.isoformat(timespec="seconds")])
    env += [[k, v] for k, v in manifest.environment.to_json().items() if isinstance(v, (str, int, float))]
    env += [["scenario", manifest.scenario.name], ["search took", f"{cap.elapsed_s:,.0f} s"]]
    return {
        "format": 1,
        "title": f"bigday capacity search {manifest.run_id}",
        "tenant": None,
        "answer": {
            "decision": cap.status.value.upper(),
            "tone": TONE[cap.status],
            "headline": cap.reason,
            "checks": None,
            "reasons": [],
        },
        "pages": [],
        "under_load": None,
        "load": [],
        "isolation": None,
        "trends": None,
        "alerts": None,
        "recommendations": [],
        "environment": env,
        "history_runs": [],
        "notes": [],
        "capacity": {
            "by": cap.by,
            "unit": "tasks/s" if by_rate else "users",
            "p95_sla_ms": cap.p95_sla_ms,
            "max_error_pct": round(100 * cap.max_error_rate, 3),
            "holds": held,
            "breaks": broke,
            "stopped": cap.stopped_because or "bracket narrowed",
            # level, users, status, plateau p95, p99 (ms), errors (%), rps, run id, the first run's id of a
            # level measured twice (errors are then over both), the run id a re-measure of a held level
            # re-measures; in the order of the levels
            "steps": [
                [
                    _level(s),
                    s.users,
                    s.status.value,
                    s.p95_ms,
                    s.p99_ms,
                    _pct(s.error_rate),
                    s.rps,
                    s.run_id,
                    s.confirms,
                    s.rechecks,
                ]
                for s in _steps_by_level(cap)
            ],
            "order": [s.run_id for s in cap.steps],  # the order the search tried them
        },
    }


def render_capacity_dashboard(folder: RunFolder) -> str:
    from bigday.report.dashboard import page_html  # the one page shell every dashboard uses

    manifest, cap = read_manifest(folder), read_capacity(folder)
    title = f"bigday capacity {cap.status.value.upper()} · {manifest.run_id}"
    return page_html(capacity_payload(folder, manifest, cap), title)


def _rows(cap: CapacityResult) -> list[list[str]]:
    rows = []
    for i, s in enumerate(cap.steps, 1):
        rows.append(
            [
                str(i),
                s.level_text() + ("" if s.arrival_rate is None else f" ({s.users:,} users)"),
                s.status.value.upper() + (" (measured twice)" if s.confirms else "") + _recheck(s),
                "-" if s.p95_ms is None else f"{s.p95_ms:,.0f} ms",
                "-" if s.p99_ms is None else f"{s.p99_ms:,.0f} ms",
                "-" if s.error_rate is None else f"{100 * s.error_rate:.2f}%",
                "-" if s.rps is None else f"{s.rps:,.1f}",
                s.run_id,
            ]
        )
    return rows


def _recheck(s: CapacityStep) -> str:
    return f" (re-measure of {s.rechecks})" if s.rechecks else ""


HEADERS = ["step", "level", "plateau", "p95", "p99", "errors", "requests/s", "run"]


def render_capacity_markdown(folder: RunFolder) -> str:
    manifest, cap = read_manifest(folder), read_capacity(folder)
    lines = [
        f"## bigday capacity search: {cap.status.value.upper()}",
        "",
        md(cap.reason),
        "",
        f"Run {md(manifest.run_id)}; stopped: {md(cap.stopped_because or 'bracket narrowed')}; "
        f"{cap.elapsed_s:,.0f} s. Each step is a Saturday rehearsal of its own (its run folder named below).",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in _rows(cap)]
    return "\n".join(lines) + "\n"


def render_capacity_terminal(folder: RunFolder) -> str:
    cap = read_capacity(folder)
    out = [f"capacity search: {cap.status.value.upper()}: {cap.reason}"]
    out += ["  " + "  ".join(row) for row in _rows(cap)]
    return "\n".join(out) + "\n"


def render_capacity(folder: RunFolder, fmt: str, tenant: str | None) -> str:
    if tenant is not None:
        raise ConfigError(
            f"--tenant: {folder.path} is a capacity search, judged over every tenant; report one of its steps' "
            "run folders with --tenant for a studio's view"
        )
    if fmt not in CAPACITY_FORMATS:
        raise ConfigError(
            f"--format {fmt}: a capacity search's answer is a level, not checks to gate on; expected one of "
            f"{', '.join(CAPACITY_FORMATS)}"
        )
    if fmt == "html":
        return render_capacity_dashboard(folder)
    if fmt == "md":
        return render_capacity_markdown(folder)
    if fmt == "json":
        return json.dumps(read_capacity(folder).to_json(), indent=2) + "\n"
    return render_capacity_terminal(folder)
