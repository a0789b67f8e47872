"""The terminal report: the verdict, what failed or warned with numbers and intervals, then a tally."""

from __future__ import annotations

from typing import Any

from bigday.report.data import ReportData

_MARK = {"fail": "FAIL", "warn": "WARN", "pass": "ok  ", "skipped": "skip"}


def render_verdicts(v: dict[str, Any], verbose: bool = False) -> str:
    lines = [f"bigday compare {v['run_id']}: {v['outcome'].upper()} (exit {v['exit_code']})"]
    base = v.get("baseline")
    if base:
        if base.get("run_id"):
            lines.append(f"  baseline {base['spec']}: run {base['run_id']} ({base.get('started_at')})")
        if base.get("note"):
            lines.append(f"  baseline note: {base['note']}")
        for d in base.get("environment_differences", []):
            lines.append(f"  baseline environment differs: {d}")
    shown = [c for c in v["checks"] if verbose or c["status"] in ("fail", "warn") or c.get("label") == "improvement"]
    for c in sorted(shown, key=lambda c: ({"fail": 0, "warn": 1}.get(c["status"], 2), c["page"], c["metric"])):
        lines.append(
            f"  {_MARK.get(c['status'], c['status'])} [{c['kind']}] {c['message']}"
            + (f" <{c['source']}>" if c["source"] not in ("scenario", "baseline") else "")
        )
    for cp in v.get("change_points", []):
        lines.append(
            f"  trend: {cp['page']} {cp['metric']} stepped {cp['change']:+.1%} on {cp['day']}"
            f" ({'worse' if cp['worse'] else 'better'}, p={cp['p_value']:.2g})"
        )
    for u in v.get("unsupported", []):
        lines.append(f"  not checked: {u}")
    for n in v.get("notes", []):
        lines.append(f"  note: {n}")
    c = v["counts"]
    lines.append(f"  {c['fail']} failed, {c['warn']} warned, {c['pass']} passed, {c['skipped']} skipped")
    return "\n".join(lines)


def render_terminal(data: ReportData, verbose: bool = False) -> str:
    text = render_verdicts(data.verdicts, verbose)
    if data.alerts:
        text += "\n  alerts: " + ", ".join(
            f"#{a['id']} {a['severity']} {a['type']} {a['page']} {a['metric']}" + ("" if a.get("new") else " (open)")
            for a in data.alerts
        )
    return text
