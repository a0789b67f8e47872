"""Parity and speed: bigday's probe beside the pinned Lighthouse 12.2.3 on the reference target, page by page.

For each profile (default: Lighthouse's own presets in devtools mode, ``lighthouse-desktop`` and
``lighthouse-mobile``), each of the five pages and each knob variant, both engines measure the same URL
``--runs`` times (``bigday probe --engine both --accessibility every``): bigday's median against Lighthouse's
median of the performance score (bar: within 5 points), Speed Index (within 15 %), LCP (within 15 %) and
the accessibility score (equal, with and without the a11y knob's violations).  Then the time of one page
run: bigday's with score, Speed Index and accessibility against Lighthouse's (bar: at most a quarter), and a
plain bigday probe run (the default probe: Speed Index and score, axe on a page's first run only; measured
here on runs without axe) against Lighthouse's (bar: at least 10x faster).  bigday's figure includes its
share of the browser launch it amortises over the runs; Lighthouse launches Chrome per run.

    .venv/bin/python benchmarks/lighthouse_parity.py                       # everything (long: ~90 min here)
    .venv/bin/python benchmarks/lighthouse_parity.py --pages dashboard --variants timer,raf --runs 5
    .venv/bin/python benchmarks/lighthouse_parity.py --out parity.json     # also keep every figure as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bigday.probe.runner import ProbeOptions, probe_app
from bigday.settings.scenario import load_scenario
from bigday.stats import median

VARIANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "plain": (),
    "timer": (("timer_hero", "1500"),),  # a hero drawn by a timer, no network activity
    "raf": (("raf_hero", "1500"), ("a11y", "1")),  # drawn after a chain of animation frames; injected violations
    "faults": (("lcp_delay", "800"), ("long_task", "250"), ("shift", "120")),
}
SCORE_POINTS, SI_SHARE, LCP_SHARE, SPEED_FULL, SPEED_PLAIN = 5.0, 0.15, 0.15, 4.0, 10.0


def _median_of(runs: list[Any], metric: str) -> float | None:
    values = [v for r in runs if (v := r.vitals.get(metric)) is not None]
    return median(values) if values else None


def _probe(scenario: Any, app: Any, tmp: Path, profile: str, knobs: Any, runs: int, **kw: Any) -> tuple[Any, float]:
    options = ProbeOptions(
        scenario=scenario, results_dir=tmp, runs=runs, profile=profile, knobs=knobs, max_attempts=2, **kw
    )
    t0 = time.monotonic()
    outcome = probe_app(options, app)
    return outcome, time.monotonic() - t0


def _share(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b - 1


def _row(profile: str, variant: str, page: str, mine: list[Any], theirs: list[Any], launch_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {"profile": profile, "variant": variant, "page": page, "n": [len(mine), len(theirs)]}
    for m in ("performance_score", "si", "lcp", "fcp", "tbt", "cls", "accessibility_score"):
        out[m] = [_median_of(mine, m), _median_of(theirs, m)]
    out["seconds"] = [
        median(r.duration_s for r in mine) + launch_s if mine else None,
        median(r.duration_s for r in theirs) if theirs else None,
    ]
    return out


def _fmt(x: float | None, spec: str = ".0f") -> str:
    return "-" if x is None else format(x, spec)


def _print_row(r: dict[str, Any]) -> dict[str, bool]:
    perf, si, lcp, a11y, sec = r["performance_score"], r["si"], r["lcp"], r["accessibility_score"], r["seconds"]
    d_perf = None if None in perf else perf[0] - perf[1]
    d_si, d_lcp = _share(*si), _share(*lcp)
    ok = {
        "perf": d_perf is not None and abs(d_perf) <= SCORE_POINTS,
        "si": d_si is not None and abs(d_si) <= SI_SHARE,
        "lcp": d_lcp is not None and abs(d_lcp) <= LCP_SHARE,
        "a11y": a11y[0] is not None and a11y[0] == a11y[1],
    }
    ratio = None if None in sec else sec[1] / sec[0]
    print(
        f"{r['profile']:18} {r['page']:16} {r['variant']:7} "
        f"perf {_fmt(perf[0]):>3}/{_fmt(perf[1]):>3} ({_fmt(d_perf, '+.0f'):>3}) "
        f"SI {_fmt(si[0]):>5}/{_fmt(si[1]):>5} ({_fmt(None if d_si is None else d_si * 100, '+.0f'):>3}%) "
        f"LCP {_fmt(lcp[0]):>5}/{_fmt(lcp[1]):>5} ({_fmt(None if d_lcp is None else d_lcp * 100, '+.0f'):>3}%) "
        f"a11y {_fmt(a11y[0]):>3}/{_fmt(a11y[1]):>3} "
        f"TBT {_fmt(r['tbt'][0]):>4}/{_fmt(r['tbt'][1]):>4} CLS {_fmt(r['cls'][0], '.3f')}/{_fmt(r['cls'][1], '.3f')} "
        f"time {_fmt(sec[0], '.1f')}/{_fmt(sec[1], '.1f')} s ({_fmt(ratio, '.1f')}x) "
        f"{' '.join(k for k, v in ok.items() if not v) or 'ok'}",
        flush=True,
    )
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profiles", default="lighthouse-desktop,lighthouse-mobile")
    ap.add_argument("--pages", default="", help="comma-separated page names (default: all five)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"of {', '.join(VARIANTS)}")
    ap.add_argument("--out", type=Path, help="write every row as JSON here")
    args = ap.parse_args()
    from bigday.cli.common import app_under_test

    scenario = load_scenario()
    pages = tuple(p for p in args.pages.split(",") if p) or tuple(p.name for p in scenario.pages)
    rows: list[dict[str, Any]] = []
    plain_times: list[tuple[str, str, float, float]] = []
    load0 = os.getloadavg()
    t_start = time.monotonic()
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in load0)} at the start")
    with tempfile.TemporaryDirectory() as tmp, app_under_test(None, scenario) as app:
        for profile in args.profiles.split(","):
            # A plain probe (Speed Index and score, no axe) of every page: the "plain run" time.
            plain, plain_wall = _probe(
                scenario, app, Path(tmp), profile, (), args.runs, pages=pages, accessibility="off"
            )
            plain_launch = (plain_wall - sum(r.duration_s for r in plain.runs)) / max(len(plain.runs), 1)
            for variant in args.variants.split(","):
                outcome, wall = _probe(
                    scenario,
                    app,
                    Path(tmp),
                    profile,
                    VARIANTS[variant],
                    args.runs,
                    pages=pages,
                    engine="both",
                    accessibility="every",
                )
                ours = [r for r in outcome.runs if r.engine == "bigday"]
                launch_s = (wall - sum(r.duration_s for r in outcome.runs)) / max(len(ours), 1)
                for page in pages:
                    mine = [r for r in ours if r.ok and r.target.page == page]
                    theirs = [r for r in outcome.runs if r.engine == "lighthouse" and r.ok and r.target.page == page]
                    row = _row(profile, variant, page, mine, theirs, launch_s)
                    row["ok"] = _print_row(row)
                    rows.append(row)
                    if variant == "plain":
                        fast = [r.duration_s for r in plain.runs if r.ok and r.target.page == page]
                        if fast and row["seconds"][1]:
                            plain_times.append((profile, page, median(fast) + plain_launch, row["seconds"][1]))
    print()
    wall_min = (time.monotonic() - t_start) / 60
    print(f"{len(rows)} page x variant x profile rows, {args.runs} runs each engine; wall {wall_min:.0f} min")
    for key, label in (
        ("perf", f"performance within +-{SCORE_POINTS:.0f} points"),
        ("si", "Speed Index within 15 %"),
        ("lcp", "LCP within 15 %"),
        ("a11y", "accessibility equal"),
    ):
        good = sum(1 for r in rows if r["ok"][key])
        print(f"  {label}: {good} of {len(rows)}")
    full = [r["seconds"][1] / r["seconds"][0] for r in rows if None not in r["seconds"]]
    if full:
        passed = sum(1 for x in full if x >= SPEED_FULL)
        print(
            f"  time, bigday run with score + SI + accessibility vs Lighthouse: median {median(full):.1f}x "
            f"(min {min(full):.1f}x; bar >= {SPEED_FULL:.0f}x): {passed} of {len(full)}"
        )
    if plain_times:
        ratios = [lh / ours for _, _, ours, lh in plain_times]
        print(
            f"  time, plain bigday probe run vs Lighthouse: median {median(ratios):.1f}x (min {min(ratios):.1f}x; "
            f"bar >= {SPEED_PLAIN:.0f}x): {sum(1 for x in ratios if x >= SPEED_PLAIN)} of {len(ratios)}"
        )
        for profile, page, ours, lh in plain_times:
            print(f"    {profile:18} {page:16} plain {ours:.2f} s vs Lighthouse {lh:.1f} s = {lh / ours:.1f}x")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "plain_times": plain_times}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
