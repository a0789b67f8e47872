"""The Locust isolation check against the reference target, repeated per mode: how far each verdict is from its bar.

    .venv/bin/python benchmarks/isolation_verdict.py [--runs 3] [--shared-runs 1]

Each run is `run_isolation_check` as `bigday load isolation` does it (scenario wedsync.yaml: victim lumen,
aggressor everafter, tolerance 1.25x, minimum effect 5 ms), against a fresh embedded target in `shared` or
`fair` mode, with the phase lengths of tests/integration/test_isolation_verdict_target.py (5 s shared, 20 s
fair). Printed per run: the verdict, the victim's p50/p95 alone and during the spike, the p95 ratio and the
p95 rise in ms with their 95% intervals, and the aggressor's requests. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
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


def one_run(mode: str, results: Path) -> dict[str, Any]:
    scenario = load_scenario()
    t0 = time.monotonic()
    with running_target(isolation=mode) as url:
        result = run_isolation_check(scenario, url, LoadOptions(overrides=PHASES[mode], results_dir=results))
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
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="fair-mode runs (~50 s each)")
    ap.add_argument("--shared-runs", type=int, default=1, help="shared-mode runs (~20 s each)")
    args = ap.parse_args()
    verdicts: dict[str, list[dict[str, Any]]] = {"shared": [], "fair": []}
    with tempfile.TemporaryDirectory(prefix="bigday-iso-bench-") as tmp:
        for mode, n in (("shared", args.shared_runs), ("fair", args.runs)):
            for i in range(1, n + 1):
                v = one_run(mode, Path(tmp))
                verdicts[mode].append(v)
                print(describe(mode, i, v), flush=True)
    tolerance = min_effect = None
    for mode, vs in verdicts.items():
        if not vs:
            continue
        tolerance, min_effect = vs[0]["tolerance"], vs[0]["min_effect_ms"]
        passed = sum(v["status"] == "pass" for v in vs)
        ratio = median(v["p95_ratio"]["estimate"] for v in vs)
        rise = median(v["p95_increase_ms"]["estimate"] for v in vs)
        print(
            f"{mode}: {passed}/{len(vs)} PASS; median p95 ratio {ratio:.2f}x, median p95 rise {rise:+.2f} ms, "
            f"highest rise upper bound {max(v['p95_increase_ms']['high'] for v in vs):+.2f} ms"
        )
    print(f"bar: shared FAIL, fair PASS (tolerance {tolerance}x; a rise counts only if it can reach {min_effect} ms)")


if __name__ == "__main__":
    main()
