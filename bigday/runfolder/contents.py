"""A run folder read and validated once: its manifest and the measurements of its kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bigday.runfolder.enums import RunKind
from bigday.runfolder.folder import RunFolder
from bigday.runfolder.load_samples import LoadSamples, read_load_samples
from bigday.runfolder.load_stats import LoadStats, read_load_stats
from bigday.runfolder.manifest import Manifest, read_manifest
from bigday.runfolder.probe import ProbeSamples, read_probe_samples


@dataclass(frozen=True)
class RunContents:
    """A probe run's samples, or a load run's statistics and (when kept) raw samples, with the manifest."""

    folder: RunFolder
    manifest: Manifest
    probe_samples: ProbeSamples | None = None
    load_stats: LoadStats | None = None
    load_samples: LoadSamples | None = None

    @property
    def run_id(self) -> str:
        return self.manifest.run_id


def read_run_contents(run_dir: str | Path) -> RunContents:
    """Everything compare and the store need from a run folder; ConfigError names the damaged file."""
    folder = RunFolder.open(run_dir)
    manifest = read_manifest(folder)
    if manifest.kind is RunKind.PROBE:
        return RunContents(folder, manifest, probe_samples=read_probe_samples(folder))
    return RunContents(folder, manifest, load_stats=read_load_stats(folder), load_samples=read_load_samples(folder))
