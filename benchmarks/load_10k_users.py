"""10,000 concurrent users against the reference target on this machine, held for at least 60 s.

Bar: the Saturday spike's user classes (scenario mix, think times 2-8 s, photographers uploading camera-sized
JPEGs) reach 10,000 concurrent users and hold them for >= 60 s at the plateau, with both cores generating
load (`--processes 2`).  Printed: users reached and seconds held, plateau rps, p95/p99 and error rate (from
bigday's raw samples), generator CPU per Locust process, and the generator's peak memory per 1,000 users.

The target shares the two cores with the generator; at this load it is the bottleneck, so its latency and
errors describe a saturated single-process app, not the harness.  The target runs as it ships (fair pools,
per-tenant queue bound 16): what it cannot queue it sheds with 503 + Retry-After, which shows up as errors
(photographers end a batch on a 503, as the app's uploader does).

Usage: .venv/bin/python benchmarks/load_10k_users.py [--users 10000] [--ramp 100] [--hold 75] [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bigday.stats import median  # noqa: E402
from bigday.target.server import running_target  # noqa: E402


def raise_open_files() -> int:
    """A socket per user on both ends: lift the soft open-file limit to the hard limit (inherited by children)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class MemoryWatch:
    """Peak summed RSS of the Locust processes under a parent, and the target's CPU, sampled each second."""

    def __init__(self, parent_pid: int, target_pid: int | None) -> None:
        self.parent_pid = parent_pid
        self.target = psutil.Process(target_pid) if target_pid else None
        self.peak_rss = 0
        self.target_cpu: list[float] = []
        self.machine_cpu: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _locust_procs(self) -> list[psutil.Process]:
        try:
            return [
                p for p in psutil.Process(self.parent_pid).children(recursive=True) if "locust" in " ".join(p.cmdline())
            ]
        except psutil.Error:
            return []

    def _run(self) -> None:
        psutil.cpu_percent(None)
        if self.target:
            self.target.cpu_percent(None)
        while not self._stop.wait(1.0):
            rss = 0
            for p in self._locust_procs():
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            self.machine_cpu.append(psutil.cpu_percent(None))
            if self.target:
                try:
                    self.target_cpu.append(self.target.cpu_percent(None))
                except psutil.Error:
                    pass

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--ramp", type=int, default=100, help="seconds to ramp from 0 to --users")
    ap.add_argument("--hold", type=int, default=75, help="seconds at the plateau")
    ap.add_argument("--processes", type=int, default=2)
    opts = ap.parse_args()
    nofile = raise_open_files()
    stages = f"ramp:{opts.ramp}s:{opts.users},spike:{opts.hold}s:{opts.users},ramp-down:10s:0"
    load_before = psutil.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, running_target() as url:
        target_pid = next(
            (c.pid for c in psutil.Process().children(recursive=True) if "bigday.target" in " ".join(c.cmdline())), None
        )
        cmd = [
            sys.executable,
            "-m",
            "bigday",
            "load",
            "saturday",
            "--base-url",
            url,
            "--stages",
            stages,
            "--processes",
            str(opts.processes),
            "--results-dir",
            tmp,
            "--run-time",
            f"{opts.ramp + opts.hold + 120}s",
        ]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        with MemoryWatch(proc.pid, target_pid) as watch:
            output, _ = proc.communicate(timeout=opts.ramp + opts.hold + 400)
        elapsed = time.monotonic() - started
        run_dir = next(Path(tmp).iterdir())
        stats = json.loads((run_dir / "load_stats.json").read_text())

    timeline = stats["timeline"]
    held = [p for p in timeline if p["users"] >= opts.users]
    held_s = (held[-1]["t"] - held[0]["t"]) if len(held) > 1 else 0.0
    plateau_rps = median(p["rps"] for p in held) if held else 0.0
    verdict = stats["verdicts"][0]
    health = stats["generator"]["health"]
    peak = stats["peak_users_reached"]
    print(f"command: {' '.join(cmd[1:])}")
    print(
        f"machine: {psutil.cpu_count()} cores, load average before {load_before[0]:.1f}; open-file limit {nofile}; "
        f"target: reference target as shipped (fair pools)"
    )
    print(f"run: {elapsed:.0f} s wall, exit code {proc.returncode}; results {run_dir.name}")
    print(
        f"users reached:       {peak} (planned {opts.users}); held at >= {opts.users} for {held_s:.0f} s "
        f"(bar >= 60 s: {'PASS' if peak >= opts.users and held_s >= 60 else 'FAIL'})"
    )
    print(
        f"plateau rps:         {plateau_rps:.0f} (median of 1 s samples); {verdict['plateau_count']} requests "
        f"in the plateau phase"
    )
    print(
        f"plateau p95 / p99:   {verdict['plateau_p95_ms']} / {verdict['plateau_p99_ms']} ms (exact, from raw samples)"
    )
    print(f"plateau error rate:  {verdict['plateau_error_rate']:.2%}")
    for node, h in sorted(health["per_process"].items()):
        print(
            f"generator CPU {node[:18]:18s} median {h['median']:5.1f}%  max {h['max']:5.1f}%  "
            f"above 90%: {h['fraction_above_bar']:.1%} of {h['samples']} s"
        )
    print(f"generator saturated: {health['saturated']}")
    print(
        f"generator memory:    peak {watch.peak_rss / 1e6:.0f} MB across Locust processes = "
        f"{watch.peak_rss / 1e6 / (max(peak, 1) / 1000):.1f} MB per 1,000 users"
    )
    if watch.target_cpu:
        print(
            f"target CPU:          median {median(watch.target_cpu):.0f}% (100% = one core); machine CPU median "
            f"{median(watch.machine_cpu):.0f}%"
        )
    errors = {}
    for row in stats["stats"]:
        if row["tenant"] == row["user_kind"] == row["endpoint"] == "*" and row["phase"] == "spike":
            errors = row["errors"]
    print(f"plateau error kinds: {errors or 'none'}")
    print("verdict lines:")
    for line in output.splitlines():
        if not line.startswith("bigday load:"):
            print("  " + line)


if __name__ == "__main__":
    main()
