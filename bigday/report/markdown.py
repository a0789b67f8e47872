"""Markdown report, for a pull-request comment or a CI job summary."""

from __future__ import annotations

from bigday.report.data import ReportData, baseline_lines
from bigday.runfolder import CheckKind, Status, Verdicts

_ICON = {Status.FAIL: "❌", Status.WARN: "⚠️", Status.PASS: "✅", Status.SKIPPED: "⏭️", Status.INCONCLUSIVE: "❔"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(v: object) -> str:
    return "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def _known(value: object) -> object:
    return "?" if value is None else value


def render_markdown(data: ReportData) -> str:
    v = data.verdicts
    env = data.manifest.environment
    counts = v.counts
    out = [
        f"## bigday: {_ICON[v.outcome]} {v.outcome.upper()} — run `{data.run_id}`",
        "",
        f"{counts[Status.FAIL]} failed · {counts[Status.WARN]} warned · {counts[Status.PASS]} passed · "
        f"{counts[Status.SKIPPED]} skipped  ",
        f"Environment: {_known(env.browser)} {_known(env.browser_version)}, profile "
        f"{_known(env.profile)}, {_known(env.cpu_count)} CPUs, web-vitals {_known(env.web_vitals_version)}",
        "",
    ]
    out += _baseline_lines(v)
    out += _check_rows(data)
    out += _appendix(data)
    return "\n".join(out) + "\n"


def _baseline_lines(v: Verdicts) -> list[str]:
    lines = baseline_lines(
        v, "Baseline `{spec}`: run `{run_id}` ({started_at})  ", "> {}", "> **Different environment:** {}"
    )
    return lines + [""] if v.baseline else lines


def _check_rows(data: ReportData) -> list[str]:
    out: list[str] = []
    out += [
        "| | kind | page | metric | aggregate | actual | bound / baseline | detail |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in data.checks():
        if c.status is Status.SKIPPED:
            continue
        if c.kind is CheckKind.REGRESSION:
            other = c.comparison.baseline if c.comparison else None
        else:
            other = c.bound
        out.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    _ICON[c.status],
                    c.kind,
                    c.page,
                    c.metric,
                    c.aggregate or "",
                    f"{c.actual:.4g}" if c.actual is not None else "",
                    f"{other:.4g}" if other is not None else "",
                    c.message,
                )
            )
            + " |"
        )
    return out


def _appendix(data: ReportData) -> list[str]:
    """Alerts, trend steps, what could not be checked, and notes."""
    v = data.verdicts
    out: list[str] = []
    if data.alerts:
        out += [
            "",
            "### Alerts",
            "",
            "| # | severity | type | page | metric | actual | threshold |",
            "|---|---|---|---|---|---|---|",
        ]
        for a in data.alerts:
            out.append(
                f"| {a.id} | {a.severity} | {a.type} | {_cell(a.page)} | {a.metric} | "
                f"{_num(a.actual)} | {_num(a.threshold)} |"
            )
    if v.change_points:
        out += ["", "### Trend steps", ""]
        out += [f"- {c.page} {c.metric}: {c.change:+.1%} from {c.day}" for c in v.change_points]
    if v.unsupported:
        out += ["", "### Not checked (no bigday equivalent)", ""] + [f"- {u}" for u in v.unsupported]
    if v.notes:
        out += ["", "### Notes", ""] + [f"- {n}" for n in v.notes]
    return out
