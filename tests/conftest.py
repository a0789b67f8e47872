"""Fixtures the repository's own tests share."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bigday.cli import main
from bigday.load.launcher import free_port

BIGDAY = [sys.executable, "-m", "bigday"]


@dataclass(frozen=True)
class CliResult:
    """What one ``bigday`` command line did."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None, subprocess_: bool = False) -> CliResult:
    """Run the real CLI entry point in-process (fast), or as a real process when ``subprocess_``."""
    if subprocess_:
        r = subprocess.run(
            [*BIGDAY, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
        )
        return CliResult(r.returncode, r.stdout, r.stderr)
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """``cli("compare", RUN_DIR, ...)``: the bigday CLI's exit code, stdout and stderr."""
    return run_cli


PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PASSWORD = "s3cret-Pw-for-tests"


class PgCluster:
    """A throwaway PostgreSQL 15 cluster in a temp dir, owned by the postgres user, on 127.0.0.1."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bigday-pg-"))
        self.data, self.sock = self.dir / "data", self.dir / "sock"
        self.sock.mkdir()
        pwfile = self.dir / "pw"
        pwfile.write_text(PG_PASSWORD + "\n")
        for p in (self.dir, self.sock, pwfile):
            shutil.chown(p, "postgres", "postgres")
        self.port = free_port()
        self._pg(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off",
        )
        self.n = 0

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args], check=True, capture_output=True, timeout=120
        )

    def url(self, db: str = "postgres", password: str = PG_PASSWORD) -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        import psycopg

        self.n += 1
        name = f"bigday_t{self.n}"
        with psycopg.connect(self.url().replace("postgresql://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgCluster]:
    if not (PG_BIN / "initdb").is_file():
        pytest.fail("PostgreSQL 15 is not installed at /usr/lib/postgresql/15/bin (scripts/bootstrap.sh installs it)")
    cluster = PgCluster()
    yield cluster
    cluster.stop()
