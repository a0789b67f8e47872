"""The app under test: where it answers, whether bigday started it, and a check that it answers at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bigday.errors import TargetUnreachable
from bigday.probe.assets import CHECKOUT_ROOT
from bigday.runfolder import git_info
from bigday.settings import resolve


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
