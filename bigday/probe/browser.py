"""Launching Debian's Chromium through Playwright, one browser at a time, with Playwright errors translated."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bigday.errors import BrowserError
from bigday.settings import children, resolve

T = TypeVar("T")
# Background networking, component updates and sync would add requests and CPU work the page did not cause.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Every Playwright context opens a window of its own, and since Chromium ~140 a new window starts the WebUI
# omnibox popup's renderer (chrome://omnibox-popup.top-chrome/): about half a second of CPU that, on a small
# machine, overlaps the page's first navigation and delays its first paint. Lighthouse's window is opened
# once, at launch, long before it measures. On the reference dashboard (lighthouse-desktop, 11 interleaved
# runs) FCP was a median 144 ms with the popup and 88 ms without; Lighthouse 12.2.3 read 101-110 ms.
PROBE_DISABLED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
# Chromium honours only the last --disable-features, so ours must carry Playwright's own list too (that of
# the pinned playwright==1.65.2; tests/integration/test_browser_launch.py checks it against the installed driver).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)


def _disable_features(features: tuple[str, ...]) -> str:
    return "--disable-features=" + ",".join(features)


def chromium_path() -> str:
    """$BIGDAY_CHROMIUM, else Debian's /usr/bin/chromium (Playwright cannot download browsers here)."""
    return resolve.chromium_path()


def launch_options(**overrides: Any) -> dict[str, Any]:
    """Playwright ``chromium.launch`` options for the probe's browser."""
    path = chromium_path()
    if not Path(path).is_file():
        raise BrowserError(
            f"{path}: Chromium not found; install Debian's chromium (apt-get install chromium) or set BIGDAY_CHROMIUM"
        )
    options: dict[str, Any] = {
        "executable_path": path,
        "args": [*CHROMIUM_ARGS, _disable_features(PLAYWRIGHT_DISABLED_FEATURES + PROBE_DISABLED_FEATURES)],
        # Playwright's own --disable-features would come first and be ignored; leave it out to say so.
        "ignore_default_args": [_disable_features(PLAYWRIGHT_DISABLED_FEATURES)],
        "headless": True,
    }
    options.update(overrides)
    return options


def launch(playwright: Playwright, **overrides: Any) -> Browser:
    """Start Chromium (ended with bigday, SIGKILL included); BrowserError with the first line of Playwright's
    reason when it cannot start."""
    try:
        with children.watched_children():
            return playwright.chromium.launch(**launch_options(**overrides))
    except PlaywrightError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BrowserError(f"Chromium ({chromium_path()}) failed to start: {first}") from None


@contextmanager
def chromium() -> Iterator[Browser]:
    """A Playwright driver and one Chromium for the duration of the block, both stopped afterwards, and both
    ended by the watchdog if bigday is killed first."""
    try:
        with children.watched_children():
            manager = sync_playwright().start()
    except PlaywrightError as e:
        raise BrowserError(f"Playwright could not start: {str(e).splitlines()[0]}") from None
    try:
        browser = launch(manager)
        try:
            yield browser
        finally:
            if browser.is_connected():
                browser.close()
    finally:
        manager.stop()


def sync_playwright_blocked() -> bool:
    """True when this thread already runs an event loop (another sync Playwright, e.g. pytest-playwright's
    session driver, or asyncio), where Playwright's sync API refuses to start."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def in_own_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a fresh thread and return its result or raise its exception, for a Playwright of its own."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as e:  # re-raised in the caller's thread
            outcome["error"] = e

    worker = threading.Thread(target=target, name="bigday-probe")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
