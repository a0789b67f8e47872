"""The capacity search on the reference target, repeated: does it find a knee, and do repeats agree?

    .venv/bin/python benchmarks/load_capacity.py [--repeats 3] [--modes users,rate] [--start-users 10]
        [--start-rate 5] [--factor 1.5] [--refine 2] [--step-hold 15s] [--target-isolation fair]

Each repeat is `bigday load capacity`'s search (bigday.load.capacity.search_capacity) against the embedded target
(fair pools unless told), a fresh target per step, judged by the scenario's Saturday plateau SLA (p95 1 s,
errors 1%), in each mode: `users` steps the closed model's users from --start-users, `rate` steps the open
model's arrival rate from --start-rate tasks a second (`bigday load capacity --arrival-rate`). Printed per
repeat: every step (level, verdict, plateau p95, errors, rate) and the bracket (holds N, breaks by M); then per
mode the three brackets, their midpoints and the spread of the midpoints (max / min - 1; the bar is 15%), with
the load average before and after. Loopback only; each search bounded by its steps and time limit.
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
from bigday.load.capacity import CapacitySearch, check_capacity, search_capacity  # noqa: E402
from bigday.load.rehearsal import LoadOptions  # noqa: E402
from bigday.settings.scenario import load_scenario  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--modes", default="users,rate")
    ap.add_argument("--start-users", type=int, default=10)
    ap.add_argument("--start-rate", type=float, default=5.0)
    ap.add_argument("--target-isolation", default="fair")
    ap.add_argument("--factor", type=float, default=1.5)
    ap.add_argument("--refine", type=int, default=2)
    ap.add_argument("--step-hold", default="15s")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    scenario = load_scenario()
    summary: dict[str, list[tuple[float | None, float | None]]] = {}
    with tempfile.TemporaryDirectory(prefix="bigday-capacity-") as tmp:
        for mode in args.modes.split(","):
            search = CapacitySearch(
                start_users=args.start_users,
                start_rate=args.start_rate if mode == "rate" else None,
                factor=args.factor,
                refine=args.refine,
                hold=args.step_hold,
                max_steps=10,
            )
            options = LoadOptions(results_dir=Path(tmp), target_isolation=args.target_isolation)
            sla = check_capacity(scenario, None, options, search)
            for i in range(args.repeats):
                result = search_capacity(
                    scenario, lambda: load_target(None, args.target_isolation), options, search, lambda _: None, sla
                )
                for s in result.steps:
                    p95 = "-" if s.p95_ms is None else f"{s.p95_ms:,.0f} ms"
                    print(
                        f"  {mode} repeat {i + 1}: {s.level_text():>12} ({s.users:>4} users) {s.status.upper():<12} "
                        f"p95 {p95:>9} errors {100 * (s.error_rate or 0):5.2f}%  {s.rps or 0:6.1f} rps",
                        flush=True,
                    )
                print(f"{mode} repeat {i + 1}: {result.status.upper()} {result.reason} ({result.elapsed_s:.0f} s)")
                by_users = (result.holds_users, result.breaks_users)
                bracket = (result.holds_rate, result.breaks_rate) if mode == "rate" else by_users
                summary.setdefault(mode, []).append(bracket)
    for mode, brackets in summary.items():
        mids = [(h + b) / 2 for h, b in brackets if h is not None and b is not None]
        spread = f"{max(mids) / min(mids) - 1:.1%}" if len(mids) == len(brackets) and mids else "n/a (no knee)"
        print(f"{mode}: brackets {brackets}; midpoints {mids}; spread of midpoints {spread} (bar 15%)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
