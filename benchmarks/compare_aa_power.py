"""A/A and power of the baseline comparison, on REAL probe runs of the reference target.

Bars (issue 5): 20 comparisons of two independent 10-run samples of the same unchanged page raise at most
1 regression; a 15 % LCP increase made with the target's lcp_delay knob is flagged in at least 19 of 20
trials at 10 runs per side.

Method: a pool of real probe page runs is collected once per condition, batches of the two conditions
alternating so that machine drift falls on both alike: A = the page with lcp_delay=D, B = lcp_delay set so
that LCP grows 15 % over A's calibrated median. Each trial then draws its two 10-run samples from the pools,
WITHOUT replacement within a trial (so the two sides of an A/A trial never share a page run); pools are
reused across trials. Each trial is judged by the comparator's own regression_checks over every metric the
probe measured on that page (one-sided rank tests, bootstrap interval, minimum effect, Benjamini-Hochberg).
Usage: .venv/bin/python benchmarks/compare_aa_power.py [--pool 60] [--page dashboard] [--reuse POOL.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser

from bigday.compare.regression import regression_checks
from bigday.probe.app import AppUnderTest
from bigday.probe.browser import chromium
from bigday.probe.runner import ProbeOptions, probe_app
from bigday.runfolder import RegressionLabel
from bigday.settings.scenario import load_scenario
from bigday.stats import median
from bigday.target.server import running_target

SCENARIO = load_scenario()
TRIALS, PER_SIDE = 20, 10
Pool = list[dict[str, float]]


def collect(url: str, browser: Browser, page: str, knobs: dict[str, int], runs: int, tmp: Path) -> Pool:
    options = ProbeOptions(
        SCENARIO,
        base_url=url,
        results_dir=tmp,
        runs=runs,
        pages=(page,),
        knobs=tuple((k, str(v)) for k, v in knobs.items()),
        accessibility="off",
    )
    outcome = probe_app(options, AppUnderTest(url, embedded=True), browser=browser)
    return [
        {m: float(v) for m, v in r.vitals.as_dict().items() if v is not None}
        for r in outcome.runs
        if r.ok and not r.warm
    ]


def collect_pools(page: str, pool_size: int, delay: int, batch: int) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="bigday-aa-") as tmp_s,
        running_target(scenario=SCENARIO.source) as url,
        chromium() as browser,
    ):
        tmp = Path(tmp_s)
        t0 = time.perf_counter()
        calibration = collect(url, browser, page, {"lcp_delay": delay}, batch, tmp)
        lcp_a = median(r["lcp"] for r in calibration)
        delay_b = delay + round(0.15 * lcp_a)
        print(
            f"calibration: {len(calibration)} runs at lcp_delay={delay}: median LCP {lcp_a:.0f} ms "
            f"-> condition B uses lcp_delay={delay_b} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        pools: dict[str, Pool] = {"A": [], "B": []}
        while len(pools["A"]) < pool_size or len(pools["B"]) < pool_size:
            for name, d in (("A", delay), ("B", delay_b)):
                if len(pools[name]) < pool_size:
                    pools[name] += collect(url, browser, page, {"lcp_delay": d}, batch, tmp)
            print(
                f"  pools: A {len(pools['A'])}, B {len(pools['B'])} page runs ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    return {
        "page": page,
        "delay_a": delay,
        "delay_b": delay_b,
        "calibrated_lcp_a": lcp_a,
        "A": pools["A"][:pool_size],
        "B": pools["B"][:pool_size],
    }


def side(pool: Pool, idx: np.ndarray, page: str) -> dict[tuple[str, str], np.ndarray]:
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for i in idx:
        for m, v in pool[i].items():
            values[(page, m)].append(v)
    return {k: np.asarray(v) for k, v in values.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", type=int, default=60, help="page runs per condition (default 60)")
    ap.add_argument("--page", default="dashboard")
    ap.add_argument("--delay", type=int, default=1000, help="condition A's lcp_delay in ms (default 1000)")
    ap.add_argument("--batch", type=int, default=10, help="runs per alternating batch")
    ap.add_argument("--reuse", type=Path, help="analyse a pool file saved by an earlier run instead of probing")
    ap.add_argument("--save", type=Path, default=Path(tempfile.gettempdir()) / "bigday-aa-pool.json")
    ap.add_argument("--seed", type=int, default=20261128)
    args = ap.parse_args()
    if args.reuse:
        data = json.loads(args.reuse.read_text())
    else:
        data = collect_pools(args.page, args.pool, args.delay, args.batch)
        args.save.write_text(json.dumps(data))
        print(f"pool saved to {args.save}")
    page, pool_a, pool_b = data["page"], data["A"], data["B"]
    med_a = median(r["lcp"] for r in pool_a)
    med_b = median(r["lcp"] for r in pool_b)
    print(
        f"real probe pools on '{page}': A {len(pool_a)} runs (lcp_delay={data['delay_a']}), "
        f"B {len(pool_b)} runs (lcp_delay={data['delay_b']}); median LCP A {med_a:.0f} ms, B {med_b:.0f} ms, "
        f"B/A = {med_b / med_a:.3f}"
    )
    aa, power, effects, n_metrics = trials(pool_a, pool_b, page, TRIALS, np.random.default_rng(args.seed))
    print(
        f"each trial judges {n_metrics} metrics of the page (one-sided Mann-Whitney U, Benjamini-Hochberg over the "
        f"gated ones - lcp fid inp cls scores - and separately over the rest, minimum effect), {PER_SIDE} runs per "
        "side drawn without replacement within the trial"
    )
    flagged = [m for t in aa for m in t]
    aa_flags = sum(any(not m.endswith("(info)") for m in t) for t in aa)
    print(
        f"A/A: {aa_flags} of {TRIALS} trials raised a regression verdict (bar: <= 1) "
        f"{'PASS' if aa_flags <= 1 else 'FAIL'}" + (f"; flagged: {flagged}" if flagged else "")
    )
    print(
        f"power: 15 % LCP step flagged in {power} of {TRIALS} trials (bar: >= 19) "
        f"{'PASS' if power >= 19 else 'FAIL'}; LCP effect median {median(effects):+.1%}, "
        f"range {min(effects):+.1%} .. {max(effects):+.1%}"
    )
    many = 1000
    aa_m, power_m, _, _ = trials(pool_a, pool_b, page, many, np.random.default_rng(args.seed + 1))
    raised = sum(any(not m.endswith("(info)") for m in t) for t in aa_m)
    info = sum(any(m.endswith("(info)") for m in t) for t in aa_m)
    print(
        f"the same pools over {many} resampled trials (how robust the 20-trial figures are): A/A trials raising a "
        f"regression verdict {raised / many:.1%} (informational labels {info / many:.1%}), "
        f"power {power_m / many:.1%}"
    )


def trials(
    pool_a: Pool, pool_b: Pool, page: str, n: int, rng: np.random.Generator
) -> tuple[list[list[str]], int, list[float], int]:
    """n A/A trials (metrics flagged in each) and n A-vs-B trials (how many flagged LCP, the LCP effects)."""
    policy = SCENARIO.regression
    aa = []
    for _ in range(n):
        idx = rng.choice(len(pool_a), 2 * PER_SIDE, replace=False)  # disjoint sides within the trial
        checks = regression_checks(side(pool_a, idx[:PER_SIDE], page), side(pool_a, idx[PER_SIDE:], page), policy)
        # A raised regression is a gated one (it fails the run and alerts); informational labels are kept
        # apart, marked "(info)", so the figure shows them too.
        regressions = [c for c in checks if c.comparison and c.comparison.label is RegressionLabel.REGRESSION]
        aa.append([c.metric if c.comparison and c.comparison.gated else f"{c.metric} (info)" for c in regressions])
    hits, effects, n_metrics = 0, [], 0
    for _ in range(n):
        ia = rng.choice(len(pool_a), PER_SIDE, replace=False)
        ib = rng.choice(len(pool_b), PER_SIDE, replace=False)
        checks = regression_checks(side(pool_b, ib, page), side(pool_a, ia, page), policy)
        n_metrics = len(checks)
        lcp = next(c for c in checks if c.metric == "lcp")
        comparison = lcp.comparison
        effects.append(float(comparison.effect or 0.0) if comparison else 0.0)
        hits += comparison is not None and comparison.label is RegressionLabel.REGRESSION
    return aa, hits, effects, n_metrics


if __name__ == "__main__":
    main()
