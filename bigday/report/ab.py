"""The A/B experiment's report (``ab.md``): what was compared, how many runs, and one verdict per page x metric."""

from __future__ import annotations

from bigday.runfolder import AbExperiment, AbSide, AbVerdict

_MARK = {
    AbVerdict.B_BETTER: "B better",
    AbVerdict.B_WORSE: "B worse",
    AbVerdict.NO_DIFFERENCE: "same",
    AbVerdict.INCONCLUSIVE: "need more runs",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def describe_side(side: AbSide) -> str:
    where = side.base_url or "the embedded reference target"
    knobs = ", ".join(f"{k}={v}" for k, v in side.knobs)
    return where + (f" with {knobs}" if knobs else "")


def render_ab_markdown(exp: AbExperiment) -> str:
    d = exp.design
    lines = [
        f"# A/B experiment {exp.run_id}: {exp.outcome.upper()}",
        "",
        f"- A: {_cell(describe_side(exp.a))}",
        f"- B: {_cell(describe_side(exp.b))}",
        f"- pages: {', '.join(exp.pages)}; metrics: {', '.join(exp.metrics)}; profile {exp.profile}",
        f"- runs: {exp.runs_per_side} per side and page, interleaved (A B, then B A); "
        f"{'--runs auto' if d.mode == 'auto' else 'fixed'}: {d.procedure}, alpha {d.alpha:g}, "
        f"looks at {', '.join(str(n) for n in d.looks)} runs; {exp.looks_taken} taken; stopped: {exp.stopped}",
        "",
        "| page | metric | verdict | what | runs (A/B) | q | level |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in exp.findings:
        what = f.message.split(": ", 1)[1] if ": " in f.message else f.message
        q = "" if f.q_value is None else f"{f.q_value:.3g}"
        bound = "" if f.bound is None else f"{f.bound:.3g}"
        lines.append(
            f"| {_cell(f.page)} | {f.metric} | {_MARK[f.verdict]} | {_cell(what)} | {f.runs_a}/{f.runs_b} | {q} | "
            f"{bound} |"
        )
    if not exp.findings:
        lines.append("| | | | nothing was measured on both sides | | | |")
    failed = [r for r in exp.runs if not r.ok]
    if failed:
        lines += ["", f"{len(failed)} page run(s) failed and carry no values."]
    lines += [f"- {n}" for n in exp.notes]
    return "\n".join(lines) + "\n"
