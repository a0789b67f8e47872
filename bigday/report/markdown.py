"""Markdown for GitHub: the answer first, then what failed or could not be decided with numbers and intervals,
then everything else collapsed in ``<details>``; and the compact pull-request comment.

Text from scenarios and run folders is escaped (HTML entities for ``<``, ``>`` and ``&``, backslashes for
Markdown's own punctuation), so a name cannot become markup, a link or a broken table.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bigday.metrics import Direction, direction_of, format_change, format_number, format_value
from bigday.report.data import ReportData, alert_cells, baseline_notes, impact_text, seen_text
from bigday.runfolder import Answer, Check, CheckKind, Decision, Reason, RegressionLabel, Status, Verdicts

_ICON = {Status.FAIL: "❌", Status.WARN: "⚠️", Status.PASS: "✅", Status.SKIPPED: "⏭️", Status.INCONCLUSIVE: "❔"}
_DECISION_ICON = {Decision.GO: "✅", Decision.NO_GO: "❌", Decision.INCONCLUSIVE: "❔"}
PR_COMMENT_MARKER = "<!-- bigday-pr-comment -->"
PR_COMMENT_MAX_ROWS = 40
# Control characters (BEL, ESC, ...) have no business in a Markdown report: dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]{}()#+!|~])")


def md(text: object) -> str:
    """Scenario or run-folder text, safe in Markdown prose and table cells."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MARKDOWN_PUNCTUATION.sub(r"\\\1", s)
    return _CONTROL.sub("", s.replace("\r", " ").replace("\n", " "))


def _row(*cells: object) -> str:
    return "| " + " | ".join(md(c) for c in cells) + " |"


def _answer_lines(answer: Answer, run_id: str) -> list[str]:
    return [
        f"## bigday: {_DECISION_ICON[answer.decision]} {answer.decision.label} — run {md(run_id)}",
        "",
        f"**{md(answer.headline)}**",
        "",
    ]


def _reasons_table(reasons: tuple[Reason, ...] | list[Reason]) -> list[str]:
    out = ["| # | | where | metric | what | against |", "|---|---|---|---|---|---|"]
    for r in reasons:
        out.append(_row(r.rank, _ICON[r.status], r.subject, r.metric, r.text, r.against))
    return out


def check_icon(c: Check) -> str:
    """No green tick for a baseline change that was only "neutral" because the test could not tell."""
    comp = c.comparison
    if c.kind is CheckKind.REGRESSION and comp is not None and comp.label is RegressionLabel.NEUTRAL:
        return "❔" if large_but_unproven(c) else "➖"
    return _ICON[c.status]


def large_but_unproven(c: Check) -> bool:
    comp = c.comparison
    if comp is None or comp.effect is None or comp.min_effect is None or comp.label is not RegressionLabel.NEUTRAL:
        return False
    return abs(comp.effect) >= comp.min_effect > 0


def check_detail(c: Check) -> str:
    comp = c.comparison
    if c.kind is CheckKind.REGRESSION and comp is not None and comp.effect is not None and comp.effect_kind:
        k = comp.effect_kind
        iv = (
            f" [{format_change(comp.interval[0], k, c.metric)}, {format_change(comp.interval[1], k, c.metric)}]"
            if comp.interval
            else ""
        )
        text = (
            f"{comp.label} {format_change(comp.effect, k, c.metric)}{iv}: median {format_value(c.metric, c.actual)} vs "
            f"{format_value(c.metric, comp.baseline)} (q={format_number(comp.q_value or 1.0, 2)})"
        )
        if large_but_unproven(c):
            text += (
                f"; too few runs to tell ({c.n} vs {comp.n_baseline}): not shown to be a change, nor shown not to be"
            )
        return text
    return c.message


