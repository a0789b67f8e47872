"""The HTML dashboard: one self-contained file (ECharts, styles, script and data inline; no request leaves it).

Python gathers what the dashboard shows into one JSON document (``dashboard_payload``); ``dashboard.js`` turns
it into sections and charts with the DOM API (text is always set as text, never parsed as markup).  A
section exists only when it has data.  A tenant's view holds that tenant's data only: its pages, its own
load figures, and no other tenant's id, name, numbers or URLs.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bigday import stats
from bigday.metrics import METRICS, Unit, format_change, format_number, format_value, unit_of
from bigday.report.answer import isolation_sentence
from bigday.report.data import ReportData, RunView, alert_cells, impact_text, seen_text
from bigday.report.history import History, MaintenanceMark
from bigday.report.markdown import check_detail
from bigday.runfolder import (
    Answer,
    Check,
    CheckKind,
    IsolationVerdict,
    LoadHistograms,
    ProbeSample,
    RunFile,
    SpikeVerdict,
    Status,
    WindowHistogram,
)
from bigday.settings.assets import read_asset
from bigday.settings.scenario import Scenario
from bigday.stats.histogram import merged

ECHARTS = Path("echarts/dist/echarts.min.js")
DASHBOARD_FORMAT = 1
# Metrics in the per-page table, in this order; the distribution chart draws the millisecond ones.
TABLE_METRICS = (
    "lcp",
    "fcp",
    "si",
    "ttfb",
    "inp",
    "tbt",
    "fid",
    "page_load",
    "cls",
    "js_bytes",
    "js_heap_used",
    "performance_score",
    "accessibility_score",
)
TIMING_METRICS = ("lcp", "fcp", "si", "ttfb", "inp", "tbt", "fid", "page_load")
FILMSTRIP_FRAMES = 10  # at most this many frames of a median run are embedded, the first and last among them
TREND_METRICS = ("lcp", "inp", "cls", "fcp", "ttfb", "tbt", "page_load")
UNDER_LOAD_METRICS = ("lcp", "fcp", "ttfb", "inp", "tbt", "page_load", "cls")
TIMELINE_POINTS = 200  # buckets of the per-tenant p95 over time


def _package_text(name: str) -> str:
    return (resources.files("bigday.report") / name).read_text(encoding="utf-8")


def _unit_label(metric: str) -> str:
    unit = unit_of(metric)
    return {Unit.MS: "ms", Unit.BYTES: "bytes", Unit.SCORE: "score", Unit.RATIO: "share"}.get(unit, "")  # type: ignore[arg-type]


def _round(v: float | None, digits: int = 4) -> float | None:
    return None if v is None else float(f"{v:.{digits}g}")


# ---------------------------------------------------------------- sections


def _answer(answer: Answer) -> dict[str, Any]:
    return {
        "decision": answer.decision.label,
        "headline": answer.headline,
        "checks": answer.checks,
        "reasons": [
            {
                "rank": r.rank,
                "status": r.status.value,
                "subject": r.subject,
                "metric": r.metric,
                "text": r.text,
                "against": r.against,
                "excess": r.excess,
            }
            for r in answer.reasons
        ],
    }


def _threshold_checks(checks: Iterable[Check]) -> dict[tuple[str, str], Check]:
    out: dict[tuple[str, str], Check] = {}
    for c in checks:
        if c.kind in (CheckKind.THRESHOLD, CheckKind.BUDGET) and c.bound is not None and c.status is not Status.SKIPPED:
            key = (c.page, c.metric)
            if key not in out or c.status is Status.FAIL:
                out[key] = c
    return out


def _values(samples: Sequence[ProbeSample], page: str, metric: str) -> list[tuple[int, float]]:
    return [
        (s.run_index, float(v))
        for s in samples
        if s.page == page and s.ok and not s.warm and (v := s.metrics.get(metric)) is not None
    ]


def _median_run(samples: Sequence[ProbeSample], page: str) -> ProbeSample | None:
    ok = [s for s in samples if s.page == page and s.ok and not s.warm and s.metrics.get("lcp") is not None]
    if not ok:
        return None
    mid = stats.median(np.array([float(s.metrics["lcp"] or 0.0) for s in ok]))
    return min(ok, key=lambda s: (abs(float(s.metrics["lcp"] or 0.0) - mid), s.run_index))


def _median_run_details(s: ProbeSample) -> dict[str, Any]:
    d = s.details
    attribution = d.get("attribution") or {}
    lcp = attribution.get("lcp") or {}
    cls = attribution.get("cls") or {}
    resources_ = d.get("resources") or {}
    out: dict[str, Any] = {"run_index": s.run_index, "lcp_ms": s.metrics.get("lcp"), "cls": s.metrics.get("cls")}
    if lcp.get("element") or lcp.get("url"):
        out["lcp"] = {
            "element": lcp.get("element"),
            "tag": lcp.get("tag"),
            "url": _path_only(lcp.get("url")),
            "size": lcp.get("size"),
            "phases": [
                [name, lcp.get(key)]
                for name, key in (
                    ("time to first byte", "time_to_first_byte"),
                    ("resource load delay", "resource_load_delay"),
                    ("resource load duration", "resource_load_duration"),
                    ("element render delay", "element_render_delay"),
                )
                if isinstance(lcp.get(key), (int, float))
            ],
        }
    if cls.get("largest_shift_value"):
        out["shift"] = {
            "target": cls.get("largest_shift_target"),
            "value": cls.get("largest_shift_value"),
            "time": cls.get("largest_shift_time"),
            "sources": [src.get("node") for src in cls.get("sources") or [] if isinstance(src, dict)],
        }
    tasks = d.get("long_tasks") or []
    if tasks:
        out["long_tasks"] = [
            {
                "start": t.get("start"),
                "duration": t.get("duration"),
                "blocking": t.get("blocking"),
                "attribution": "; ".join(
                    " ".join(str(a.get(k)) for k in ("name", "container_type", "container_src") if a.get(k))
                    for a in t.get("attribution") or []
                ),
                "scripts": "; ".join(
                    f"{sc.get('invoker') or ''} {_path_only(sc.get('source_url')) or ''} "
                    f"{sc.get('function') or ''} ({format_number(float(sc.get('duration') or 0))} ms)".strip()
                    for sc in t.get("scripts") or []
                ),
            }
            for t in tasks
        ]
    rows = resources_.get("waterfall") or []
    if rows:
        out["waterfall"] = [
            {
                "url": r.get("url"),
                "type": r.get("type"),
                "start": r.get("start"),
                "duration": r.get("duration"),
                "bytes": r.get("bytes"),
            }
            for r in rows
        ]
    return out


def _path_only(url: Any) -> str | None:
    """A URL without scheme, host and query: the page's own resources, not where they were served from."""
    if not isinstance(url, str) or not url:
        return None
    m = re.match(r"^[a-z]+://[^/]+(/[^?#]*)", url)
    return m.group(1) if m else url.split("?")[0]


