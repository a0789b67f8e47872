"""The per-page summary table printed to the terminal: median, p75 and p95 of the vitals, and JS size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (metric, header, format)
    ("lcp", "LCP ms", "{:.0f}"),
    ("inp", "INP ms", "{:.0f}"),
    ("cls", "CLS", "{:.3f}"),
    ("fcp", "FCP ms", "{:.0f}"),
    ("ttfb", "TTFB ms", "{:.0f}"),
    ("tbt", "TBT ms", "{:.0f}"),
)
STATS = ("median", "p75", "p95")
NOT_MEASURED = "-"


def _cell(stats: Mapping[str, Any] | None, stat: str, fmt: str) -> str:
    if not stats or stats.get(stat) is None:
        return NOT_MEASURED
    return fmt.format(stats[stat])


def summary_table(summary: Mapping[str, Any]) -> str:
    """Three rows per page (median, p75, p95); ``-`` marks a metric not measured (INP without interaction)."""
    pages: Mapping[str, Any] = summary.get("pages", {})
    counts: Mapping[str, Any] = summary.get("runs", {})
    header = ["page", "stat", *(h for _, h, _ in COLUMNS), "JS KB", "runs"]
    rows: list[list[str]] = []
    names = list(counts) or list(pages)
    for page in names:
        metrics = pages.get(page, {})
        c = counts.get(page, {})
        runs = f"{c.get('ok', 0)}/{c.get('wanted', '?')}" if c else ""
        for i, stat in enumerate(STATS):
            js = metrics.get("js_bytes")
            js_cell = NOT_MEASURED if not js or js.get(stat) is None else f"{js[stat] / 1000:.0f}"
            rows.append(
                [
                    page if i == 0 else "",
                    stat,
                    *(_cell(metrics.get(m), stat, f) for m, _, f in COLUMNS),
                    js_cell,
                    runs if i == 0 else "",
                ]
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
        cells += [v.rjust(w) for v, w in zip(r[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
