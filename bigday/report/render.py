"""One entry point for every report format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bigday.errors import ConfigError
from bigday.report.data import ReportData, load_report
from bigday.report.html import render_html
from bigday.report.jsonreport import render_json
from bigday.report.junit import render_junit
from bigday.report.markdown import render_markdown
from bigday.report.terminal import render_terminal
from bigday.runfolder import RunFolder, write_text_atomic

FORMATS: dict[str, tuple[Callable[[ReportData], str], str]] = {
    "terminal": (render_terminal, "txt"),
    "md": (render_markdown, "md"),
    "junit": (render_junit, "xml"),
    "json": (render_json, "json"),
    "html": (render_html, "html"),
}


def render(run_dir: str | Path, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    return FORMATS[fmt][0](load_report(run_dir))


def write_report(run_dir: str | Path, fmt: str, text: str, target: Path | None = None) -> Path:
    """Write atomically (temporary file, then rename) to ``target`` or ``RUN_DIR/report.<ext>``."""
    path = target or RunFolder(Path(run_dir)).report_file(FORMATS[fmt][1])
    try:
        write_text_atomic(path, text)
    except OSError as e:
        raise ConfigError(f"{path}: cannot write the report: {e.strerror}") from None
    return path
