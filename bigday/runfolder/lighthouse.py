"""``lighthouse/``: Lighthouse's own JSON report of each page run made with ``--engine lighthouse``.

The reports are Lighthouse's format, kept whole for its own tools (the viewer, ``lhci``); bigday reads its
scores and metrics from them into ``samples.json``, and nothing of them but those numbers reaches the store
(so its base64 screenshots and filmstrip never do)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bigday.errors import ConfigError
from bigday.runfolder.folder import LIGHTHOUSE_DIR, RunFolder, read_json, write_text_atomic

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def lighthouse_report_file(page: str, run_index: int) -> str:
    """Where a page run's Lighthouse report is kept, relative to the run folder."""
    return f"{LIGHTHOUSE_DIR}/{_UNSAFE.sub('_', page)}-run{run_index + 1}.report.json"


def write_lighthouse_report(folder: RunFolder, page: str, run_index: int, report_text: str) -> str:
    """Keep Lighthouse's report as Lighthouse wrote it; returns its path relative to the folder."""
    relative = lighthouse_report_file(page, run_index)
    write_text_atomic(folder.path / relative, report_text)
    return relative


def read_lighthouse_report(folder: RunFolder, relative: str) -> dict[str, Any]:
    path = folder.path / relative
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise ConfigError(f"{path}: a Lighthouse report must lie inside the run folder")
    data = read_json(path)
    if not isinstance(data, dict) or "lighthouseVersion" not in data:
        raise ConfigError(f"{path}: not a Lighthouse report (no lighthouseVersion)")
    return data


def report_json(text: str, source: str) -> dict[str, Any]:
    """Parse a report Lighthouse just wrote; ConfigError names where it came from."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{source}: Lighthouse wrote no valid JSON report ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: Lighthouse's report is not a JSON object")
    return data
