"""The app under test: a base URL the user gave (checked to answer), or the embedded reference target."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bigday.errors import TargetUnreachable
from bigday.probe.assets import CHECKOUT_ROOT
from bigday.runfolder import git_info
from bigday.settings import resolve
from bigday.settings.scenario import Scenario


@dataclass(frozen=True)
class AppUnderTest:
    """Where the app answers, and whether bigday started it."""

    base_url: str
    embedded: bool

    def describe(self) -> dict[str, Any]:
        """The manifest's ``app`` record; git sha/branch only when they are known to be the app's."""
        if self.embedded:
            git = git_info(CHECKOUT_ROOT)  # the embedded target is this repository's code
        else:
            sha, branch = resolve.app_revision()
            git = {"git_sha": sha, "git_branch": branch}
        return {"base_url": self.base_url, "embedded_target": self.embedded, **git}


def check_answers(base_url: str, timeout_s: float = 10.0) -> None:
    """Any HTTP answer will do (even 404): the probe records page errors itself; silence is TargetUnreachable."""
    try:
        httpx.get(base_url, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as e:
        raise TargetUnreachable(f"{base_url}: the app under test did not answer ({type(e).__name__}: {e})") from None


@contextmanager
def app_under_test(base_url: str | None, scenario: Scenario) -> Iterator[AppUnderTest]:
    """The given base URL, or the embedded reference target on a free loopback port, stopped afterwards."""
    if base_url:
        check_answers(base_url)
        yield AppUnderTest(base_url.rstrip("/"), embedded=False)
        return
    from bigday.target.server import running_target  # imported late: only needed without a base URL

    with running_target(isolation="fair", scenario=scenario.source) as url:
        yield AppUnderTest(url.rstrip("/"), embedded=True)
