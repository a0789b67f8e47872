"""Memory of ``bigday monitor --every 5s`` over a long run: RSS printed over time, growth after the warm-up.

.venv/bin/python benchmarks/monitor_memory.py [--minutes 30] [--every 5s] [--sample 30] [--pages dashboard]

Starts the reference target and ``bigday monitor`` against it (a SQLite store in a temporary folder), samples
the resident memory of the monitor process (Python) and of its whole tree (plus the Playwright driver and
Chromium, which the monitor recycles every 200 checks) every ``--sample`` seconds, and prints one line per
sample and a summary: the growth from the end of the warm-up (5 minutes) to the end, in percent of the RSS
at the end of the warm-up, for the monitor alone and for the tree (the bar: the monitor's growth < 10%).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bigday.target.server import running_target

WARM_UP_S = 300.0


def rss_mb(proc: psutil.Process) -> tuple[float, float]:
    own = proc.memory_info().rss
    tree = own
    for child in proc.children(recursive=True):
        try:
            tree += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return own / 1e6, tree / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--every", default="5s")
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between samples")
    ap.add_argument("--pages", default="dashboard")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bigday-monitor-memory-"))
    store = work / "store.sqlite"
    samples: list[tuple[float, float, float]] = []
    with running_target() as url:
        cmd = [sys.executable, "-m", "bigday", "monitor", "--base-url", url, "--every", args.every]
        cmd += ["--pages", args.pages, "--store", str(store), "--results-dir", str(work / "results")]
        cmd += ["--duration", f"{args.minutes + 1}m"]
        log = (work / "monitor.log").open("w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        p = psutil.Process(proc.pid)
        t0 = time.monotonic()
        print(f"monitor pid {proc.pid}, every {args.every}, pages {args.pages}, store {store}")
        print(f"{'minute':>7} {'monitor MB':>11} {'tree MB':>9} {'checks':>7}")
        try:
            while time.monotonic() - t0 < args.minutes * 60:
                time.sleep(args.sample)
                if proc.poll() is not None:
                    print(f"the monitor exited early ({proc.returncode}); see {work / 'monitor.log'}")
                    return 3
                own, tree = rss_mb(p)
                elapsed = time.monotonic() - t0
                checks = (work / "monitor.log").read_text().count(" check ")
                samples.append((elapsed, own, tree))
                print(f"{elapsed / 60:7.1f} {own:11.1f} {tree:9.1f} {checks:7d}", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=90)
    after = [s for s in samples if s[0] >= WARM_UP_S]
    if len(after) < 2:
        print("too short a run to judge growth after the warm-up")
        return 0
    # Medians of the first and last minute after the warm-up, so one sample taken mid-check does not decide.
    window = max(1, int(60 / args.sample))
    first, last = after[:window], after[-window:]
    for label, i in (("monitor", 1), ("tree", 2)):
        a, b = statistics.median(s[i] for s in first), statistics.median(s[i] for s in last)
        end, growth = after[-1][0] / 60, 100 * (b - a) / a
        print(f"{label}: {a:.1f} MB after {WARM_UP_S / 60:.0f} min -> {b:.1f} MB at {end:.0f} min: {growth:+.1f}%")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
