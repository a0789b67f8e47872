"""The collector under load: Locust (FastHttpUser) sends valid beacons at a set rate, 1% of them hostile.

.venv/bin/python benchmarks/rum_load.py [--rate 2000] [--duration 60] [--hostile 0.01] [--per-user 5]
    [--store PATH]

Starts ``bigday collect`` on a free loopback port with a fresh SQLite store (or the SQLite file ``--store``) and
a scenario whose one site allows the Locust users' origin (the per-IP limit raised: every user here is 127.0.0.1),
then
runs ``benchmarks/rum_load_locustfile.py`` headless for ``--duration`` seconds with
``rate / (1 - hostile) / per_user`` users (``--rate`` counts valid beacons; the hostile ones come on top).
Afterwards it reads the store and checks, exiting 1 if any fails:

- every valid beacon the collector answered 2xx is in the store (found by its own LCP value), none twice;
- no valid beacon is in the store that was not answered 2xx (unless its answer was lost to a client timeout);
- every hostile request got its 4xx (oversize 413, NaN / negative / unknown metric / script in the route 400,
  wrong key / wrong origin 403), and none of them is in the store.

It prints the offered and accepted rates, the client-side latency of valid beacons (median, p99, max: exact,
from every request, not Locust's buckets), the collector's CPU (seconds per second of wall time: 1.0 is one
core) and peak resident memory, the Locust process's CPU (a saturated generator's figures are not evidence),
and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import yaml

from bigday.settings.scenario import DEFAULT_SCENARIO

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "rum_load_locustfile.py"
KEY = "pk_lumen_load_0123456789"
ORIGIN = "http://lumen.localhost:1"
HOSTILE_VALUE = 3_333_333.25
EXPECTED = {
    "oversize": 413,
    "nan": 400,
    "negative": 400,
    "unknown metric": 400,
    "script in route": 400,
    "wrong key": 403,
    "wrong origin": 403,
}


def _scenario(folder: Path, rate: float) -> Path:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["rum"] = {
        "sites": [{"tenant": "lumen", "key": KEY, "origins": [ORIGIN]}],
        "rate_limit": {"per_origin": max(2000, 2 * rate), "per_ip": max(2000, 2 * rate)},
    }
    path = folder / "rum-load.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class Sampler:
    """CPU seconds and peak RSS of one process, sampled every ``every_s``."""

    def __init__(self, pid: int, every_s: float = 0.25) -> None:
        self.proc = psutil.Process(pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        self._every = every_s
        self.cpu0 = self._cpu()
        self.t0 = time.monotonic()
        self.cpu1, self.t1 = self.cpu0, self.t0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _cpu(self) -> float:
        t = self.proc.cpu_times()
        return float(t.user + t.system)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, self.proc.memory_info().rss)
                self.cpu1, self.t1 = self._cpu(), time.monotonic()
            except psutil.Error:
                return
            self._stop.wait(self._every)

    def stop(self) -> tuple[float, float]:
        """(CPU seconds per wall second, peak RSS in MB)."""
        self._stop.set()
        self._thread.join()
        return (self.cpu1 - self.cpu0) / max(1e-9, self.t1 - self.t0), self.peak_rss / 1e6


def _start_collector(store: str, scenario: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bigday", "collect", "--port", "0", "--store", store, "--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the collector did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    return proc, found.group(0)


def _stored_lcp(store: str) -> list[float]:
    conn = sqlite3.connect(store)
    try:
        return [v for (v,) in conn.execute("SELECT value FROM rum_values WHERE metric = 'lcp'")]
    finally:
        conn.close()


def run(rate: float, duration: float, hostile: float, per_user: float, store: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="bigday-rum-load-") as tmp:
        folder = Path(tmp)
        store = store or str(folder / "rum.sqlite")
        scenario = _scenario(folder, rate)
        collector, url = _start_collector(store, scenario)
        out = folder / "tally.json"
        # --rate counts valid beacons; the hostile share comes on top of them (2,000 valid a second at 1% hostile
        # is 2,020 requests a second).
        users = max(1, round(rate / (1 - hostile) / per_user))
        env = {
            **os.environ,
            "RUM_KEY": KEY,
            "RUM_ORIGIN": ORIGIN,
            "RUM_HOSTILE": str(hostile),
            "RUM_PER_USER": str(per_user),
            "RUM_OUT": str(out),
        }
        cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url]
        cmd += ["-u", str(users), "-r", str(max(users, 1)), "-t", f"{duration:g}s", "--only-summary"]
        cmd += ["--stop-timeout", "10", "--loglevel", "WARNING"]
        load_before = os.getloadavg()
        try:
            sampler = Sampler(collector.pid)
            t0 = time.monotonic()
            locust = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            generator = Sampler(locust.pid)
            log, _ = locust.communicate(timeout=duration + 120)
            wall = time.monotonic() - t0
            collector_cpu, collector_mb = sampler.stop()
            generator_cpu, generator_mb = generator.stop()
        finally:
            collector.terminate()
            collector.communicate(timeout=30)
        load_after = os.getloadavg()
        if not out.exists():
            print(log)
            raise SystemExit("Locust wrote no tally")
        tally: dict[str, Any] = json.loads(out.read_text())
        stored = _stored_lcp(store)
    return _report(
        rate,
        hostile,
        duration,
        wall,
        users,
        tally,
        stored,
        collector_cpu,
        collector_mb,
        generator_cpu,
        generator_mb,
        load_before,
        load_after,
    )


def _report(
    rate: float,
    hostile: float,
    duration: float,
    wall: float,
    users: int,
    tally: dict[str, Any],
    stored: list[float],
    collector_cpu: float,
    collector_mb: float,
    generator_cpu: float,
    generator_mb: float,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> int:
    acked = {n + 0.5 for n in tally["acked"]}
    stored_valid = [v for v in stored if v != HOSTILE_VALUE]
    latency = np.asarray(tally["latency_ms"])
    sent_valid = len(latency)
    hostile_sent = sum(tally["hostile"].values())
    missing = acked - set(stored_valid)
    unacked_stored = set(stored_valid) - acked
    wrong_hostile = {
        k: v for k, v in tally["hostile"].items() if int(k.rsplit(": ", 1)[1]) != EXPECTED[k.rsplit(": ", 1)[0]]
    }
    problems = []
    if missing:
        problems.append(f"{len(missing)} acknowledged beacons are not in the store")
    if len(stored_valid) != len(set(stored_valid)):
        problems.append(f"{len(stored_valid) - len(set(stored_valid))} beacons stored twice")
    if HOSTILE_VALUE in stored:
        problems.append(f"{stored.count(HOSTILE_VALUE)} hostile beacons were stored")
    if wrong_hostile:
        problems.append(f"hostile requests with the wrong answer: {wrong_hostile}")
    if tally["refused"]:
        problems.append(f"valid beacons refused: {tally['refused']}")
    if unacked_stored:
        problems.append(f"{len(unacked_stored)} stored beacons were not acknowledged (client timeouts?)")
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; {os.cpu_count()} cores"
    )
    print(
        f"offered: {rate:g} valid beacons/s (+{hostile:.0%} hostile requests) for {duration:g} s "
        f"from {users} Locust users (FastHttpUser), 1 process"
    )
    print(
        f"sent: {sent_valid} valid + {hostile_sent} hostile in {wall:.1f} s wall "
        f"({(sent_valid + hostile_sent) / duration:.0f} requests/s over the {duration:g} s run)"
    )
    print(
        f"accepted: {len(acked)} valid beacons, {len(acked) / duration:.0f}/s; "
        f"stored: {len(stored_valid)} valid, {stored.count(HOSTILE_VALUE)} hostile"
    )
    if sent_valid:
        q = np.quantile(latency, [0.5, 0.99])
        print(
            f"latency of valid beacons (client side, exact): median {q[0]:.1f} ms, p99 {q[1]:.1f} ms, "
            f"max {latency.max():.1f} ms"
        )
    print(f"hostile answers: {dict(sorted(tally['hostile'].items()))}")
    per_beacon = 1000 * collector_cpu * wall / max(1, sent_valid + hostile_sent)
    print(
        f"collector: CPU {collector_cpu:.2f} s/s (1.0 = one core), {per_beacon:.2f} ms of CPU per request, "
        f"peak RSS {collector_mb:.0f} MB"
    )
    print(f"generator (Locust): CPU {generator_cpu:.2f} s/s, peak RSS {generator_mb:.0f} MB")
    for p in problems:
        print(f"FAIL: {p}")
    if not problems:
        print("checks: every acknowledged beacon stored once; every hostile one 4xx and stored nowhere")
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=2000, help="offered valid beacons per second (default 2000)")
    ap.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    ap.add_argument("--hostile", type=float, default=0.01, help="share of hostile requests (default 0.01)")
    ap.add_argument("--per-user", type=float, default=5, help="beacons per second per Locust user (default 5)")
    ap.add_argument("--store", help="store path (SQLite; default a fresh one in a temporary folder)")
    a = ap.parse_args()
    return run(a.rate, a.duration, a.hostile, a.per_user, a.store)


if __name__ == "__main__":
    sys.exit(main())
