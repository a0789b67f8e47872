"""``probe_app``: N runs of each selected page, retries for failed runs, and the run folder with its summary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from bigday.errors import BrowserError, ConfigError
from bigday.probe.access import TenantAccess
from bigday.probe.app import AppUnderTest
from bigday.probe.assets import ProbeAssets, load_assets
from bigday.probe.browser import chromium, in_own_thread, launch_options, sync_playwright_blocked
from bigday.probe.insights import recommend
from bigday.probe.lighthouse import TRACE_CATEGORIES, lighthouse_binary, run_lighthouse
from bigday.probe.measure import MeasureSettings, RunFailed, measure
from bigday.probe.profiles import get_profile
from bigday.probe.results import SAMPLE_METRICS, PageRun, PageTarget, Vitals
from bigday.runfolder import (
    ENGINES,
    AccessibilityAudit,
    Engine,
    Filmstrip,
    FilmstripFrame,
    FilmstripRun,
    Manifest,
    MetricSummary,
    PageAccessibility,
    PageRunCounts,
    ProbeSamples,
    ProbeSettings,
    ProbeSummary,
    Recommendation,
    Recommendations,
    RunFolder,
    RunKind,
    RunStatus,
    ScenarioRef,
    app_record,
    environment_fingerprint,
    frame_file,
    utc_now,
    write_filmstrip,
    write_frame,
    write_manifest,
    write_probe_samples,
    write_probe_summary,
    write_recommendations,
)
from bigday.settings import children
from bigday.settings.access import Tenancy
from bigday.settings.scenario import Page, Scenario
from bigday.stats import summarize
from bigday.stats.lighthouse import LIGHTHOUSE_VERSION

EXIT_COMPLETE = 0
EXIT_INCOMPLETE = 3
# The DOM a page shows after its interaction is the same run after run, so by default axe audits it once.
ACCESSIBILITY_MODES = ("first", "every", "off")
# Who measures: bigday's own probe, the pinned Lighthouse, or both into the same run folder.
ENGINE_CHOICES = ("bigday", "lighthouse", "both")


@dataclass(frozen=True)
class ProbeOptions:
    """What to probe and how (flags resolved already; see bigday/probe/cli.py)."""

    scenario: Scenario
    base_url: str | None = None  # None: start the embedded reference target
    results_dir: Path | None = None
    runs: int = 5
    profile: str = "desktop"
    pages: tuple[str, ...] = ()  # page names; empty: every page of the scenario
    tenant: str | None = None  # None: each page's own tenant, else the target's default
    warm: bool = False
    timeout_s: float = 30.0
    max_attempts: int = 3
    knobs: tuple[tuple[str, str], ...] = ()  # query parameters added to every page URL
    accessibility: str = "first"  # axe on each page's first measured run, on every cold run, or never
    engine: str = "bigday"  # bigday | lighthouse | both
    filmstrip: bool = False  # keep the frames of each page's median run (by Speed Index)
    coverage: bool = False  # JS and CSS coverage for the unused-code recommendations (costs each run time)
    # Measure the way Lighthouse does: a freshly started Chromium per page run, the load traced with
    # Lighthouse's trace categories (its observer cost); with a lighthouse-* profile, its exact semantics.
    parity: bool = False

    def __post_init__(self) -> None:
        if self.runs < 1:
            raise ConfigError(f"--runs: expected at least 1, got {self.runs}")
        if self.timeout_s <= 0:
            raise ConfigError(f"--timeout: expected a positive number of seconds, got {self.timeout_s}")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts: expected at least 1, got {self.max_attempts}")
        get_profile(self.profile)
        if self.accessibility not in ACCESSIBILITY_MODES:
            raise ConfigError(
                f"--accessibility: expected one of {', '.join(ACCESSIBILITY_MODES)}, got {self.accessibility!r}"
            )
        if self.engine not in ENGINE_CHOICES:
            raise ConfigError(f"--engine: expected one of {', '.join(ENGINE_CHOICES)}, got {self.engine!r}")
        for name in self.pages:
            self.scenario.page(name)
        if self.tenant is not None:
            self.scenario.tenant(self.tenant)

    @property
    def engines(self) -> tuple[Engine, ...]:
        return ENGINES if self.engine == "both" else (cast(Engine, self.engine),)

    def selected_pages(self) -> list[Page]:
        """The pages to probe, in the order they are measured in each round."""
        return [self.scenario.page(n) for n in self.pages] if self.pages else list(self.scenario.pages)


@dataclass(frozen=True)
class ProbeOutcome:
    """A finished probe: every run's record, the summary, and whether every page run was measured."""

    folder: RunFolder
    runs: tuple[PageRun, ...]
    summary: ProbeSummary
    complete: bool
    missing: tuple[str, ...] = field(default_factory=tuple)  # "page run N: last reason"
    recommendations: tuple[Recommendation, ...] = ()

    @property
    def exit_code(self) -> int:
        return EXIT_COMPLETE if self.complete else EXIT_INCOMPLETE


