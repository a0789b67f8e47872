"""Parity on a real single-page app from PyPI that nobody here wrote: JupyterLab (its prebuilt front end, about
5 MB of JavaScript rendered progressively), served by its own server on 127.0.0.1 and signed in by a token
in the URL, measured by bigday and by the pinned Lighthouse 12.2.3 in interleaved rounds.

Modes, each ``--runs`` times, round by round so drift of the machine spreads over all of them:
  own      bigday as it runs by default: one warm Chromium for all runs, a two-category trace for Speed Index
  cold     a freshly started Chromium per run (Lighthouse launches Chrome per run)
  traced   the load traced with Lighthouse's own trace categories (its observer cost)
  parity   both (``bigday probe --parity``)
  lighthouse  the pinned Lighthouse on the same URL and profile
Each mode's medians of LCP, FCP, SI, TBT, CLS and the performance score, and parity against Lighthouse
(bars: LCP and FCP within 15 %, score within 5 points).  JupyterLab is not a bigday dependency: install it
beside (``python3 -m venv /tmp/jlab && /tmp/jlab/bin/pip install jupyterlab==4.6.6``) and pass ``--jupyter``.

    .venv/bin/python benchmarks/spa_parity.py --jupyter /tmp/jlab/bin/jupyter [--runs 9] [--profile lighthouse-desktop]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from bigday.probe.assets import load_assets
from bigday.probe.browser import chromium, launch_options
from bigday.probe.lighthouse import TRACE_CATEGORIES, run_lighthouse
from bigday.probe.measure import MeasureSettings, measure
from bigday.probe.profiles import get_profile
from bigday.probe.results import PageRun, PageTarget
from bigday.runfolder import RunFolder
from bigday.stats import median

MODES = ("own", "cold", "traced", "parity", "lighthouse")
METRICS = ("lcp", "fcp", "si", "tbt", "cls", "performance_score")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_jupyter(jupyter: str, root: Path, token: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    (root / "notebooks").mkdir()
    cmd = [
        jupyter,
        "lab",
        "--allow-root",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root / 'notebooks'}",
        f"--LabApp.workspaces_dir={root / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = (root / "jupyter.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"JupyterLab did not answer within 60 s; see {root / 'jupyter.log'}")


def _version(jupyter: str) -> str:
    out = subprocess.run([jupyter, "lab", "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or "unknown"


def _bigday_run(browser: Any, target: PageTarget, settings: MeasureSettings, assets: Any, i: int) -> PageRun:
    return measure(browser, target, settings, assets, run_index=i)[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jupyter", default="jupyter", help="the jupyter executable of an environment with jupyterlab")
    ap.add_argument(
        "--runs", type=int, default=9, help="runs per mode (default 9: a run's score ranges over ~20 points)"
    )
    ap.add_argument("--profile", default="lighthouse-desktop")
    args = ap.parse_args()
    profile = get_profile(args.profile)
    assets = load_assets()
    token = secrets.token_hex(12)
    runs: dict[str, list[PageRun]] = {m: [] for m in MODES}
    print(f"JupyterLab {_version(args.jupyter)} from PyPI; profile {profile.name}; {args.runs} runs per mode")
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp, chromium() as warm:
        proc, base = _start_jupyter(args.jupyter, Path(tmp), token)
        try:
            # ?reset starts every visit from JupyterLab's default workspace, so no run sees a layout an earlier
            # run left behind (the workspace is saved on the server).
            target = PageTarget("lab", "/lab", f"{base}/lab?reset&token={token}", None, ())
            own = MeasureSettings(profile=profile, accessibility=False, timeout_s=60)
            traced = replace(own, trace_categories=TRACE_CATEGORIES)
            folder = RunFolder.create("probe", Path(tmp) / "results")
            _bigday_run(warm, target, own, assets, -1)  # warm-up: the server's first answers are slower
            for i in range(args.runs):
                runs["own"].append(_bigday_run(warm, target, own, assets, i))
                runs["traced"].append(_bigday_run(warm, target, traced, assets, i))
                for mode, settings in (("cold", own), ("parity", traced)):
                    cold = warm.browser_type.launch(**launch_options())
                    try:
                        runs[mode].append(_bigday_run(cold, target, settings, assets, i))
                    finally:
                        cold.close()
                runs["lighthouse"].append(run_lighthouse(folder, target, profile, i, timeout_s=240))
                done = {m: runs[m][-1] for m in MODES}
                print(
                    f"round {i + 1}: "
                    + "; ".join(
                        f"{m} LCP {r.vitals.lcp or 0:.0f} FCP {r.vitals.fcp or 0:.0f} TBT {r.vitals.tbt or 0:.0f} "
                        f"CLS {r.vitals.cls or 0:.3f} perf {r.vitals.performance_score}"
                        if r.ok
                        else f"{m} failed: {r.error}"
                        for m, r in done.items()
                    ),
                    flush=True,
                )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"\n{'mode':11}" + "".join(f"{m:>18}" for m in METRICS) + f"{'s/run':>8}")
    medians: dict[str, dict[str, float | None]] = {}
    for mode in MODES:
        ok = [r for r in runs[mode] if r.ok]
        medians[mode] = {
            m: median(v) if (v := [x for r in ok if (x := r.vitals.get(m)) is not None]) else None for m in METRICS
        }
        cells = "".join(
            f"{'-' if medians[mode][m] is None else format(medians[mode][m], '.3f' if m == 'cls' else '.0f'):>18}"
            for m in METRICS
        )
        secs = median(r.duration_s for r in ok) if ok else float("nan")
        print(f"{mode:11}{cells}{secs:8.1f}  (n={len(ok)})")
    lh = medians["lighthouse"]
    print("\nagainst Lighthouse's medians (bars: LCP, FCP within 15 %; score within 5 points):")
    for mode in MODES[:-1]:
        m = medians[mode]
        parts = []
        for metric in ("lcp", "fcp"):
            if m[metric] and lh[metric]:
                parts.append(f"{metric.upper()} {100 * (m[metric] / lh[metric] - 1):+.0f}%")
        if m["performance_score"] is not None and lh["performance_score"] is not None:
            parts.append(f"score {m['performance_score'] - lh['performance_score']:+.0f} points")
        print(f"  {mode:8} " + ", ".join(parts))
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
