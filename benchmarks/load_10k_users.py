"""10,000 concurrent users against the reference target on this machine, held for at least 60 s.

Bar: the Saturday spike's user classes (scenario mix, think times 2-8 s, photographers uploading camera-sized
JPEGs) reach 10,000 concurrent users and hold them for >= 60 s at the plateau, with both cores generating
load (`--processes 2`).  Printed: users reached and seconds held, plateau rps, p95/p99 and error rate (from
bigday's raw samples), generator CPU per Locust process, and the generator's peak memory per 1,000 users.

The target shares the two cores with the generator; at this load it is the bottleneck, so its latency and
errors describe a saturated single-process app, not the harness.  The target runs as it ships (fair pools,
per-tenant queue bound 16): what it cannot queue it sheds with 503 + Retry-After, which shows up as errors
(photographers end a batch on a 503, as the app's uploader does).

With ``--sink`` it measures the generator's memory instead: bigday's Saturday classes and bare Locust
FastHttpUser classes with the same users, journeys (the scenario's mix, endpoints and task weights,
photographers uploading batches from a photo pool built once per process) and think times, one after the
other in one run, each against bigday.load.static_server (a loopback sink that answers every request at
once, so neither waits on an app).  Bar (the issue's): bigday's peak memory per 1,000 users at most 1.5x bare
Locust's, and its memory at the end of the hold under 10% above its memory a minute into the hold; the
photo pool is printed separately (both hold the same one).  Printed per side: memory per process over the
hold (a minute in, peak, end), rps served by the sink over the hold, p95, CPU per process.  The full bar is
``--sink --users 10000 --processes 2 --hold 300``.

Usage: .venv/bin/python benchmarks/load_10k_users.py [--users 10000] [--ramp 100] [--hold 75] [--processes 2]
       .venv/bin/python benchmarks/load_10k_users.py --sink [--users 10000] [--ramp 60] [--hold 300]
           [--processes 2] [--photo-sizes 20,30,40,10]
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
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
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
    """Peak summed RSS of the Locust processes under a parent, and the target's CPU, sampled each second;
    ``series`` keeps every sample: (seconds since the watch began, {pid: RSS bytes}, {pid: CPU %})."""

    def __init__(self, parent_pid: int, target_pid: int | None) -> None:
        self.parent_pid = parent_pid
        self.target = psutil.Process(target_pid) if target_pid else None
        self.peak_rss = 0
        self.target_cpu: list[float] = []
        self.machine_cpu: list[float] = []
        self.series: list[tuple[float, dict[int, int], dict[int, float]]] = []
        self._procs: dict[int, psutil.Process] = {}
        self._began = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _locust_procs(self) -> list[psutil.Process]:
        try:
            parent = psutil.Process(self.parent_pid)
            # The parent too: bare `locust --processes N` is itself the master of the workers it forks.
            family = [parent, *parent.children(recursive=True)]
            return [p for p in family if "locust" in " ".join(p.cmdline())]
        except psutil.Error:
            return []

    def _run(self) -> None:
        psutil.cpu_percent(None)
        if self.target:
            self.target.cpu_percent(None)
        while not self._stop.wait(1.0):
            rss: dict[int, int] = {}
            cpu: dict[int, float] = {}
            for p in self._locust_procs():
                p = self._procs.setdefault(p.pid, p)  # the same object each time, so cpu_percent has a baseline
                try:
                    rss[p.pid] = p.memory_info().rss
                    cpu[p.pid] = p.cpu_percent(None)
                except psutil.Error:
                    pass
            self.series.append((time.monotonic() - self._began, rss, cpu))
            self.peak_rss = max(self.peak_rss, sum(rss.values()))
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
    ap.add_argument("--ramp", type=int, default=None, help="seconds to ramp from 0 to --users (100; 60 with --sink)")
    ap.add_argument("--hold", type=int, default=None, help="seconds at the plateau (75; 300 with --sink)")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--sink", action="store_true", help="memory beside bare Locust, against a loopback sink")
    ap.add_argument("--photo-sizes", default="20,30,40,10", help="--sink: the photo pool in KB (both sides)")
    opts = ap.parse_args()
    if opts.sink:
        opts.ramp = 60 if opts.ramp is None else opts.ramp
        opts.hold = 300 if opts.hold is None else opts.hold
        run_sink_comparison(opts, raise_open_files())
        return
    opts.ramp = 100 if opts.ramp is None else opts.ramp
    opts.hold = 75 if opts.hold is None else opts.hold
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


# ---------------------------------------------------------------- --sink: memory beside bare Locust

# The scenario's journeys as plain FastHttpUser classes: the same endpoints, task weights, batch sizes, mix
# (Locust weights 5:3:2) and think times, a tenant on every request, the same photo pool built once per
# process, and none of bigday's tagging, samples, histograms or shape.
BARE_SATURDAY = """
import random

