"""The "SLA evidence" report: ``bigday sla`` as JSON (for machines), Markdown and self-contained HTML (for a
studio). A tenant's report holds only that tenant's pages, numbers and name."""

from __future__ import annotations

import html
import json
from typing import Any

from bigday.monitor.sla import BURN_WINDOWS, Objective, Scope, SlaReport, span_name

FORMAT_VERSION = 1
LABELS = {"availability": "availability", "within_thresholds": "within thresholds"}


def _pct(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def _rate(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def _scope_dict(s: Scope) -> dict[str, Any]:
    return {
        "name": s.name,
        "tenant": s.tenant,
        "checks": s.counts.total,
        "first_check": s.first_check.isoformat() if s.first_check else None,
        "last_check": s.last_check.isoformat() if s.last_check else None,
        **{o.name: o.as_dict() for o in s.objectives},
    }


def to_json(r: SlaReport) -> str:
    body = {
        "format_version": FORMAT_VERSION,
        "scenario": r.scenario_name,
        "tenant": r.tenant_filter,
        "location": r.location,
        "generated_at": r.generated_at.isoformat(),
        "window": {
            "start": r.start.isoformat(),
            "end": r.end.isoformat(),
            "seconds": (r.end - r.start).total_seconds(),
        },
        "targets": {"availability": r.policy.availability / 100, "within_thresholds": r.policy.within_thresholds / 100},
        "burn_windows": [
            {
                "window": w.name,
                "short_window": span_name(w.short_s),
                "budget_share": w.budget_share,
                "factor": w.factor(r.policy.window_s),
                "severity": w.severity,
            }
            for w in BURN_WINDOWS
        ],
        "met": r.met,
        "pages": [_scope_dict(s) for s in r.pages],
        "tenants": [_scope_dict(s) | {"tenant_name": r.tenant_names.get(s.name, s.name)} for s in r.tenants],
        "maintenance": [
            {
                "from": w.starts_at.isoformat(),
                "to": w.ends_at.isoformat(),
                "pages": list(w.pages) or "all",
                "reason": w.reason,
            }
            for w in r.maintenance
        ],
        "excluded": {"maintenance_checks": r.excluded_maintenance, "monitor_errors": r.excluded_errors},
    }
    return json.dumps(body, indent=2) + "\n"


def _title(r: SlaReport) -> str:
    who = r.tenant_names.get(r.tenant_filter, r.tenant_filter) if r.tenant_filter else (r.scenario_name or "all pages")
    return f"SLA evidence: {who}"


def _period(r: SlaReport) -> str:
    return f"{r.start.strftime('%Y-%m-%d %H:%M')} to {r.end.strftime('%Y-%m-%d %H:%M')} UTC"


def _objective_cells(o: Objective) -> list[str]:
    met = {True: "met", False: "MISSED", None: "no data"}[o.met]
    return [_pct(o.share), _pct(o.target, 2), met, _pct(o.budget_used, 1), _pct(o.budget_left, 1)]


def _md_escape(text: str) -> str:
    out = html.escape(text, quote=False).replace("|", "\\|")
    return " ".join(out.split())


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return lines


def _header() -> list[str]:
    cols = ["checks"]
    for name in ("availability", "within_thresholds"):
        label = LABELS[name]
        cols += [label, "target", "status", "budget used", "budget left"]
    return cols


def _rows(scopes: tuple[Scope, ...], first: str) -> list[list[str]]:
    rows = []
    for s in scopes:
        cells = [s.name] if first == "page" else [s.name]
        cells.append(str(s.counts.total))
        for name in ("availability", "within_thresholds"):
            cells += _objective_cells(s.objective(name))
        rows.append(cells)
    return rows


def _burn_rows(scopes: tuple[Scope, ...]) -> list[list[str]]:
    rows = []
    for s in scopes:
        for o in s.objectives:
            cells = [s.name, LABELS[o.name]]
            for w in BURN_WINDOWS:
                b = next(x for x in o.burns if x.window.name == w.name)
                flag = " FIRING" if b.firing else ""
                cells.append(f"{_rate(b.long_rate)} / {_rate(b.short_rate)} (alert at {b.factor:.1f}x){flag}")
            rows.append(cells)
    return rows


def to_markdown(r: SlaReport) -> str:
    lines = [
        f"# {_md_escape(_title(r))}",
        "",
        f"Window: {_period(r)}" + (f", location {r.location}" if r.location else ""),
    ]
    lines += [
        "",
        f"Targets: availability {r.policy.availability:g}% of checks load; {r.policy.within_thresholds:g}% of checks "
        "load within every threshold. Checks in maintenance windows and the monitor's own failures are left out.",
        "",
        "## Pages",
        "",
    ]
    lines += _md_table(["page", *_header()], _rows(r.pages, "page"))
    if r.tenants and not r.tenant_filter:
        lines += ["", "## Studios", ""] + _md_table(["tenant", *_header()], _rows(r.tenants, "tenant"))
    burn_header = ["page", "objective"] + [f"burn {w.name} / {span_name(w.short_s)}" for w in BURN_WINDOWS]
    lines += ["", "## Burn rates (long / short window)", ""] + _md_table(burn_header, _burn_rows(r.pages))
    lines += ["", "## Maintenance windows", ""]
    if r.maintenance:
        lines += _md_table(
            ["from", "to", "pages", "reason"],
            [
                [w.starts_at.isoformat(), w.ends_at.isoformat(), ", ".join(w.pages) or "all", w.reason]
                for w in r.maintenance
            ],
        )
    else:
        lines.append("None in this window.")
    lines += [
        "",
        f"Left out: {r.excluded_maintenance} check(s) in maintenance windows, {r.excluded_errors} check(s) the monitor "
        "itself could not carry out.",
        "",
        f"Generated {r.generated_at.strftime('%Y-%m-%d %H:%M:%S')} UTC by bigday.",
        "",
    ]
    return "\n".join(lines)


_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330}h1{font-size:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccd;padding:.3rem .55rem;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f2f4f8}.missed{color:#b00020;font-weight:600}
.met{color:#17663a}.firing{color:#b00020;font-weight:600}.note{color:#555}"""


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for c in row:
            cls = ' class="missed"' if c == "MISSED" else (' class="met"' if c == "met" else "")
            cls = ' class="firing"' if "FIRING" in c else cls
            cells.append(f"<td{cls}>{html.escape(c)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_body(r: SlaReport) -> str:
    """The report's sections as an HTML fragment (the served dashboard embeds it)."""
    parts = [
        f"<p>Window: {html.escape(_period(r))}</p>",
        f"<p class=note>Targets: availability {r.policy.availability:g}%, within every threshold "
        f"{r.policy.within_thresholds:g}%. Maintenance windows and the monitor's own failures are left out.</p>",
        "<h2>Pages</h2>",
        _html_table(["page", *_header()], _rows(r.pages, "page")),
    ]
    if r.tenants and not r.tenant_filter:
        parts += ["<h2>Studios</h2>", _html_table(["tenant", *_header()], _rows(r.tenants, "tenant"))]
    burn_header = ["page", "objective"] + [f"burn {w.name} / {span_name(w.short_s)}" for w in BURN_WINDOWS]
    parts += ["<h2>Burn rates (long / short window)</h2>", _html_table(burn_header, _burn_rows(r.pages))]
    parts.append("<h2>Maintenance windows</h2>")
    if r.maintenance:
        rows = [
            [w.starts_at.isoformat(), w.ends_at.isoformat(), ", ".join(w.pages) or "all", w.reason]
            for w in r.maintenance
        ]
        parts.append(_html_table(["from", "to", "pages", "reason"], rows))
    else:
        parts.append("<p>None in this window.</p>")
    parts.append(
        f"<p class=note>Left out: {r.excluded_maintenance} check(s) in maintenance windows, {r.excluded_errors} "
        f"check(s) the monitor itself could not carry out. Generated {html.escape(r.generated_at.isoformat())}.</p>"
    )
    return "\n".join(parts)


def to_html(r: SlaReport) -> str:
    title = html.escape(_title(r))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}</style></head><body><h1>{title}</h1>\n{html_body(r)}\n</body></html>\n"
    )


RENDERERS = {"json": to_json, "md": to_markdown, "html": to_html}
