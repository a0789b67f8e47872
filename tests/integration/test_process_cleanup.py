"""No process left behind: SIGKILL of `bigday load` (which cannot clean up after itself) still ends its Locust
master, the workers the master forked and the embedded target, because each asked the kernel to die with
its parent. The run uses a relative --results-dir, which once sent Locust looking for its plan elsewhere."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest


def _alive(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{pid} {' '.join(p.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    return out


def _command(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


@pytest.mark.load
def test_sigkill_of_bigday_load_leaves_no_descendant(tmp_path: Path) -> None:
    log = (tmp_path / "bigday.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bigday", "load", "saturday", "--peak-users", "6", "--time-scale", "0.1"]
        + ["--processes", "2", "--results-dir", "results"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_")},
    )
    try:
        deadline = time.monotonic() + 90
        descendants: list[psutil.Process] = []
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            descendants = psutil.Process(proc.pid).children(recursive=True)
            status = next((tmp_path / "results").glob("*/load_status.json"), None)
            # the target, the Locust master and its two workers, with Locust reporting progress (so it found its plan)
            if len(descendants) >= 4 and status is not None:
                break
            time.sleep(0.2)
        assert proc.poll() is None, (tmp_path / "bigday.log").read_text()
        assert len(descendants) >= 4 and status is not None, [p.cmdline() for p in descendants]
        pids = [p.pid for p in descendants]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        time.sleep(5)
        assert _alive(pids) == []
    finally:
        log.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# What shows each engine at work: Playwright's driver and Chromium measuring a page; Lighthouse's Node and the
# Chromium it launched.
AT_WORK = {"bigday": ("run-driver", "chromium"), "lighthouse": ("lighthouse", "chromium")}


@pytest.mark.browser
@pytest.mark.parametrize("engine", ["bigday", "lighthouse"])
def test_sigkill_of_bigday_run_leaves_no_descendant(tmp_path: Path, engine: str) -> None:
    # Playwright starts its Node driver and the driver Chromium in a process group of its own, and Lighthouse's
    # Node launches its own Chromium: none of them can ask the kernel to die with bigday, so bigday's watchdog
    # ends them. (Playwright's driver also closes its Chromium when its pipe from bigday closes; Lighthouse
    # would run on to the end of its audit, ~20 s.)
    log = tmp_path / "bigday.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bigday", "run", "--runs", "20", "--pages", "clients", "--accessibility", "off"]
            + ["--engine", engine, "--results-dir", str(tmp_path / "results")],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_")},
        )
        try:
            deadline = time.monotonic() + 90
            descendants: list[psutil.Process] = []
            while time.monotonic() < deadline and proc.poll() is None:
                descendants = psutil.Process(proc.pid).children(recursive=True)
                commands = " ".join(_command(p) for p in descendants)
                if all(marker in commands for marker in AT_WORK[engine]):
                    break
                time.sleep(0.2)
            assert proc.poll() is None, log.read_text()
            commands = " ".join(_command(p) for p in descendants)
            assert all(marker in commands for marker in AT_WORK[engine]), commands
            time.sleep(0.5)  # Chromium at work on the page, its renderers started
            pids = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            time.sleep(5)
            left = _alive(pids)
            for pid in pids:  # whatever is left is ended here, so a failure leaves nothing running either
                with contextlib.suppress(psutil.Error):
                    psutil.Process(pid).kill()
            assert left == []
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
