"""A/B experiments and --runs auto on REAL probe runs of the reference target (issue 14's bars).

Bars:
- `bigday ab` with A = B: over 20 seeded experiments at most 1 says different; with B's LCP 15 % slower (the
  lcp_delay knob), at least 19 of 20 say B slower (fixed 20 runs per side);
- `--runs auto` (max 30 per side, looks every 5 from 5) reaches the same verdicts as fixed 20 runs on the 15 %
  case with at least 30 % fewer runs on average, and says different in at most 1 of 20 A/A experiments.

Method: pools of real page runs are measured with `bigday ab`'s own measuring loop (probe.ab.measure_ab: one
Chromium, rounds interleaved A B / B A on one embedded target, the knob passed per request): an A/A pool (both
sides lcp_delay=D) and an A/B pool (B at lcp_delay = D + 15 % of A's calibrated median LCP). Each seeded
experiment then replays a random order of one pool's rounds (without replacement) through `bigday ab`'s own
judge (compare.ab.Judge: two-sided rank test, bootstrap interval, minimum effect, FDR over the look's
comparisons, the fixed or the group-sequential design) over the default metrics, so auto and fixed-20 see the
same rounds in the same order. Pools are reused across experiments (resampling: experiments are not independent).
With --real K it also runs K complete `bigday ab --runs auto` experiments of the 15 % case through the CLI.

Usage: .venv/bin/python benchmarks/ab_experiments.py [--pool 60] [--page dashboard] [--reuse POOLS.json] [--real 0]
       [--reuse POOLS.json --delay-b N --save NEW.json]   (a new A/B pool at B's lcp_delay N beside the saved A/A)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bigday.compare.ab import DEFAULT_METRICS, Judge
from bigday.probe.ab import AbMeasureOptions, SideTarget, measure_ab
from bigday.probe.browser import chromium
from bigday.runfolder import AbRun, AbVerdict
from bigday.settings.scenario import load_scenario
from bigday.stats import median
from bigday.stats.sequential import fixed_design, group_sequential, look_schedule
from bigday.target.server import running_target

SCENARIO = load_scenario()
EXPERIMENTS = 20
SECOND = "A'"
FIXED = fixed_design(20, SCENARIO.regression.alpha)
AUTO = group_sequential(look_schedule(5, 30, 5), SCENARIO.regression.alpha)


def measure(url: str, page: str, delay_a: int, delay_b: int, rounds: int) -> list[AbRun]:
    options = AbMeasureOptions(SCENARIO, (page,), "desktop", rounds)
    a = SideTarget("a", url, (("lcp_delay", str(delay_a)),))
    b = SideTarget("b", url, (("lcp_delay", str(delay_b)),))
    with chromium() as browser:
        return measure_ab(options, a, b, browser, lambda n, runs: False)


def collect_ab(earlier: dict[str, object], pool: int, delay_b: int) -> dict[str, object]:
    """A new A/B pool at B's ``delay_b`` beside an earlier run's A/A pool (same page and A delay)."""
    page, delay = str(earlier["page"]), int(earlier["delay_a"])  # type: ignore[call-overload]
    with running_target(scenario=SCENARIO.source) as url:
        t0 = time.perf_counter()
        ab = measure(url, page, delay, delay_b, pool)
        print(f"  A/B pool at lcp_delay={delay_b}: {len(ab)} page runs ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {**earlier, "delay_b": delay_b, "ab": [r.to_json() for r in ab]}


def collect(page: str, pool: int, delay: int) -> dict[str, object]:
    with running_target(scenario=SCENARIO.source) as url:
        t0 = time.perf_counter()
        calibration = measure(url, page, delay, delay, 5)
        lcp_a = median(r.metrics["lcp"] for r in calibration if r.ok and "lcp" in r.metrics)
        guess = delay + round(0.15 * lcp_a)
        # LCP is not quite the delay plus a constant: one interleaved pilot at the guess corrects it.
        pilot = measure(url, page, delay, guess, 8)
        med = {s: median(r.metrics["lcp"] for r in pilot if r.ok and r.side == s and "lcp" in r.metrics) for s in "ab"}
        delay_b = guess + round(1.15 * med["a"] - med["b"])
        print(
            f"calibration: median LCP {lcp_a:.0f} ms at lcp_delay={delay}; pilot at {guess}: B/A "
            f"{med['b'] / med['a']:.3f} -> B uses lcp_delay={delay_b}",
            flush=True,
        )
        aa = measure(url, page, delay, delay, pool)
        print(f"  A/A pool: {len(aa)} page runs ({time.perf_counter() - t0:.0f} s)", flush=True)
        ab = measure(url, page, delay, delay_b, pool)
        print(f"  A/B pool: {len(ab)} page runs ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {
        "page": page,
        "delay_a": delay,
        "delay_b": delay_b,
        "calibrated_lcp_a": lcp_a,
        "aa": [r.to_json() for r in aa],
        "ab": [r.to_json() for r in ab],
    }


def replay(runs: list[AbRun], order: np.ndarray, design_name: str) -> tuple[int, dict[str, AbVerdict]]:
    """One experiment: the pool's rounds in ``order`` through the judge; (rounds used, verdict per metric)."""
    design = AUTO if design_name == "auto" else FIXED
    by_round: dict[int, list[AbRun]] = {}
    for r in runs:
        by_round.setdefault(r.round, []).append(r)
    judge = Judge(SCENARIO.regression, design, DEFAULT_METRICS)
    seen: list[AbRun] = []
    used = design.max_runs
    for i, k in enumerate(order[: design.max_runs]):
        seen += [dataclasses.replace(r, round=i) for r in by_round[int(k)]]
        if judge.after_round(i + 1, seen):
            used = i + 1
            break
    return used, {f.metric: f.verdict for f in judge.result()}


