"""Wires bigday's pytest plugin (loaded through its pytest11 entry point) for this repository's own tests.

pytest-playwright's ``page``/``context`` fixtures would launch Playwright's bundled Chromium, which cannot be
downloaded here; pointing its ``browser`` at the plugin's session Chromium gives every test in this process the
same Debian browser, so there is never more than one.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def browser(bigday_browser: Any) -> Any:
    return bigday_browser
