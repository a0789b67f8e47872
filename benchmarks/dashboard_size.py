"""The dashboard's size and render time: a 5-page x 5-run probe run with its load sections.

Runs ``bigday run --runs 5 --load --rehearsal`` (short rehearsals) against the embedded target, unless a run
folder with an ``answer.json`` is given, then opens its ``dashboard.html`` in headless Chromium several times
and prints the file size, the median time until the first screen's charts are painted (bars: under 3 MB, under
2 s) and the time until every chart is drawn.

    .venv/bin/python benchmarks/dashboard_size.py [RUN_DIR] [--repeats 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright


def make_run(tmp: Path) -> Path:
    cmd = [sys.executable, "-m", "bigday", "run", "--runs", "5", "--results-dir", str(tmp),
           "--load", "--rehearsal", "--time-scale", "0.1", "--peak-users", "20"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800).stdout
    m = re.search(r"^dashboard: (.+)$", out, re.MULTILINE)
    if not m:
        raise SystemExit(f"bigday run printed no dashboard path:\n{out[-2000:]}")
    return Path(m.group(1)).parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", nargs="?")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    run = Path(args.run_dir) if args.run_dir else make_run(Path(tempfile.mkdtemp(prefix="bigday-dash-")))
    page_file = run / "dashboard.html"
    size = page_file.stat().st_size
    times, all_times, charts, points = [], [], 0, 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for _ in range(args.repeats):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            t0 = time.perf_counter()
            page.goto(page_file.absolute().as_uri())
            page.wait_for_selector("body[data-rendered]", state="attached", timeout=30_000)
            times.append(time.perf_counter() - t0)
            page.wait_for_selector("body[data-all-rendered]", state="attached", timeout=30_000)
            all_times.append(time.perf_counter() - t0)
            charts = page.evaluate("window.bigdayCharts.length")
            points = page.evaluate("window.bigdayCharts.reduce((n, c) => n + c.points, 0)")
            page.close()
        browser.close()
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"run folder: {run}")
    print(f"dashboard.html: {size / 1e6:.2f} MB (bar 3 MB), {charts} charts, {points} data points")
    print(f"render (load to the first screen's charts painted): median {statistics.median(times):.3f} s of "
          f"{len(times)} (min {min(times):.3f}, max {max(times):.3f}; bar 2 s)")  # fmt: skip
    print(f"every chart drawn (the rest in idle time): median {statistics.median(all_times):.3f} s "
          f"(min {min(all_times):.3f}, max {max(all_times):.3f}); load average {' '.join(load)}")  # fmt: skip


if __name__ == "__main__":
    main()
