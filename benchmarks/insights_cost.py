"""What recording for the recommendations costs a page run: coverage on against off, alternating run by run.

Each pair measures the same page in a fresh context twice, once with JS and CSS coverage
(``MeasureSettings.coverage``, ``bigday probe --coverage``) and once without; the order alternates so drift
falls on both.
Printed: the median wall time of a page run, the median time of the "collect" phase (where coverage is
taken), and median LCP and TBT, with coverage and without, side by side, and the load average.
The response and header log is not switched off here: it listens to the Network events the throttled
profiles enable anyway.

    .venv/bin/python benchmarks/insights_cost.py [--pairs 10] [--page dashboard] [--profile desktop]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from bigday.cli.common import app_under_test
from bigday.probe.assets import load_assets
from bigday.probe.browser import chromium
from bigday.probe.measure import MeasureSettings, measure
from bigday.probe.profiles import get_profile
from bigday.probe.results import PageRun, PageTarget
from bigday.settings.scenario import load_scenario
from bigday.stats import median


def _figures(runs: list[PageRun]) -> dict[str, float]:
    def med(values: list[float | None]) -> float:
        known = [v for v in values if v is not None]
        return float(median(known)) if known else float("nan")

    return {
        "run_s": med([r.duration_s for r in runs]),
        "collect_ms": med([r.details["phases_ms"].get("collect") for r in runs]),
        "lcp_ms": med([r.vitals.lcp for r in runs]),
        "tbt_ms": med([r.vitals.tbt for r in runs]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--page", default="dashboard")
    parser.add_argument("--profile", default="desktop")
    args = parser.parse_args()
    scenario = load_scenario(None)
    page = scenario.page(args.page)
    base = MeasureSettings(profile=get_profile(args.profile), accessibility=False)
    variants = {"coverage": replace(base, coverage=True), "no coverage": base}
    got: dict[str, list[PageRun]] = {name: [] for name in variants}
    with app_under_test(None, scenario) as app, chromium() as browser:
        url = f"{app.base_url}{page.path}?tenant=lumen"
        target = PageTarget(page.name, page.path, url, "lumen")
        assets = load_assets()
        measure(browser, target, base, assets)  # warm-up: the server's caches and the browser's first run
        for i in range(args.pairs):
            order = list(variants) if i % 2 == 0 else list(reversed(variants))
            for name in order:
                got[name] += [r for r in measure(browser, target, variants[name], assets, run_index=i) if r.ok]
    print(f"{args.page}, {args.profile}, {args.pairs} pairs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'':14}{'run (s)':>10}{'collect (ms)':>14}{'LCP (ms)':>10}{'TBT (ms)':>10}")
    for name, runs in got.items():
        f = _figures(runs)
        print(f"{name:14}{f['run_s']:>10.3f}{f['collect_ms']:>14.1f}{f['lcp_ms']:>10.1f}{f['tbt_ms']:>10.1f}")
    on, off = _figures(got["coverage"]), _figures(got["no coverage"])
    print(f"coverage costs {on['run_s'] - off['run_s']:+.3f} s a run ({on['run_s'] / off['run_s'] - 1:+.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
