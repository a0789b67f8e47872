"""One page run: a fresh browser context (cold cache), throttled, navigated, settled, interacted with, measured.

The order matters: the page loads; the probe waits until LCP candidates have settled (network quiet and no
new candidate for ``settle_quiet_ms``, bounded by ``settle_max_s``), because an interaction ends LCP
recording (a fixed 1 s wait missed a hero that appeared at 1.5 s in 15 of 15 runs, DESIGN §4); then the
scenario's interaction runs with trusted Playwright input; then the record is read, axe runs, and the page is
closed with ``run_before_unload`` so it is hidden and web-vitals reports its final CLS and INP.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from playwright.sync_api import Browser, BrowserContext, CDPSession, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bigday.probe import details as d
from bigday.probe.assets import ProbeAssets
from bigday.probe.delivery import Coverage, NetworkLog
from bigday.probe.page_scripts import (
    AXE_RUN_JS,
    BINDING_NAME,
    INPUT_RECORDED_JS,
    NEXT_PAINT_JS,
    ORIGIN_MARK,
    ORIGIN_MARK_JS,
    SETTLE_PROBE_JS,
    SNAPSHOT_JS,
    init_script,
)
from bigday.probe.profiles import Profile, apply_profile
from bigday.probe.results import PageRun, PageTarget, Vitals
from bigday.probe.scoring import accessibility_audits, accessibility_score, performance_score
from bigday.probe.speedindex import Frame, SpeedIndex, speed_index
from bigday.probe.steps import StepFailed, perform
from bigday.stats.lighthouse import LIGHTHOUSE_VERSION

MAX_CONSOLE_ERRORS = 20
# Streams never go quiet; they must not hold the settle wait to its bound.
_LONG_LIVED = ("websocket", "eventsource")


@dataclass(frozen=True)
class MeasureSettings:
    """How each page run is carried out."""

    profile: Profile
    timeout_s: float = 30.0
    settle_quiet_ms: float = 500.0
    settle_max_s: float = 10.0
    # Timers due further ahead, and chains of timers or animation frames older than this, are not waited for.
    settle_horizon_ms: float = 3000.0
    accessibility: bool = True
    warm: bool = False
    speed_index: bool = True  # record painted frames during the load for Speed Index
    keep_frames: bool = False  # keep those frames with the run (a filmstrip)
    coverage: bool = False  # JS and CSS coverage for the unused-code recommendations (bigday probe --coverage)
    # The load's trace categories: the two the frames need, or Lighthouse's whole set (--parity).
    trace_categories: tuple[str, ...] = ("disabled-by-default-devtools.screenshot", "blink.user_timing")


class RunFailed(Exception):
    """A page run that could not be measured; ``crashed`` when the browser itself went away."""

    def __init__(self, reason: str, crashed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.crashed = crashed
        self.details: dict[str, Any] = {}


@dataclass
class PageWatch:
    """What the probe hears from a page while it runs: requests in flight, console errors, vitals reports."""

    inflight: int = 0
    last_activity: float = field(default_factory=time.monotonic)
    console_errors: list[str] = field(default_factory=list)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    crashed: bool = False

    def attach(self, page: Page) -> None:
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        page.on("console", self._console)
        page.on("pageerror", lambda err: self._error(f"uncaught: {err}"))
        page.on("crash", lambda _: setattr(self, "crashed", True))
        # A beforeunload prompt would keep the page open when the probe closes it.
        page.on("dialog", lambda dialog: dialog.accept())

    def _started(self, request: Any) -> None:
        if request.resource_type not in _LONG_LIVED:
            self.inflight += 1
            self.last_activity = time.monotonic()

    def _ended(self, request: Any) -> None:
        if request.resource_type not in _LONG_LIVED:
            self.inflight = max(self.inflight - 1, 0)
            self.last_activity = time.monotonic()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self._error(message.text)

    def _error(self, text: str) -> None:
        if len(self.console_errors) < MAX_CONSOLE_ERRORS:
            self.console_errors.append(text[:300])

    def network_quiet_for(self) -> float:
        return 0.0 if self.inflight else (time.monotonic() - self.last_activity) * 1000


class FrameRecorder:
    """The frames Chromium paints from navigation to the end of the settle wait, from a trace of the page.

    By default only two trace categories: the compositor's screenshots and user timing (for one mark that
    ties the trace's clock to navigation start), so the trace costs the page little and ends in tens of ms.
    A parity run records Lighthouse's own categories instead, and so pays the same tracing cost it does."""

    def __init__(self, cdp: CDPSession, categories: tuple[str, ...]) -> None:
        self.cdp = cdp
        self.categories = categories
        self.events: list[dict[str, Any]] = []
        self.complete = False
        cdp.on("Tracing.dataCollected", lambda params: self.events.extend(params["value"]))
        cdp.on("Tracing.tracingComplete", lambda _: setattr(self, "complete", True))

    def start(self) -> None:
        config = {"includedCategories": list(self.categories), "recordMode": "recordAsMuchAsPossible"}
        self.cdp.send("Tracing.start", {"traceConfig": config, "transferMode": "ReportEvents"})

    def stop(self, page: Page, clock: Clock) -> list[Frame]:
        """End the trace (before the interaction changes the page) and return its frames, navigation start = 0."""
        mark_ms = float(page.evaluate(ORIGIN_MARK_JS))
        self.cdp.send("Tracing.end")
        # Two categories end in tens of ms; Lighthouse's full set (a parity run) can take seconds to deliver.
        until = time.monotonic() + min(clock.remaining_ms() / 1000, 30.0)
        while not self.complete and time.monotonic() < until:
            page.wait_for_timeout(10)
        marks = [e for e in self.events if e.get("name") == ORIGIN_MARK]
        if not self.complete or not marks:
            return []
        origin_us = float(marks[-1]["ts"]) - mark_ms * 1000
        shots = [e for e in self.events if e.get("name") == "Screenshot" and (e.get("args") or {}).get("snapshot")]
        return [Frame((float(e["ts"]) - origin_us) / 1000, base64.b64decode(e["args"]["snapshot"])) for e in shots]


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class Clock:
    """The run's deadline."""

    def __init__(self, timeout_s: float) -> None:
        self.deadline = time.monotonic() + timeout_s

    def remaining_ms(self, floor: float = 1.0) -> float:
        return max((self.deadline - time.monotonic()) * 1000, floor)


