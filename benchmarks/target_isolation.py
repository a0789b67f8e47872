"""Reference target figures: start-up time, page latency, and the isolation ratio of both modes side by side.

    .venv/bin/python benchmarks/target_isolation.py [--runs 2]

Each isolation run: 32 concurrent upload clients of `everafter`, `lumen` timed with GET /api/clients, 20 s of
load interleaved with alone windows (bigday/target/loadcheck.py). Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import time

import httpx

from bigday.stats import median
from bigday.target.loadcheck import interleaved_schedule, measure_isolation, sample_photo
from bigday.target.server import TargetServer, running_target

PATHS = ("/dashboard", "/clients", "/forms/new", "/timeline/edit", "/photos/gallery")


def startup_seconds(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        server = TargetServer()
        t0 = time.perf_counter()
        server.start()
        out.append(time.perf_counter() - t0)
        server.stop()
    return out


def page_latencies(url: str, n: int = 30) -> dict[str, float]:
    medians = {}
    with httpx.Client(base_url=url, headers={"X-Tenant": "everafter"}) as c:
        for path in PATHS:
            c.get(path)
            samples = []
            for _ in range(n):
                t0 = time.perf_counter()
                c.get(path).raise_for_status()
                samples.append((time.perf_counter() - t0) * 1000)
            medians[path] = median(samples)
    return medians


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2, help="isolation runs per mode (about 30 s each)")
    args = ap.parse_args()
    starts = startup_seconds(3)
    print(f"running_target start-up: median {median(starts):.2f} s over {len(starts)} runs")
    with running_target() as url:
        for path, ms in page_latencies(url).items():
            print(f"GET {path:<16} median {ms:6.2f} ms (30 requests, 2,000-client tenant)")
    photo = sample_photo()
    ratios: dict[str, list[float]] = {"shared": [], "fair": []}
    for i in range(args.runs):
        for mode in ("shared", "fair"):
            with running_target(isolation=mode) as url:
                windows = 8 if mode == "fair" else 2  # as tests/integration/test_isolation_modes.py
                m = measure_isolation(url, "lumen", "everafter", photo, 32, interleaved_schedule(20.0, windows, 1.5))
            ratios[mode].append(m.ratio)
            print(f"run {i + 1} {mode:<6}: {m.describe()}")
    shared, fair = median(ratios["shared"]), median(ratios["fair"])
    print(
        f"victim p95 ratio (load / alone), median of {args.runs}: shared {shared:.2f}x, fair {fair:.2f}x; "
        f"shared/fair {shared / fair:.1f}x  [bars: shared > 3, fair < 1.3]"
    )


if __name__ == "__main__":
    main()
