"""The adaptive isolation verdict's confusion table against an app bigday did not write, whose isolation is known.

    .venv/bin/python benchmarks/isolation_fidelity.py [--isolated 20] [--shared 10] [--phase 5s] [--max-phase-time 40s]

The app is tests/integration/test_isolation_fidelity.py's (a Starlette app with a bounded worker pool per
tenant in `isolated` mode, one shared pool in `shared` mode; the victim at about a third of its pool). Each run
is one adaptive `bigday load isolation` against a fresh app, as the test runs it (5 s windows, at most 40 s of
them, so 3 looks at 98.33% each; tolerance 1.25x, minimum effect 5 ms), the two modes interleaved so that the
machine's drift falls on both. Printed per run: the verdict, the look that gave it and its figures; at the end
the whole confusion table (mode x PASS / INCONCLUSIVE / FAIL, how many were untrustworthy, and the outcomes as
answered: an untrustworthy verdict exits 3 and answers INCONCLUSIVE whatever its status), the median
time to a decision (seconds into the run of the deciding look, over the decided runs) and the median wall time
of a run, with the load average before and after. Bars: isolated at most 1 FAIL (a false-alarm rate of 5% or
less) and at least 18 PASS of 20; shared 10 FAIL of 10. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bigday.stats import median  # noqa: E402

TEST = ROOT / "tests" / "integration" / "test_isolation_fidelity.py"


def _fidelity_module() -> Any:
    spec = importlib.util.spec_from_file_location("isolation_fidelity_app", TEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--isolated", type=int, default=20, help="runs against isolated pools")
    ap.add_argument("--shared", type=int, default=10, help="runs against one shared pool")
    ap.add_argument("--phase", default="5s", help="each window's length")
    ap.add_argument("--max-phase-time", default="40s", help="the adaptive check's bound on its windows")
    args = ap.parse_args()
    app = _fidelity_module()
    total = args.isolated + args.shared
    shared_at = {int((k + 0.5) * total / args.shared) for k in range(args.shared)} if args.shared else set()
    order = ["shared" if i in shared_at else "isolated" for i in range(total)]  # the shared runs spread evenly
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    table: dict[str, Counter[str]] = {"isolated": Counter(), "shared": Counter()}
    decided_at: list[float] = []
    wall: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bigday-fidelity-") as tmp:
        for i, mode in enumerate(order, 1):
            with app.serving(mode) as url:
                v, seconds = app.judge(url, Path(tmp), phase=args.phase, max_phase_time=args.max_phase_time)
            table[mode][v["status"]] += 1
            table[mode]["untrustworthy"] += 0 if v["trustworthy"] else 1
            # What a user acts on: an untrustworthy verdict exits 3 and answers INCONCLUSIVE, whatever its status.
            table[mode]["acted-on " + (v["status"] if v["trustworthy"] else "inconclusive")] += 1
            wall.append(seconds)
            if v["decided_at_s"] is not None:
                decided_at.append(v["decided_at_s"])
            load = os.getloadavg()[0]  # the machine is shared: a run's verdict beside how busy it was
            print(f"{i:2} {mode:<8} {seconds:4.0f} s  load {load:4.1f}  {app.summary(v)}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\n{'':10} {'PASS':>6} {'INCONCL.':>9} {'FAIL':>6}   (untrustworthy)   as answered: PASS INCONCL. FAIL")
    for mode, counts in table.items():
        row = f"{mode:10} {counts['pass']:>6} {counts['inconclusive']:>9} {counts['fail']:>6}"
        answered = " ".join(f"{counts['acted-on ' + s]:>4}" for s in ("pass", "inconclusive", "fail"))
        print(f"{row}   ({counts['untrustworthy']:>3})            {answered}")
    if decided_at:
        print(f"median time to a decision: {median(decided_at):.1f} s into the run ({len(decided_at)} decided runs)")
    print(f"median wall time of a run: {median(wall):.1f} s")
    iso, shared = table["isolated"], table["shared"]
    print(
        f"bars: isolated FAIL {iso['fail']} <= 1 (answered as FAIL: {iso['acted-on fail']}) and PASS {iso['pass']}"
        f" >= 18 of 20; shared FAIL {shared['fail']} of {sum(shared[s] for s in ('pass', 'inconclusive', 'fail'))}"
        " (all)"
    )


if __name__ == "__main__":
    main()
