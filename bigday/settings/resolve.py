"""Flag > ``BIGDAY_*`` environment variable > scenario file > default, resolved here and only here.

Each function takes the flag's already-typed value (None when the flag was not given) and returns the value
bigday will use. The command line parses its flags into typed values; this module adds the environment, the
scenario and the defaults, so each default is written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from bigday.errors import ConfigError
from bigday.settings import environment, limits, redact
from bigday.settings.scenario import Scenario, load_scenario

DEFAULT_RUNS = 5
QUICK_RUNS = 3  # runs per page of a scaled-down rehearsal (`bigday run --load --time-scale F`, F < 1)
DEFAULT_PROFILE = "desktop"
DEFAULT_RESULTS_DIRNAME = "results"
DEFAULT_STORE_NAME = "bigday.sqlite"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_LOAD_PROCESSES = 1


def scenario_path(flag: str | Path | None) -> Path | None:
    """The scenario file to read; None means the bundled example."""
    chosen = flag or environment.raw("BIGDAY_SCENARIO")
    return Path(chosen) if chosen else None


def scenario(flag: str | Path | None) -> Scenario:
    """The scenario; the values of the environment variables it names for secrets are registered for redaction."""
    s = load_scenario(scenario_path(flag))
    redact.register_all(environment.raw(name) for name in s.secret_names())
    redact.register_url(s.base_url, bare_user_is_secret=True)
    return s


def scenario_given(flag: str | Path | None) -> bool:
    """Whether the user named a scenario (by flag or environment), rather than leaving the default."""
    return scenario_path(flag) is not None


def base_url(flag: str | None, scenario: Scenario) -> str | None:
    """The app under test, or None for the embedded reference target."""
    url = flag or environment.raw("BIGDAY_BASE_URL") or scenario.base_url
    redact.register_url(url, bare_user_is_secret=True)  # used as given; recorded and shown redacted
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        where = "--base-url" if flag else ("$BIGDAY_BASE_URL" if environment.raw("BIGDAY_BASE_URL") else "base_url")
        raise ConfigError(f"{where}: expected an http:// or https:// URL, got {redact.url(url)!r}")
    return url.rstrip("/") if url else None


def results_dir(flag: str | Path | None) -> Path:
    """Where run folders go: the flag, ``$BIGDAY_RESULTS_DIR``, else ``./results`` of the current directory.

    Always absolute, so child processes started elsewhere write to the same place."""
    chosen = Path(flag) if flag else environment.path("BIGDAY_RESULTS_DIR")
    return (chosen or Path.cwd() / DEFAULT_RESULTS_DIRNAME).expanduser().absolute()


def store_url(flag: str | None, results: Path | None = None) -> str:
    """The results store: the flag, ``$BIGDAY_STORE``, else ``<results dir>/bigday.sqlite``."""
    chosen = flag if flag is not None else environment.raw("BIGDAY_STORE")
    if chosen is not None and not chosen.strip():
        raise ConfigError("--store: empty; expected a SQLite path, sqlite:///path or postgresql://user@host/db")
    if chosen:
        redact.register_url(chosen)
        return chosen
    return str((results or results_dir(None)) / DEFAULT_STORE_NAME)


def runs(flag: int | None, quick: bool = False) -> int:
    """Runs per page: the flag, else $BIGDAY_RUNS, else 5 (3 for a quick, time-scaled rehearsal)."""
    if flag is not None:
        return flag
    value = environment.parsed("BIGDAY_RUNS", lambda t: limits.whole_text(t, 1, limits.MAX_RUNS, "runs per page"))
    return value or (QUICK_RUNS if quick else DEFAULT_RUNS)


def profile(flag: str | None, known: Iterable[str]) -> str:
    chosen = flag or environment.raw("BIGDAY_PROFILE") or DEFAULT_PROFILE
    names = tuple(known)
    if chosen not in names:
        raise ConfigError(f"$BIGDAY_PROFILE: expected one of {', '.join(names)}, got {chosen!r}")
    return chosen


def baseline(flag: str | None) -> str | None:
    """A baseline spec (NAME, branch:X, age:7d, run:ID), or None for the default (branch:main when there is one)."""
    return flag or environment.raw("BIGDAY_BASELINE")


def processes(text: str) -> int:
    """Locust processes as written in a flag or ``$BIGDAY_LOAD_PROCESSES``: 1..MAX_PROCESSES, or -1."""
    value = environment.whole_number(text.strip())
    if value != -1 and not 1 <= value <= limits.MAX_PROCESSES:
        raise ValueError(
            f"expected a whole number from 1 to {limits.MAX_PROCESSES} (or -1 for one per core), got {value}"
        )
    return value


def load_processes(flag: int | None) -> int:
    """Locust processes on this machine: N >= 1, or -1 for one per core."""
    if flag is not None:
        return flag
    value = environment.parsed("BIGDAY_LOAD_PROCESSES", processes)
    return DEFAULT_LOAD_PROCESSES if value is None else value


def webhook_url(flag: str | None = None) -> str | None:
    """The webhook URL, a secret whole (its path is the token): registered for redaction."""
    url = flag or environment.raw("BIGDAY_WEBHOOK_URL")
    redact.register(url)
    redact.register_url(url)
    return url


def alert_webhook() -> tuple[str | None, str | None]:
    """The generic JSON webhook's URL and HMAC secret (both secrets, from the environment only)."""
    return environment.raw("BIGDAY_ALERT_WEBHOOK_URL"), environment.raw("BIGDAY_ALERT_WEBHOOK_SECRET")


def smtp_credentials() -> tuple[str | None, str | None]:
    """The SMTP user name and password for alert e-mail (from the environment only)."""
    return environment.raw("BIGDAY_SMTP_USER"), environment.raw("BIGDAY_SMTP_PASSWORD")


DEFAULT_LOCATION = "default"


def location(flag: str | None) -> str:
    """Where this monitor runs: the flag, ``$BIGDAY_LOCATION``, else ``default``."""
    chosen = (flag or environment.raw("BIGDAY_LOCATION") or DEFAULT_LOCATION).strip()
    if not chosen or len(chosen) > 80 or not all(ch.isalnum() or ch in "-_." for ch in chosen):
        raise ConfigError(f"--location: expected a short name of letters, digits, '-', '_' or '.', got {chosen!r}")
    return chosen


def chromium_path() -> str:
    """Debian's Chromium unless ``$BIGDAY_CHROMIUM`` names another (Playwright cannot download browsers here)."""
    return environment.raw("BIGDAY_CHROMIUM") or DEFAULT_CHROMIUM


def node_modules() -> Path | None:
    """``$BIGDAY_NODE_MODULES``, or None to look in the usual places (see bigday.probe.assets)."""
    return environment.path("BIGDAY_NODE_MODULES")


def app_revision() -> tuple[str | None, str | None]:
    """The app under test's git commit and branch, when the environment names them: ``BIGDAY_APP_SHA`` /
    ``BIGDAY_APP_BRANCH``, else the CI system's own variables (each part separately, the flag-like ones first).

    The last resort, git of the scenario's folder, is bigday.runfolder.git_info's (it runs git)."""
    sha, branch = environment.raw("BIGDAY_APP_SHA"), environment.raw("BIGDAY_APP_BRANCH")
    if sha and branch:
        return sha, branch
    ci_sha, ci_branch = environment.ci_revision()
    return sha or ci_sha, branch or ci_branch
