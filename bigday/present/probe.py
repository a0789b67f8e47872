"""A probe at the terminal: a progress bar over the page runs, one line per run, and the per-page table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from bigday.present.console import plain, render_text
from bigday.probe.results import PageRun
from bigday.probe.runner import ProbeOutcome
from bigday.report.terminal import recommendation_lines

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (metric, header, format)
    ("lcp", "LCP ms", "{:.0f}"),
    ("inp", "INP ms", "{:.0f}"),
    ("cls", "CLS", "{:.3f}"),
    ("fcp", "FCP ms", "{:.0f}"),
    ("ttfb", "TTFB ms", "{:.0f}"),
    ("tbt", "TBT ms", "{:.0f}"),
    ("si", "SI ms", "{:.0f}"),
    ("performance_score", "perf", "{:.0f}"),
    ("accessibility_score", "a11y", "{:.0f}"),
)
STATS = ("median", "p75", "p95")
NOT_MEASURED = "-"


def _cell(stats: Mapping[str, Any] | None, stat: str, fmt: str) -> str:
    if not stats or stats.get(stat) is None:
        return NOT_MEASURED
    return fmt.format(stats[stat])


def summary_renderable(summary: Mapping[str, Any]) -> Table:
    """Three rows per page (median, p75, p95) per engine; ``-`` marks a metric not measured (INP without
    interaction, or any metric Lighthouse does not report)."""
    table = _engine_table(summary.get("pages", {}), summary.get("runs", {}), "")
    for engine, pages in (summary.get("engines") or {}).items():
        _add_rows(table, pages, {}, f" [{engine}]")
    return table


def _engine_table(pages: Mapping[str, Any], counts: Mapping[str, Any], label: str) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("page", no_wrap=True)
    table.add_column("stat", no_wrap=True)
    for _, header, _ in COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("JS KB", justify="right", no_wrap=True)
    table.add_column("runs", justify="right", no_wrap=True)
    _add_rows(table, pages, counts, label)
    return table


def _add_rows(table: Table, pages: Mapping[str, Any], counts: Mapping[str, Any], label: str) -> None:
    for page in list(counts) or list(pages):
        metrics = pages.get(page, {})
        c = counts.get(page, {})
        runs = f"{c.get('ok', 0)}/{c.get('wanted', '?')}" if c else ""
        js = metrics.get("js_bytes")
        for i, stat in enumerate(STATS):
            js_cell = NOT_MEASURED if not js or js.get(stat) is None else f"{js[stat] / 1000:.0f}"
            table.add_row(
                Text(plain(page) + label) if i == 0 else "",
                stat,
                *(_cell(metrics.get(m), stat, f) for m, _, f in COLUMNS),
                js_cell,
                runs if i == 0 else "",
            )


def failed_audits_lines(summary: Mapping[str, Any]) -> list[str]:
    """Per page, the Lighthouse accessibility audits that failed (heaviest first), as lines to print."""
    lines = []
    for page, a11y in (summary.get("accessibility") or {}).items():
        for audit in a11y.get("failed", []):
            where = ", ".join(audit.get("selectors", [])[:2])
            nodes = f"{audit['nodes']} node(s)" + (f": {plain(where)}" if where else "")
            lines.append(
                f"{plain(page)}: accessibility audit {audit['audit']} failed (weight {audit['weight']}, "
                f"{audit.get('impact') or 'no impact given'}, {nodes}): {plain(audit.get('help', ''))}"
            )
    return lines


def summary_table(summary: Mapping[str, Any]) -> str:
    """The per-page table as plain text."""
    return render_text(summary_renderable(summary))


def run_line(run: PageRun) -> str:
    """One line per page run, so a long probe shows it is alive."""
    engine = " [lighthouse]" if run.engine == "lighthouse" else ""
    label = f"{plain(run.target.page)} run {run.run_index + 1}{' warm' if run.warm else ''}{engine}"
    if not run.ok:
        return f"  {label}: FAILED (attempt {run.attempt}): {plain(run.error)}"
    v = run.vitals

    def ms(x: float | None) -> str:
        return "-" if x is None else f"{x:.0f}"

    cls = "-" if v.cls is None else f"{v.cls:.3f}"
    return (
        f"  {label}: LCP {ms(v.lcp)} ms, INP {ms(v.inp)} ms, CLS {cls}, TTFB {ms(v.ttfb)} ms, "
        f"TBT {ms(v.tbt)} ms, SI {ms(v.si)} ms, perf {ms(v.performance_score)} ({run.duration_s:.1f} s)"
    )


class ProbeProgress:
    """A progress bar over a probe's page runs (count and time left), with each run's line printed above it.

    ``total`` counts the cold page runs wanted; a run counts once it is measured or its last attempt failed."""

    def __init__(self, console: Console, total: int, max_attempts: int) -> None:
        self.console = console
        self.max_attempts = max_attempts
        self.progress = Progress(
            TextColumn("probing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("page runs"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("probe", total=total)

    def __enter__(self) -> ProbeProgress:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.stop()

    def on_run(self, run: PageRun) -> None:
        self.console.print(Text(run_line(run)), soft_wrap=True)
        if not run.warm and (run.ok or run.attempt >= self.max_attempts):
            self.progress.advance(self.task)


def show_outcome(outcome: ProbeOutcome, as_json: bool, out: Console, err: Console) -> None:
    """The per-page table (or JSON) on ``out``; what could not be measured on ``err``."""
    if as_json:
        payload: dict[str, Any] = {
            "run_folder": str(outcome.folder.path),
            "complete": outcome.complete,
            "missing": list(outcome.missing),
            **outcome.summary.to_json(),
            "recommendations": [r.to_json() for r in outcome.recommendations],
        }
        out.print_json(json.dumps(payload), indent=2, highlight=False)
    else:
        summary = outcome.summary.to_json()
        out.print(summary_renderable(summary))
        for line in failed_audits_lines(summary):
            out.print(Text(line), soft_wrap=True)
        for line in recommendation_lines(list(outcome.recommendations)).splitlines():
            if line:
                out.print(Text(plain(line.strip() if line.startswith("  recommendations") else line)), soft_wrap=True)
        out.print(Text(f"run folder: {outcome.folder.path}"), soft_wrap=True)
    if outcome.missing:
        err.print(Text(f"bigday: incomplete: {len(outcome.missing)} page run(s) could not be measured:"))
        for line in outcome.missing:
            err.print(Text(f"  {plain(line)}"), soft_wrap=True)
