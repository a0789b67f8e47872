"""The Locust isolation check against the reference target, repeated per mode: how far each verdict is from its bar.

    .venv/bin/python benchmarks/isolation_verdict.py [--runs 3] [--shared-runs 1]
    .venv/bin/python benchmarks/isolation_verdict.py --adaptive [--runs 10] [--phase 10s] [--max-phase-time 100s]

Each run is `run_isolation_check` (scenario wedsync.yaml: victim lumen, aggressor everafter, tolerance 1.25x,
minimum effect 5 ms) against a fresh embedded target in `shared` or `fair` mode. Fixed phases by default, with
the lengths of tests/integration/test_isolation_verdict_target.py (5 s shared, 20 s fair); with --adaptive, as
`bigday load isolation` runs by default, alternating windows of --phase until decided, at most
--max-phase-time of them (100 s of 10 s windows: four looks, the last one due about 107 s into the run).
Printed per run: the verdict, the victim's p50/p95 in the conditions compared, the p95 ratio and rise with
their intervals, the aggressor's requests, and (adaptive) the look and the second of the run that decided it;
then per mode how many runs were decided, and within 2 minutes. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bigday.load.plan import PlanOverrides  # noqa: E402
from bigday.load.rehearsal import LoadOptions, run_isolation_check  # noqa: E402
from bigday.settings.scenario import load_scenario  # noqa: E402
from bigday.stats import median  # noqa: E402
from bigday.target.server import running_target  # noqa: E402

PHASES = {"shared": PlanOverrides(phase="5s", recovery="3s"), "fair": PlanOverrides(phase="20s", recovery="3s")}
DECIDE_WITHIN_S = 120.0


def one_run(mode: str, results: Path, adaptive: PlanOverrides | None) -> dict[str, Any]:
    scenario = load_scenario()
    t0 = time.monotonic()
    overrides = adaptive or PHASES[mode]
    with running_target(isolation=mode) as url:
        result = run_isolation_check(scenario, url, LoadOptions(overrides=overrides, results_dir=results))
    v = result.verdicts[0].to_json()
    v["seconds"] = time.monotonic() - t0
    return v


def describe(mode: str, i: int, v: dict[str, Any]) -> str:
    a, s, r, d = v["alone"], v["spike"], v["p95_ratio"], v["p95_increase_ms"]
    return (
        f"{mode:<6} run {i}: {v['status'].upper():<4} trustworthy={v['trustworthy']}  "
        f"victim p50 {a['p50']:.2f} -> {s['p50']:.2f} ms, p95 {a['p95']:.2f} -> {s['p95']:.2f} ms "
        f"(n {a['n']}/{s['n']})  "
        f"p95 ratio {r['estimate']:.2f}x [{r['low']:.2f}, {r['high']:.2f}]  "
        f"rise {d['estimate']:+.2f} ms [{d['low']:+.2f}, {d['high']:+.2f}]  "
        f"aggressor {v['aggressor_requests_in_spike']} req  {v['seconds']:.0f} s"
        + (f"  look {v['looks'][-1]['index']}/{v['rule']['planned_looks']}" if v.get("looks") else "")
        + (f", decided at {v['decided_at_s']:.0f} s" if v.get("decided_at_s") is not None else "")
        + (f"\n    {v['reason']}" if v["status"] != "pass" else "")
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="fair-mode runs (~50 s each)")
    ap.add_argument("--shared-runs", type=int, default=1, help="shared-mode runs (~20 s each)")
    ap.add_argument("--adaptive", action="store_true", help="judge adaptively, as bigday load isolation does")
    ap.add_argument("--phase", default="10s", help="adaptive: each window's length")
    ap.add_argument("--max-phase-time", default="100s", help="adaptive: the bound on the windows")
    args = ap.parse_args()
    adaptive = (
        PlanOverrides(adaptive=True, phase=args.phase, max_phase_time=args.max_phase_time) if args.adaptive else None
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    verdicts: dict[str, list[dict[str, Any]]] = {"shared": [], "fair": []}
    with tempfile.TemporaryDirectory(prefix="bigday-iso-bench-") as tmp:
        for mode, n in (("shared", args.shared_runs), ("fair", args.runs)):
            for i in range(1, n + 1):
                v = one_run(mode, Path(tmp), adaptive)
                verdicts[mode].append(v)
                print(f"{describe(mode, i, v)}  (load {os.getloadavg()[0]:.1f})", flush=True)
    tolerance = min_effect = None
    for mode, vs in verdicts.items():
        if not vs:
            continue
        tolerance, min_effect = vs[0]["tolerance"], vs[0]["min_effect_ms"]
        passed = sum(v["status"] == "pass" for v in vs)
        if adaptive is not None:
            decided = [v for v in vs if v["decided_at_s"] is not None]
            soon = sum(v["decided_at_s"] <= DECIDE_WITHIN_S for v in decided)
            outcomes = {s: sum(v["status"] == s for v in vs) for s in ("pass", "inconclusive", "fail")}
            times = [v["decided_at_s"] for v in decided]
            print(
                f"{mode}: {outcomes}; decided {len(decided)}/{len(vs)}, within {DECIDE_WITHIN_S:.0f} s {soon}/{len(vs)}"
                + (f", median {median(times):.0f} s into the run" if times else "")
            )
        ratio = median(v["p95_ratio"]["estimate"] for v in vs)
        rise = median(v["p95_increase_ms"]["estimate"] for v in vs)
        print(
            f"{mode}: {passed}/{len(vs)} PASS; median p95 ratio {ratio:.2f}x, median p95 rise {rise:+.2f} ms, "
            f"highest rise upper bound {max(v['p95_increase_ms']['high'] for v in vs):+.2f} ms"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"bar: shared FAIL, fair PASS (tolerance {tolerance}x; a rise counts only if it can reach {min_effect} ms)")
    if adaptive is not None:
        print(f"bar (adaptive): fair decided within {DECIDE_WITHIN_S:.0f} s in at least 9 of 10 runs")


if __name__ == "__main__":
    main()
