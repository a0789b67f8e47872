"""``manifest.json``: what ran, when, against what, in which environment, and whether it finished."""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic.dataclasses import dataclass

from bigday import __version__
from bigday.runfolder.document import (
    FORBID,
    WRITTEN_FORMAT,
    Record,
    StrictInt,
    UtcTime,
    omitted,
    read_document,
    write_document,
)
from bigday.runfolder.enums import RunKind
from bigday.runfolder.folder import RunFile, RunFolder
from bigday.settings import redact, resolve
from bigday.settings.scenario import DEFAULT_SCENARIO, Scenario

RunStatus = Literal["ok", "incomplete", "failed"]
# The source checkout bigday runs from, if any: the embedded reference target's code lives there.
_CHECKOUT = Path(__file__).resolve().parents[2]
Rehearsal = Literal["saturday", "isolation", "capacity"]
# The CSV files of a load run cannot carry a version of their own (plain CSV readers would choke on it):
# the manifest records theirs.
LOAD_CSV_FILES = (RunFile.LOAD_STATS_CSV, RunFile.LOAD_TIMELINE, RunFile.LOAD_SAMPLES, RunFile.LOAD_RESERVOIR)


@dataclass(frozen=True, config=FORBID)
class ScenarioRef(Record):
    """The scenario a run followed: its name, where it was read from, and the hash of its text."""

    name: str | None = None
    path: str | None = None
    sha256: str | None = None


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Environment(Record):
    """What a baseline must share with a run to be compared without a caveat (DESIGN §1)."""

    harness_version: str | None = None
    python: str | None = None
    platform: str | None = None
    cpu_count: StrictInt | None = None
    # Probe runs.
    browser: str | None = omitted()
    browser_version: str | None = omitted()
    web_vitals_version: str | None = omitted()
    axe_core_version: str | None = omitted()
    profile: str | None = omitted()
    profile_settings: dict[str, Any] | None = omitted()
    lighthouse_version: str | None = omitted()  # the pinned Lighthouse, when --engine ran it
    # Load runs.
    locust_version: str | None = omitted()
    load_processes: int | None = omitted()
    machine: str | None = omitted()


@dataclass(frozen=True, config=FORBID, kw_only=True)
class App(Record):
    """The app under test; git sha and branch only when they are known to be the app's."""

    base_url: str | None = None
    embedded_target: bool | None = None
    target_isolation: str | None = omitted()  # load runs against the embedded target
    git_sha: str | None = None
    git_branch: str | None = None
    tenancy: str | None = omitted()  # how requests named their tenant: "query tenant", "header X-Studio", "account"
    sign_in: str | None = omitted()  # how visitors signed in: sign_in, storage_state, cookies, headers
    # The environment variables the scenario named for secrets: their names only, never their values.
    secrets: tuple[str, ...] | None = omitted()

    def redacted(self) -> App:
        return dataclasses.replace(self, base_url=redact.url(self.base_url))


@dataclass(frozen=True, config=FORBID, kw_only=True)
class ProbeSettings(Record):
    """How a probe run was asked to measure."""

    runs: int
    pages: tuple[str, ...]
    tenant: str | None
    warm: bool
    timeout_s: float
    max_attempts: int
    knobs: dict[str, str]
    accessibility: str
    tbt_window: str
    engine: str = "bigday"  # bigday | lighthouse | both (--engine)
    filmstrip: bool = False
    parity: bool = False  # --parity: a fresh Chromium per run, Lighthouse's trace categories
    coverage: bool = False  # --coverage: JS and CSS coverage recorded for the unused-code recommendations


@dataclass(frozen=True, config=FORBID, kw_only=True)
class Manifest(Record):
    """One run: written when it starts (status ``incomplete``) and again when it ends."""

    run_id: str
    kind: RunKind
    rehearsal: Rehearsal | None = omitted()
    started_at: UtcTime
    finished_at: UtcTime | None = None
    complete: bool
    status: RunStatus
    trustworthy: bool | None = omitted()
    scenario: ScenarioRef = ScenarioRef()
    environment: Environment = Environment()
    app: App = App()
    probe: ProbeSettings | None = omitted()
    formats: dict[str, int] | None = omitted()  # format versions of files that cannot record their own
    argv: tuple[str, ...] | None = omitted()

    def format_of(self, file: RunFile) -> int:
        """The format version of a CSV file of this run (1 when not recorded: written before versions were)."""
        return (self.formats or {}).get(str(file), 1)


def load_csv_formats() -> dict[str, int]:
    """The versions of the load CSV files this bigday writes, for the manifest of a load run."""
    return {str(f): WRITTEN_FORMAT[f] for f in LOAD_CSV_FILES}


def read_manifest(folder: RunFolder) -> Manifest:
    return read_document(folder.file(RunFile.MANIFEST), RunFile.MANIFEST, Manifest)


def write_manifest(folder: RunFolder, manifest: Manifest) -> None:
    """Write the manifest; the command line that started the run is recorded unless the manifest has one."""
    argv = manifest.argv if manifest.argv is not None else tuple(sys.argv)
    manifest = dataclasses.replace(manifest, argv=redact.argv(argv), app=manifest.app.redacted())
    write_document(folder, RunFile.MANIFEST, manifest)


def environment_fingerprint(**extra: Any) -> Environment:
    """The harness and machine a run used, with the stage's own facts (browser, Locust, ...) in ``extra``."""
    base: dict[str, Any] = {
        "harness_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    return Environment(**(base | extra))


def git_info(cwd: Path | None = None) -> dict[str, str | None]:
    """Git sha and branch of the app under test: BIGDAY_APP_SHA/BRANCH, else the CI's variables, else git of
    ``cwd`` (the scenario's folder; None: no git fallback)."""
    sha, branch = resolve.app_revision()
    if (sha and branch) or cwd is None:
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


def app_record(
    scenario: Scenario, base_url: str | None, embedded: bool, sign_in: str | None = None, **extra: Any
) -> App:
    """The manifest's ``app``: where it answered, its commit and branch, how tenants and sign-in worked.

    The commit falls back to git of the scenario's folder (of bigday's checkout for the embedded target, whose
    code is bigday's); the bundled example scenario's folder is bigday's, not an app's, so it gives none."""
    if embedded:
        folder: Path | None = _CHECKOUT
    else:
        folder = None if scenario.source == DEFAULT_SCENARIO else scenario.folder
    return App(
        base_url=redact.url(base_url),
        embedded_target=embedded,
        **git_info(folder),
        tenancy=scenario.tenancy.describe(),
        sign_in=sign_in or scenario.auth.method,
        secrets=scenario.secret_names() or None,
        **extra,
    )
