"""What every report renders: a run folder's manifest, verdicts, alerts and (for charts) its samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bigday.errors import ConfigError
from bigday.runfolder import (
    Alert,
    Check,
    Manifest,
    ProbeSample,
    RunFile,
    RunFolder,
    RunKind,
    Status,
    Verdicts,
    read_alerts,
    read_manifest,
    read_probe_samples,
    read_verdicts,
)

STATUS_ORDER = {Status.FAIL: 0, Status.INCONCLUSIVE: 1, Status.WARN: 2, Status.SKIPPED: 3, Status.PASS: 4}


@dataclass(frozen=True)
class ReportData:
    """A judged run, as read back from its folder."""

    manifest: Manifest
    verdicts: Verdicts
    alerts: tuple[Alert, ...]
    samples: tuple[ProbeSample, ...]

    @property
    def run_id(self) -> str:
        return self.verdicts.run_id or self.manifest.run_id

    def checks(self) -> list[Check]:
        """Checks, failures first."""
        return sorted(self.verdicts.checks, key=lambda c: (STATUS_ORDER[c.status], c.page, c.metric, c.kind))


def baseline_lines(v: Verdicts, run: str, note: str, difference: str) -> list[str]:
    """What a text report says of the baseline, in its own wording: the run it is (``run`` takes ``spec``,
    ``run_id`` and ``started_at``), its note (``note``), and each way its environment differs (``difference``)."""
    base = v.baseline
    if not base:
        return []
    out = []
    if base.run_id:
        out.append(run.format(spec=base.spec, run_id=base.run_id, started_at=base.started_at))
    if base.note:
        out.append(note.format(base.note))
    out += [difference.format(d) for d in base.environment_differences]
    return out


def load_report(run_dir: str | Path) -> ReportData:
    folder = RunFolder.open(run_dir)
    manifest = read_manifest(folder)
    if not folder.has(RunFile.VERDICTS):
        raise ConfigError(f"{folder.file(RunFile.VERDICTS)}: missing; run 'bigday compare {folder.path}' first")
    verdicts = read_verdicts(folder)
    alerts = read_alerts(folder)
    samples = read_probe_samples(folder).samples if manifest.kind is RunKind.PROBE else ()
    return ReportData(manifest, verdicts, alerts.alerts if alerts else (), samples)
