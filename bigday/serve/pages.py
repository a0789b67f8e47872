"""Server-rendered HTML for the served dashboard: plain tables and forms, every value escaped.

Each page also carries its data as JSON (``<script type="application/json" id="bigday-data">``) and marks
where a chart goes (``<figure class="chart" data-chart=... data-source=/api/...>``) with the same numbers as
a table inside, so the static dashboard's charts can be dropped in later without a new data path. Rows in a
maintenance window are marked (``maintenance``) in every table that shows them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from bigday.monitor.evidence import html_body
from bigday.monitor.sla import SlaReport
from bigday.serve.tokens import Viewer

CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;background:#1d2330;color:#fff}
header a{color:#cfe0ff}main{padding:1rem 1.2rem}table{border-collapse:collapse;margin:.4rem 0 1.2rem;background:#fff}
th,td{border:1px solid #d5d9e0;padding:.25rem .5rem;text-align:right}th{background:#eef1f6}
th:first-child,td:first-child{text-align:left}.bad{color:#b00020;font-weight:600}.good{color:#17663a}
.maintenance{background:#fff6d6}.muted{color:#666}form.inline{display:inline}.who{margin-left:auto}
figure.chart{margin:0 0 1rem}figcaption{font-weight:600}"""

_FORMATS = {"cls": "{:.3f}"}


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def fmt_metric(metric: str, value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "-"
    return _FORMATS.get(metric, "{:,.0f}").format(value)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def table(header: Iterable[str], rows: Iterable[tuple[list[str], str]]) -> str:
    """``rows``: (cells already escaped, the row's class)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        f"<tr{f' class={cls}' if cls else ''}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        for cells, cls in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _data_script(data: Any) -> str:
    text = json.dumps(data, default=str).replace("</", "<\\/")
    return f'<script type="application/json" id="bigday-data">{text}</script>'


def layout(title: str, viewer: Viewer, body: str, data: Any = None) -> str:
    nav = [
        '<a href="/">pages</a>',
        '<a href="/charts">charts</a>',
        '<a href="/alerts">alerts</a>',
        '<a href="/sla">SLA</a>',
        '<a href="/field">field</a>',
        '<a href="/maintenance">maintenance</a>',
    ]
    if viewer.admin:
        nav.append('<a href="/audit">audit log</a>')
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bigday: {esc(title)}</title>'
        f"<style>{CSS}</style></head><body><header><b>bigday</b><nav>{' | '.join(nav)}</nav>"
        f'<span class="who">{esc(viewer.name)} ({esc(viewer.role)})</span><a href="/logout">sign out</a></header>'
        f"<main><h1>{esc(title)}</h1>{body}</main>{_data_script(data) if data is not None else ''}</body></html>"
    )


def login_page(message: str = "") -> str:
    note = f'<p class="bad">{esc(message)}</p>' if message else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bigday: sign in</title><style>{CSS}</style>'
        f'</head><body><main><h1>bigday</h1>{note}<form method="post" action="/login"><label>Token '
        '<input type="password" name="token" autocomplete="off" required></label> <button>Sign in</button></form>'
        '<p class="muted">Tokens come from <code>bigday serve token add</code>.</p></main></body></html>'
    )


def _status_cell(check: dict[str, Any] | None) -> str:
    if check is None:
        return '<span class="muted">no checks yet</span>'
    cls = "good" if check["status"] == "ok" and check["within_thresholds"] else "bad"
    text = (
        check["status"] if check["status"] != "ok" else ("ok" if check["within_thresholds"] else "outside thresholds")
    )
    return f'<span class="{cls}">{esc(text)}</span>'


def overview_page(viewer: Viewer, rows: list[dict[str, Any]], tenant_names: dict[str, str]) -> str:
    cells = []
    for r in rows:
        latest = r["latest"]
        lcp = fmt_metric("lcp", latest["metrics"].get("lcp")) if latest else "-"
        cells.append(
            (
                [
                    f'<a href="/pages/{quote(r["page"])}">{esc(r["page"])}</a>',
                    esc(tenant_names.get(r["tenant"] or "", r["tenant"] or "")),
                    _status_cell(latest),
                    esc(latest["started_at"] if latest else "-"),
                    lcp,
                    esc(r["checks_24h"]),
                    pct(r["availability_24h"]),
                    pct(r["within_24h"]),
                    f'<a href="/alerts">{r["open_alerts"]}</a>' if r["open_alerts"] else "0",
                ],
                "maintenance" if latest and latest["maintenance"] else "",
            )
        )
    header = [
        "page",
        "studio",
        "latest check",
        "at",
        "LCP ms",
        "checks 24h",
        "available 24h",
        "within 24h",
        "open alerts",
    ]
    body = table(header, cells) if cells else "<p>No pages to show.</p>"
    return layout("Pages", viewer, body, {"pages": rows})


def page_page(
    viewer: Viewer, page: str, recent: list[dict[str, Any]], trend: dict[str, Any], alerts: list[dict[str, Any]]
) -> str:
    metrics = ("lcp", "inp", "cls", "ttfb", "tbt")
    rows = []
    for c in recent:
        state = (
            c["status"]
            if c["status"] != "ok"
            else ("within" if c["within_thresholds"] else "outside: " + ", ".join(c["outside"]))
        )
        rows.append(
            (
                [esc(c["started_at"]), esc(c["location"]), esc(state)]
                + [fmt_metric(m, c["metrics"].get(m)) for m in metrics]
                + [esc("maintenance" if c["maintenance"] else ""), esc(c["error"] or "")],
                "maintenance" if c["maintenance"] else "",
            )
        )
    checks_html = table(["started", "location", "verdict", *[m.upper() for m in metrics], "", "error"], rows)
    figures = []
    for metric, points in sorted(trend.get("series", {}).items()):
        src = f"/api/pages/{quote(page)}/trends?metric={metric}"
        body = table(
            ["day", "avg", "p75", "p95", "checks"],
            (
                (
                    [
                        esc(p["day"]),
                        fmt_metric(metric, p["avg"]),
                        fmt_metric(metric, p["p75"]),
                        fmt_metric(metric, p["p95"]),
                        esc(p["count"]),
                    ],
                    "",
                )
                for p in points
            ),
        )
        figures.append(
            f'<figure class="chart" data-chart="trend" data-metric="{esc(metric)}" data-source="{esc(src)}">'
            f"<figcaption>{esc(metric.upper())} per day</figcaption>{body}</figure>"
        )
    windows = trend.get("maintenance", [])
    marks = "".join(f"<li>{esc(w['from'])} to {esc(w['to'])}</li>" for w in windows)
    body = (
        f"<h2>Latest checks</h2>{checks_html}<h2>Trends (last 30 days)</h2>"
        + ("".join(figures) or "<p>No daily trends yet.</p>")
        + (f"<p>Maintenance windows in this span:</p><ul>{marks}</ul>" if marks else "")
        + "<h2>Open alerts</h2>"
        + alerts_table(viewer, alerts)
    )
    return layout(f"Page {page}", viewer, body, {"page": page, "checks": recent, "trends": trend, "alerts": alerts})


def alerts_table(viewer: Viewer, alerts: list[dict[str, Any]]) -> str:
    if not alerts:
        return "<p>None.</p>"
    rows = []
    for a in alerts:
        state = (
            "resolved"
            if a["resolved_at"]
            else ("acknowledged by " + str(a["acknowledged_by"]) if a["acknowledged_at"] else "open")
        )
        actions = ""
        if viewer.admin and not a["resolved_at"]:
            actions = (
                f'<form class="inline" method="post" action="/alerts/{a["id"]}/acknowledge"><input name="note" '
                'placeholder="note"><button>acknowledge</button></form> '
                f'<form class="inline" method="post" action="/alerts/{a["id"]}/resolve"><input name="note" '
                'placeholder="note"><button>resolve</button></form>'
            )
        rows.append(
            (
                [
                    esc(a["id"]),
                    esc(a["severity"]),
                    esc(a["type"]),
                    esc(a["page"]),
                    esc(a["metric"]),
                    fmt_metric(a["metric"], a["actual"]),
                    fmt_metric(a["metric"], a["threshold"]),
                    esc(a["occurrences"]),
                    esc(a["created_at"]),
                    esc(state),
                    esc(a["notes"] or ""),
                    actions,
                ],
                "bad" if a["severity"] in ("high", "critical") and not a["resolved_at"] else "",
            )
        )
    header = ["#", "severity", "type", "page", "metric", "actual", "threshold", "times", "opened", "state", "notes", ""]
    return table(header, rows)


def alerts_page(viewer: Viewer, alerts: list[dict[str, Any]], status: str) -> str:
    links = " | ".join(f'<a href="/alerts?status={s}">{s}</a>' for s in ("open", "acknowledged", "resolved", "all"))
    return layout(f"Alerts ({status})", viewer, f"<p>{links}</p>{alerts_table(viewer, alerts)}", {"alerts": alerts})


def sla_page(viewer: Viewer, report: SlaReport, data: Any) -> str:
    return layout("SLA", viewer, html_body(report), data)


def maintenance_page(viewer: Viewer, windows: list[dict[str, Any]]) -> str:
    rows = (
        (
            [
                esc(w["from"]),
                esc(w["to"]),
                esc(", ".join(w["pages"]) if isinstance(w["pages"], list) else w["pages"]),
                esc(w["reason"]),
            ],
            "maintenance",
        )
        for w in windows
    )
    body = table(["from", "to", "pages", "reason"], rows) if windows else "<p>None in the last 30 days or ahead.</p>"
    return layout("Maintenance windows", viewer, body, {"maintenance": windows})


def audit_page(viewer: Viewer, rows: list[dict[str, Any]]) -> str:
    cells = (
        (
            [
                esc(r["at"]),
                esc(r["actor"]),
                esc(r["action"]),
                esc(r["target"]),
                esc(json.dumps(r["detail"])),
                esc(r["source"]),
            ],
            "",
        )
        for r in rows
    )
    return layout(
        "Audit log", viewer, table(["at", "actor", "action", "target", "detail", "source"], cells), {"audit": rows}
    )


def field_page(viewer: Viewer, views: list[dict[str, Any]], flags: list[str], days: int) -> str:
    """Per route: field p75 (real visits, rolling window) beside the lab's p75, the ratio, and the flags."""
    rows = []
    for v in views:
        for g in v["metrics"]:
            if g["field_p75"] is None and g["lab_p75"] is None:
                continue
            ratio = "-" if g["ratio"] is None else f"{g['ratio']:.2f}x"
            rows.append(
                (
                    [
                        esc(v["page"] or "(no page)"),
                        esc(v["route"]),
                        esc(v["tenant"]),
                        esc(g["metric"].upper()),
                        fmt_metric(g["metric"], g["field_p75"]),
                        esc(g["field_count"]),
                        pct(g["good"]),
                        pct(g["poor"]),
                        fmt_metric(g["metric"], g["lab_p75"]),
                        esc(g["lab_count"]),
                        esc(ratio),
                    ],
                    "bad" if g["too_kind"] else "",
                )
            )
    header = [
        "page",
        "route",
        "studio",
        "metric",
        "field p75",
        "visits",
        "good",
        "poor",
        "lab p75",
        "lab runs",
        "field/lab",
    ]
    notes = "".join(f'<li class="bad">{esc(f)}</li>' for f in flags)
    body = (
        f"<p>Field: real visits' web-vitals beacons over the last {days} days (p75 as CrUX computes it). "
        "Lab: bigday's probe over the same days. Times in ms.</p>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + (table(header, rows) if rows else "<p>No field beacons or lab runs in this window.</p>")
    )
    return layout("Field beside lab", viewer, body, {"field": views, "flags": flags, "days": days})


def message_page(title: str, message: str, viewer: Viewer | None = None) -> str:
    if viewer is None:
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bigday: {esc(title)}</title>'
            f"<style>{CSS}</style></head><body><main><h1>{esc(title)}</h1><p>{esc(message)}</p>"
            '<p><a href="/login">Sign in</a></p></main></body></html>'
        )
    return layout(title, viewer, f"<p>{esc(message)}</p>")
