"""Speed: bigday's probe of the five critical paths x 5 runs, and time per page run next to Lighthouse 12.2.3.

Lighthouse runs from node_modules (the pinned 12.2.3) against the same page of the same embedded target in the
same process run, with CHROME_PATH=/usr/bin/chromium, the probe's Chromium flags, ``--preset=desktop``,
``--throttling-method=provided`` (its observed mode; DESIGN §4) and only the performance and accessibility
categories, so it does no more than the probe does.  Lighthouse launches Chrome per run; bigday's per page run
figure is the whole probe's wall time (browser launch included) over the number of page runs.  Goal: >= 10x.
With Chromium 156 six Lighthouse audits error (frame_sequence); its metrics and scores still work.
benchmarks/lighthouse_parity.py is the page-by-page parity and speed table under Lighthouse's own presets.

    .venv/bin/python benchmarks/probe_vs_lighthouse.py [--runs 5] [--lighthouse-runs 3] [--page dashboard]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bigday.probe.assets import node_modules
from bigday.probe.browser import CHROMIUM_ARGS, chromium_path
from bigday.probe.profiles import get_profile
from bigday.probe.runner import ProbeOptions, page_url, probe_app
from bigday.settings.scenario import load_scenario
from bigday.stats import median

GOAL = 10.0
LH_AUDITS = {
    "fcp": "first-contentful-paint",
    "si": "speed-index",
    "lcp": "largest-contentful-paint",
    "tbt": "total-blocking-time",
    "cls": "cumulative-layout-shift",
}


def lighthouse_run(url: str, out: Path) -> tuple[float, dict[str, Any]]:
    binary = node_modules() / ".bin" / "lighthouse"
    flags = " ".join(("--headless=new", *CHROMIUM_ARGS))
    cmd = [
        str(binary),
        url,
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        f"--chrome-flags={flags}",
        "--preset=desktop",
        "--throttling-method=provided",
        "--only-categories=performance,accessibility",
    ]
    t0 = time.monotonic()
    proc = subprocess.run(
        cmd, env=dict(os.environ, CHROME_PATH=chromium_path()), capture_output=True, text=True, timeout=300
    )
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"lighthouse failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, json.loads(out.read_text())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="bigday runs per page (five pages)")
    ap.add_argument("--lighthouse-runs", type=int, default=3)
    ap.add_argument("--page", default="dashboard", help="the page Lighthouse measures")
    ap.add_argument("--profile", default="desktop", help="bigday's profile (Lighthouse runs unthrottled)")
    ap.add_argument(
        "--accessibility",
        default="every",
        choices=("first", "every", "off"),
        help="bigday's axe audits; 'every' (default here) does what Lighthouse does on each run",
    )
    args = ap.parse_args()
    from bigday.cli.common import app_under_test

    scenario = load_scenario()
    with tempfile.TemporaryDirectory() as tmp, app_under_test(None, scenario) as app:
        options = ProbeOptions(
            scenario=scenario,
            results_dir=Path(tmp),
            runs=args.runs,
            profile=args.profile,
            accessibility=args.accessibility,
        )
        t0 = time.monotonic()
        outcome = probe_app(options, app)
        probe_wall = time.monotonic() - t0
        page = scenario.page(args.page)
        url = page_url(app.base_url, page.path, scenario.default_tenant.id, tenancy=scenario.tenancy)
        lh = [lighthouse_run(url, Path(tmp) / f"lh-{i}.json") for i in range(args.lighthouse_runs)]

    page_runs = [r for r in outcome.runs if not r.warm]
    launch_s = probe_wall - sum(r.duration_s for r in outcome.runs)  # browser launch and bookkeeping
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min; other work on the box adds noise)")
    ok = [r for r in page_runs if r.ok]
    per_run = probe_wall / len(page_runs)
    same_page = [r.duration_s for r in ok if r.target.page == args.page]
    same_page_per_run = median(same_page) + launch_s / len(page_runs)
    lh_walls = [w for w, _ in lh]
    lh_per_run = median(lh_walls)
    print(f"bigday profile {args.profile}, accessibility audit {args.accessibility}")
    print(
        f"bigday probe: {len(scenario.pages)} paths x {args.runs} runs = {len(page_runs)} page runs "
        f"({len(ok)} ok) in {probe_wall:.1f} s wall (browser launch, axe, everything)"
    )
    median_run = median(r.duration_s for r in ok)
    print(f"  per page run: {per_run:.2f} s (wall / runs); median run duration {median_run:.2f} s")
    print(
        f"  {args.page}: median run {median(same_page):.2f} s + {launch_s / len(page_runs):.2f} s "
        f"of browser launch and bookkeeping per run = {same_page_per_run:.2f} s per page run"
    )
    print(
        f"Lighthouse {lh[0][1]['lighthouseVersion']} on {args.page}: {len(lh)} runs, "
        f"wall {' '.join(f'{w:.1f}' for w in lh_walls)} s; median {lh_per_run:.1f} s per page run"
    )
    ratio = lh_per_run / same_page_per_run
    print(
        f"speed-up per page run on {args.page}: {ratio:.1f}x (goal >= {GOAL:.0f}x): "
        f"{'PASS' if ratio >= GOAL else 'FAIL'}; over all five paths: {lh_per_run / per_run:.1f}x"
    )
    mine = [r for r in ok if r.target.page == args.page]
    throttled = get_profile(args.profile).network is not None
    print(
        f"\nsame page, metrics side by side (bigday profile {args.profile} "
        f"{'throttles the network' if throttled else 'does not throttle'}; Lighthouse 'provided' does not throttle):"
    )
    print(f"{'metric':6} {'bigday median':>14} {'Lighthouse median':>18}")
    for metric, audit in LH_AUDITS.items():
        b = median(v for r in mine if (v := r.vitals.get(metric)) is not None)
        lh_values = [report["audits"][audit]["numericValue"] for _, report in lh]
        print(f"{metric:6} {b:14.3f} {median(lh_values):18.3f}")
    for cat, metric in (("performance", "performance_score"), ("accessibility", "accessibility_score")):
        b = median(v for r in mine if (v := r.vitals.get(metric)) is not None)
        lh_scores = [report["categories"][cat]["score"] * 100 for _, report in lh]
        print(f"{cat[:6]:6} {b:14.0f} {median(lh_scores):18.0f}")
    errored = sorted({a for _, rep in lh for a, v in rep["audits"].items() if v.get("scoreDisplayMode") == "error"})
    print(f"Lighthouse audits that errored: {', '.join(errored) or 'none'}")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
