"""One entry point for every report format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bigday.errors import ConfigError
from bigday.report.capacity import is_capacity_search, render_capacity
from bigday.report.dashboard import render_dashboard
from bigday.report.data import ReportData, load_report
from bigday.report.history import History
from bigday.report.jsonreport import render_json
from bigday.report.junit import render_junit
from bigday.report.markdown import render_markdown, render_pr_comment
from bigday.report.terminal import render_terminal
from bigday.runfolder import RunFile, RunFolder, write_text_atomic
from bigday.settings.scenario import Scenario

FORMATS: dict[str, str] = {"terminal": "txt", "md": "md", "junit": "xml", "json": "json", "html": "html"}


@dataclass(frozen=True)
class RenderOptions:
    """What a format may use beyond the run folder."""

    scenario: Scenario | None = None  # thresholds for the trend charts, tenant names for a tenant's view
    link_base: Path | None = None  # where the file will live, for relative links (the run folder by default)
    pr_comment: bool = False  # md: the compact, marked pull-request comment


_SIMPLE: dict[str, Callable[[ReportData], str]] = {
    "terminal": render_terminal,
    "junit": render_junit,
    "json": render_json,
}


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")


def render_data(data: ReportData, fmt: str, options: RenderOptions | None = None) -> str:
    check_format(fmt)
    o = options or RenderOptions()
    if fmt == "html":
        return render_dashboard(data, o.scenario, o.link_base)
    if fmt == "md":
        return render_pr_comment(data) if o.pr_comment else render_markdown(data)
    return _SIMPLE[fmt](data)


def tenant_names(scenario: Scenario | None) -> dict[str, str]:
    return {t.id: t.name for t in scenario.tenants} if scenario else {}


def render(
    run_dir: str | Path,
    fmt: str,
    options: RenderOptions | None = None,
    tenant: str | None = None,
    history: History | None = None,
) -> str:
    check_format(fmt)
    folder = RunFolder.open(run_dir)
    if is_capacity_search(folder):
        return render_capacity(folder, fmt, tenant)
    data = load_report(run_dir, history)
    if tenant is not None:
        data = data.for_tenant(tenant, tenant_names((options or RenderOptions()).scenario))
    return render_data(data, fmt, options)


def default_path(run_dir: str | Path, fmt: str, tenant: str | None = None) -> Path:
    """``RUN_DIR/dashboard.html`` for HTML (``dashboard-<tenant>.html`` for a tenant), else ``report.<ext>``."""
    folder = RunFolder(Path(run_dir))
    if fmt == "html":
        name = folder.file(RunFile.DASHBOARD)
        return name.with_name(f"{name.stem}-{tenant}{name.suffix}") if tenant else name
    path = folder.report_file(FORMATS[fmt])
    return path.with_name(f"{path.stem}-{tenant}{path.suffix}") if tenant else path


def write_report(
    run_dir: str | Path, fmt: str, text: str, target: Path | None = None, tenant: str | None = None
) -> Path:
    """Write atomically (temporary file, then rename) to ``target`` or the format's default path."""
    path = target or default_path(run_dir, fmt, tenant)
    try:
        write_text_atomic(path, text)
    except OSError as e:
        raise ConfigError(f"{path}: cannot write the report: {e.strerror}") from None
    return path
