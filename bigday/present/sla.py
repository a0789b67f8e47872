"""``bigday sla`` at a terminal: one row per page (and tenant) with both objectives and the burn rates."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from bigday.present.console import plain


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def _status(met: bool | None) -> Text:
    if met is None:
        return Text("no data")
    return Text("met", style="green") if met else Text("MISSED", style="bold red")


def sla_renderable(report: Any) -> Group:
    """Pages, then tenants (unless filtered to one), then the window and what was left out."""
    parts: list[Any] = [
        Text(
            plain(
                f"SLA {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC; targets: availability "
                f"{report.policy.availability:g}%, within thresholds {report.policy.within_thresholds:g}%"
            )
        )
    ]
    groups = [("page", report.pages)]
    if report.tenants and not report.tenant_filter:
        groups.append(("tenant", report.tenants))
    for label, scopes in groups:
        t = Table(box=None, pad_edge=False, header_style="bold")
        for col in (label, "checks", "avail", "", "budget left", "within", "", "budget left", "burn 1h/6h/3d"):
            t.add_column(col, justify="left" if col in (label, "") else "right", no_wrap=True)
        for s in scopes:
            a, w = s.objective("availability"), s.objective("within_thresholds")
            burn = "/".join("-" if a.rates.get(k) is None else f"{a.rates[k]:.1f}" for k in ("1h", "6h", "3d"))
            t.add_row(
                Text(plain(s.name)),
                str(s.counts.total),
                _pct(a.share),
                _status(a.met),
                _pct(a.budget_left),
                _pct(w.share),
                _status(w.met),
                _pct(w.budget_left),
                burn,
            )
        parts.append(t)
    parts.append(
        Text(
            plain(
                f"left out: {report.excluded_maintenance} check(s) in maintenance, {report.excluded_errors} monitor "
                f"error(s); {len(report.maintenance)} maintenance window(s) in the period"
            )
        )
    )
    return Group(*parts)