def page_url(
    base_url: str,
    path: str,
    tenant: str | None,
    knobs: tuple[tuple[str, str], ...] = (),
    tenancy: Tenancy | None = None,
    key: str | None = None,
) -> str:
    """The page's URL as ``tenant`` the way ``tenancy`` says (None: nowhere in the URL), with the fault knobs
    as query parameters; ``key`` is the tenant's identifier in the app (default: the tenant itself)."""
    way = tenancy or Tenancy()
    if not tenant:
        way = Tenancy()
    return way.url(base_url, path, tenant or "", key or tenant or "", knobs)


def page_targets(options: ProbeOptions, access: TenantAccess) -> list[PageTarget]:
    scenario = options.scenario
    return [
        access.target(p, options.tenant or p.tenant or scenario.default_tenant.id, options.knobs)
        for p in options.selected_pages()
    ]


def summarize_runs(
    runs: list[PageRun] | tuple[PageRun, ...], warm: bool = False, engine: Engine = "bigday"
) -> dict[str, dict[str, MetricSummary]]:
    """Per page, per metric: n, median, p75, p95, min, max over the successful runs (unmeasured metrics left out)."""
    pages: dict[str, dict[str, MetricSummary]] = {}
    mine = [r for r in runs if r.engine == engine]
    for run in mine:
        if run.ok and run.warm == warm:
            pages.setdefault(run.target.page, {})
    for page in pages:
        ok = [r for r in mine if r.ok and r.warm == warm and r.target.page == page]
        for metric in SAMPLE_METRICS:
            stats = summarize([r.vitals.get(metric) for r in ok])
            if stats is not None:
                pages[page][metric] = MetricSummary(**stats)
    return pages


class BrowserKeeper:
    """The one browser of a probe, restarted after a crash (a replacement is ours to close)."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self._replacement: Browser | None = None

    def restart(self) -> None:
        try:
            with children.watched_children():
                fresh = self.browser.browser_type.launch(**launch_options())
        except PlaywrightError as e:
            raise BrowserError(f"Chromium could not be restarted after a crash: {str(e).splitlines()[0]}") from None
        self.close_replacement()
        self.browser = self._replacement = fresh

    def close_replacement(self) -> None:
        if self._replacement is not None and self._replacement.is_connected():
            self._replacement.close()
        self._replacement = None


@contextmanager
def _fresh(keeper: BrowserKeeper) -> Iterator[BrowserKeeper]:
    """A newly launched Chromium beside the probe's own, closed after one page run."""
    try:
        with children.watched_children():
            cold = keeper.browser.browser_type.launch(**launch_options())
    except PlaywrightError as e:
        raise BrowserError(f"Chromium could not be started for a parity run: {str(e).splitlines()[0]}") from None
    fresh = BrowserKeeper(cold)
    try:
        yield fresh
    finally:
        fresh.close_replacement()
        if cold.is_connected():
            cold.close()


@contextmanager
def _browser(given: Browser | None) -> Iterator[BrowserKeeper]:
    if given is not None:
        keeper = BrowserKeeper(given)
        try:
            yield keeper
        finally:
            keeper.close_replacement()
        return
    with chromium() as own:
        keeper = BrowserKeeper(own)
        try:
            yield keeper
        finally:
            keeper.close_replacement()


