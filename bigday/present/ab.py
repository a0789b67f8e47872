"""An A/B experiment at the terminal: one line per page x metric, then the outcome."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bigday.present.console import plain
from bigday.runfolder import AbExperiment, AbRun, Status

_STYLE = {Status.FAIL: "red", Status.INCONCLUSIVE: "magenta", Status.WARN: "yellow", Status.PASS: "green"}


def show_run(err: Console, run: AbRun) -> None:
    state = f"LCP {run.metrics['lcp']:.0f} ms" if run.ok and "lcp" in run.metrics else ("ok" if run.ok else "failed")
    err.print(Text(f"round {run.round + 1} {run.side.upper()} {plain(run.page)}: {state}"), style="dim")


def show_experiment(exp: AbExperiment, as_json: bool, out: Console, path: str) -> None:
    if as_json:
        out.print_json(json.dumps(exp.to_json() | {"runs": len(exp.runs)}))
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for col in ("status", "verdict"):
        table.add_column(col, overflow="fold")
    for f in exp.findings:
        table.add_row(Text(f.status.upper(), style=_STYLE.get(f.status, "")), Text(plain(f.message)))
    out.print(table)
    out.print(
        Text(
            f"bigday ab: {exp.outcome.upper()} after {exp.runs_per_side} runs per side "
            f"({exp.design.mode}; stopped: {exp.stopped}); report {path}",
            style=_STYLE.get(exp.outcome, ""),
        )
    )
