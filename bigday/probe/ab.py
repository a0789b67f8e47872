"""Measuring an A/B experiment: the scenario's pages on two versions of the app, in interleaved rounds.

Each round measures every page once on each side, one Chromium for both, with the order of the sides
alternating from round to round (A B, then B A): drift of the machine or the network over the experiment, and
whatever one page run leaves behind for the next, fall on both sides alike. After each round the caller's
``after_round`` looks at everything measured so far and says whether to stop (the judging is compare's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Browser

from bigday.probe.access import TenantAccess
from bigday.probe.assets import load_assets
from bigday.probe.measure import MeasureSettings
from bigday.probe.profiles import get_profile
from bigday.probe.results import PageRun
from bigday.probe.runner import BrowserKeeper, measure_with_retries
from bigday.runfolder import AbRun, Side
from bigday.settings.scenario import Page, Scenario


@dataclass(frozen=True)
class SideTarget:
    """Where one side of the experiment is: a base URL that answers, and the query knobs for its pages."""

    name: Side
    base_url: str
    knobs: tuple[tuple[str, str], ...] = ()
    path: str | None = None  # this side's path for every page (a side given as one page's URL)


@dataclass(frozen=True)
class AbMeasureOptions:
    scenario: Scenario
    pages: tuple[str | Page, ...]  # names of the scenario's pages, or pages of their own
    profile: str = "desktop"
    max_rounds: int = 20
    timeout_s: float = 30.0
    max_attempts: int = 3


def _record(run: PageRun, side: Side, round_index: int, order: int) -> AbRun:
    metrics = {k: float(v) for k, v in run.vitals.as_dict().items() if v is not None}
    return AbRun(
        side=side,
        page=run.target.page,
        round=round_index,
        order=order,
        ok=run.ok,
        metrics=metrics,
        error=None if run.ok else run.error,
    )


def measure_ab(
    options: AbMeasureOptions,
    a: SideTarget,
    b: SideTarget,
    browser: Browser,
    after_round: Callable[[int, list[AbRun]], bool],
    on_run: Callable[[AbRun], None] | None = None,
    into: list[AbRun] | None = None,
) -> list[AbRun]:
    """Every page run of both sides, round by round, until ``after_round(rounds, runs)`` says stop or
    ``max_rounds`` rounds are done. A page run that fails after its retries is kept as failed. Runs are
    appended to ``into`` as they are measured, so a caller interrupted midway still has them."""
    assets = load_assets()
    settings = MeasureSettings(profile=get_profile(options.profile), timeout_s=options.timeout_s, accessibility=False)
    scenario = options.scenario
    sides = {s.name: (s, TenantAccess(scenario, s.base_url, settings.profile)) for s in (a, b)}
    pages = [scenario.page(p) if isinstance(p, str) else p for p in options.pages]
    for _, access in sides.values():
        access.check({p.tenant or scenario.default_tenant.id for p in pages})
    keeper = BrowserKeeper(browser)
    runs: list[AbRun] = into if into is not None else []
    try:
        for _, access in sides.values():
            access.sign_in_all(keeper.browser, {p.tenant or scenario.default_tenant.id for p in pages})
        for round_index in range(options.max_rounds):
            order: tuple[Side, ...] = ("a", "b") if round_index % 2 == 0 else ("b", "a")
            for page in pages:
                for name in order:
                    side, access = sides[name]
                    at = page if side.path is None else dataclasses.replace(page, path=side.path)
                    target = access.target(at, page.tenant or scenario.default_tenant.id, side.knobs)
                    records = measure_with_retries(
                        keeper, target, settings, assets, round_index, options.max_attempts, None, access
                    )
                    last = next((r for r in records if r.ok and not r.warm), records[-1])
                    run = _record(last, name, round_index, len(runs))
                    runs.append(run)
                    if on_run:
                        on_run(run)
            if after_round(round_index + 1, runs):
                break
    finally:
        keeper.close_replacement()
    return runs
