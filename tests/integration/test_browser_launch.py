"""How bigday launches Chromium: one --disable-features that keeps Playwright's list and adds the probe's, so a
new context's window does not start the omnibox popup's WebUI renderer during the first navigation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import playwright
import pytest

from bigday.probe.browser import PLAYWRIGHT_DISABLED_FEATURES, PROBE_DISABLED_FEATURES, chromium

pytestmark = pytest.mark.browser


def _playwright_disabled_features() -> tuple[str, ...]:
    """The list the installed Playwright driver passes to Chromium (chromiumSwitches.ts's disabledFeatures)."""
    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    source = bundle.read_text()
    block = re.search(r"disabledFeatures = \[(.*?)\]\.filter\(Boolean\)", source, re.S)
    assert block, f"{bundle}: disabledFeatures not found"
    body = re.sub(r"//[^\n]*", "", block.group(1))
    return tuple(re.findall(r'"([^"]+)"', body))


def test_the_merged_list_carries_the_installed_playwrights_own():
    # If Playwright is upgraded, its list moves; ours must move with it or its switches would be dropped.
    assert PLAYWRIGHT_DISABLED_FEATURES == _playwright_disabled_features()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_a_new_context_opens_no_omnibox_popup_and_chromium_gets_one_merged_switch():
    with chromium() as browser:
        lines = []
        for pid in _descendants(os.getpid()):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--remote-debugging-pipe" in argv:
                lines.append([a.decode() for a in argv])
        assert len(lines) == 1, lines
        switches = [a for a in lines[0] if a.startswith("--disable-features=")]
        assert len(switches) == 1, switches  # Chromium would honour only the last one
        features = switches[0].split("=", 1)[1].split(",")
        assert set(PLAYWRIGHT_DISABLED_FEATURES) | set(PROBE_DISABLED_FEATURES) == set(features)

        session = browser.new_browser_cdp_session()
        context = browser.new_context()
        try:
            context.new_page()
            kinds = [(t["type"], t["url"]) for t in session.send("Target.getTargets")["targetInfos"]]
        finally:
            context.close()
        assert [k for k in kinds if "omnibox" in k[1]] == [], kinds
        assert ("page", "about:blank") in kinds
