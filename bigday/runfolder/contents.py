"""A run folder read and validated once: its manifest and the measurements of its kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bigday.errors import ConfigError
from bigday.runfolder.enums import RunKind
from bigday.runfolder.folder import RunFile, RunFolder
from bigday.runfolder.load_samples import LoadSamples, read_load_reservoir, read_load_samples
from bigday.runfolder.load_stats import LoadStats, read_load_stats
from bigday.runfolder.manifest import Manifest, read_manifest
from bigday.runfolder.probe import ProbeSamples, read_probe_samples
from bigday.runfolder.recommendations import Recommendation, read_recommendations
from bigday.settings.limits import MAX_RUN_FOLDER_BYTES


@dataclass(frozen=True)
class RunContents:
    """A probe run's samples, or a load run's statistics and samples (its reservoir, or the raw samples of a
    run from before reservoirs), with the manifest."""

    folder: RunFolder
    manifest: Manifest
    probe_samples: ProbeSamples | None = None
    load_stats: LoadStats | None = None
    load_samples: LoadSamples | None = None
    recommendations: tuple[Recommendation, ...] = ()

    @property
    def run_id(self) -> str:
        return self.manifest.run_id


# What ingest and compare read of a run folder (the filmstrip's frames and Lighthouse's reports are not).
READ_FILES = (
    RunFile.MANIFEST,
    RunFile.PROBE_SAMPLES,
    RunFile.RECOMMENDATIONS,
    RunFile.LOAD_STATS,
    RunFile.LOAD_RESERVOIR,
    RunFile.LOAD_SAMPLES,
)


def check_size(folder: RunFolder) -> None:
    """Refuse a folder whose files to read exceed the stated limit, before reading any of them."""
    sizes = {}
    # Kept raw samples are not read where the run has a reservoir (read_run_contents reads that instead).
    skip = RunFile.LOAD_SAMPLES if folder.has(RunFile.LOAD_RESERVOIR) else None
    for name in READ_FILES:
        if name is skip:
            continue
        try:
            sizes[name] = folder.file(name).stat().st_size
        except OSError:
            continue  # absent: the reader of that file says so, if it matters
    total = sum(sizes.values())
    if total > MAX_RUN_FOLDER_BYTES:
        largest = max(sizes, key=lambda n: sizes[n])
        mib = 2**20
        raise ConfigError(
            f"{folder.path}: its files to read come to {total / mib:,.0f} MiB ({largest} {sizes[largest] / mib:,.0f}"
            f" MiB); a run folder may hold at most {MAX_RUN_FOLDER_BYTES / mib:,.0f} MiB of them"
        )


def read_run_contents(run_dir: str | Path) -> RunContents:
    """Everything compare and the store need from a run folder; ConfigError names the damaged file, or the
    folder when its files are larger than the stated limit."""
    folder = RunFolder.open(run_dir)
    check_size(folder)
    manifest = read_manifest(folder)
    if manifest.kind is RunKind.PROBE:
        found = read_recommendations(folder)
        return RunContents(
            folder,
            manifest,
            probe_samples=read_probe_samples(folder),
            recommendations=found.recommendations if found else (),
        )
    # The reservoir where the run has one (bounded, and what its verdicts rest on); else the raw samples of a
    # folder written before reservoirs.
    samples = read_load_reservoir(folder)
    if samples is None:
        samples = read_load_samples(folder)
    return RunContents(folder, manifest, load_stats=read_load_stats(folder), load_samples=samples)
