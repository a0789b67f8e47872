"""The one reader of the process environment: every ``BIGDAY_*`` variable bigday knows, typed on the way in.

A flag always wins over its variable, and a variable over the scenario file; these functions only say what
the environment holds (None when a variable is unset or empty), with a one-line ConfigError naming the
variable when its value is not of the expected form. Nothing else in bigday reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from bigday.errors import ConfigError

T = TypeVar("T")

# Every variable, with what it sets; `bigday --help` and docs list these.
VARIABLES: Mapping[str, str] = {
    "BIGDAY_SCENARIO": "scenario YAML file (--scenario)",
    "BIGDAY_BASE_URL": "base URL of the app under test (--base-url)",
    "BIGDAY_RESULTS_DIR": "where run folders and the default store go (--results-dir)",
    "BIGDAY_STORE": "results store URL (--store)",
    "BIGDAY_RUNS": "probe runs per page (--runs)",
    "BIGDAY_PROFILE": "probe throttling profile (--profile)",
    "BIGDAY_BASELINE": "baseline to compare against (--baseline)",
    "BIGDAY_LOAD_PROCESSES": "Locust processes on this machine (--processes)",
    "BIGDAY_WEBHOOK_URL": "Slack-compatible webhook for new alerts (a secret: never printed)",
    "BIGDAY_ALERT_WEBHOOK_URL": "generic JSON webhook for the monitor's alerts (a secret: never printed)",
    "BIGDAY_ALERT_WEBHOOK_SECRET": "HMAC-SHA256 key that signs the generic webhook's body (a secret)",
    "BIGDAY_SMTP_USER": "user name for the alert e-mail's SMTP server (monitor.email in the scenario)",
    "BIGDAY_SMTP_PASSWORD": "password for the alert e-mail's SMTP server (a secret: never printed)",
    "BIGDAY_LOCATION": "where this monitor runs, e.g. eu-west (--location)",
    "BIGDAY_APP_SHA": "git commit of the app under test (else the CI's variables, else git of the scenario's folder)",
    "BIGDAY_APP_BRANCH": "git branch of the app under test (likewise)",
    "BIGDAY_CHROMIUM": "Chromium executable (default /usr/bin/chromium)",
    "BIGDAY_NODE_MODULES": "folder with the pinned npm assets (web-vitals, axe-core)",
    "BIGDAY_DEBUG": "print a traceback for internal errors",
}


# Where each CI system names the commit and the branch it builds, tried in this order when BIGDAY_APP_SHA /
# BIGDAY_APP_BRANCH are not set. For a pull or merge request the source branch comes first: the ref of the
# merge commit (GitHub's "123/merge") is not a branch anyone compares against.
CI_REVISION_VARIABLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("GitHub Actions", "GITHUB_SHA", ("GITHUB_HEAD_REF", "GITHUB_REF_NAME")),
    ("GitLab CI", "CI_COMMIT_SHA", ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME")),
    ("Jenkins", "GIT_COMMIT", ("BRANCH_NAME", "GIT_BRANCH")),
    ("CircleCI", "CIRCLE_SHA1", ("CIRCLE_BRANCH",)),
)


def raw(name: str) -> str | None:
    """A variable's value, or None when it is unset or empty."""
    value = os.environ.get(name)
    return value if value else None


def parsed(name: str, parse: Callable[[str], T]) -> T | None:
    """A variable parsed by ``parse``; a ValueError from it becomes a ConfigError naming the variable."""
    value = raw(name)
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as e:
        raise ConfigError(f"${name}: {e}") from None


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None


def path(name: str) -> Path | None:
    value = raw(name)
    return Path(value).expanduser() if value else None


def debug() -> bool:
    return raw("BIGDAY_DEBUG") not in (None, "0", "false", "no")


def _branch_name(ref: str) -> str:
    # Jenkins' GIT_BRANCH carries the remote ("origin/main"); some runners give a full ref.
    for prefix in ("refs/heads/", "origin/"):
        ref = ref.removeprefix(prefix)
    return ref


def ci_revision() -> tuple[str | None, str | None]:
    """The commit and branch the CI system running bigday builds (GitHub Actions, GitLab CI, Jenkins, CircleCI)."""
    for _system, sha_var, branch_vars in CI_REVISION_VARIABLES:
        sha = raw(sha_var)
        branch = next((b for b in (raw(v) for v in branch_vars) if b), None)
        if sha or branch:
            return sha, _branch_name(branch) if branch else None
    return None, None


def child_environment(drop_prefix: str | None = None, **extra: str) -> dict[str, str]:
    """This process's environment for a child process, without variables starting ``drop_prefix``."""
    env = {k: v for k, v in os.environ.items() if drop_prefix is None or not k.startswith(drop_prefix)}
    env.update(extra)
    return env