def _primary_engine(samples: Sequence[ProbeSample]) -> str:
    """bigday's own samples when it measured, else Lighthouse's (``probe --engine lighthouse``)."""
    return "bigday" if any(s.engine == "bigday" for s in samples) or not samples else samples[0].engine


def _filmstrip(view: RunView, page: str, engine: str) -> dict[str, Any] | None:
    """The median run's frames as data: URLs (the dashboard fetches nothing), evenly thinned to a few."""
    strip = view.filmstrip
    run = next((r for r in strip.runs if r.page == page and r.engine == engine), None) if strip else None
    if run is None or not run.frames:
        return None
    frames = run.frames
    if len(frames) > FILMSTRIP_FRAMES:
        step = (len(frames) - 1) / (FILMSTRIP_FRAMES - 1)
        frames = tuple(frames[round(i * step)] for i in range(FILMSTRIP_FRAMES))
    return {
        "run_index": run.run_index,
        "speed_index": run.speed_index,
        "frames": [
            {
                "t": f.t_ms,
                "progress": f.progress,
                "src": "data:image/jpeg;base64," + base64.b64encode((view.folder / f.file).read_bytes()).decode(),
            }
            for f in frames
        ],
    }


def _failed_audits(samples: Sequence[ProbeSample], page: str) -> dict[str, Any] | None:
    """The page's last audited run: its accessibility score and failing audits, heaviest first."""
    for s in reversed(samples):
        a11y = s.details.get("accessibility") if s.page == page and s.ok else None
        if a11y:
            return {
                "score": a11y.get("score"),
                "run_index": s.run_index,
                "failed": [
                    {
                        "audit": a.get("audit"),
                        "weight": a.get("weight"),
                        "impact": a.get("impact"),
                        "help": a.get("help"),
                        "nodes": a.get("nodes"),
                        "selectors": list(a.get("selectors") or [])[:3],
                    }
                    for a in a11y.get("failed_audits") or []
                ],
            }
    return None


