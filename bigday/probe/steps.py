"""Performing one interaction step on a page with trusted input (Playwright's mouse and keyboard, never
``dispatch_event``), bounded in time; a step that cannot be done raises StepFailed saying why.

Used for a page's scripted interaction (bigday.probe.measure) and for a sign-in journey (bigday.probe.access).
The step's texts are already filled in (placeholders and secrets); a message never repeats the typed text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bigday.settings.steps import InteractionStep

# A soft navigation: the app's own router reacts to the history change as it does to a link it renders.
_SOFT_NAVIGATE_JS = "(url) => { history.pushState({}, '', url); dispatchEvent(new PopStateEvent('popstate')); }"


class StepFailed(Exception):
    """An interaction step that could not be performed; ``reason`` is one line without the step's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _url_matcher(url: str) -> object:
    """What ``page.wait_for_url`` waits for: a glob as written, else a path (any host, any query)."""
    if "*" in url or "://" in url:
        return url
    path = url.split("?", 1)[0]
    return lambda current: urlsplit(current).path == path


def _seconds(ms: float) -> str:
    return f"{ms / 1000:g}s"


def perform(page: Page, step: InteractionStep, timeout_ms: float) -> None:
    """Do ``step``; StepFailed when its element never became actionable, or what it waits for never came.

    ``timeout_ms`` bounds every action (the run's remaining time, at most 10 s); ``wait_for`` and ``navigate``
    take their own bound (``timeout``, default 10 s) within it."""
    wait_ms = min(step.wait_ms, timeout_ms)
    try:
        _perform(page, step, timeout_ms, wait_ms)
    except PlaywrightTimeout:
        if step.action in ("wait_for", "navigate"):
            raise StepFailed(
                f"not seen within {_seconds(wait_ms)} (the page is at {urlsplit(page.url).path})"
            ) from None
        raise StepFailed(f"not actionable within {_seconds(timeout_ms)}") from None
    except PlaywrightError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StepFailed(first) from None


def _perform(page: Page, step: InteractionStep, timeout_ms: float, wait_ms: float) -> None:  # noqa: C901
    action = step.action
    if action == "click":
        page.click(step.selector, timeout=timeout_ms)
    elif action == "type":
        page.click(step.selector, timeout=timeout_ms)
        page.keyboard.type(step.text)
    elif action == "press":
        if step.selector:
            page.press(step.selector, step.text, timeout=timeout_ms)
        else:
            page.keyboard.press(step.text)
    elif action == "select":
        page.select_option(step.selector, step.text, timeout=timeout_ms)
    elif action == "hover":
        page.hover(step.selector, timeout=timeout_ms)
    elif action == "scroll":
        if step.selector:
            page.locator(step.selector).first.scroll_into_view_if_needed(timeout=timeout_ms)
        else:
            page.mouse.wheel(0, step.pixels)  # a trusted wheel event, as a person scrolls
    elif action == "wait_for":
        if step.selector:
            page.locator(step.selector).first.wait_for(state="visible", timeout=wait_ms)
        elif step.text:
            page.get_by_text(step.text).first.wait_for(state="visible", timeout=wait_ms)
        else:
            page.wait_for_url(_url_matcher(step.url), timeout=wait_ms, wait_until="commit")  # type: ignore[arg-type]
    elif action == "navigate":
        if step.selector:
            page.click(step.selector, timeout=timeout_ms)
        else:
            page.evaluate(_SOFT_NAVIGATE_JS, step.url)
        page.wait_for_url(_url_matcher(step.url), timeout=wait_ms, wait_until="commit")  # type: ignore[arg-type]
    elif action == "upload":
        page.set_input_files(step.selector, step.file, timeout=timeout_ms)
    else:  # the scenario refuses unknown steps; a step built in code can still be wrong
        raise StepFailed(f"unknown action {action!r}")
