"""What every report renders: a run folder's manifest, verdicts, alerts and (for charts) its samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigday.errors import ConfigError
from bigday.runfolder import RunFolder

STATUS_ORDER = {"fail": 0, "warn": 1, "skipped": 2, "pass": 3}


@dataclass(frozen=True)
class ReportData:
    """A judged run, as read back from its folder."""

    run_dir: Path
    manifest: dict[str, Any]
    verdicts: dict[str, Any]
    alerts: list[dict[str, Any]]
    samples: list[dict[str, Any]]

    @property
    def run_id(self) -> str:
        return str(self.verdicts.get("run_id") or self.manifest.get("run_id"))

    def checks(self) -> list[dict[str, Any]]:
        """Checks, failures first."""
        return sorted(
            self.verdicts.get("checks", []),
            key=lambda c: (STATUS_ORDER.get(c["status"], 9), c["page"], c["metric"], c["kind"]),
        )


def load_report(run_dir: str | Path) -> ReportData:
    folder = RunFolder.open(run_dir)
    manifest = folder.manifest()
    if not folder.file("verdicts.json").is_file():
        raise ConfigError(f"{folder.file('verdicts.json')}: missing; run 'bigday compare {folder.path}' first")
    verdicts = folder.read("verdicts.json")
    if not isinstance(verdicts, dict) or not isinstance(verdicts.get("checks"), list):
        raise ConfigError(f"{folder.file('verdicts.json')}: not a bigday verdicts file (no checks)")
    alerts: list[dict[str, Any]] = []
    if folder.file("alerts.json").is_file():
        raw = folder.read("alerts.json")
        alerts = raw.get("alerts", []) if isinstance(raw, dict) else []
    samples: list[dict[str, Any]] = []
    if folder.file("samples.json").is_file():
        raw = folder.read("samples.json")
        samples = raw.get("samples", []) if isinstance(raw, dict) else []
    return ReportData(folder.path, manifest, verdicts, alerts, samples)
