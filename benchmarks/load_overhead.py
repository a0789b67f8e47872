"""Harness overhead: bigday's user classes vs bare Locust FastHttpUser against a static loopback endpoint.

Bar: bigday's users (tenant headers, context tagging, raw per-tenant samples, CPU sampling, the shape, the
scenario's user mix including photographers' multipart uploads) reach at least 80% of a bare
FastHttpUser's requests per second.  Both run side by side in one benchmark run: one Locust process each,
the same number of users, no think time, alternating bare/bigday for several rounds; medians compared.

The endpoint is bigday.load.static_server (pure asyncio, fixed 200 response).  Requests are counted by the
server over a steady window (after ramp-up, before shutdown), identically for both.  The generator's and
the server's CPU over the window are printed: the comparison means something only while the generator,
not the server, is the busy one.  Photographers upload a 2 KB JPEG, so the harness is measured, not the
copying of megabytes.

Usage: .venv/bin/python benchmarks/load_overhead.py [--rounds 5] [--window 6] [--users 40]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bigday.load.launcher import LOCUSTFILE_FOR, kill_tree  # noqa: E402
from bigday.load.plan import PlanOverrides, build_plan  # noqa: E402
from bigday.settings.scenario import load_scenario  # noqa: E402
from bigday.stats import median  # noqa: E402

BARE = """
from locust import FastHttpUser, constant, task


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/")
"""
WARM_S = 3.0


def served(url: str) -> int:
    return int(httpx.get(url + "/__count", timeout=5, trust_env=False).text)


def measure(
    args: list[str], url: str, window_s: float, server: psutil.Process, cwd: Path
) -> tuple[float, float, float]:
    """(req/s, generator CPU %, server CPU %) over a steady window of one Locust run."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "locust", *args, "--headless", "--only-summary", "--loglevel", "ERROR"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
    )
    try:
        gen = psutil.Process(proc.pid)
        time.sleep(WARM_S)
        gen.cpu_percent(None)
        server.cpu_percent(None)
        c1, t1 = served(url), time.monotonic()
        time.sleep(window_s)
        c2, t2 = served(url), time.monotonic()
        gen_cpu, srv_cpu = gen.cpu_percent(None), server.cpu_percent(None)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
            proc.wait()
    return (c2 - c1 - 1) / (t2 - t1), gen_cpu, srv_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--window", type=float, default=6.0, help="measured seconds per run (after 3 s of warm-up)")
    ap.add_argument("--users", type=int, default=40)
    opts = ap.parse_args()
    run_s = int(WARM_S + opts.window + 2)

    server_proc = subprocess.Popen(
        [sys.executable, "-m", "bigday.load.static_server"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server_proc.stdout is not None
        url = server_proc.stdout.readline().split()[-1]
        server = psutil.Process(server_proc.pid)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "bare.py").write_text(BARE)
            plan = build_plan(
                load_scenario(),
                "saturday",
                PlanOverrides(
                    stages=f"start:1s:{opts.users},bench:{run_s - 1}s:{opts.users}",
                    think_time="0",
                    photo_sizes_kb=(2,),
                    batch_size=(1, 3),
                ),
            )
            (work / "plan.json").write_text(plan.dumps())
            bare_args = [
                "-f",
                str(work / "bare.py"),
                "--host",
                url,
                "-u",
                str(opts.users),
                "-r",
                str(opts.users),
                "--run-time",
                f"{run_s}s",
            ]
            ours_args = [
                "-f",
                str(LOCUSTFILE_FOR["saturday"]),
                "--host",
                url,
                "--bigday-plan",
                str(work / "plan.json"),
                "--bigday-out",
                str(work / "run"),
            ]
            bare, ours = [], []
            for r in range(opts.rounds):
                b = measure(bare_args, url, opts.window, server, work)
                o = measure(ours_args, url, opts.window, server, work)
                for p in (work / "run").glob("*"):
                    p.unlink()
                bare.append(b[0])
                ours.append(o[0])
                print(
                    f"round {r + 1}: bare {b[0]:6.0f} req/s (gen CPU {b[1]:3.0f}%, server {b[2]:3.0f}%)   "
                    f"bigday {o[0]:6.0f} req/s (gen CPU {o[1]:3.0f}%, server {o[2]:3.0f}%)   "
                    f"ratio {o[0] / b[0]:.2f}",
                    flush=True,
                )
    finally:
        server_proc.terminate()
        server_proc.wait(10)
        if server_proc.stdout:
            server_proc.stdout.close()
    mb, mo = median(bare), median(ours)
    ratio = mo / mb
    print(
        f"median of {opts.rounds} rounds; {opts.users} users, 1 Locust process each, {opts.window:g} s windows; "
        f"{psutil.cpu_count()} cores, load average {psutil.getloadavg()[0]:.1f}"
    )
    print(f"  bare FastHttpUser    {mb:7.0f} req/s")
    print(f"  bigday user classes  {mo:7.0f} req/s")
    print(f"  ratio bigday/bare    {ratio:.2f}  (bar >= 0.80: {'PASS' if ratio >= 0.80 else 'FAIL'})")


if __name__ == "__main__":
    main()