def _page_section(data: ReportData, run: RunView, page: str, path: str, tenant: str | None) -> dict[str, Any]:
    engine = _primary_engine(run.samples)
    samples = [s for s in run.samples if s.engine == engine]  # one engine's figures, never a mix
    checks = _threshold_checks(run.verdicts.checks if run.verdicts else ())
    baselines = {
        c.metric: c.comparison.baseline
        for c in (run.verdicts.checks if run.verdicts else ())
        if c.page == page and c.kind is CheckKind.REGRESSION and c.comparison and c.comparison.baseline is not None
    }
    table = []
    for metric in TABLE_METRICS:
        vals = [v for _, v in _values(samples, page, metric)]
        if not vals:
            continue
        arr = np.array(vals)
        median, p75, p95 = stats.quantiles(arr, (0.5, 0.75, 0.95))
        c = checks.get((page, metric))
        table.append(
            {
                "metric": metric,
                "label": METRICS[metric].description if metric in METRICS else metric,
                "n": len(vals),
                "median": format_value(metric, median),
                "p75": format_value(metric, p75),
                "p95": format_value(metric, p95),
                "bound": (
                    f"{c.aggregate} {'≥' if metric.endswith('_score') else '≤'} {format_value(metric, c.bound)}"
                    if c
                    else ""
                ),
                "status": c.status.value if c else "",
                "baseline": format_value(metric, baselines[metric]) if metric in baselines else "",
            }
        )
    points, marks, base_marks = [], [], []
    metrics = [m for m in TIMING_METRICS if _values(samples, page, m)]
    for i, metric in enumerate(metrics):
        points += [[i, _round(v), idx + 1] for idx, v in _values(samples, page, metric)]
        c = checks.get((page, metric))
        if c is not None and c.bound is not None:
            marks.append([i, _round(c.bound), c.aggregate or ""])
        if metric in baselines:
            base_marks.append([i, _round(baselines[metric])])
    runs_ok = sum(1 for s in samples if s.page == page and s.ok and not s.warm)
    runs_all = len({s.run_index for s in samples if s.page == page and not s.warm})
    median_run = _median_run(samples, page)
    return {
        "name": page,
        "path": path,
        "tenant": tenant,
        "runs": f"{runs_ok}/{runs_all}",
        "table": table,
        "distribution": {"metrics": metrics, "points": points, "thresholds": marks, "baselines": base_marks},
        "median_run": _median_run_details(median_run) if median_run else None,
        "filmstrip": _filmstrip(run, page, engine),
        "accessibility": _failed_audits(samples, page),
        "engine": engine,
    }


def _pages(data: ReportData) -> list[dict[str, Any]]:
    run = data.run_in("probe")
    if run is None:
        return []
    seen: dict[str, ProbeSample] = {}
    for s in run.samples:
        seen.setdefault(s.page, s)
    return [
        _page_section(data, run, page, s.path, s.tenant)
        for page, s in seen.items()
        if data.tenant is None or s.tenant == data.tenant
    ]


