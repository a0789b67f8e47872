"""Durations and sizes as people write them (``1500ms``, ``1.5s``, ``2m``, ``200KB``, ``1.5MiB``).

Plain functions for flags and environment variables, and annotated pydantic types for the scenario file, so a
unit is parsed the same way wherever it is written.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from bigday.settings.limits import MAX_DURATION_MS, MAX_PERCENT, MAX_SIZE_BYTES, in_range

_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
DURATION_FACTOR_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$")
SIZE_FACTOR = {"B": 1, "KB": 1000, "KiB": 1024, "MB": 1000**2, "MiB": 1024**2, "GB": 1000**3, "GiB": 1024**3}
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_duration_ms(value: Any, default_unit: str = "ms") -> float:
    """``1500``, ``"1500ms"``, ``"1.5s"``, ``"2m"`` to milliseconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration, not a boolean")
    if isinstance(value, (int, float)):
        return _duration_in_range(float(value) * DURATION_FACTOR_MS[default_unit], value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return _duration_in_range(float(m.group(1)) * DURATION_FACTOR_MS[m.group(2) or default_unit], value)
    raise ValueError(f"a duration like 1500ms, 2s or 5m, got {value!r}")


def _duration_in_range(ms: float, given: Any) -> float:
    # A duration is >= 0 and finite; past a year it is a typo, and would overflow timedelta and sleep further on.
    if not (ms >= 0 and ms <= MAX_DURATION_MS):
        raise ValueError(f"a duration between 0ms and 366d, got {given!r}")
    return ms


def parse_size_bytes(value: Any) -> int:
    """``1024``, ``"200KB"`` (1000 B), ``"200KiB"`` (1024 B), ``"1.5MB"`` to bytes; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a size, not a boolean")
    if isinstance(value, (int, float)):
        return int(in_range(value, 0, MAX_SIZE_BYTES, "a size in bytes"))
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            return int(in_range(float(m.group(1)) * SIZE_FACTOR[m.group(2) or "B"], 0, MAX_SIZE_BYTES, "a size"))
    raise ValueError(f"a size like 200KB, 300KiB or 1.5MB, got {value!r}")


def parse_percent(value: Any) -> float:
    """``"10%"`` to 10.0; ValueError otherwise (a bare number is refused: 10 or 0.1 would be ambiguous)."""
    m = _PERCENT.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"a percentage like 10%, got {describe_value(value)}")
    return in_range(float(m.group(1)), 0, MAX_PERCENT, "a percentage")


def describe_value(v: Any) -> str:
    """What kind of value a file holds where it should not, for an error message: ``a string ('fast')``."""
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"a boolean ({v})"
    if isinstance(v, (int, float)):
        return f"a number ({v})"
    if isinstance(v, str):
        return f"a string ({v!r})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def _duration_ms(v: Any) -> Any:
    return parse_duration_ms(v) if v is not None else v


def _duration_s(v: Any) -> Any:
    if v is None:
        return v
    seconds = parse_duration_ms(v, default_unit="s") / 1000.0
    if not seconds > 0:
        raise ValueError(f"a positive duration, got {v!r}")
    return seconds


def _size(v: Any) -> Any:
    return parse_size_bytes(v) if v is not None else v


# Scenario field types: a bare number is ms (DurationMs) or seconds (PositiveSeconds); sizes take units.
DurationMs = Annotated[float, BeforeValidator(_duration_ms)]
PositiveSeconds = Annotated[float, BeforeValidator(_duration_s)]
SizeBytes = Annotated[int, BeforeValidator(_size)]
Percent = Annotated[float, BeforeValidator(parse_percent)]
