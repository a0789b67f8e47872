"""Ctrl-C during `bigday run` keeps the page runs measured so far: the folder is marked incomplete, holds
their samples, and `bigday ingest` accepts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _as_from_a_shell() -> None:
    # A shell starts a command with SIGINT delivered and handled by default. This test process may not be so
    # (once Locust's gevent is imported, its event loop may block or ignore signals), and a child inherits both.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupted(args: list[str], log: Path, ready: str, count: int, wait_s: float) -> int:
    """Start ``bigday ARGS`` as a shell would, SIGINT it once its stderr says ``ready`` ``count`` times, and
    return its exit code (killed if it outlives ``wait_s`` after the signal)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_")}
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bigday", *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            preexec_fn=_as_from_a_shell,
        )
        try:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and proc.poll() is None:
                if log.read_text(errors="replace").count(ready) >= count:
                    break
                time.sleep(0.2)
            assert proc.poll() is None, log.read_text()
            proc.send_signal(signal.SIGINT)
            return proc.wait(wait_s)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.browser
# Serial: beside parallel workers, Playwright's driver once answered a command the interrupted client had
# already dropped, and printed that as a traceback in its event listener.
@pytest.mark.serial
def test_sigint_during_run_keeps_the_measured_page_runs(tmp_path: Path) -> None:
    results = tmp_path / "results"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_")}
    log = tmp_path / "stderr.log"
    args = ["run", "--runs", "20", "--pages", "clients", "--accessibility", "off", "--results-dir", str(results)]
    code = _interrupted(args, log, "clients run ", 2, 60)
    stderr = log.read_text(errors="replace")
    assert code == 130, stderr
    assert "Traceback" not in stderr and "never retrieved" not in stderr, stderr
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    manifest = json.loads((run / "manifest.json").read_text())
    samples = json.loads((run / "samples.json").read_text())["samples"]
    assert manifest["status"] == "incomplete" and manifest["complete"] is False and manifest["finished_at"]
    assert len(samples) >= 2 and all(s["page"] == "clients" for s in samples)
    out = subprocess.run(
        [sys.executable, "-m", "bigday", "ingest", str(run), "--store", str(tmp_path / "s.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0 and "ingested" in out.stdout, out


@pytest.mark.browser
@pytest.mark.serial  # as above: Playwright's driver beside parallel workers
def test_sigint_during_an_ab_experiment_keeps_its_runs(tmp_path: Path) -> None:
    results = tmp_path / "results"
    log = tmp_path / "stderr.log"
    args = ["ab", "--runs", "20", "--pages", "new-form", "--metrics", "lcp", "--results-dir", str(results)]
    code = _interrupted(args, log, "new-form", 3, 30)
    stderr = log.read_text(errors="replace")
    assert code == 130 and "bigday: interrupted" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    exp = json.loads((run / "ab.json").read_text())
    assert len(exp["runs"]) >= 3 and exp["stopped"].startswith(f"interrupted after {len(exp['runs'])} page runs")
    assert exp["outcome"] == "inconclusive" and (run / "ab.md").is_file()
