"""A self-contained HTML dashboard (inline CSS and SVG, no external requests) for one judged run."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from bigday.report.data import ReportData
from bigday.runfolder import Check, CheckKind, Status

CHART_METRICS = ("lcp", "fcp", "inp", "cls", "ttfb", "tbt", "page_load")
_COLOR = {"fail": "#c62828", "warn": "#ef6c00", "pass": "#2e7d32", "skipped": "#757575", "inconclusive": "#6a1b9a"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b1b1b;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.cards{display:flex;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px}
.card b{display:block;font-size:22px}table{border-collapse:collapse;background:#fff;width:100%}
td,th{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}
.muted{color:#666}.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px}
"""


def _badge(status: Status) -> str:
    return f'<span class="badge" style="background:{_COLOR.get(status, "#555")}">{escape(status.upper())}</span>'


def _strip_chart(page: str, metric: str, values: list[float], bound: float | None, baseline: float | None) -> str:
    """Dots for each sample, a dashed red line at the bound, a blue line at the baseline median."""
    w, h, pad = 320, 70, 12
    marks = [v for v in (bound, baseline) if v is not None]
    lo, hi = min(values + marks), max(values + marks)
    span = (hi - lo) or (abs(hi) or 1.0)
    lo, hi = lo - span * 0.05, hi + span * 0.05

    def x(v: float) -> float:
        return pad + (v - lo) / (hi - lo) * (w - 2 * pad)

    parts = [f'<svg width="{w}" height="{h}" role="img" aria-label="{escape(page)} {escape(metric)}">']
    parts.append(f'<line x1="{pad}" y1="{h - 18}" x2="{w - pad}" y2="{h - 18}" stroke="#bbb"/>')
    for i, v in enumerate(values):
        parts.append(
            f'<circle cx="{x(v):.1f}" cy="{h - 30 - (i % 3) * 6}" r="3" fill="#37474f" fill-opacity=".7">'
            f"<title>{v:.4g}</title></circle>"
        )
    if bound is not None:
        parts.append(
            f'<line x1="{x(bound):.1f}" y1="6" x2="{x(bound):.1f}" y2="{h - 14}" stroke="#c62828" '
            f'stroke-dasharray="4 3"><title>bound {bound:.4g}</title></line>'
        )
    if baseline is not None:
        parts.append(
            f'<line x1="{x(baseline):.1f}" y1="6" x2="{x(baseline):.1f}" y2="{h - 14}" stroke="#1565c0">'
            f"<title>baseline median {baseline:.4g}</title></line>"
        )
    parts.append(f'<text x="{pad}" y="{h - 3}" font-size="10" fill="#666">{lo:.4g}</text>')
    parts.append(f'<text x="{w - pad}" y="{h - 3}" font-size="10" fill="#666" text-anchor="end">{hi:.4g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _charts(data: ReportData) -> str:
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for s in data.samples:
        if not s.ok:
            continue
        for m, v in s.metrics.items():
            if m in CHART_METRICS and v is not None:
                values[(s.page, m)].append(float(v))
    bounds: dict[tuple[str, str], float] = {}
    baselines: dict[tuple[str, str], float] = {}
    for c in data.verdicts.checks:
        key = (c.page, c.metric)
        if c.kind is CheckKind.THRESHOLD and c.bound is not None and key not in bounds:
            bounds[key] = c.bound
        if c.kind is CheckKind.REGRESSION and c.comparison is not None and c.comparison.baseline is not None:
            baselines[key] = c.comparison.baseline
    out = []
    for page in sorted({p for p, _ in values}):
        charts = []
        for m in CHART_METRICS:
            if (page, m) in values:
                chart = _strip_chart(page, m, values[(page, m)], bounds.get((page, m)), baselines.get((page, m)))
                charts.append(
                    f'<div class="chart"><div><b>{escape(m)}</b> <span class="muted">n={len(values[(page, m)])}'
                    f"</span></div>{chart}</div>"
                )
        out.append(f'<h3>{escape(page)}</h3><div class="charts">{"".join(charts)}</div>')
    return "".join(out)


def _checks_table(checks: list[Check]) -> str:
    rows = []
    for c in checks:
        interval = c.comparison.interval if c.comparison else None
        iv = f"[{interval[0]:.3g}, {interval[1]:.3g}]" if interval else ""
        label = c.comparison.label if c.comparison else None
        rows.append(
            f"<tr><td>{_badge(c.status)}</td><td>{escape(c.kind)}</td><td>{escape(c.page)}</td>"
            f"<td>{escape(c.metric)}</td><td>{escape(str(label or c.aggregate or ''))}</td>"
            f'<td>{escape(iv)}</td><td>{escape(c.message)}</td><td class="muted">{escape(c.source)}</td></tr>'
        )
    return (
        "<table><tr><th>status</th><th>kind</th><th>page</th><th>metric</th><th>aggregate / label</th>"
        "<th>interval</th><th>detail</th><th>source</th></tr>" + "".join(rows) + "</table>"
    )


def render_html(data: ReportData) -> str:
    v = data.verdicts
    env = data.manifest.environment
    checks = data.checks()
    notable = [c for c in checks if c.status in (Status.FAIL, Status.WARN)]
    base = v.baseline
    counts = v.counts
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>bigday {escape(data.run_id)}: {escape(v.outcome)}</title><style>{CSS}</style></head><body>",
        f"<h1>bigday run {escape(data.run_id)} {_badge(v.outcome)}</h1>",
        f'<div class="muted">{escape(str(env.browser))} {escape(str(env.browser_version))} · profile '
        f"{escape(str(env.profile))} · {escape(str(env.cpu_count))} CPUs · web-vitals "
        f"{escape(str(env.web_vitals_version))} · started {escape(data.manifest.started_at.isoformat())}</div>",
        '<div class="cards">'
        + "".join(
            f'<div class="card" style="border-color:{_COLOR[k]}"><b>{counts[k]}</b>{k}</div>'
            for k in (Status.FAIL, Status.WARN, Status.PASS, Status.SKIPPED)
        )
        + "</div>",
    ]
    if base:
        parts.append(
            f"<p>Baseline <code>{escape(base.spec)}</code>: "
            f"{escape(base.run_id or 'none')} {escape(base.note or '')}</p>"
        )
        for d in base.environment_differences:
            parts.append(f"<p><b>Different environment:</b> {escape(d)}</p>")
    parts.append("<h2>Failures and warnings</h2>" + (_checks_table(notable) if notable else "<p>None.</p>"))
    if data.alerts:
        parts.append(
            "<h2>Alerts</h2><table><tr><th>#</th><th>severity</th><th>type</th><th>page</th><th>metric</th>"
            "<th>actual</th><th>threshold</th><th>new</th></tr>"
            + "".join(
                f"<tr><td>{a.id}</td><td>{escape(a.severity)}</td><td>{escape(a.type)}</td>"
                f"<td>{escape(a.page)}</td><td>{escape(a.metric)}</td><td>{escape(str(a.actual))}</td>"
                f"<td>{escape(str(a.threshold))}</td><td>{'yes' if a.new else 'already open'}</td></tr>"
                for a in data.alerts
            )
            + "</table>"
        )
    parts.append(
        '<h2>Samples</h2><p class="muted">Dots: page runs; dashed red: the threshold\'s bound; '
        "blue: the baseline median.</p>" + _charts(data)
    )
    if v.change_points:
        parts.append(
            "<h2>Trend steps</h2><ul>"
            + "".join(
                f"<li>{escape(c.page)} {escape(c.metric)}: {c.change:+.1%} from {escape(c.day)}</li>"
                for c in v.change_points
            )
            + "</ul>"
        )
    if v.unsupported:
        parts.append(
            "<h2>Not checked (no bigday equivalent)</h2><ul>"
            + "".join(f"<li>{escape(u)}</li>" for u in v.unsupported)
            + "</ul>"
        )
    if v.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in v.notes) + "</ul>")
    parts.append(f"<details><summary>All {len(checks)} checks</summary>{_checks_table(checks)}</details>")
    parts.append("</body></html>\n")
    return "".join(parts)
