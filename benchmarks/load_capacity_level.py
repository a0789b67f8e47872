"""One capacity level, measured again and again: how much does a single plateau's verdict vary?

    .venv/bin/python benchmarks/load_capacity_level.py --users 90 [--hold 15s] [--runs 5] [--target-isolation fair]

Each run is one step of `bigday load capacity` (``_Search.run``: the Saturday journeys ramped
over 5 s to ``--users`` and held for ``--hold``, the plateau judged by the scenario's p95 SLA and error bound)
against a fresh embedded target. Printed per run: the verdict, plateau p95, error rate, requests, rate and
requests slower than the SLA, with the load average; then the error rates' range. Near the knee this shows
whether one plateau can decide a level (benchmarks/load_capacity.py repeats whole searches). Loopback only;
each run bounded by its ramp and hold.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bigday.cli.common import load_target  # noqa: E402
from bigday.load.capacity import CapacitySearch, _Search, check_capacity  # noqa: E402
from bigday.load.rehearsal import LoadOptions  # noqa: E402
from bigday.settings.scenario import load_scenario  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, required=True)
    ap.add_argument("--hold", default="15s")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--target-isolation", default="fair")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    scenario = load_scenario()
    rates = []
    with tempfile.TemporaryDirectory(prefix="bigday-capacity-level-") as tmp:
        search = CapacitySearch(start_users=args.users, hold=args.hold, max_steps=10)
        options = LoadOptions(results_dir=Path(tmp), target_isolation=args.target_isolation)
        sla = check_capacity(scenario, None, options, search)
        steps = _Search(
            scenario, lambda: load_target(None, args.target_isolation), options, search, lambda _: None, sla
        )
        for i in range(args.runs):
            s = steps.run(args.users)  # the search's own step: a fresh target, one Saturday rehearsal, its plateau
            rates.append(100 * (s.error_rate or 0))
            p95 = "-" if s.p95_ms is None else f"{s.p95_ms:,.0f} ms"
            print(
                f"{args.users} users, hold {args.hold}, run {i + 1}: {s.status.upper():<5} p95 {p95:>8} "
                f"errors {rates[-1]:5.2f}% of {s.count or 0:,} requests, {s.rps or 0:.1f} rps, "
                f"{s.slow if s.slow is not None else '-'} slower than the SLA (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
    print(f"errors from {min(rates):.2f}% to {max(rates):.2f}% over {len(rates)} plateaus")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