def _tenant_series(view: RunView, tenants: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    """Per tenant, p95 (ms), requests/s and errors/s over the run in up to TIMELINE_POINTS buckets."""
    if view.load_histograms is not None:
        return _histogram_series(view.load_histograms, tenants)
    ls = view.load_samples
    if ls is None or len(ls) == 0:
        return {}
    duration = float(ls.t_s.max()) if len(ls.t_s) else 0.0
    width = max(1.0, float(np.ceil(duration / TIMELINE_POINTS)))
    tenant_of_key = np.array([k[0] for k in ls.keys], dtype=object)
    row_tenant = tenant_of_key[ls.key_index]
    out: dict[str, dict[str, list[Any]]] = {}
    for tenant in tenants:
        mask = row_tenant == tenant
        if not mask.any():
            continue
        t, rt, ok = ls.t_s[mask], ls.response_ms[mask], ls.ok[mask]
        bucket = np.floor(t / width).astype(int)
        series: dict[str, list[Any]] = {"t": [], "p95": [], "rps": [], "errors": []}
        for b in np.unique(bucket):
            sel = bucket == b
            series["t"].append(round(float(b * width + width / 2), 1))
            series["p95"].append(_round(stats.quantiles(rt[sel], (0.95,))[0]))
            series["rps"].append(_round(float(sel.sum()) / width))
            series["errors"].append(_round(float((~ok[sel]).sum()) / width))
        out[tenant] = series
    return out


def _histogram_series(h: LoadHistograms, tenants: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    """The same series from the per-second histograms: each bucket's p95 from its seconds merged exactly."""
    if not h.timeline:
        return {}
    duration = max(w.t_s for w in h.timeline) + h.window_s
    width = max(1.0, float(np.ceil(duration / TIMELINE_POINTS)))
    out: dict[str, dict[str, list[Any]]] = {}
    for tenant in tenants:
        buckets: dict[int, list[WindowHistogram]] = {}
        for w in h.timeline:
            if w.tenant == tenant:
                buckets.setdefault(int(np.floor(max(w.t_s, 0.0) / width)), []).append(w)
        if not buckets:
            continue
        series: dict[str, list[Any]] = {"t": [], "p95": [], "rps": [], "errors": []}
        for b, windows in sorted(buckets.items()):
            hist = merged([w.decoded() for w in windows])
            series["t"].append(round(float(b * width + width / 2), 1))
            series["p95"].append(_round(hist.quantiles((0.95,))[0]) if hist.count else None)
            series["rps"].append(_round(sum(w.count for w in windows) / width))
            series["errors"].append(_round(sum(w.errors for w in windows) / width))
        out[tenant] = series
    return out


def _load_section(data: ReportData, view: RunView, link_base: Path) -> dict[str, Any] | None:
    st = view.load_stats
    if st is None:
        return None
    tenants = sorted({r.tenant for r in st.stats if r.tenant != "*"})
    if data.tenant is not None:
        tenants = [t for t in tenants if t == data.tenant]
    section: dict[str, Any] = {
        "run_id": view.run_id,
        "rehearsal": view.role,
        "phases": [[p.name, p.start_s, p.end_s] for p in st.phases or ()],
        "tenants": _tenant_series(view, tenants),
    }
    if data.tenant is None:
        section["timeline"] = {
            "t": [p.t for p in view.timeline],
            "users": [p.users for p in view.timeline],
            "rps": [p.rps for p in view.timeline],
            "fail_rps": [p.fail_rps or 0.0 for p in view.timeline],
        }
        if view.has_locust_report():
            section["locust_report"] = os.path.relpath(view.folder / RunFile.LOCUST_REPORT, link_base)
    rows = []
    for r in st.stats:
        if r.user_kind == "*" and r.endpoint == "*" and r.tenant in tenants and r.phase != "*":
            rows.append(
                [
                    r.tenant,
                    r.phase,
                    f"{r.count:,}",
                    format_number(r.rps),
                    format_value("latency", r.p95),
                    format_value("latency", r.p99),
                    format_value("error_rate", r.error_rate),
                ]
            )
    section["table"] = rows
    for v in st.verdicts:
        if isinstance(v, SpikeVerdict) and data.tenant is None:
            section["spike"] = {"status": v.status.value, "plateau": list(v.plateau_phases)}
    return section


def _generic(value: Any) -> Any:
    if isinstance(value, dict):
        return "; ".join(f"{k} {_generic(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_generic(v)) for v in value)
    if isinstance(value, float):
        return format_number(value)
    return value


def _isolation(data: ReportData) -> dict[str, Any] | None:
    view = data.run_in("isolation")
    st = view.load_stats if view else None
    verdict = next((v for v in st.verdicts if isinstance(v, IsolationVerdict)), None) if st else None
    if verdict is None or (data.tenant is not None and verdict.victim != data.tenant):
        return None
    show_aggressor = data.tenant is None
    text, against = isolation_sentence(verdict, show_aggressor)
    fields = verdict.to_json()
    hidden = {"name", "kind"} | (
        set()
        if show_aggressor
        else {"aggressor", "aggressor_requests_in_spike", "reasons", "notes", "caveats", "reason", "parts", "looks"}
    )
    phases = []
    for name in ("alone", "spike", "recovery"):
        fig = getattr(verdict, name, None)
        if fig is not None and fig.p95 is not None:
            phases.append([name, _round(fig.p95), fig.n, _round(fig.p99), fig.error_rate])
    alone = verdict.alone.p95 if verdict.alone else None
    return {
        "status": verdict.status.value,
        "trustworthy": verdict.trustworthy,
        "victim": verdict.victim,
        "text": text,
        "against": against,
        "phases": phases,
        "tolerated": _round(alone * verdict.tolerance) if alone and verdict.tolerance else None,
        "min_effect_line": _round(alone + verdict.min_effect_ms) if alone and verdict.min_effect_ms else None,
        "fields": [[k, _generic(v)] for k, v in fields.items() if k not in hidden and v not in (None, (), [], {})],
    }


def _under_load(data: ReportData) -> dict[str, Any] | None:
    rest, loaded = data.run_in("probe"), data.run_in("under_load")
    if rest is None or loaded is None or not loaded.samples:
        return None
    tenants = rest.page_tenants()
    judged = {
        (c.page, c.metric): c
        for c in (loaded.verdicts.checks if loaded.verdicts else ())
        if c.kind is CheckKind.REGRESSION
    }
    pages = []
    for page in dict.fromkeys(s.page for s in loaded.samples):
        if data.tenant is not None and tenants.get(page) != data.tenant:
            continue
        metrics: list[str] = []
        rows: list[list[Any]] = []
        at_rest_pts: list[list[Any]] = []
        loaded_pts: list[list[Any]] = []
        for metric in UNDER_LOAD_METRICS:
            a = [v for _, v in _values(rest.samples, page, metric)]
            b = [v for _, v in _values(loaded.samples, page, metric)]
            if not a or not b:
                continue
            i = len(metrics)
            metrics.append(metric)
            at_rest_pts += [[i, _round(v)] for v in a]
            loaded_pts += [[i, _round(v)] for v in b]
            c = judged.get((page, metric))
            judged_text = check_detail(c) if c else ""
            rows.append(
                [
                    metric,
                    format_value(metric, stats.median(np.array(a))),
                    format_value(metric, stats.median(np.array(b))),
                    judged_text,
                    c.status.value if c else "",
                ]
            )
        if metrics:
            pages.append(
                {"page": page, "metrics": metrics, "at_rest": at_rest_pts, "under_load": loaded_pts, "rows": rows}
            )
    if not pages:
        return None
    note = "; ".join(loaded.verdicts.notes) if loaded.verdicts else ""
    return {"run_id": loaded.run_id, "pages": pages, "note": note}


def _trends(history: History | None, scenario: Scenario | None, tenant: str | None) -> dict[str, Any] | None:
    if history is None or not history.trends:
        return None
    pages_ok = {p for p, t in history.page_tenants.items() if tenant is None or t == tenant}
    by_metric: dict[str, dict[str, dict[str, list[Any]]]] = defaultdict(
        lambda: defaultdict(lambda: {"p75": [], "p95": []})
    )
    for p in history.trends:
        if p.metric in TREND_METRICS and p.page in pages_ok:
            by_metric[p.metric][p.page]["p75"].append([p.day.isoformat(), _round(p.p75)])
            by_metric[p.metric][p.page]["p95"].append([p.day.isoformat(), _round(p.p95)])
    maintenance = _maintenance_marks(history.maintenance, pages_ok, tenant)
    metrics = []
    for metric in TREND_METRICS:
        if metric not in by_metric:
            continue
        thresholds = []
        for t in scenario.thresholds if scenario else ():
            if t.metric == metric and t.aggregate in ("p75", "p95", "median"):
                thresholds.append([t.aggregate, _round(t.bound), t.level])
        metrics.append(
            {
                "metric": metric,
                "unit": _unit_label(metric),
                "series": [
                    {"page": page, "p75": s["p75"], "p95": s["p95"]} for page, s in sorted(by_metric[metric].items())
                ],
                "thresholds": thresholds,
                "change_points": [
                    [c.page, c.day, format_change(c.change, "ratio", metric), c.worse]
                    for c in history.change_points
                    if c.metric == metric and c.page in pages_ok
                ],
                "alerts": [
                    [a.page, a.created_at.date().isoformat(), a.severity, a.type]
                    for a in history.alerts
                    if a.metric == metric and a.page in pages_ok
                ],
                "maintenance": [m for m in maintenance if m[2] is None or set(by_metric[metric]) & set(m[2])],
            }
        )
    if not metrics:
        return None
    return {"days": history.days, "until": history.until.isoformat(), "metrics": metrics}


def _maintenance_marks(marks: Sequence[MaintenanceMark], pages_ok: set[str], tenant: str | None) -> list[list[Any]]:
    """[from, to, pages or None for all, label] of the windows that touch the pages in view; a tenant reads a
    window's reason only when the window covered its own pages alone."""
    out: list[list[Any]] = []
    for m in marks:
        pages = [p for p in m.pages if p in pages_ok]
        if m.pages and not pages:
            continue
        own = tenant is None or (bool(m.pages) and set(m.pages) <= pages_ok)
        label = f"maintenance: {m.reason}" if m.reason and own else "maintenance"
        out.append([m.starts_at.isoformat(), m.ends_at.isoformat(), pages or None, label])
    return out


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t else ""


def _alerts(data: ReportData) -> dict[str, Any] | None:
    tenants = data.page_tenants()
    run_rows = [
        [*alert_cells(a), "new" if a.new else f"open ({a.occurrences}×)"]
        for r in data.runs()
        for a in r.alerts
        if data.in_view(a.page, tenants)
    ]
    open_rows = [
        [*alert_cells(a), a.state + (f" by {a.acknowledged_by}" if a.acknowledged_by else ""), _when(a.last_seen_at)]
        for a in (data.history.alerts if data.history else ())
        if data.in_view(a.page, tenants)
    ]
    if not run_rows and not open_rows:
        return None
    return {"run": run_rows, "open": open_rows}


def _environment(data: ReportData) -> list[list[Any]]:
    if data.main is None:
        h = data.history
        return [["store", h.store], ["days", h.days], ["until", h.until.isoformat()]] if h else []
    m = data.manifest
    rows: list[list[Any]] = [["run", m.run_id], ["started", _when(m.started_at)], ["finished", _when(m.finished_at)]]
    rows += [[k, _generic(v)] for k, v in m.environment.to_json().items() if v is not None and k != "profile_settings"]
    rows += [[f"app {k}", v] for k, v in m.app.to_json().items() if v is not None]
    rows += [["scenario", m.scenario.name], ["scenario sha256", (m.scenario.sha256 or "")[:16]]]
    for r in data.linked:
        rows.append([f"{r.role} run", r.run_id])
        if r.manifest.environment.locust_version:
            rows.append([f"{r.role} locust", r.manifest.environment.locust_version])
    return [r for r in rows if r[1] not in (None, "")]


def _history_runs(history: History | None) -> list[list[Any]]:
    if history is None:
        return []
    return [
        [r.run_id, r.kind, _when(r.started_at), r.verdict or "", r.branch or "", (r.sha or "")[:10]]
        for r in history.runs
    ]


def dashboard_payload(
    data: ReportData, scenario: Scenario | None = None, link_base: Path | None = None
) -> dict[str, Any]:
    """Everything the dashboard shows, as JSON-ready data (the same document the file embeds)."""
    base = link_base or (data.run_dir if data.main else Path.cwd())
    loads = [s for r in data.runs() if r.load_stats is not None and (s := _load_section(data, r, base)) is not None]
    payload: dict[str, Any] = {
        "format": DASHBOARD_FORMAT,
        "title": f"bigday {data.run_id}",
        "tenant": data.tenant,
        "answer": _answer(data.answer),
        "pages": _pages(data),
        "under_load": _under_load(data),
        "load": loads,
        "isolation": _isolation(data),
        "trends": _trends(data.history, scenario, data.tenant),
        "alerts": _alerts(data),
        "recommendations": [
            [r.priority, r.page, r.title, r.subject, impact_text(r), seen_text(r), r.evidence]
            for r in data.recommendations()
        ],
        "environment": _environment(data),
        "history_runs": [] if data.tenant else _history_runs(data.history),
        "notes": list(data.verdicts.notes) if data.tenant is None and data.main else [],
    }
    return redact(payload, data.tenant, data.tenant_names)


def redact(payload: dict[str, Any], tenant: str | None, names: dict[str, str] | None) -> dict[str, Any]:
    """In a tenant's view, every other tenant's id and name in any text becomes "another studio": a last
    guard behind the sections, which already leave other tenants' data out."""
    if tenant is None or not names:
        return payload
    others = sorted({x for t, n in names.items() if t != tenant for x in (t, n) if x}, key=len, reverse=True)
    if not others:
        return payload
    pattern = re.compile("|".join(re.escape(x) for x in others), re.IGNORECASE)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return pattern.sub("another studio", v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {walk(k) if isinstance(k, str) else k: walk(x) for k, x in v.items()}
        return v

    result: dict[str, Any] = walk(payload)
    return result


def _json_default(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    raise TypeError(f"not JSON: {type(v).__name__}")


def script_json(payload: dict[str, Any]) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` to end it."""
    text = json.dumps(payload, default=_json_default, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# Nothing may be fetched: scripts and styles inline only, images only from data: URLs.
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def render_dashboard(data: ReportData, scenario: Scenario | None = None, link_base: Path | None = None) -> str:
    payload = dashboard_payload(data, scenario, link_base)
    title = f"bigday {data.answer.decision.label} · {data.run_id}" + (f" · {data.tenant}" if data.tenant else "")
    return page_html(payload, title)


def page_html(payload: dict[str, Any], title: str) -> str:
    """The self-contained page: the document, ECharts and the dashboard's script inlined, nothing fetched."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_package_text('dashboard.css')}</style></head>"
        '<body><main id="app"><noscript>This dashboard draws its charts with JavaScript.</noscript></main>'
        f'<script id="bigday-data" type="application/json">{script_json(payload)}</script>'
        f"<script>{_inline_script(read_asset(ECHARTS, 'echarts'))}</script>"
        f"<script>{_inline_script(_package_text('dashboard.js'))}</script>"
        "</body></html>\n"
    )


def _inline_script(source: str) -> str:
    # A script element ends at the first "</script"; library code may contain it inside strings.
    return re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)
