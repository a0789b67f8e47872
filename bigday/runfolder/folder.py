"""Run folders on disk: ``results/<run-id>/``, the names of the files in them, and atomic writes.

Stages talk through these folders so each can be rerun on saved data.  Files are written atomically
(temporary file, then rename) so a run killed mid-write never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from bigday.errors import ConfigError, RunError
from bigday.settings import redact, resolve


class RunFile(StrEnum):
    """Every file of a run folder; the one place their names are spelled."""

    MANIFEST = "manifest.json"
    PROBE_SAMPLES = "samples.json"
    PROBE_SUMMARY = "summary.json"
    PLAN = "plan.json"
    LOAD_STATS = "load_stats.json"
    LOAD_STATS_CSV = "load_stats.csv"
    LOAD_TIMELINE = "load_timeline.csv"
    LOAD_SAMPLES = "load_samples.csv.gz"
    LOAD_HISTOGRAMS = "load_histograms.json"
    LOAD_RESERVOIR = "load_reservoir.csv.gz"
    LOCUST_REPORT = "locust_report.html"
    LOCUST_LOG = "locust.log"
    LOAD_STATUS = "load_status.json"
    VERDICTS = "verdicts.json"
    ALERTS = "alerts.json"
    ANSWER = "answer.json"
    DASHBOARD = "dashboard.html"
    FILMSTRIP = "filmstrip.json"
    CAPACITY = "capacity.json"
    AB = "ab.json"
    AB_REPORT = "ab.md"
    RECOMMENDATIONS = "recommendations.json"


REPORT_STEM = "report"
# Raw samples kept by one Locust worker process (``--keep-samples``): load_samples.<part>.csv.gz, beside the
# single process's load_samples.csv.gz; together they are the run's raw samples.
SAMPLES_PART_GLOB = "load_samples.*.csv.gz"


def samples_part_name(part: str) -> str:
    """The file a worker process streams its raw samples to; ``part`` names the process."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in part)[:80] or "worker"
    return f"load_samples.{safe}.csv.gz"


# Folders of a probe run: the filmstrip's frames (JPEG), and Lighthouse's own reports (engine lighthouse).
FILMSTRIP_DIR = "filmstrip"
LIGHTHOUSE_DIR = "lighthouse"


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_run_id(kind: str, now: datetime | None = None) -> str:
    now = now or utc_now()
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{kind}-{secrets.token_hex(3)}"


def write_error(path: Path, e: OSError) -> RunError:
    """A file that could not be written (a full disk, a read-only folder): the environment's doing, exit 3."""
    return RunError(f"{path}: cannot be written: {e.strerror or e}")


@contextmanager
def atomic_writer(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file object whose content replaces ``path`` only once the block ends without an error; an OSError
    (ENOSPC, EROFS, ...) leaves the old file and is a RunError naming ``path``."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        f: IO[Any] = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise write_error(path, e) from None
        raise


@contextmanager
def restored_on_failure(paths: Iterable[Path]) -> Iterator[None]:
    """``paths`` put back as they were before the block if it fails: the run folder's half of a write that
    must agree with the store (compare writes verdicts.json, then the store commits; a failed commit takes
    the new verdict back). Hard links keep the old files, so putting them back needs no free space; the block
    must write ``paths`` the way every writer here does, a new file renamed over the old one."""
    kept: dict[Path, Path | None] = {}
    try:
        for path in paths:
            kept[path] = None
            if path.exists():
                backup = path.with_name(f".{path.name}.{secrets.token_hex(4)}.before")
                os.link(path, backup)
                kept[path] = backup
    except OSError as e:
        _drop(kept.values())
        raise write_error(path, e) from None
    try:
        yield
    except BaseException:
        for written, before in kept.items():
            with contextlib.suppress(OSError):
                if before is None:
                    written.unlink(missing_ok=True)
                else:
                    os.replace(before, written)
        raise
    _drop(kept.values())


def _drop(backups: Iterable[Path | None]) -> None:
    for backup in backups:
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink(missing_ok=True)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so readers see the old file or the new one, never half of one; secrets redacted."""
    with atomic_writer(path) as f:
        json.dump(redact.deep(data), f, indent=2, sort_keys=False, default=str)
        f.write("\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file (a report, a page) atomically; secrets redacted."""
    with atomic_writer(path) as f:
        f.write(redact.text(text))


def redact_file(path: Path) -> None:
    """Redact a text file another program wrote into a run folder (Locust's report and log)."""
    try:
        before = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return
    after = redact.text(before)
    if after != before:
        try:
            with atomic_writer(path) as f:
                f.write(after.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace"))
        except RunError:
            # Better no file than one with a secret in clear (its redacted copy did not fit on the disk).
            with contextlib.suppress(OSError):
                path.unlink()
            raise


def read_json(path: Path) -> Any:
    """Read a JSON file of a run folder; ConfigError names the file when it is missing or corrupt."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing; is this a bigday run folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: corrupt JSON ({e}); the run folder is damaged") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read: {e.strerror}") from None


@dataclass(frozen=True)
class RunFolder:
    """A run's folder on disk.  Its files are read and written by the ``read_*``/``write_*`` functions of
    ``bigday.runfolder``, one pair per file; ``read``/``write`` give raw JSON, for tools and tests that look
    at the bytes on disk rather than at the contract."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, kind: str, results_dir: Path | None = None, run_id: str | None = None) -> RunFolder:
        # Absolute, so a child process started in another folder (Locust runs in the run folder) finds it.
        root = Path(results_dir).absolute() if results_dir else resolve.results_dir(None)
        path = root / (run_id or new_run_id(kind))
        try:
            path.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise ConfigError(f"{path}: run folder already exists") from None
        except OSError as e:
            raise ConfigError(f"{root}: cannot create a run folder there: {e.strerror}") from None
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> RunFolder:
        p = Path(path)
        if not (p / RunFile.MANIFEST).is_file():
            raise ConfigError(f"{p}: not a bigday run folder (no {RunFile.MANIFEST})")
        return cls(p)

    def file(self, name: RunFile | str) -> Path:
        return self.path / name

    def has(self, name: RunFile) -> bool:
        return self.file(name).is_file()

    def report_file(self, extension: str) -> Path:
        """Where ``bigday report`` writes a format by default: ``report.<extension>``."""
        return self.path / f"{REPORT_STEM}.{extension}"

    def write(self, name: RunFile | str, data: Any) -> Path:
        target = self.file(name)
        write_json_atomic(target, data)
        return target

    def read(self, name: RunFile | str) -> Any:
        return read_json(self.file(name))
