"""Repeatability: 10 runs of an unchanged page on the reference target; LCP coefficient of variation (bar < 5%).

.venv/bin/python benchmarks/probe_repeatability.py [--runs 10] [--page dashboard] [--profile desktop]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bigday.cli.common import run_probe
from bigday.probe.runner import ProbeOptions
from bigday.settings.scenario import load_scenario
from bigday.stats import coefficient_of_variation

BAR = 0.05


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--page", default="dashboard")
    ap.add_argument("--profile", default="desktop")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        options = ProbeOptions(
            scenario=load_scenario(),
            results_dir=Path(tmp),
            runs=args.runs,
            pages=(args.page,),
            profile=args.profile,
            accessibility="off",
        )
        outcome = run_probe(options)
    ok = [r for r in outcome.runs if r.ok]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min; other work on the box adds noise)")
    print(f"page {args.page}, profile {args.profile}, {len(ok)}/{args.runs} runs measured (embedded target)")
    print(f"{'metric':8} {'mean':>9} {'stdev':>8} {'CV':>7}   values")
    for metric in ("lcp", "fcp", "ttfb", "cls", "inp"):
        values = [v for r in ok if (v := r.vitals.get(metric)) is not None]
        if len(values) < 2:
            continue
        cv = coefficient_of_variation(values)
        print(
            f"{metric:8} {statistics.mean(values):9.1f} {statistics.stdev(values):8.1f} {cv:7.2%}   "
            + " ".join(f"{v:g}" for v in values)
        )
    lcp_cv = coefficient_of_variation([r.vitals.lcp for r in ok if r.vitals.lcp is not None])
    print(f"LCP coefficient of variation: {lcp_cv:.2%} (bar < {BAR:.0%}): {'PASS' if lcp_cv < BAR else 'FAIL'}")
    return 0 if lcp_cv < BAR and len(ok) == args.runs else 1


if __name__ == "__main__":
    raise SystemExit(main())
