"""Compare and trend rebuild over a SQLite store holding 1,000,000 samples (bar: under 10 s together).

Builds the store once (100 nightly probe runs x 5 pages x 10 metrics x 200 page runs), then times, as
medians of several repetitions: compare_run of a new 20-runs-per-page run against the branch baseline
(which also reads the nightly trends for change points), and a full rebuild of the daily trends.
Usage: .venv/bin/python benchmarks/compare_speed.py [--samples 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from bigday.compare.engine import CompareOptions, compare_run
from bigday.runfolder import utc_now
from bigday.settings.scenario import load_scenario
from bigday.stats import median
from bigday.store import schema
from bigday.store.engine import open_store
from bigday.store.ingest import write_run
from bigday.store.synthetic import DEFAULT_ENVIRONMENT, write_probe_run
from bigday.store.trends import rebuild_trends

SCENARIO = load_scenario()
PAGES = [p.name for p in SCENARIO.pages]
METRICS = {
    "lcp": 1200,
    "fcp": 600,
    "ttfb": 40,
    "inp": 90,
    "fid": 4,
    "tbt": 30,
    "page_load": 1500,
    "cls": 0.02,
    "js_heap_used": 2e7,
    "performance_score": 97,
}


def build(store_path: Path, total: int, rng: np.random.Generator) -> int:
    nights = 100
    per_night = total // nights
    page_runs = per_night // (len(PAGES) * len(METRICS))
    now = utc_now()
    with open_store(str(store_path)) as store:
        for night in range(nights):
            started = now - timedelta(days=nights - night)
            run = {
                "run_id": f"night-{night:03d}",
                "kind": "probe",
                "status": "ok",
                "complete": True,
                "started_at": started,
                "finished_at": started + timedelta(minutes=20),
                "scenario_name": "wedsync",
                "scenario_sha256": "0" * 64,
                "app_git_sha": "abc",
                "app_git_branch": "main",
                "base_url": None,
                "platform": "Linux",
                **{
                    k: DEFAULT_ENVIRONMENT[k]
                    for k in (
                        "harness_version",
                        "browser",
                        "browser_version",
                        "web_vitals_version",
                        "profile",
                        "cpu_count",
                    )
                },
                "verdict": "pass",
            }
            rows = []
            for page in PAGES:
                for metric, centre in METRICS.items():
                    values = centre * (1 + 0.05 * rng.standard_normal(page_runs))
                    for i, v in enumerate(values):
                        t = started + timedelta(seconds=i)
                        rows.append(
                            {
                                "run_id": run["run_id"],
                                "page": page,
                                "metric": metric,
                                "value": float(v),
                                "day": t.date(),
                                "recorded_at": t,
                                "run_index": i,
                                "warm": i > 0,
                                "tenant": "everafter",
                                "device": "desktop",
                                "profile": "desktop",
                                "connection": "none",
                                "browser": "156.0.0.0",
                            }
                        )
            with store.begin() as conn:
                write_run(conn, run, rows)
        with store.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.samples)).scalar_one())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="bigday-speed-") as tmp_s:
        tmp = Path(tmp_s)
        db = tmp / "bigday.sqlite"
        t0 = time.perf_counter()
        stored = build(db, args.samples, rng)
        print(f"built store: {stored:,} samples in {time.perf_counter() - t0:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")
        compare_s, rebuild_s = [], []
        for rep in range(args.repeat):
            pages = {p: {m: list(c * (1 + 0.05 * rng.standard_normal(20))) for m, c in METRICS.items()} for p in PAGES}
            run = write_probe_run(tmp / "results", pages, run_id=f"new-{rep}")
            with open_store(str(db)) as store:
                t = time.perf_counter()
                v = compare_run(store, run, SCENARIO, CompareOptions(notify=False))
                compare_s.append(time.perf_counter() - t)
                t = time.perf_counter()
                with store.begin() as conn:
                    n_trends = rebuild_trends(conn)
                rebuild_s.append(time.perf_counter() - t)
            print(
                f"  rep {rep + 1}: compare {compare_s[-1]:.2f} s ({len(v.checks)} checks, baseline "
                f"{v.baseline.run_id if v.baseline else None}), trend rebuild {rebuild_s[-1]:.2f} s ({n_trends} rows)"
            )
        c, r = median(compare_s), median(rebuild_s)
        print(
            f"median compare: {c:.2f} s; median full trend rebuild: {r:.2f} s; together {c + r:.2f} s "
            f"(bar: < 10 s over {stored:,} samples) -> {'PASS' if c + r < 10 else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
