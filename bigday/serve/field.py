"""Field beside lab: per page of the scenario, the field p75 of real visits (CrUX's method: rolling 28 days) next
to the probe's p75 over the same days, the gap between them, and a flag where the lab is too kind.

A page's field route is its path as a template (``/studios/{tenant_key}/clients`` is
``/studios/:tenant_key/clients``, the query dropped); its field figures are those of its studio (the page's
tenant, else the scenario's first). Routes the field reports that no page names are listed after the pages,
field figures only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from bigday.metrics import METRICS, format_number
from bigday.settings.scenario import Scenario
from bigday.stats import quantile
from bigday.store import rum as rum_store
from bigday.store.rum import route_of

COMPARED = ("lcp", "inp", "cls", "fcp", "ttfb")


@dataclass(frozen=True)
class Gap:
    """One metric of one route: field p75 (and its count and shares), lab p75 (and its count), their ratio."""

    metric: str
    field_p75: float | None
    field_count: int
    good: float | None
    poor: float | None
    lab_p75: float | None
    lab_count: int
    ratio: float | None  # field / lab
    too_kind: bool  # the field is worse than the lab by more than the factor


@dataclass(frozen=True)
class RouteView:
    page: str | None
    route: str
    tenant: str
    gaps: list[Gap] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "route": self.route,
            "tenant": self.tenant,
            "metrics": [g.__dict__ for g in self.gaps],
        }


def show(metric: str, value: float) -> str:
    if metric == "cls":
        return format_number(value, 3)
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def warning(view: RouteView, gap: Gap) -> str:
    """The flag's sentence: the lab is too kind to /photos/gallery: field LCP p75 3.1 s vs lab 1.2 s."""
    assert gap.field_p75 is not None and gap.lab_p75 is not None
    return (
        f"the lab is too kind to {view.route}: field {gap.metric.upper()} p75 {show(gap.metric, gap.field_p75)} "
        f"vs lab {show(gap.metric, gap.lab_p75)}"
    )


def _gap(metric: str, row: rum_store.FieldRow | None, lab: list[float], factor: float) -> Gap:
    lab_p75 = quantile(lab, rum_store.P) if lab else None
    ratio = None
    if row is not None and lab_p75 is not None:
        ratio = row.p75 / lab_p75 if lab_p75 > 0 else (1.0 if row.p75 == 0 else None)
    # CLS of 0 in the lab and more in the field has no ratio; a field p75 past "good" with a perfect lab is kind
    too_kind = ratio is not None and ratio > factor
    if ratio is None and row is not None and lab_p75 == 0 and row.p75 > (METRICS[metric].good or 0):
        too_kind = True
    return Gap(
        metric=metric,
        field_p75=row.p75 if row else None,
        field_count=row.count if row else 0,
        good=row.good if row else None,
        poor=row.poor if row else None,
        lab_p75=lab_p75,
        lab_count=len(lab),
        ratio=ratio,
        too_kind=too_kind,
    )


def field_beside_lab(
    conn: Connection,
    scenario: Scenario,
    tenant: str | None = None,
    days: int = rum_store.WINDOW_DAYS,
    end: date | None = None,
) -> list[RouteView]:
    """Every page (of ``tenant`` only, when given) with its field and lab figures; then field-only routes."""
    default = scenario.default_tenant.id
    pages = [(p.name, route_of(p.path), p.tenant or default) for p in scenario.pages]
    if tenant is not None:
        pages = [p for p in pages if p[2] == tenant]
    rows = rum_store.field_p75(conn, days=days, end=end, tenant=tenant, by_device=False, metrics=COMPARED)
    by_key = {(r.tenant, r.route, r.metric): r for r in rows}
    lab = rum_store.lab_values(conn, [name for name, _, _ in pages], days=days, end=end)
    factor = float(scenario.rum.lab_factor)
    out = []
    for name, route, t in pages:
        gaps = [_gap(m, by_key.get((t, route, m)), lab.get((name, m), []), factor) for m in COMPARED]
        out.append(RouteView(name, route, t, gaps))
    known = {(t, route) for _, route, t in pages}
    extra = sorted({(r.tenant, r.route) for r in rows} - known)
    for t, route in extra:
        out.append(RouteView(None, route, t, [_gap(m, by_key.get((t, route, m)), [], factor) for m in COMPARED]))
    return out


def warnings(views: list[RouteView]) -> list[str]:
    return [warning(v, g) for v in views for g in v.gaps if g.too_kind and g.lab_p75 is not None]


def measured(views: list[RouteView]) -> list[RouteView]:
    """The routes with a field or lab figure (the ones worth a row)."""
    return [v for v in views if any(g.field_p75 is not None or g.lab_p75 is not None for g in v.gaps)]


def as_json(views: list[RouteView], days: int) -> dict[str, Any]:
    return {"days": days, "routes": [v.as_dict() for v in views], "flags": warnings(views)}


def table_rows(views: list[RouteView]) -> list[list[str]]:
    """page, route, studio, metric, field p75, visits, good, lab p75, lab runs, field/lab: one row per metric
    with a figure (``bigday rum report``, ``bigday sla``)."""
    rows = []
    for v in views:
        for g in v.gaps:
            if g.field_p75 is None and g.lab_p75 is None:
                continue
            rows.append(
                [
                    v.page or "(no page)",
                    v.route,
                    v.tenant,
                    g.metric,
                    "-" if g.field_p75 is None else show(g.metric, g.field_p75),
                    str(g.field_count),
                    "-" if g.good is None else f"{100 * g.good:.0f}%",
                    "-" if g.lab_p75 is None else show(g.metric, g.lab_p75),
                    str(g.lab_count),
                    "-" if g.ratio is None else f"{g.ratio:.2f}x",
                ]
            )
    return rows


TABLE_HEAD = ["page", "route", "studio", "metric", "field p75", "visits", "good", "lab p75", "lab runs", "field/lab"]


def as_markdown(views: list[RouteView], days: int) -> str:
    def cell(s: str) -> str:
        return s.replace("|", "\\|")

    lines = [
        f"## Field beside lab (real visits' p75 over {days} days beside bigday's probe)",
        "",
        "| " + " | ".join(TABLE_HEAD) + " |",
        "|" + "---|" * len(TABLE_HEAD),
    ]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table_rows(views)]
    lines += ["", *(f"- **{cell(f)}**" for f in warnings(views))]
    return "\n".join(lines) + "\n"


def as_html(views: list[RouteView], days: int) -> str:
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for h in TABLE_HEAD)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table_rows(views))
    flags = "".join(f"<li><strong>{escape(f)}</strong></li>" for f in warnings(views))
    return (
        f"<section><h2>Field beside lab (real visits' p75 over {days} days beside bigday's probe)</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + (f"<ul>{flags}</ul>" if flags else "")
        + "</section>\n"
    )