class _Phases:
    """Wall time of each step of a run, to see where a page run's time goes."""

    def __init__(self) -> None:
        self.durations: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, name: str) -> None:
        now = time.monotonic()
        self.durations[name] = round((now - self._last) * 1000, 1)
        self._last = now


def _navigate(page: Page, url: str, clock: Clock) -> int:
    try:
        response = page.goto(url, wait_until="load", timeout=clock.remaining_ms())
    except PlaywrightTimeout:
        raise RunFailed(f"timeout: {url} did not reach its load event in time") from None
    except PlaywrightError as e:
        raise RunFailed(f"navigation error: {_first_line(e)}") from None
    if response is None:
        raise RunFailed(f"navigation error: no response for {url}")
    if response.status >= 400:
        raise RunFailed(f"HTTP {response.status} for {url}")
    return response.status


SettleReason = Literal["quiet", "timers", "cap"]


def _holding(probe: dict[str, Any], quiet: float, settle_min_ms: float) -> list[str]:
    """What keeps the page from being settled now: each condition that has not been quiet for ``quiet`` ms."""
    now = probe["now"]
    work = probe["work"]
    pending = work["pending"]
    holds = []
    if now - probe["last_candidate"] < quiet:
        holds.append("lcp")
    if now - probe["load_end"] < quiet:
        holds.append("load")
    if now - work["busy_until"] < quiet:
        holds.append("busy")
    if pending["timers"] or now - work["last_fired_at"] < quiet:
        holds.append("timers")
    if pending["frames"]:
        holds.append("frames")
    if pending["animations"]:
        holds.append("animations")
    if now < settle_min_ms:
        holds.append("minimum")
    return holds


