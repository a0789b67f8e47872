"""The terminal report: the answer, what failed or warned with numbers and intervals, then a tally."""

from __future__ import annotations

import re

from bigday.report.data import ReportData, baseline_notes, impact_text, seen_text
from bigday.runfolder import Answer, Recommendation, RegressionLabel, Status, Verdicts

# The terminal report is lines; a value that carries a line break (a lighthouserc key, an app's error) would
# start a line of its own. Control characters are dropped where the text reaches the terminal (cli/report.py).
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _one(text: object) -> str:
    return _LINE_BREAK.sub(" ", str(text))


_MARK = {
    Status.FAIL: "FAIL",
    Status.WARN: "WARN",
    Status.PASS: "ok  ",
    Status.SKIPPED: "skip",
    Status.INCONCLUSIVE: "????",
}


def answer_lines(answer: Answer, limit: int = 10) -> list[str]:
    """The answer line, then its reasons worst first (at most ``limit``)."""
    lines = [f"bigday: {_one(answer.headline)}"]
    for r in answer.reasons[:limit]:
        lines.append(f"  {r.rank}. {_MARK[r.status]} {_one(r.text)} (against the {_one(r.against)})")
    if len(answer.reasons) > limit:
        lines.append(f"  ... {len(answer.reasons) - limit} more in the report")
    return lines


def render_verdicts(v: Verdicts, verbose: bool = False) -> str:
    lines = [f"bigday compare {v.run_id}: {v.outcome.upper()} (exit {v.exit_code})"]
    said = {"run": "baseline {}", "note": "baseline note: {}", "environment": "baseline environment differs: {}"}
    lines += [f"  {said[kind].format(_one(text))}" for kind, text in baseline_notes(v)]
    shown = [
        c
        for c in v.checks
        if verbose
        or c.status in (Status.FAIL, Status.WARN, Status.INCONCLUSIVE)
        or (c.comparison is not None and c.comparison.label is RegressionLabel.IMPROVEMENT)
    ]
    for c in sorted(
        shown,
        key=lambda c: ({Status.FAIL: 0, Status.INCONCLUSIVE: 1, Status.WARN: 2}.get(c.status, 3), c.page, c.metric),
    ):
        lines.append(
            f"  {_MARK[c.status]} [{c.kind}] {_one(c.message)}"
            + (f" <{_one(c.source)}>" if c.source not in ("scenario", "baseline") else "")
        )
    for cp in v.change_points:
        lines.append(
            f"  trend: {_one(cp.page)} {_one(cp.metric)} stepped {cp.change:+.1%} on {cp.day}"
            f" ({'worse' if cp.worse else 'better'}, p={cp.p_value:.2g})"
        )
    for u in v.unsupported:
        lines.append(f"  not checked: {_one(u)}")
    for n in v.notes:
        lines.append(f"  note: {_one(n)}")
    tally = v.counts
    undecided = f"{tally[Status.INCONCLUSIVE]} inconclusive, " if Status.INCONCLUSIVE in tally else ""
    lines.append(
        f"  {tally[Status.FAIL]} failed, {undecided}{tally[Status.WARN]} warned, {tally[Status.PASS]} passed, "
        f"{tally[Status.SKIPPED]} skipped"
    )
    return "\n".join(lines)


def render_terminal(data: ReportData, verbose: bool = False) -> str:
    text = "\n".join(answer_lines(data.answer)) + "\n" + render_verdicts(data.verdicts, verbose)
    if data.alerts:
        text += "\n  alerts: " + ", ".join(
            f"#{a.id} {a.severity} {a.type} {_one(a.page)} {_one(a.metric)}" + ("" if a.new else " (open)")
            for a in data.alerts
        )
    return text + recommendation_lines(data.recommendations())


def recommendation_lines(found: list[Recommendation], limit: int = 20) -> str:
    """The findings, highest priority first, one line each (at most ``limit``; the rest are counted)."""
    if not found:
        return ""
    lines = [f"  recommendations: {len(found)}"]
    for r in found[:limit]:
        impact = impact_text(r)
        lines.append(
            f"    [{r.priority}] {_one(r.page)}: {_one(r.title)} - {_one(r.subject)}"
            + (f" (saves ~{impact})" if impact else "")
            + f", {seen_text(r)}: {_one(r.evidence)}"
        )
    if len(found) > limit:
        lines.append(f"    ... {len(found) - limit} more in the report")
    return "\n" + "\n".join(lines)
