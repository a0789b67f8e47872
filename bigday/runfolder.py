"""Run folders: ``results/<run-id>/`` holds a manifest, raw samples, summaries, verdicts and reports.

Stages talk through these folders so each can be rerun on saved data.  Files are written atomically
(temporary file, then rename) so a run killed mid-write never leaves a half-written JSON behind.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bigday import __version__
from bigday.errors import ConfigError

DEFAULT_RESULTS_DIR = Path(os.environ.get("BIGDAY_RESULTS_DIR", Path(__file__).resolve().parent.parent / "results"))
MANIFEST = "manifest.json"


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_run_id(kind: str, now: datetime | None = None) -> str:
    now = now or utc_now()
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{kind}-{secrets.token_hex(3)}"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=False, default=str)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    """Read a JSON file of a run folder; ConfigError names the file when it is missing or corrupt."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing; is this a bigday run folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: corrupt JSON ({e}); the run folder is damaged") from None


def git_info(cwd: Path | None = None) -> dict[str, str | None]:
    """Git sha and branch of the app under test, from BIGDAY_APP_SHA/BRANCH or the working tree."""
    sha = os.environ.get("BIGDAY_APP_SHA")
    branch = os.environ.get("BIGDAY_APP_BRANCH")
    if sha and branch:
        return {"git_sha": sha, "git_branch": branch}
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD", "--abbrev-ref", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.split()
        return {"git_sha": sha or out[0], "git_branch": branch or out[1]}
    except (OSError, subprocess.SubprocessError, IndexError):
        return {"git_sha": sha, "git_branch": branch}


def environment_fingerprint(**extra: Any) -> dict[str, Any]:
    """What a baseline must share with a run to be compared without a caveat."""
    env = {
        "harness_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    env.update(extra)
    return env


@dataclass(frozen=True)
class RunFolder:
    """A run's folder on disk."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, kind: str, results_dir: Path | None = None, run_id: str | None = None) -> RunFolder:
        root = Path(results_dir) if results_dir else DEFAULT_RESULTS_DIR
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
        if not (p / MANIFEST).is_file():
            raise ConfigError(f"{p}: not a bigday run folder (no {MANIFEST})")
        return cls(p)

    def file(self, name: str) -> Path:
        return self.path / name

    def write(self, name: str, data: Any) -> Path:
        target = self.file(name)
        write_json_atomic(target, data)
        return target

    def read(self, name: str) -> Any:
        return read_json(self.file(name))

    def manifest(self) -> dict[str, Any]:
        data = self.read(MANIFEST)
        if not isinstance(data, dict) or "kind" not in data:
            raise ConfigError(f"{self.file(MANIFEST)}: not a bigday manifest (no 'kind')")
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest.setdefault("run_id", self.run_id)
        manifest.setdefault("argv", sys.argv)
        self.write(MANIFEST, manifest)