def different(verdicts: dict[str, AbVerdict]) -> bool:
    return any(v in (AbVerdict.B_BETTER, AbVerdict.B_WORSE) for v in verdicts.values())


def sweep(pools: dict[str, object], seed: int) -> None:
    rng = np.random.default_rng(seed)
    aa = [AbRun.from_json(r) for r in pools["aa"]]
    ab = [AbRun.from_json(r) for r in pools["ab"]]
    rounds_aa, rounds_ab = len({r.round for r in aa}), len({r.round for r in ab})
    results: dict[tuple[str, str], list[tuple[int, dict[str, AbVerdict]]]] = {}
    for _ in range(EXPERIMENTS):
        order_aa, order_ab = rng.permutation(rounds_aa), rng.permutation(rounds_ab)
        for design in ("fixed", "auto"):
            results.setdefault(("aa", design), []).append(replay(aa, order_aa, design))
            results.setdefault(("ab", design), []).append(replay(ab, order_ab, design))
    for design in ("fixed", "auto"):
        label = "fixed 20 runs" if design == "fixed" else "--runs auto (max 30, looks at 5, 10, ..., 30)"
        said_aa = sum(different(v) for _, v in results[("aa", design)])
        slower = sum(v.get("lcp") is AbVerdict.B_WORSE for _, v in results[("ab", design)])
        runs_aa = [n for n, _ in results[("aa", design)]]
        runs_ab = [n for n, _ in results[("ab", design)]]
        print(
            f"{label}: A/A said different in {said_aa} of {EXPERIMENTS} (bar <= 1); 15 % slower LCP: B slower in "
            f"{slower} of {EXPERIMENTS} (bar >= 19); runs per side A/A mean {np.mean(runs_aa):.1f} "
            f"(median {np.median(runs_aa):.0f}), 15 % case mean {np.mean(runs_ab):.1f} "
            f"(median {np.median(runs_ab):.0f})"
        )
        wrong = [
            sorted(m for m, x in v.items() if x in (AbVerdict.B_BETTER, AbVerdict.B_WORSE))
            for _, v in results[("aa", design)]
        ]
        if any(wrong):
            print(f"  A/A metrics said different: {[w for w in wrong if w]}")
    same = sum(
        f[1].get("lcp") == a[1].get("lcp") and different(f[1]) == different(a[1])
        for f, a in zip(results[("ab", "fixed")], results[("ab", "auto")], strict=True)
    )
    fixed_runs = np.mean([n for n, _ in results[("ab", "fixed")]])
    auto_runs = np.mean([n for n, _ in results[("ab", "auto")]])
    print(
        f"15 % case, auto vs fixed 20 on the same rounds: same LCP verdict in {same} of {EXPERIMENTS}; mean runs "
        f"per side {auto_runs:.1f} vs {fixed_runs:.1f}: {1 - auto_runs / fixed_runs:.0%} fewer (bar >= 30 %)"
    )
    undecided = [sorted(m for m, x in v.items() if x is AbVerdict.INCONCLUSIVE) for _, v in results[("aa", "auto")]]
    if any(undecided):
        print(f"  A/A auto experiments with inconclusive metrics: {[u for u in undecided if u]}")


