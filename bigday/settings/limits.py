"""The stated limits on every number that enters bigday, and the checks that hold them.

A number is believed only if it is finite and in its physical range: durations and sizes >= 0, scores 0..100,
rates 0..1, counts within the limits below. The scenario (settings/scenario.py), the flags (cli/), the
environment (settings/resolve.py) and run folders being read (runfolder/) all check through these, so a limit
is written once.
"""

from __future__ import annotations

import math

# Generous enough for any real rehearsal; past these a value is a typo (or an attack), not a plan.
MAX_USERS = 1_000_000  # simulated users at the peak, and per stage
MAX_TENANT_CLIENTS = 10_000_000
MAX_RPS_PER_USER = 1_000.0
MAX_ARRIVAL_RATE = 1_000_000.0  # --arrival-rate: tasks a second over every user
MAX_PROCESSES = 256  # Locust processes on one machine (-1: one per core)
MAX_RUNS = 1_000  # probe runs per page
MAX_DURATION_MS = 366 * 86_400_000.0  # a year: thresholds, phases, time limits, ages
MAX_SIZE_BYTES = 1 << 50  # a pebibyte: budgets, sizes
MAX_TOLERANCE = 1_000.0  # allowed slow-down factor
MAX_PERCENT = 10_000.0
MAX_UNITLESS = 1e9  # CLS and other unitless metrics; counts
MAX_SCENARIO_BYTES = 4 * 1024 * 1024
MAX_PAGES = 1_000
MAX_TENANTS = 10_000
# Run folders being ingested or compared: the files read (manifest, samples or load statistics, raw load
# samples) together, on disk, checked before any is read; and the raw load samples once decompressed, by rows
# (a gzip of repeated lines can expand a thousandfold). A two-hour rehearsal at 2,000 requests a second is
# 14.4 million rows and well under 512 MiB gzipped.
MAX_RUN_FOLDER_BYTES = 512 * 1024 * 1024
MAX_LOAD_SAMPLE_ROWS = 20_000_000


def in_range(value: float, low: float, high: float, what: str = "a number") -> float:
    """``value`` when it is finite and within [low, high]; ValueError saying the range otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number for {what}, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"expected {what} between {low:g} and {high:g}, got {value:g}")  # nan and inf too
    return value


def number_text(text: str, low: float, high: float, what: str = "a number") -> float:
    """A number written as text (a flag, a variable) in [low, high]."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    return in_range(value, low, high, what)


def arrival_rate_text(text: str) -> float:
    """``--arrival-rate``: tasks a second, written ``500/s`` or ``500``; above 0."""
    body = text.strip().removesuffix("/s").strip()
    try:
        value = float(body)
    except ValueError:
        raise ValueError(f"expected tasks a second such as 500/s, got {text!r}") from None
    if not value > 0:
        raise ValueError(f"expected tasks a second above 0, got {text!r}")
    return in_range(value, 0.0, MAX_ARRIVAL_RATE, "tasks a second")


def whole_text(text: str, low: int, high: int, what: str = "a whole number") -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None
    return int(in_range(value, low, high, what))
