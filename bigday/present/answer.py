"""The Saturday answer at the terminal: the closing summary table, the answer line and the dashboard's path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bigday.present.console import plain
from bigday.probe.runner import ProbeOutcome
from bigday.runfolder import Answer, Decision, Status

_STYLE = {Decision.GO: "bold green", Decision.NO_GO: "bold red", Decision.INCONCLUSIVE: "bold magenta"}
_STATUS_STYLE = {Status.FAIL: "red", Status.INCONCLUSIVE: "magenta", Status.WARN: "yellow", Status.PASS: "green"}
SHOWN_REASONS = 12


def reasons_table(answer: Answer) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for col in ("#", "status", "where", "metric", "what", "against"):
        table.add_column(col, overflow="fold")
    for r in answer.reasons[:SHOWN_REASONS]:
        table.add_row(
            str(r.rank),
            Text(r.status.upper(), style=_STATUS_STYLE.get(r.status, "")),
            Text(plain(r.subject)),
            Text(plain(r.metric)),
            Text(plain(r.text)),
            Text(r.against),
        )
    return table


def answer_line(answer: Answer) -> Text:
    return Text(f"bigday: {plain(answer.headline)}", style=_STYLE[answer.decision])


def answer_document(answer: Answer, dashboard: Path, exit_code: int, probe: ProbeOutcome | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "answer": answer.to_json(),
        "exit_code": exit_code,
        "dashboard": str(dashboard),
        "run_folder": str(dashboard.parent),
    }
    if probe is not None:
        doc["probe"] = {"complete": probe.complete, "missing": list(probe.missing), **probe.summary.to_json()}
    return doc


def show_answer(
    answer: Answer,
    dashboard: Path,
    out: Console,
    *,
    quiet: bool = False,
    as_json: bool = False,
    exit_code: int = 0,
    probe: ProbeOutcome | None = None,
) -> None:
    """The last thing a run prints: the reasons (unless quiet), the answer line and the dashboard's path."""
    if as_json:
        out.print_json(json.dumps(answer_document(answer, dashboard, exit_code, probe), default=str), indent=2)
        return
    if quiet:
        out.print(answer_line(answer), soft_wrap=True)
        return
    if answer.reasons:
        out.print(Text("\nWhy:", style="bold"))
        out.print(reasons_table(answer))
        if len(answer.reasons) > SHOWN_REASONS:
            out.print(Text(f"  ... {len(answer.reasons) - SHOWN_REASONS} more on the dashboard"))
    out.print(answer_line(answer), soft_wrap=True)
    out.print(Text(f"dashboard: {dashboard}"), soft_wrap=True)