def measure_with_retries(
    keeper: BrowserKeeper,
    target: PageTarget,
    settings: MeasureSettings,
    assets: ProbeAssets,
    run_index: int,
    max_attempts: int,
    on_run: Callable[[PageRun], None] | None = None,
    access: TenantAccess | None = None,
) -> list[PageRun]:
    """Every attempt's records, until one succeeds or ``max_attempts`` is reached; the browser restarts on crash.

    With ``access``, each run's context is the tenant's (headers, signed-in state); a run that landed on the
    login page (the session expired) is recorded as failed, and the tenant signs in again before the next."""
    records: list[PageRun] = []
    tenant = target.tenant or ""
    for attempt in range(1, max_attempts + 1):
        t0 = time.monotonic()
        options = access.context_options(tenant) if access is not None and tenant else None
        try:
            runs = measure(
                keeper.browser, target, settings, assets, run_index=run_index, attempt=attempt, context_options=options
            )
            if access is not None and runs and access.expired(runs[0]):
                runs = [
                    replace(
                        runs[0],
                        ok=False,
                        vitals=Vitals(),
                        error="signed out: the page showed the login page; signed in again",
                    )
                ]
                access.sign_in(keeper.browser, tenant)
        except RunFailed as crash:
            runs = [
                PageRun(
                    target=target,
                    run_index=run_index,
                    warm=False,
                    profile=settings.profile.name,
                    device=settings.profile.device,
                    connection=settings.profile.connection,
                    browser_version=_version(keeper.browser),
                    attempt=attempt,
                    started_at=utc_now().isoformat(timespec="milliseconds"),
                    ok=False,
                    error=crash.reason,
                    details=crash.details,
                    duration_s=time.monotonic() - t0,
                )
            ]
            keeper.restart()
        records.extend(runs)
        for run in runs:
            if on_run:
                on_run(run)
        if runs[0].ok:
            break
    return records


def _version(browser: Browser) -> str:
    try:
        return browser.version
    except PlaywrightError:
        return "unknown"


def _manifest(
    folder: RunFolder,
    options: ProbeOptions,
    app: AppUnderTest,
    assets: ProbeAssets,
    browser_version: str,
    started: datetime,
    finished: datetime | None,
    status: RunStatus,
) -> Manifest:
    profile = get_profile(options.profile)
    return Manifest(
        run_id=folder.run_id,
        kind=RunKind.PROBE,
        started_at=started,
        finished_at=finished,
        complete=status == "ok",
        status=status,
        scenario=ScenarioRef(options.scenario.name, str(options.scenario.source), options.scenario.sha256),
        environment=environment_fingerprint(
            browser="chromium",
            browser_version=browser_version,
            web_vitals_version=assets.web_vitals_version,
            axe_core_version=assets.axe_version,
            profile=profile.name,
            profile_settings=profile.describe(),
            lighthouse_version=LIGHTHOUSE_VERSION if "lighthouse" in options.engines else None,
        ),
        app=app_record(options.scenario, app.base_url, app.embedded),
        probe=ProbeSettings(
            runs=options.runs,
            pages=options.pages,
            tenant=options.tenant,
            warm=options.warm,
            timeout_s=options.timeout_s,
            max_attempts=options.max_attempts,
            knobs=dict(options.knobs),
            accessibility=options.accessibility,
            tbt_window="first contentful paint to the end of the settle wait (just before the interaction)",
            engine=options.engine,
            filmstrip=options.filmstrip,
            parity=options.parity,
            coverage=options.coverage,
        ),
    )


# Asked after each round of page runs (the folder, every run so far): True ends the probe before options.runs.
AfterRound = Callable[[RunFolder, list[PageRun]], bool]


def probe_app(
    options: ProbeOptions,
    app: AppUnderTest,
    browser: Browser | None = None,
    on_run: Callable[[PageRun], None] | None = None,
    after_round: AfterRound | None = None,
) -> ProbeOutcome:
    """Probe an app that is already answering; write the run folder; never raises for a failed page run.

    Without ``browser`` the probe starts its own Playwright and Chromium; where this thread already runs a
    sync Playwright (a pytest session using the plugin, say) that happens in a thread of its own. With
    ``after_round`` (``bigday run --runs auto``), ``options.runs`` is the most rounds, and the probe ends after
    the first round the callback says is enough."""
    if browser is None and sync_playwright_blocked():
        return in_own_thread(lambda: _probe_app(options, app, None, on_run, after_round))
    return _probe_app(options, app, browser, on_run, after_round)