def _checks_table(checks: list[Check]) -> list[str]:
    out = [
        "| | kind | page | metric | aggregate | actual | bound / baseline | detail |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        other = c.comparison.baseline if c.kind is CheckKind.REGRESSION and c.comparison else c.bound
        out.append(
            _row(
                check_icon(c),
                c.kind,
                c.page,
                c.metric,
                c.aggregate or "",
                format_value(c.metric, c.actual) if c.actual is not None else "",
                format_value(c.metric, other) if other is not None else "",
                check_detail(c),
            )
        )
    return out


def _details(summary: str, lines: list[str]) -> list[str]:
    # Inside an HTML block Markdown escapes are not read: the summary is escaped as HTML only.
    return ["", f"<details><summary>{html.escape(summary)}</summary>", "", *lines, "", "</details>"]


def render_markdown(data: ReportData) -> str:
    v = data.verdicts
    env = data.manifest.environment
    answer = data.answer
    out = _answer_lines(answer, data.run_id)
    decisive = [r for r in answer.reasons if r.status in (Status.FAIL, Status.INCONCLUSIVE)]
    rest = [r for r in answer.reasons if r.status not in (Status.FAIL, Status.INCONCLUSIVE)]
    if decisive:
        out += ["### What failed or could not be decided", "", *_reasons_table(decisive)]
    if rest:
        out += _details(f"{len(rest)} warning(s) and caveat(s)", _reasons_table(rest))
    out += _baseline_lines(v)
    checks = [c for c in data.checks() if c.status is not Status.SKIPPED]
    out += _details(f"All {len(checks)} checks", _checks_table(checks))
    out += _appendix(data)
    out += [
        "",
        f"<sub>{md(env.browser or '?')} {md(env.browser_version or '')}, profile {md(env.profile or '?')}, "
        f"{md(env.cpu_count or '?')} CPUs, web-vitals {md(env.web_vitals_version or '?')}, bigday "
        f"{md(env.harness_version or '?')}</sub>",
    ]
    return "\n".join(out) + "\n"


def _baseline_lines(v: Verdicts) -> list[str]:
    notes = baseline_notes(v)
    shown = {"run": "Baseline {}  ", "note": "> {}", "environment": "> **Different environment:** {}"}
    return [""] + [shown[kind].format(md(text)) for kind, text in notes] if notes else []


def _appendix(data: ReportData) -> list[str]:
    """Alerts, trend steps, what could not be checked, and notes; collapsed."""
    v = data.verdicts
    out: list[str] = []
    if data.alerts:
        rows = ["| # | severity | type | page | metric | actual | threshold |", "|---|---|---|---|---|---|---|"]
        rows += [
            _row(*alert_cells(a))
            for a in data.alerts
            if data.tenant is None or data.in_view(a.page, data.page_tenants())
        ]
        out += _details(f"{len(data.alerts)} alert(s)", rows)
    if v.change_points and data.tenant is None:
        out += _details(
            "Trend steps",
            [
                f"- {md(c.page)} {md(c.metric)}: {format_change(c.change, 'ratio', c.metric)} from {md(c.day)}"
                for c in v.change_points
            ],
        )
    found = data.recommendations()
    if found:
        rows = ["| priority | page | what to do | names | saves | seen | evidence |", "|---|---|---|---|---|---|---|"]
        rows += [_row(r.priority, r.page, r.title, r.subject, impact_text(r), seen_text(r), r.evidence) for r in found]
        out += _details(f"Recommendations: {len(found)}", rows)
    recommendations = accessibility_recommendations(data)
    if recommendations:
        out += _details(f"Accessibility: {len(recommendations)} failing audit(s) to fix", recommendations)
    if v.unsupported:
        out += _details("Not checked (no bigday equivalent)", [f"- {md(u)}" for u in v.unsupported])
    if v.notes and data.tenant is None:
        out += _details("Notes", [f"- {md(n)}" for n in v.notes])
    return out


def accessibility_recommendations(data: ReportData) -> list[str]:
    """Per page, the failing accessibility audits of its last audited run (heaviest first), as list items."""
    view = data.run_in("probe")
    if view is None:
        return []
    engine = "bigday" if any(s.engine == "bigday" for s in view.samples) else "lighthouse"
    last: dict[str, Any] = {}
    for s in view.samples:
        a11y = s.details.get("accessibility") if s.ok and s.engine == engine else None
        if a11y and (data.tenant is None or data.in_view(s.page, view.page_tenants())):
            last[s.page] = a11y
    lines = []
    for page, a11y in last.items():
        for a in a11y.get("failed_audits") or []:
            where = ", ".join(str(x) for x in (a.get("selectors") or [])[:2])
            lines.append(
                f"- {md(page)}: **{md(a.get('audit'))}** (weight {md(a.get('weight'))}, "
                f"{md(a.get('impact') or 'no impact given')}, {md(a.get('nodes'))} node(s)"
                + (f": `{where.replace('`', '')}`" if where else "")
                + f"): {md(a.get('help') or '')}"
            )
    return lines


def _delta_rows(data: ReportData) -> list[tuple[float, str]]:
    rows = []
    for c in data.checks():
        comp = c.comparison
        if c.kind is not CheckKind.REGRESSION or comp is None or comp.effect is None or not comp.effect_kind:
            continue
        k = comp.effect_kind
        worse = comp.effect if direction_of(c.metric) is Direction.LOWER_IS_BETTER else -comp.effect
        iv = (
            f"[{format_change(comp.interval[0], k, c.metric)}, {format_change(comp.interval[1], k, c.metric)}]"
            if comp.interval
            else ""
        )
        scale = worse / comp.min_effect if comp.min_effect else worse
        rows.append(
            (
                -(1000 if c.status is Status.FAIL else 0) - scale,
                _row(
                    check_icon(c),
                    c.page,
                    c.metric,
                    format_value(c.metric, comp.baseline),
                    format_value(c.metric, c.actual),
                    f"{format_change(comp.effect, k, c.metric)} {iv}",
                    str(comp.label or "not compared"),
                ),
            )
        )
    return sorted(rows)


def render_pr_comment(data: ReportData) -> str:
    """The sticky pull-request comment: the answer, what decided it, and the largest deltas against the
    baseline. The marker on the first line lets a workflow find and update its own comment."""
    answer = data.answer
    out = [PR_COMMENT_MARKER, *_answer_lines(answer, data.run_id)]
    decisive = [r for r in answer.reasons if r.status in (Status.FAIL, Status.INCONCLUSIVE)]
    if decisive:
        shown = decisive[:PR_COMMENT_MAX_ROWS]
        out += _reasons_table(shown)
        if len(decisive) > len(shown):
            out.append(f"\n… and {len(decisive) - len(shown)} more in the job summary.")
    deltas = _delta_rows(data)
    base = data.verdicts.baseline
    if deltas:
        title = (
            f"Against the baseline ({base.spec}, run {base.run_id})" if base and base.run_id else "Against the baseline"
        )
        rows = [
            "| | page | metric | baseline | this run | change [interval] | label |",
            "|---|---|---|---|---|---|---|",
        ]
        rows += [r for _, r in deltas[:PR_COMMENT_MAX_ROWS]]
        if len(deltas) > PR_COMMENT_MAX_ROWS:
            rows.append(f"\n{len(deltas) - PR_COMMENT_MAX_ROWS} smaller change(s) not shown.")
        out += _details(title, rows)
    elif base and base.note:
        out += ["", f"> {md(base.note)}"]
    return "\n".join(out) + "\n"
