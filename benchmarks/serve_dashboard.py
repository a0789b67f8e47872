"""``bigday serve`` under load: pages and API routes per second and their latency, over a store of a million
samples.

.venv/bin/python benchmarks/serve_dashboard.py [--rate 200] [--seconds 20] [--runs 3] [--store PATH]

Builds (once; kept at ``--store``) a synthetic store: 6 pages of 3 studios monitored every 6 minutes for 60
days (86,400 checks, about 1,030,000 samples, their daily trends, a few alerts) with bigday.monitor.synthetic.
Then starts ``bigday serve`` on 127.0.0.1 and sends requests at a fixed ``--rate`` (an open loop: each request
is due at its time whether or not the previous ones have answered) from ``--clients`` threads with keep-alive
connections, cycling through the overview, page, alerts and SLA pages and the JSON routes, half with an admin
token and half with a ``tenant:lumen`` token. Prints, per run, the rate achieved and p50/p95/p99 latency
(measured from each request's due time, so queueing counts), per route too, and the median of the runs.
Bar: 200 per second at p95 < 100 ms. Then the charts page (``/charts``, the ECharts dashboard of 90 days,
about 1.2 MB): the first build per token's scope, and 20 requests in a row once cached.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import yaml

from bigday.cli import main as bigday_main
from bigday.monitor.synthetic import HistorySpec, write_history
from bigday.runfolder import Alert, utc_now
from bigday.settings.scenario import DEFAULT_SCENARIO, parse_scenario
from bigday.store.alerts import raise_alert
from bigday.store.engine import open_store

ROUTES = (
    "/",
    "/pages/{page}",
    "/alerts",
    "/sla",
    "/api/pages",
    "/api/pages/{page}/checks",
    "/api/pages/{page}/trends",
    "/api/alerts",
    "/api/sla",
)


def scenario_file(path: Path) -> Path:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    pages = data["pages"]
    extra = [
        dict(pages[0], name="dashboard-lumen", tenant="lumen"),
        dict(pages[1], name="clients-petal", tenant="petal"),
    ]
    data["pages"] = pages[:4] + extra
    path.write_text(yaml.safe_dump(data))
    return path


def build(store_path: Path, scenario_path: Path) -> None:
    sc = parse_scenario(scenario_path.read_text(), scenario_path)
    t0 = time.monotonic()
    with open_store(str(store_path)) as store:
        spec = HistorySpec(start=utc_now() - timedelta(days=60), days=60, every_s=360, unavailable_share=0.004)
        counts = write_history(store, sc, spec)
        with store.begin() as conn:
            for p in sc.pages:
                raise_alert(
                    conn,
                    Alert(
                        type="threshold_breach",
                        severity="high",
                        page=p.name,
                        metric="lcp",
                        threshold=2000.0,
                        actual=2345.6,
                        window="w",
                        data={},
                        run_id="r",
                        tenant=p.tenant or "everafter",
                    ),
                )
    took = time.monotonic() - t0
    print(f"built {store_path}: {counts['checks']:,} checks, {counts['samples']:,} samples in {took:.0f} s")


def token(store: Path, scenario: Path, role: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = bigday_main(
            [
                "serve",
                "token",
                "add",
                "--role",
                role,
                "--name",
                f"bench-{role}",
                "--store",
                str(store),
                "--scenario",
                str(scenario),
            ]
        )
    assert code == 0
    return out.getvalue().strip().splitlines()[-1]


def load(
    url: str, tokens: list[tuple[str, str]], pages: dict[str, list[str]], rate: float, seconds: float, clients: int
) -> tuple[list[tuple[str, float, int]], float]:
    n = int(rate * seconds)
    plan = []
    for i in range(n):
        role, tok = tokens[i % len(tokens)]
        route = ROUTES[(i // len(tokens)) % len(ROUTES)]
        page = pages[role][i % len(pages[role])]
        plan.append((i / rate, route, route.replace("{page}", page), tok))
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    cursor = iter(range(n))
    cursor_lock = threading.Lock()
    # Every client is made and connected before the clock starts: a client's set-up is not the server's time.
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    clock = {"start": 0.0}

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            c.get("/healthz")
            ready.wait()
            go.wait()
            start = clock["start"]
            while True:
                with cursor_lock:
                    i = next(cursor, None)
                if i is None:
                    return
                due, route, path, tok = plan[i]
                wait = start + due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                r = c.get(path, headers={"Authorization": f"Bearer {tok}"})
                latency = time.monotonic() - (start + due)
                with lock:
                    results.append((route, latency, r.status_code))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    start = clock["start"] = time.monotonic() + 0.2
    go.set()
    for t in threads:
        t.join()
    return results, time.monotonic() - start


def charts(url: str, tokens: list[tuple[str, str]]) -> None:
    with httpx.Client(base_url=url, timeout=120) as c:
        for role, tok in tokens:
            auth = {"Authorization": f"Bearer {tok}"}
            t0 = time.monotonic()
            r = c.get("/charts", headers=auth)
            first = time.monotonic() - t0
            times = []
            for _ in range(20):
                t0 = time.monotonic()
                c.get("/charts", headers=auth)
                times.append(time.monotonic() - t0)
            print(
                f"/charts as {role}: {len(r.content) / 1e6:.2f} MB, status {r.status_code}; built in {first:.2f} s "
                f"(or taken from an earlier build within 30 s); cached: median {1000 * statistics.median(times):.1f} ms"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--store", type=Path, default=Path("/tmp/bigday-serve-bench/store.sqlite"))
    args = ap.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    scenario = scenario_file(args.store.parent / "scenario.yaml")
    if not args.store.exists():
        build(args.store, scenario)
    tokens = [
        ("admin", token(args.store, scenario, "admin")),
        ("tenant:lumen", token(args.store, scenario, "tenant:lumen")),
    ]
    sc = parse_scenario(scenario.read_text(), scenario)
    pages = {"admin": [p.name for p in sc.pages], "tenant:lumen": [p.name for p in sc.pages if p.tenant == "lumen"]}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bigday",
            "serve",
            "--port",
            "0",
            "--store",
            str(args.store),
            "--scenario",
            str(scenario),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    m = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    assert m, "bigday serve did not start"
    url = m.group(0)
    summary = []
    try:
        load(url, tokens, pages, 50, 2, 8)  # warm the connections, the page cache and the token cache
        for run in range(1, args.runs + 1):
            results, took = load(url, tokens, pages, args.rate, args.seconds, args.clients)
            lat = np.asarray([r[1] for r in results]) * 1000
            bad = [r for r in results if r[2] != 200]
            p50, p95, p99 = np.quantile(lat, [0.5, 0.95, 0.99])
            achieved = len(results) / took
            summary.append((achieved, p50, p95, p99))
            print(
                f"run {run}: {len(results)} requests in {took:.1f} s = {achieved:.0f}/s; p50 {p50:.1f} ms, "
                f"p95 {p95:.1f} ms, p99 {p99:.1f} ms; non-200: {len(bad)}"
            )
            for route in ROUTES:
                rl = np.asarray([r[1] for r in results if r[0] == route]) * 1000
                print(f"    {route:<28} p50 {np.quantile(rl, 0.5):7.1f} ms  p95 {np.quantile(rl, 0.95):7.1f} ms")
        charts(url, tokens)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    med = [statistics.median(x[i] for x in summary) for i in range(4)]
    print(
        f"median of {len(summary)} runs: {med[0]:.0f}/s at {args.rate:.0f}/s offered; p50 {med[1]:.1f} ms, "
        f"p95 {med[2]:.1f} ms, p99 {med[3]:.1f} ms"
    )
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