def _write_results(
    folder: RunFolder,
    options: ProbeOptions,
    app: AppUnderTest,
    assets: ProbeAssets,
    browser_version: str,
    started: datetime,
    runs: list[PageRun],
    targets: list[PageTarget],
    missing: list[str],
) -> ProbeSummary:
    """Samples, summary, then the manifest with the run's status: the manifest last, so a folder whose
    manifest says it ended has every file it names."""
    summary = _summary(options, runs, targets)
    write_probe_samples(folder, ProbeSamples(tuple(r.to_sample() for r in runs)))
    write_probe_summary(folder, summary)
    if options.filmstrip:
        write_filmstrip(folder, _filmstrip(folder, runs))
    write_recommendations(folder, Recommendations(folder.run_id, recommend(runs, options.scenario.insights)))
    any_ok = any(r.ok for r in runs)
    status: RunStatus = "ok" if not missing else ("incomplete" if any_ok else "failed")
    write_manifest(folder, _manifest(folder, options, app, assets, browser_version, started, utc_now(), status))
    return summary


def _probe_app(
    options: ProbeOptions,
    app: AppUnderTest,
    browser: Browser | None,
    on_run: Callable[[PageRun], None] | None,
    after_round: AfterRound | None = None,
) -> ProbeOutcome:
    assets = load_assets()
    if "lighthouse" in options.engines:
        lighthouse_binary()  # a missing Lighthouse fails before anything is measured
    settings = MeasureSettings(
        profile=get_profile(options.profile),
        timeout_s=options.timeout_s,
        accessibility=options.accessibility != "off",
        warm=options.warm,
        keep_frames=options.filmstrip,
        coverage=options.coverage,
    )
    if options.parity:
        settings = replace(settings, trace_categories=TRACE_CATEGORIES)
    access = TenantAccess(options.scenario, app.base_url, settings.profile)
    targets = page_targets(options, access)
    tenants = {t.tenant for t in targets if t.tenant}
    access.check(tenants)  # an unset secret fails before a browser starts
    started = utc_now()
    runs: list[PageRun] = []
    missing: list[str] = []
    with _browser(browser) as keeper:
        # Signed in once per tenant, before anything is written: a sign-in that fails leaves no run folder.
        access.sign_in_all(keeper.browser, tenants)
        folder = RunFolder.create("probe", options.results_dir)
        browser_version = _version(keeper.browser)
        write_manifest(folder, _manifest(folder, options, app, assets, browser_version, started, None, "incomplete"))
        try:
            if "bigday" in options.engines:
                stop = (lambda: after_round(folder, runs)) if after_round else None
                _bigday_rounds(options, settings, assets, keeper, targets, runs, missing, on_run, access, stop)
            if "lighthouse" in options.engines:
                _lighthouse_rounds(options, settings, folder, browser_version, targets, runs, missing, on_run)
        except KeyboardInterrupt:
            # Interrupted (Ctrl-C): the page runs measured so far are kept, in a folder marked incomplete that
            # `bigday ingest` and `bigday compare` accept; then the interruption goes on to the command line.
            missing.append(f"interrupted after {len(runs)} page run(s)")
            _write_results(folder, options, app, assets, browser_version, started, runs, targets, missing)
            raise
    summary = _write_results(folder, options, app, assets, browser_version, started, runs, targets, missing)
    return ProbeOutcome(
        folder=folder,
        runs=tuple(runs),
        summary=summary,
        complete=not missing,
        missing=tuple(missing),
        recommendations=recommend(runs, options.scenario.insights),
    )


def _bigday_rounds(
    options: ProbeOptions,
    settings: MeasureSettings,
    assets: ProbeAssets,
    keeper: BrowserKeeper,
    targets: list[PageTarget],
    runs: list[PageRun],
    missing: list[str],
    on_run: Callable[[PageRun], None] | None,
    access: TenantAccess,
    enough: Callable[[], bool] | None = None,
) -> None:
    audited: set[str] = set()
    # Pages interleave within each round so slow drift of the machine spreads over all pages alike.
    for run_index in range(options.runs):
        for target in targets:
            audit = options.accessibility == "every" or (
                options.accessibility == "first" and target.page not in audited
            )
            page_settings = replace(settings, accessibility=audit)
            if options.parity:  # a cold browser per run, as Lighthouse launches Chrome per run
                with _fresh(keeper) as cold:
                    records = measure_with_retries(
                        cold, target, page_settings, assets, run_index, options.max_attempts, on_run, access
                    )
            else:
                records = measure_with_retries(
                    keeper, target, page_settings, assets, run_index, options.max_attempts, on_run, access
                )
            if any(r.vitals.accessibility_score is not None for r in records):
                audited.add(target.page)
            runs.extend(records)
            if not any(r.ok and not r.warm for r in records):
                missing.append(f"{target.page} run {run_index + 1}: {records[-1].error}")
        if enough is not None and enough():
            return