from locust import FastHttpUser, between, task

from bigday.load.photos import CONTENT_TYPE, photo_pool

SIZES = tuple(int(x) for x in "{sizes}".split(","))
TENANTS = ("everafter", "lumen", "petal")


class _Tenant(FastHttpUser):
    abstract = True
    wait_time = between(2, 8)

    def on_start(self):
        self.q = "tenant=" + random.choice(TENANTS)


class BarePhotographer(_Tenant):
    weight = 5

    @task(1)
    def upload_batch(self):
        for _ in range(random.randint(2, 5)):
            photo = random.choice(photo_pool(SIZES))
            self.client.post("/api/photos?" + self.q, data=photo.body, headers={{"Content-Type": CONTENT_TYPE}})

    @task(3)
    def gallery(self):
        self.client.get("/photos/gallery?" + self.q)
        self.client.get("/api/photos?" + self.q)


class BarePlanner(_Tenant):
    weight = 3

    @task(3)
    def dashboard(self):
        self.client.get("/dashboard?" + self.q)

    @task(2)
    def clients(self):
        self.client.get("/clients?" + self.q)
        q = random.choice(["Hart", "Lee", "Smith", "Garcia", "Nguyen", "Okafor", ""])
        self.client.get(f"/api/clients?offset={{random.choice([0, 50, 100, 150])}}&limit=50&q={{q}}&" + self.q)

    @task(2)
    def timeline(self):
        self.client.get("/timeline/edit?" + self.q)
        self.client.get("/api/timeline?" + self.q)


class BareCouple(_Tenant):
    weight = 2

    @task(3)
    def gallery(self):
        self.client.get("/photos/gallery?" + self.q)
        self.client.get("/api/photos?" + self.q)

    @task(1)
    def timeline(self):
        self.client.get("/api/timeline?" + self.q)