def wait_for_settle(
    page: Page, watch: PageWatch, settings: MeasureSettings, clock: Clock, target: PageTarget | None = None
) -> dict[str, Any]:
    """Wait until the page has nothing left to do that could paint a new LCP candidate, bounded.

    Settled: the network quiet, and for ``settle_quiet_ms`` no new LCP candidate, no load event, no long task
    (apart from periodic work), no timer or animation-frame chain still due by the settle rules, and at
    least the page's ``settle_min`` after navigation start. Bounded by the page's ``settle_max`` (else
    ``settle_max_s``) from the start of the wait and by the run's deadline. The reason it stopped is recorded:
    ``quiet`` (nothing pending), ``timers`` (quiet, with scheduled work the rules do not wait for: far-off
    timers, periodic intervals, infinite animations), ``cap`` (the bound came first)."""
    quiet = settings.settle_quiet_ms
    settle_min = target.settle_min_ms if target and target.settle_min_ms is not None else 0.0
    settle_max_s = target.settle_max_ms / 1000 if target and target.settle_max_ms is not None else settings.settle_max_s
    started = time.monotonic()
    bound = min(started + settle_max_s, clock.deadline)
    held: dict[str, int] = {}  # condition -> polls it held the wait
    holds: list[str] = []
    probe: dict[str, Any] | None = None
    while True:
        if watch.network_quiet_for() >= quiet:
            probe = page.evaluate(SETTLE_PROBE_JS)
            if not probe["instrumented"]:
                raise RunFailed("instrumentation missing: the collector did not run in the page")
            holds = _holding(probe, quiet, settle_min)
            if not holds:
                reason: SettleReason = "timers" if probe["work"]["ignored"] else "quiet"
                return _settled(probe, started, reason, held, [])
        else:
            holds = ["network"]
        for h in holds:
            held[h] = held.get(h, 0) + 1
        if time.monotonic() >= bound:
            last = page.evaluate(SETTLE_PROBE_JS)
            return _settled(last, started, "cap", held, holds)
        page.wait_for_timeout(50)


def _settled(
    probe: dict[str, Any], started: float, reason: SettleReason, held: dict[str, int], pending: list[str]
) -> dict[str, Any]:
    work = probe.get("work") or {}
    return {
        "waited_ms": round((time.monotonic() - started) * 1000),
        "reason": reason,
        "timed_out": reason == "cap",
        "held_by": sorted(held),
        "pending": pending,
        "ignored": work.get("ignored", {}),
        "lcp_candidates": probe["candidates"],
        "observation_end": probe["now"],
    }


def _interact(page: Page, steps: tuple[Any, ...], clock: Clock) -> None:
    """The scenario's steps with trusted input only (bigday.probe.steps), never dispatch_event."""
    for i, step in enumerate(steps):
        try:
            perform(page, step, min(clock.remaining_ms(), 10_000))
        except StepFailed as e:
            raise RunFailed(f"interaction failed: step {i + 1} ({step.describe()}): {e.reason}") from None
    if steps:
        page.evaluate(NEXT_PAINT_JS)
        try:
            page.wait_for_function(INPUT_RECORDED_JS, timeout=min(clock.remaining_ms(), 2000), polling=50)
        except PlaywrightTimeout:
            pass  # the close below still finalises INP; FID stays unmeasured if its entry never came


def _run_axe(page: Page, assets: ProbeAssets, cdp: CDPSession, profile: Profile) -> dict[str, Any]:
    if profile.cpu_slowdown != 1.0:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})  # axe's own cost is not the page's
    page.evaluate(f"() => {{ {assets.axe_source}\n }}")
    result: dict[str, Any] = page.evaluate(AXE_RUN_JS)
    errored = result.get("errored", [])
    score = accessibility_score((v["id"] for v in result["violations"]), result["inapplicable"], errored)
    failed, unweighted = accessibility_audits(result["violations"])
    return {
        "score": score,
        "axe_version": result["version"],
        "lighthouse_version": LIGHTHOUSE_VERSION,
        "violations": result["violations"],
        "failed_audits": failed,
        "unweighted_violations": unweighted,
        "rules_inapplicable": len(result["inapplicable"]),
        "inapplicable": result["inapplicable"],
        "rules_incomplete": result["incomplete"],
        "rules_errored": errored,
    }


