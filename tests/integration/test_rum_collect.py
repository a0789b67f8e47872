"""``bigday collect`` killed with SIGKILL in the middle of a load of beacons, then restarted on the same store:
every beacon it answered 204 is in the store (each found by a value no other beacon has), whole, and the store
is consistent and takes beacons again."""

from __future__ import annotations

import itertools
import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bigday.settings.scenario import DEFAULT_SCENARIO

KEY = "pk_lumen_kill_0123456789"
ORIGIN = "http://lumen.localhost:1"
SENDERS = 24  # threads, each sending one beacon after another: a few hundred a second here
LOAD_S = 2.0  # of load before the kill


def _scenario(tmp: Path) -> Path:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["rum"] = {
        "sites": [{"tenant": "lumen", "key": KEY, "origins": [ORIGIN]}],
        "rate_limit": {"per_origin": 100_000, "per_ip": 100_000},
        "flush": "20ms",
    }
    path = tmp / "rum.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def start_collector(store: Path, scenario: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bigday", "collect", "--port", "0", "--store", str(store), "--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not found:
        proc.kill()
        raise AssertionError(line + (proc.stderr.read() if proc.stderr else ""))
    return proc, found.group(0)


def beacon(n: int) -> str:
    """Beacon ``n``: its LCP value (n + 0.5 ms) is its own, so the store can be searched for it."""
    return json.dumps(
        {
            "v": 1,
            "key": KEY,
            "tenant": "lumen",
            "route": "/clients/:id",
            "device": "mobile",
            "metrics": {"lcp": {"value": n + 0.5}, "cls": {"value": 0.01}},
        }
    )


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[dict[str, Any]]:
    scenario, store = _scenario(tmp_path), tmp_path / "rum.sqlite"
    procs: list[subprocess.Popen[str]] = []

    def start() -> str:
        proc, url = start_collector(store, scenario)
        procs.append(proc)
        return url

    try:
        yield {"start": start, "store": store, "procs": procs}
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
            p.communicate(timeout=10)


@pytest.mark.load
def test_sigkill_during_load_loses_no_acknowledged_beacon(collector: dict[str, Any]) -> None:
    url = collector["start"]()
    numbers = itertools.count()
    acknowledged: set[int] = set()
    answers: list[int] = []
    stop = threading.Event()
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                n = next(numbers)
                try:
                    r = client.post(
                        f"{url}/rum", content=beacon(n), headers={"Origin": ORIGIN, "Content-Type": "text/plain"}
                    )
                except httpx.HTTPError:
                    time.sleep(0.01)  # the collector is gone: keep trying until told to stop
                    continue
                with lock:
                    answers.append(r.status_code)
                    if 200 <= r.status_code < 300:
                        acknowledged.add(n)

    senders = [threading.Thread(target=send) for _ in range(SENDERS)]
    for t in senders:
        t.start()
    time.sleep(LOAD_S)
    collector["procs"][0].send_signal(signal.SIGKILL)  # mid-load: batches queued, one maybe being written
    collector["procs"][0].wait(timeout=10)
    with lock:
        at_kill = len(acknowledged)
    time.sleep(0.3)
    stop.set()
    for t in senders:
        t.join(timeout=20)
    assert at_kill >= 200, f"only {at_kill} beacons acknowledged in {LOAD_S} s: not a load"
    assert set(answers) <= {204, 503}, sorted(set(answers))
    assert len(acknowledged) == at_kill  # nothing was acknowledged after the kill

    url = collector["start"]()  # the same store, opened again after the kill
    conn = sqlite3.connect(collector["store"])
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = [
            round(v - 0.5) for (v,) in conn.execute("SELECT value FROM rum_values WHERE metric = 'lcp'").fetchall()
        ]
        # Each beacon went in whole, in one transaction: its two metrics under one beacon id.
        partial = conn.execute(
            "SELECT beacon FROM rum_values GROUP BY beacon HAVING COUNT(*) != 2 OR COUNT(DISTINCT metric) != 2"
        ).fetchall()
    finally:
        conn.close()
    missing = acknowledged - set(stored)
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged beacons are not in the store"
    assert len(stored) == len(set(stored))  # none stored twice
    assert not partial
    after = httpx.post(f"{url}/rum", content=beacon(10**6), headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
    assert after.status_code == 204