"""


def _sink_served(url: str) -> int:
    return int(httpx.get(url + "/__count", timeout=10, trust_env=False).text)


def _memory_figures(watch: MemoryWatch, ramp_s: int, hold_s: int, users: int) -> dict[str, Any]:
    """Over the hold (from the first Locust process's start + the ramp): summed and per-process RSS a minute
    into the hold, at its peak and at its end, and each process's median CPU."""
    # Every Locust process up (master and workers): the users start within a second or two of that.
    # (the usual number of them: a short-lived helper process must not set the count)
    usual = Counter(len(rss) for _, rss, _ in watch.series if rss).most_common(1)[0][0]
    samples = [(t, rss, cpu) for t, rss, cpu in watch.series if len(rss) >= usual]
    began = samples[0][0]
    idle = sum(samples[0][1].values())
    hold = [(t - began - ramp_s, rss, cpu) for t, rss, cpu in samples if ramp_s <= t - began <= ramp_s + hold_s]
    if not hold:
        counts = Counter(len(rss) for _, rss, _ in watch.series)
        raise SystemExit(
            f"no memory samples in the hold: {len(watch.series)} samples, process counts {dict(counts)}, "
            f"{samples[-1][0] - began:.0f} s of them with {usual} processes"
        )
    total = [(t, sum(rss.values())) for t, rss, _ in hold]
    minute = next((mb for t, mb in total if t >= 60), total[0][1])
    end = total[-1][1]
    pids = sorted({p for _, rss, _ in hold for p in rss})
    per_process = {
        p: (
            max(rss.get(p, 0) for _, rss, _ in hold) / 1e6,
            median([cpu[p] for _, _, cpu in hold if p in cpu] or [0.0]),
        )
        for p in pids
    }
    peak = max(mb for _, mb in total)
    return {
        "idle_mb": idle / 1e6,
        "added_per_1000": (peak - idle) / 1e6 / (users / 1000),
        "peak_mb": peak / 1e6,
        "per_1000": peak / 1e6 / (users / 1000),
        "minute_mb": minute / 1e6,
        "end_mb": end / 1e6,
        "growth": end / minute - 1.0,
        "per_process": per_process,
        "held_s": hold[-1][0] if hold else 0.0,
    }


def _run_side(
    cmd: list[str], url: str, opts: argparse.Namespace, cwd: Path, log_path: Path
) -> tuple[dict[str, Any], float, int]:
    """One side: its memory figures, the rps the sink served over the hold, and its exit code."""
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=cwd)
    counts: list[tuple[float, int]] = []
    with MemoryWatch(proc.pid, None) as watch:
        while proc.poll() is None:
            try:
                counts.append((time.monotonic(), _sink_served(url)))
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        proc.wait(timeout=60)
    log.close()
    err = log_path.read_text()
    if proc.returncode != 0:
        sys.stderr.write(f"exit code {proc.returncode}: {err[-3000:]}\n")
    figures = _memory_figures(watch, opts.ramp, opts.hold, opts.users)
    # Served over the hold: the sink's count a ramp after the first sample, to the ramp + hold.
    t0 = counts[0][0] if counts else 0.0
    inside = [(t, c) for t, c in counts if opts.ramp + 5 <= t - t0 <= opts.ramp + opts.hold]
    rps = (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]) if len(inside) > 1 else 0.0
    return figures, rps, proc.returncode