def real(pools: dict[str, object], k: int) -> None:
    """K complete `bigday ab --runs auto` experiments of the 15 % case, through the command line."""
    bigday = str(Path(sys.executable).with_name("bigday"))
    for i in range(k):
        with tempfile.TemporaryDirectory(prefix="bigday-ab-bench-") as tmp:
            t0 = time.perf_counter()
            cmd = [
                bigday,
                "ab",
                "--pages",
                str(pools["page"]),
                "--knob-a",
                f"lcp_delay={pools['delay_a']}",
                "--knob-b",
                f"lcp_delay={pools['delay_b']}",
                "--results-dir",
                tmp,
                "--json",
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {"NO_COLOR": "1"})
            exp = json.loads(done.stdout)
            lcp = next(f for f in exp["findings"] if f["metric"] == "lcp")
            print(
                f"real bigday ab {i + 1}: exit {done.returncode}, {exp['runs_per_side']} runs per side, "
                f"{time.perf_counter() - t0:.0f} s; {lcp['message']}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", type=int, default=60, help="rounds per pool (default 60)")
    ap.add_argument("--page", default="dashboard")
    ap.add_argument("--delay", type=int, default=1000, help="A's lcp_delay in ms (default 1000)")
    ap.add_argument("--reuse", type=Path, help="analyse pools saved by an earlier run instead of probing")
    ap.add_argument("--save", type=Path, default=Path(tempfile.gettempdir()) / "bigday-ab-pools.json")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--real", type=int, default=0, help="also run this many real bigday ab --runs auto experiments")
    ap.add_argument(
        "--delay-b", type=int, help="with --reuse: measure a new A/B pool at this B lcp_delay beside the saved A/A pool"
    )
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at start", flush=True)
    if args.reuse and args.delay_b is not None:
        pools = collect_ab(json.loads(args.reuse.read_text()), args.pool, args.delay_b)
        args.save.write_text(json.dumps(pools))
        print(f"pools saved to {args.save}")
    elif args.reuse:
        pools = json.loads(args.reuse.read_text())
    else:
        pools = collect(args.page, args.pool, args.delay)
        args.save.write_text(json.dumps(pools))
        print(f"pools saved to {args.save}")
    aa = [r for r in pools["aa"] if r["ok"]]
    ab = [r for r in pools["ab"] if r["ok"]]
    med = {
        name: median(r["metrics"]["lcp"] for r in rows if r["side"] == s)
        for name, rows, s in (("A", ab, "a"), ("B", ab, "b"), ("A'", aa, "b"))
    }
    print(
        f"page '{pools['page']}': lcp_delay A {pools['delay_a']} / B {pools['delay_b']} ms; "
        f"median LCP A {med['A']:.0f}, "
        f"B {med['B']:.0f} (B/A {med['B'] / med['A']:.3f}), A/A second side {med[SECOND]:.0f} ms"
    )
    sweep(pools, args.seed)
    if args.real:
        real(pools, args.real)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at end")


if __name__ == "__main__":
    main()
