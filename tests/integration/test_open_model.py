"""The open arrival model against a server that stalls: its p99 shows the queueing a stall causes, the closed
model's does not (coordinated omission), and the open one matches what the arrival schedule predicts."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bigday import stats

pytestmark = [pytest.mark.load, pytest.mark.serial]

STALL_S, EVERY_S, FIRST_S = 2.0, 10.0, 4.0

# Every request that arrives while the server is stalled (2 s once every 10 s, the first 4 s after it starts)
# is answered when the stall ends; the others at once.
STALLING_SERVER = """
import asyncio, sys, time

STALL, EVERY, FIRST = {stall}, {every}, {first}
T0 = time.time()
RESPONSE = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: keep-alive\\r\\n\\r\\nok"


def delay(now):
    since = now - T0 - FIRST
    if since < 0:
        return 0.0
    into = since % EVERY
    return STALL - into if into < STALL else 0.0


class Stalling(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while b"\\r\\n\\r\\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\\r\\n\\r\\n", 1)
            wait = delay(time.time())
            loop = asyncio.get_running_loop()
            if wait:
                loop.call_later(wait, self.transport.write, RESPONSE)
            else:
                self.transport.write(RESPONSE)


async def main():
    server = await asyncio.get_running_loop().create_server(Stalling, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], repr(T0), flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
"""

LOCUSTFILE = """
from locust import constant, task

from bigday.load import TenantUser
from bigday.load.locust_runtime import install
from bigday.load.shapes import SaturdayShape

install("saturday")


class OpenReader(TenantUser):
    kind = "open"
    fixed_count = 2
    arrival_rate = 10.0  # tasks a second, each user

    @task
    def read(self):
        self.client.get("/x", name="/x")


class ClosedReader(TenantUser):
    kind = "closed"
    fixed_count = 2
    wait_time = constant(0.05)

    @task
    def read(self):
        self.client.get("/x", name="/x")


__all__ = ["OpenReader", "ClosedReader", "SaturdayShape"]
"""


def _stall_end(t: np.ndarray, t0: float) -> np.ndarray:
    """When each arrival (epoch s) would be answered by the stalling server, ignoring service time."""
    since = t - t0 - FIRST_S
    into = np.mod(since, EVERY_S)
    return np.where((since >= 0) & (into < STALL_S), t + STALL_S - into, t)


def _reservoir(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rows: dict[str, list[tuple[float, float]]] = {}
    with gzip.open(folder / "load_reservoir.csv.gz", "rt") as f:
        header = next(f).strip().split(",")
        for line in f:
            cells = dict(zip(header, line.strip().split(","), strict=True))
            rows.setdefault(cells["user_kind"], []).append((float(cells["t_s"]), float(cells["response_ms"])))
    return {k: (np.array([t for t, _ in v]), np.array([rt for _, rt in v])) for k, v in rows.items()}


def test_the_open_model_counts_the_queueing_a_stall_causes_and_the_closed_model_hides_it(tmp_path):
    server = subprocess.Popen(
        [sys.executable, "-c", STALLING_SERVER.format(stall=STALL_S, every=EVERY_S, first=FIRST_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port, t0_text = server.stdout.readline().split()
        server_t0 = float(t0_text)
        (tmp_path / "mine.py").write_text(LOCUSTFILE)
        out = tmp_path / "run"
        proc = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(tmp_path / "mine.py"), "--headless", "-u", "4", "-t", "17s"]
            + ["--host", f"http://127.0.0.1:{port}", "--bigday-out", str(out), "--only-summary"],
            capture_output=True,
            text=True,
            timeout=90,
            cwd=tmp_path,
        )
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout:
            server.stdout.close()
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    run_t0 = _run_start(out)
    samples = _reservoir(out)
    open_t, open_ms = samples["open"]
    closed_t, closed_ms = samples["closed"]
    open_p99 = stats.quantile(open_ms, 0.99)
    closed_p99 = stats.quantile(closed_ms, 0.99)
    # What the schedule says: each open task is answered when the stall it arrived in ends (or at once), and
    # is timed from when it was due; the run's own latency outside the stalls is added.
    due = open_t + run_t0
    base = stats.median(open_ms)
    expected = (_stall_end(due, server_t0) - due) * 1000.0 + base
    expected_p99 = stats.quantile(expected, 0.99)
    figures = f"open p99 {open_p99:.0f} ms (schedule: {expected_p99:.0f} ms), closed p99 {closed_p99:.0f} ms"
    print(figures, f"({len(open_ms)} open and {len(closed_ms)} closed samples)")
    assert len(open_ms) > 250 and len(closed_ms) > 300, figures  # about 20/s and 40/s, less the stalls
    assert open_p99 > 1000 and closed_p99 < 300, figures
    assert abs(open_p99 - expected_p99) < 0.2 * expected_p99, figures  # 3% at load 7, 15% at load 9
    # The share of open tasks that waited on a stall is the share of the schedule inside one.
    assert abs((open_ms > 500).mean() - (expected > 500).mean()) < 0.05, figures


def _run_start(folder: Path) -> float:
    import json
    from datetime import datetime

    stats_doc = json.loads((folder / "load_stats.json").read_text())
    return datetime.fromisoformat(stats_doc["started_at"].replace("Z", "+00:00")).timestamp()