def _close(page: Page, clock: Clock) -> None:
    """Close with beforeunload so the page is hidden and web-vitals delivers its final reports."""
    try:
        page.close(run_before_unload=True)
        if not page.is_closed():
            page.wait_for_event("close", timeout=min(clock.remaining_ms(), 5000))
    except PlaywrightError:
        pass  # already gone, or slow to go: the context is closed next either way


def _vitals(
    raw: dict[str, Any],
    reports: dict[str, dict[str, Any]],
    settle: dict[str, Any],
    heap: dict[str, Any] | None,
    resources: dict[str, Any],
    a11y: dict[str, Any] | None,
    si: SpeedIndex | None,
    curves: str,
) -> tuple[Vitals, dict[str, Any]]:
    state = raw["state"]
    final = {**state["vitals"], **reports}  # the reports heard at close are the finalised values

    def value(name: str) -> float | None:
        if name not in final:
            return None
        v = float(final[name]["value"])
        return round(v, 6) if name == "CLS" else round(v, 1)  # ms to 0.1 ms; CLS unitless

    fcp = value("FCP")
    tbt = d.total_blocking_time(state["longTasks"], fcp, settle["observation_end"])
    nav = raw["navigation"] or {}
    lab = {"lcp": value("LCP"), "fcp": fcp, "tbt": tbt, "cls": value("CLS"), "si": si.value if si else None}
    vitals = Vitals(
        lcp=lab["lcp"],
        inp=value("INP"),
        cls=lab["cls"],
        fcp=fcp,
        ttfb=value("TTFB"),
        fid=d.first_input_delay(state["firstInput"]),
        tbt=tbt,
        si=lab["si"],
        page_load=round(nav["loadEventEnd"] - nav["startTime"], 1) if nav.get("loadEventEnd") else None,
        js_bytes=float(d.js_bytes(resources)),
        js_heap_used=float(heap["usedSize"]) if heap else None,
        performance_score=performance_score(lab, curves),
        accessibility_score=a11y["score"] if a11y else None,
    )
    attribution = {
        name.lower(): final[name].get("attribution") for name in ("LCP", "CLS", "INP", "FCP", "TTFB") if name in final
    }
    return vitals, attribution


def _measure_page(
    context: BrowserContext,
    target: PageTarget,
    settings: MeasureSettings,
    assets: ProbeAssets,
    reports_by_page: dict[Page, dict[str, dict[str, Any]]],
    warm: bool,
) -> tuple[Vitals, dict[str, Any], tuple[Frame, ...]]:
    clock = Clock(settings.timeout_s)
    watch = PageWatch()
    page = context.new_page()
    reports_by_page[page] = watch.reports
    watch.attach(page)
    info: dict[str, Any] = {"console_errors": watch.console_errors}
    phases = _Phases()
    try:
        cdp = context.new_cdp_session(page)
        apply_profile(cdp, settings.profile)
        cdp.send("Network.enable")  # its responses' headers and protocol feed the delivery checks
        network = NetworkLog(cdp)
        coverage = Coverage(cdp) if settings.coverage else None
        recorder = FrameRecorder(cdp, settings.trace_categories) if settings.speed_index else None
        if recorder:
            recorder.start()
        info["http_status"] = _navigate(page, target.url, clock)
        phases.mark("navigate")
        settle = wait_for_settle(page, watch, settings, clock, target)
        phases.mark("settle")
        frames = recorder.stop(page, clock) if recorder else []
        si = speed_index(frames) if recorder else None
        phases.mark("speed_index")
        _interact(page, target.interaction, clock)
        phases.mark("interact")
        raw = page.evaluate(SNAPSHOT_JS)
        heap = cdp.send("Runtime.getHeapUsage")
        scripts = coverage.take() if coverage else None
        phases.mark("collect")
        a11y = _run_axe(page, assets, cdp, settings.profile) if settings.accessibility and not warm else None
        phases.mark("accessibility")
    except RunFailed as e:
        e.crashed = e.crashed or watch.crashed or not context.browser or not context.browser.is_connected()
        e.details = info
        raise
    except PlaywrightError as e:
        crashed = watch.crashed or not (context.browser and context.browser.is_connected())
        failure = RunFailed(f"{'browser crash' if crashed else 'page error'}: {_first_line(e)}", crashed=crashed)
        failure.details = info
        raise failure from None
    _close(page, clock)
    phases.mark("close")
    resources = d.resource_summary(raw["resources"])
    vitals, attribution = _vitals(raw, watch.reports, settle, heap, resources, a11y, si, settings.profile.score_curves)
    kept = si.frames if settings.keep_frames and si else ()
    state = raw["state"]
    info.update(
        {
            "final_url": raw["url"],
            "attribution": attribution,
            "navigation": d.navigation_breakdown(raw["navigation"]),
            "resources": resources,
            "long_tasks": d.attribute_long_tasks(state["longTasks"], state["longAnimationFrames"], raw["now"]),
            "tbt_window_ms": [vitals.fcp, round(settle["observation_end"], 1)],
            "first_input": state["firstInput"],
            "interactions": state["interactions"],
            "heap": {"used": heap.get("usedSize"), "total": heap.get("totalSize")} if heap else None,
            "dom_nodes": raw["dom_nodes"],
            "settle": {k: v for k, v in settle.items() if k != "observation_end"},
            "speed_index": si.details() if si else None,
            "accessibility": a11y,
            "phases_ms": phases.durations,
            "delivery": {**network.record(), "images": raw["images"], "dpr": raw["dpr"]},
            "coverage": scripts,
        }
    )
    return vitals, info, kept