def _bare_p95(prefix: Path) -> float | None:
    import csv

    try:
        with open(f"{prefix}_stats.csv", newline="") as f:
            return next(float(r["95%"]) for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    except (OSError, StopIteration, ValueError):
        return None


def run_sink_comparison(opts: argparse.Namespace, nofile: int) -> None:
    sizes = ",".join(str(int(x)) for x in opts.photo_sizes.split(","))
    load_before = psutil.getloadavg()
    duration = opts.ramp + opts.hold
    rate = max(1, opts.users // max(opts.ramp, 1))
    sink = subprocess.Popen([sys.executable, "-m", "bigday.load.static_server"], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        url = sink.stdout.readline().split()[-1]
        sink_ps = psutil.Process(sink.pid)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "bare.py").write_text(BARE_SATURDAY.format(sizes=sizes))
            bare_cmd = [sys.executable, "-m", "locust", "-f", str(work / "bare.py"), "--headless", "--host", url]
            bare_cmd += ["-u", str(opts.users), "-r", str(rate), "-t", f"{duration}s", "--processes"]
            bare_cmd += [str(opts.processes), "--only-summary", "--loglevel", "ERROR", "--csv", str(work / "bare")]
            ours_cmd = [sys.executable, "-m", "bigday", "load", "saturday", "--base-url", url, "--stages"]
            ours_cmd += [f"ramp:{opts.ramp}s:{opts.users},spike:{opts.hold}s:{opts.users}"]
            ours_cmd += ["--processes", str(opts.processes), "--photo-sizes", sizes, "--results-dir", str(work)]
            ours_cmd += ["--run-time", f"{duration + 120}s"]
            sink_ps.cpu_percent(None)
            bare, bare_rps, bare_rc = _run_side(bare_cmd, url, opts, work, work / "bare.log")
            bare_sink_cpu = sink_ps.cpu_percent(None)
            ours, ours_rps, ours_rc = _run_side(ours_cmd, url, opts, ROOT, work / "bigday.log")
            ours_sink_cpu = sink_ps.cpu_percent(None)
            run_dir = next(p for p in work.iterdir() if p.is_dir())
            stats = json.loads((run_dir / "load_stats.json").read_text())
            bare_p95 = _bare_p95(work / "bare")
    finally:
        sink.terminate()
        sink.wait(10)
        if sink.stdout:
            sink.stdout.close()
    verdict = stats["verdicts"][0]
    print(f"bigday's run: {stats['stop_reason']} after {stats['duration_s']:.0f} s; caveats: {verdict['caveats']}")
    memory = stats["generator"].get("memory") or {}
    pool_mb = max((m["photo_pool_mb"] for m in memory.values()), default=0.0)
    print(f"command: {' '.join(sys.argv)}")
    print(
        f"machine: {psutil.cpu_count()} cores, load average before {load_before[0]:.1f}, after "
        f"{psutil.getloadavg()[0]:.1f}; open-file limit {nofile}"
    )
    print(
        f"each side: {opts.users} users ({opts.processes} processes), ramp {opts.ramp} s, hold {opts.hold} s, think "
        f"2-8 s, photo pool {sizes} KB ({pool_mb:.1f} MB a process, held by both sides); exit codes bare "
        f"{bare_rc}, bigday {ours_rc}"
    )
    print(f"{'':24}{'bare FastHttpUser':>20}{'bigday':>14}")
    rows = [
        ("before any user (MB)", bare["idle_mb"], ours["idle_mb"], ".0f"),
        ("peak memory (MB)", bare["peak_mb"], ours["peak_mb"], ".0f"),
        ("per 1,000 users (MB)", bare["per_1000"], ours["per_1000"], ".1f"),
        ("  over idle, per 1,000", bare["added_per_1000"], ours["added_per_1000"], ".1f"),
        ("a minute into hold (MB)", bare["minute_mb"], ours["minute_mb"], ".0f"),
        ("end of hold (MB)", bare["end_mb"], ours["end_mb"], ".0f"),
        ("growth after 1st minute", bare["growth"] * 100, ours["growth"] * 100, "+.1f"),
        ("rps served by the sink", bare_rps, ours_rps, ".0f"),
        ("sink CPU (%)", bare_sink_cpu, ours_sink_cpu, ".0f"),
    ]
    for label, b, o, spec in rows:
        sign, rest = ("+", spec[1:]) if spec.startswith("+") else ("", spec)
        print(f"{label:24}{b:>{sign}20{rest}}{o:>{sign}14{rest}}")
    print(f"{'p95 (ms)':24}{bare_p95 if bare_p95 is not None else '-':>20}{verdict['plateau_p95_ms']!s:>14}")
    print(f"{'error rate':24}{'':>20}{verdict['plateau_error_rate']:>14.2%}")
    for side, figures in (("bare", bare), ("bigday", ours)):
        for pid, (peak_mb, cpu) in sorted(figures["per_process"].items()):
            print(f"  {side:7} process {pid}: peak {peak_mb:6.0f} MB, median CPU {cpu:5.1f}%")
    for node, m in sorted(memory.items()):
        print(
            f"  bigday's own record, {node[:20]}: first {m['first_mb']} MB, peak {m['peak_mb']} MB, last "
            f"{m['last_mb']} MB, growth after the first minute {m['growth_after_first_minute']}"
        )
    ratio = ours["per_1000"] / bare["per_1000"]
    print(f"memory ratio bigday/bare per 1,000 users: {ratio:.2f} (bar <= 1.5: {'PASS' if ratio <= 1.5 else 'FAIL'})")
    growth_ok = ours["growth"] < 0.10 and ours["held_s"] >= 90
    shown = "PASS" if growth_ok and opts.hold >= 300 else "not shown (hold under 5 minutes)" if growth_ok else "FAIL"
    print(
        f"bigday growth after the hold's first minute: {ours['growth']:+.1%} over {ours['held_s']:.0f} s "
        f"(bar < 10% over a 5-minute hold: {shown})"
    )


if __name__ == "__main__":
    main()
