"""No process left behind: SIGKILL of `bigday load` (which cannot clean up after itself) still ends its Locust
master, the workers the master forked and the embedded target, because each asked the kernel to die with
its parent. The run uses a relative --results-dir, which once sent Locust looking for its plan elsewhere."""

from __future__ import annotations

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


@pytest.mark.browser
def test_sigkill_of_bigday_run_leaves_no_descendant(tmp_path: Path) -> None:
    # Playwright starts its Node driver, and the driver Chromium in a process group of its own: neither can
    # ask the kernel to die with bigday, so bigday's watchdog ends them.
    log = tmp_path / "bigday.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bigday", "run", "--runs", "20", "--pages", "clients", "--accessibility", "off"]
            + ["--results-dir", str(tmp_path / "results")],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_")},
        )
        try:
            deadline = time.monotonic() + 90
            descendants: list[psutil.Process] = []
            while time.monotonic() < deadline and proc.poll() is None:
                descendants = psutil.Process(proc.pid).children(recursive=True)
                lines = " ".join(_command(p) for p in descendants)
                # the browser is measuring pages: its driver, Chromium and its renderers are all up
                if "run-driver" in lines and "chromium" in lines and "clients run " in log.read_text(errors="replace"):
                    break
                time.sleep(0.2)
            assert proc.poll() is None, log.read_text()
            names = [_command(p) for p in descendants]
            assert any("run-driver" in n for n in names) and any("chromium" in n for n in names), names
            pids = [p.pid for p in descendants]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            time.sleep(5)
            assert _alive(pids) == []
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
