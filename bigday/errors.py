"""One exception tree for bigday; the CLI maps each class to an exit code (DESIGN §7)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_VERDICT_FAILED = 1
EXIT_USAGE = 2
EXIT_RUN_FAILED = 3


class BigdayError(Exception):
    """Base of every error bigday raises on purpose; its message is one line for the user."""

    exit_code = EXIT_RUN_FAILED


class ConfigError(BigdayError):
    """A scenario, budget or option is wrong; the message names the file, key and what is expected."""

    exit_code = EXIT_USAGE


class UsageError(BigdayError):
    """A command line that cannot be carried out as given."""

    exit_code = EXIT_USAGE


class RunError(BigdayError):
    """The run could not be carried out: target down, browser failed to start, store unreachable."""

    exit_code = EXIT_RUN_FAILED


class TargetUnreachable(RunError):
    """The app under test did not answer."""


class BrowserError(RunError):
    """Chromium could not be started or crashed."""


class StoreError(RunError):
    """The results store could not be reached or written."""