def _lighthouse_rounds(
    options: ProbeOptions,
    settings: MeasureSettings,
    folder: RunFolder,
    browser_version: str,
    targets: list[PageTarget],
    runs: list[PageRun],
    missing: list[str],
    on_run: Callable[[PageRun], None] | None,
) -> None:
    """The same pages and rounds, measured by Lighthouse (which launches a Chrome of its own per run)."""
    for run_index in range(options.runs):
        for target in targets:
            for attempt in range(1, options.max_attempts + 1):
                run = run_lighthouse(
                    folder,
                    target,
                    settings.profile,
                    run_index,
                    attempt,
                    timeout_s=max(180.0, 4 * options.timeout_s),
                    browser_version=browser_version,
                )
                runs.append(run)
                if on_run:
                    on_run(run)
                if run.ok:
                    break
            else:
                missing.append(f"{target.page} lighthouse run {run_index + 1}: {runs[-1].error}")


def _summary(options: ProbeOptions, runs: list[PageRun], targets: list[PageTarget]) -> ProbeSummary:
    primary: Engine = options.engines[0]
    others = {e: summarize_runs(runs, engine=e) for e in options.engines if e != primary}
    return ProbeSummary(
        pages=summarize_runs(runs, engine=primary),
        warm_pages=summarize_runs(runs, warm=True, engine=primary) if options.warm and primary == "bigday" else None,
        runs={
            t.page: PageRunCounts(
                ok=sum(1 for r in runs if r.ok and not r.warm and r.target.page == t.page and r.engine == primary),
                failed_attempts=sum(1 for r in runs if not r.ok and r.target.page == t.page and r.engine == primary),
                wanted=options.runs,
            )
            for t in targets
        },
        engines=others or None,
        accessibility=_accessibility_summary(runs) or None,
    )


def _audits(items: Any) -> tuple[AccessibilityAudit, ...]:
    return tuple(
        AccessibilityAudit(
            audit=str(a["audit"]),
            weight=int(a["weight"]),
            impact=a.get("impact"),
            help=str(a.get("help", "")),
            nodes=int(a.get("nodes", 0)),
            selectors=tuple(str(x) for x in a.get("selectors", [])),
        )
        for a in items or []
    )


def _accessibility_summary(runs: list[PageRun]) -> dict[str, PageAccessibility]:
    """Per page, the last audited run's accessibility score and failed audits (bigday's own, else Lighthouse's)."""
    out: dict[str, PageAccessibility] = {}
    for engine in ("lighthouse", "bigday"):  # bigday's own audit wins where both audited a page
        for run in runs:
            a11y = run.details.get("accessibility") if run.ok and run.engine == engine else None
            if not a11y:
                continue
            out[run.target.page] = PageAccessibility(
                score=a11y.get("score"),
                engine=run.engine,
                axe_version=a11y.get("axe_version"),
                lighthouse_version=str(a11y.get("lighthouse_version") or run.details.get("lighthouse_version") or ""),
                failed=_audits(a11y.get("failed_audits")),
                unweighted=_audits(a11y.get("unweighted_violations")),
            )
    return out


def median_run(runs: list[PageRun]) -> PageRun | None:
    """The run whose Speed Index is the median (the lower middle one of an even count), as a filmstrip shows it."""
    measured = sorted((r for r in runs if r.ok and r.vitals.si is not None), key=lambda r: (r.vitals.si, r.run_index))
    return measured[(len(measured) - 1) // 2] if measured else None


def _filmstrip(folder: RunFolder, runs: list[PageRun]) -> Filmstrip:
    """Each page's median run by Speed Index: its frames written into the folder, indexed in filmstrip.json."""
    out = []
    for page in dict.fromkeys(r.target.page for r in runs):
        chosen = median_run([r for r in runs if r.target.page == page and r.engine == "bigday" and not r.warm])
        if chosen is None or not chosen.frames:
            continue
        progress = [p for _, p in (chosen.details.get("speed_index") or {}).get("progress", [])[1:]]
        frames = []
        for i, frame in enumerate(chosen.frames):
            relative = frame_file(page, chosen.run_index, i)
            write_frame(folder, relative, frame.jpeg)
            frames.append(FilmstripFrame(round(frame.t_ms, 1), progress[i] if i < len(progress) else None, relative))
        out.append(
            FilmstripRun(page=page, run_index=chosen.run_index, speed_index=chosen.vitals.si, frames=tuple(frames))
        )
    return Filmstrip(tuple(out))