def measure(
    browser: Browser,
    target: PageTarget,
    settings: MeasureSettings,
    assets: ProbeAssets,
    run_index: int = 0,
    attempt: int = 1,
    context_options: dict[str, Any] | None = None,
) -> list[PageRun]:
    """One cold run of ``target`` in a fresh context (plus a warm one in the same context if asked).

    ``context_options`` are added to the context (the tenant's headers and signed-in storage state).

    Returns the PageRun records; a run that could not be measured comes back with ``ok=False`` and its reason,
    and RunFailed is raised only when the browser itself crashed (the caller restarts it)."""
    profile = settings.profile

    def record(
        warm: bool,
        started: str,
        t0: float,
        ok: bool,
        error: str | None = None,
        vitals: Vitals | None = None,
        info: dict[str, Any] | None = None,
        frames: tuple[Frame, ...] = (),
    ) -> PageRun:
        return PageRun(
            target=target,
            run_index=run_index,
            warm=warm,
            profile=profile.name,
            device=profile.device,
            connection=profile.connection,
            browser_version=browser.version,
            attempt=attempt,
            started_at=started,
            ok=ok,
            error=error,
            vitals=vitals or Vitals(),
            details=info or {},
            duration_s=time.monotonic() - t0,
            frames=frames,
        )

    runs: list[PageRun] = []
    try:
        context = browser.new_context(**profile.context_options(browser.version), **(context_options or {}))
    except PlaywrightError as e:
        raise RunFailed(f"browser crash: {_first_line(e)}", crashed=True) from None
    try:
        reports_by_page: dict[Page, dict[str, dict[str, Any]]] = {}
        context.expose_binding(
            BINDING_NAME,
            lambda source, report: reports_by_page.setdefault(source["page"], {}).__setitem__(report["name"], report),
        )
        context.add_init_script(script=init_script(assets, settings.settle_horizon_ms))
        for warm in (False, True) if settings.warm else (False,):
            started = datetime.now(UTC).isoformat(timespec="milliseconds")
            t0 = time.monotonic()
            try:
                vitals, info, frames = _measure_page(context, target, settings, assets, reports_by_page, warm)
            except RunFailed as e:
                if e.crashed:
                    raise
                runs.append(record(warm, started, t0, False, e.reason, info=e.details))
                break  # a warm run after a failed cold one would measure nothing useful
            runs.append(record(warm, started, t0, True, vitals=vitals, info=info, frames=frames))
    finally:
        try:
            context.close()
        except PlaywrightError:
            pass  # the browser went away; the caller finds out and restarts it
    return runs
