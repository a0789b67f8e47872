"""The field p75 in SQL over many beacons: insert time, the 28-day aggregate's time, and its agreement with numpy.

.venv/bin/python benchmarks/rum_aggregate.py [--beacons 1000000] [--repeats 3] [--store PATH_OR_URL] [--no-fill]

Writes ``--beacons`` synthetic beacons (five metrics each: LCP, INP, CLS, FCP, TTFB, log-normal around
typical values; 3 studios x 10 routes x 3 device classes; received over the last 35 days, so a fifth fall
outside the window) into a fresh SQLite store in a temporary folder (or the given store), through
``bigday.store.rum.insert_values`` in batches as the collector writes them. Then times
``bigday.store.rum.field_p75`` (rolling 28 days, per metric, tenant, route and device class; then over all
devices; then per day) ``--repeats`` times and prints the median, and checks 40 groups' p75 against
``numpy.quantile`` of the same values (read back from the store) and prints the largest difference.
``--no-fill`` times a store filled before (``--store``), so a large one is filled once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np

from bigday.runfolder import utc_now
from bigday.store import rum as rum_store
from bigday.store.engine import open_store

METRICS = {"lcp": (7.6, 0.5), "inp": (5.0, 0.7), "cls": (-3.0, 1.0), "fcp": (7.2, 0.4), "ttfb": (5.8, 0.5)}
TENANTS = ("everafter", "lumen", "petal")
ROUTES = tuple(f"/r{i}/:id" for i in range(10))
DEVICES = ("mobile", "desktop", "tablet")
BATCH = 20_000  # beacons per transaction


def fill(store_url: str, beacons: int, seed: int = 1) -> float:
    rng = np.random.default_rng(seed)
    now = utc_now()
    started = time.perf_counter()
    with open_store(store_url) as store:
        for start in range(0, beacons, BATCH):
            n = min(BATCH, beacons - start)
            tenants = rng.integers(0, len(TENANTS), n)
            routes = rng.integers(0, len(ROUTES), n)
            devices = rng.integers(0, len(DEVICES), n)
            ages = rng.integers(0, 35, n)
            values = {m: rng.lognormal(mu, sigma, n) for m, (mu, sigma) in METRICS.items()}
            rows = []
            for i in range(n):
                received = now - timedelta(days=int(ages[i]))
                beacon = uuid.uuid4().hex
                for m in METRICS:
                    rows.append(
                        {
                            "beacon": beacon,
                            "received_at": received,
                            "day": received.date(),
                            "tenant": TENANTS[tenants[i]],
                            "route": ROUTES[routes[i]],
                            "device": DEVICES[devices[i]],
                            "connection": "4g",
                            "navigation": "navigate",
                            "browser": "chrome",
                            "metric": m,
                            "value": float(values[m][i]),
                            "attribution": None,
                        }
                    )
            with store.begin("benchmark insert") as conn:
                rum_store.insert_values(conn, rows)
    return time.perf_counter() - started


def timed(store_url: str, repeats: int, **kw: object) -> tuple[float, list[rum_store.FieldRow]]:
    times, rows = [], []
    with open_store(store_url) as store:
        for _ in range(repeats):
            with store.read() as conn:
                t0 = time.perf_counter()
                rows = rum_store.field_p75(conn, **kw)  # type: ignore[arg-type]
                times.append(time.perf_counter() - t0)
    return statistics.median(times), rows


def check_against_numpy(store_url: str, rows: list[rum_store.FieldRow]) -> float:
    """The largest |SQL p75 - numpy p75| over the groups (by device), reading the values back."""
    from sqlalchemy import select

    from bigday.store import schema

    v = schema.rum_values.c
    start = utc_now().date() - timedelta(days=rum_store.WINDOW_DAYS - 1)
    worst = 0.0
    with open_store(store_url) as store, store.read() as conn:
        for r in rows[:: max(1, len(rows) // 40)]:  # 40 groups spread over the result
            values = conn.execute(
                select(v.value).where(
                    v.metric == r.metric, v.tenant == r.tenant, v.route == r.route, v.device == r.device, v.day >= start
                )
            ).scalars()
            xs = np.fromiter(values, dtype=np.float64)
            assert xs.size == r.count, (r, xs.size)
            worst = max(worst, abs(float(np.quantile(xs, 0.75)) - r.p75))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beacons", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--store", help="an existing store URL to fill (default: a fresh SQLite file)")
    ap.add_argument("--no-fill", action="store_true", help="time the --store as it is")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or str(Path(tmp) / "rum.sqlite")
        print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs; store {url.split('@')[-1]}")
        if args.no_fill:
            with open_store(url) as store, store.read() as conn:
                print(f"store holds {rum_store.beacon_count(conn):,} beacons")
        else:
            took = fill(url, args.beacons)
            print(
                f"inserted {args.beacons:,} beacons ({args.beacons * len(METRICS):,} values) in {took:.1f} s "
                f"({args.beacons / took:,.0f} beacons/s)"
            )
        t_dev, by_device = timed(url, args.repeats)
        print(
            f"28-day p75 + shares per metric, studio, route, device: {len(by_device)} groups, "
            f"median {t_dev:.2f} s of {args.repeats}"
        )
        t_all, overall = timed(url, args.repeats, by_device=False)
        print(f"28-day p75 + shares over all devices: {len(overall)} groups, median {t_all:.2f} s")
        t_day, daily = timed(url, args.repeats, by_device=False, by_day=True)
        print(f"daily p75 + shares over 28 days: {len(daily)} groups, median {t_day:.2f} s")
        print(f"largest |SQL p75 - numpy.quantile| over 40 groups: {check_against_numpy(url, by_device):.3g}")
        if not args.store:
            print(f"store size {Path(url).stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
