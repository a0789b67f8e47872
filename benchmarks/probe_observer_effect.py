"""Observer effect: median LCP and FCP with all of bigday's instrumentation vs a bare PerformanceObserver.

Both variants load the same page in a fresh context with the same profile and the same settle wait, alternating
run by run so drift of the machine falls on both alike.  "Full" is the probe as it runs (web-vitals attribution
build, the collector's observers, the binding, then interaction, axe and close); "bare" is one init script
with a largest-contentful-paint and a paint observer and nothing else.  Bar: medians differ by < 3%.
As a noise floor, the bare runs are also split in two interleaved halves and their medians compared (an A/A
test): a full-vs-bare difference within that floor is below what this machine can resolve.

    .venv/bin/python benchmarks/probe_observer_effect.py [--pairs 30] [--page dashboard] [--profile desktop]
"""

from __future__ import annotations

import argparse
import os

from playwright.sync_api import Browser

from bigday.cli.common import app_under_test
from bigday.probe.assets import load_assets
from bigday.probe.browser import chromium
from bigday.probe.measure import Clock, MeasureSettings, PageWatch, measure, wait_for_settle
from bigday.probe.profiles import apply_profile, get_profile
from bigday.probe.results import PageTarget
from bigday.probe.runner import page_url
from bigday.settings.scenario import load_scenario
from bigday.stats import median

BAR = 0.03
# The same globals the settle wait reads (window.__bigday.lastLcpCandidateAt / lcpCandidates, and a
# __bigdaySettle that reports no scheduled work: the bare page is not instrumented), nothing more.
BARE_OBSERVER = """(() => {
  if (window !== window.top) return;
  const s = window.__bigday = {lastLcpCandidateAt: 0, lcpCandidates: 0, lcp: null, fcp: null};
  window.__bigdaySettle = () => ({pending: {timers: 0, frames: 0, animations: 0}, ignored: {}, busy_until: 0,
    last_fired_at: 0});
  new PerformanceObserver((list) => { for (const e of list.getEntries()) {
    s.lcp = e.startTime; s.lcpCandidates += 1; s.lastLcpCandidateAt = performance.now(); } })
    .observe({type: 'largest-contentful-paint', buffered: true});
  new PerformanceObserver((list) => { for (const e of list.getEntries()) {
    if (e.name === 'first-contentful-paint') s.fcp = e.startTime; } })
    .observe({type: 'paint', buffered: true});
})();"""


def bare_run(browser: Browser, url: str, settings: MeasureSettings) -> tuple[float, float]:
    context = browser.new_context(**settings.profile.context_options())
    try:
        context.add_init_script(script=BARE_OBSERVER)
        page = context.new_page()
        watch = PageWatch()
        watch.attach(page)
        apply_profile(context.new_cdp_session(page), settings.profile)
        page.goto(url, wait_until="load")
        wait_for_settle(page, watch, settings, Clock(settings.timeout_s))
        lcp, fcp = page.evaluate("() => [window.__bigday.lcp, window.__bigday.fcp]")
        return float(lcp), float(fcp)
    finally:
        context.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=30)
    ap.add_argument("--page", default="dashboard")
    ap.add_argument("--profile", default="desktop")
    args = ap.parse_args()
    scenario = load_scenario()
    page = scenario.page(args.page)
    settings = MeasureSettings(profile=get_profile(args.profile))
    assets = load_assets()
    full: dict[str, list[float]] = {"lcp": [], "fcp": []}
    bare: dict[str, list[float]] = {"lcp": [], "fcp": []}
    with app_under_test(None, scenario) as app, chromium() as browser:
        url = page_url(app.base_url, page.path, scenario.default_tenant.id, tenancy=scenario.tenancy)
        target = PageTarget(page.name, page.path, url, scenario.default_tenant.id, page.interaction)
        for i in range(args.pairs):
            order = ("full", "bare") if i % 2 == 0 else ("bare", "full")
            for variant in order:
                if variant == "full":
                    (run,) = measure(browser, target, settings, assets, run_index=i)
                    assert run.ok, run.error
                    full["lcp"].append(float(run.vitals.lcp or 0))
                    full["fcp"].append(float(run.vitals.fcp or 0))
                else:
                    lcp, fcp = bare_run(browser, url, settings)
                    bare["lcp"].append(lcp)
                    bare["fcp"].append(fcp)
    print(f"page {args.page}, profile {args.profile}, {args.pairs} alternating pairs (embedded target)")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min; other work on the box adds noise)")
    print(f"{'metric':6} {'full median':>12} {'bare median':>12} {'difference':>11}")
    worst = 0.0
    for metric in ("lcp", "fcp"):
        f, b = median(full[metric]), median(bare[metric])
        diff = (f - b) / b
        worst = max(worst, abs(diff))
        paired = median((x - y) / y for x, y in zip(full[metric], bare[metric], strict=True))
        floor = median(bare[metric][0::2]) / median(bare[metric][1::2]) - 1
        print(
            f"{metric:6} {f:12.1f} {b:12.1f} {diff:+11.2%}   (median of paired differences {paired:+.2%}; "
            f"A/A bare halves {floor:+.2%})"
        )
        print(f"       full: {' '.join(f'{v:g}' for v in full[metric])}")
        print(f"       bare: {' '.join(f'{v:g}' for v in bare[metric])}")
    print(f"largest median difference: {worst:.2%} (bar < {BAR:.0%}): {'PASS' if worst < BAR else 'FAIL'}")
    return 0 if worst < BAR else 1


if __name__ == "__main__":
    raise SystemExit(main())
