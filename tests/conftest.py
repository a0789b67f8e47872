"""Fixtures the repository's own tests share."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bigday.cli import main

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
