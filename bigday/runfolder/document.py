"""What every run-folder model shares: its JSON form, validation with one-line errors, and format versions.

The models are pydantic dataclasses: validated like any pydantic model, and still constructed positionally
by the code that computes them (an ``Interval(estimate, low, high, confidence)`` of a bootstrap, say).
A file's ``format_version`` belongs to the file, not to the data: ``write_document`` adds it and
``read_document`` checks and removes it, so the models (and reports that embed them) never carry it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar, cast

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, PlainSerializer, TypeAdapter, ValidationError

from bigday.errors import ConfigError
from bigday.metrics import METRICS, Unit
from bigday.runfolder.folder import RunFile, RunFolder, read_json, write_json_atomic
from bigday.settings.limits import MAX_DURATION_MS, MAX_SIZE_BYTES

# Rates, counts and unitless values (CLS): finite, >= 0, and below this.
MAX_AMOUNT = 1e15

# Our own files: an unknown key is a mistake (a typo, or a file from a newer bigday), never silently dropped.
# Validators are built on first use, not at import: most commands touch a few of the models (~0.1 s saved).
FORBID = ConfigDict(extra="forbid", defer_build=True)
# The format each file is written in, and the ones this bigday can still read (a file without a
# ``format_version`` was written before versions were recorded: version 1).
# Files that are not ours to version: Locust's own report and log, and the dashboard (a page, not data).
UNVERSIONED = (RunFile.LOCUST_REPORT, RunFile.LOCUST_LOG, RunFile.DASHBOARD, RunFile.AB_REPORT)
# plan.json 2: tenants carry key, clients, weddings and credentials; journeys, sign-in and tenancy travel with
# the plan. A version-1 plan named the three reference user kinds, which no longer exist as classes.
# plan.json 3 adds the adaptive isolation check's windows (a version-2 plan reads as having none).
# load_stats.json 2: the isolation verdict's inconclusive outcome with its parts, victim noise and looks; version 1
# files read as they always did.
WRITTEN_FORMAT: dict[RunFile, int] = {f: 1 for f in RunFile if f not in UNVERSIONED}
WRITTEN_FORMAT[RunFile.PLAN] = 3
WRITTEN_FORMAT[RunFile.LOAD_STATS] = 2
READABLE_FORMATS: dict[RunFile, tuple[int, ...]] = {f: (1,) for f in WRITTEN_FORMAT}
READABLE_FORMATS[RunFile.PLAN] = (2, 3)
READABLE_FORMATS[RunFile.LOAD_STATS] = (1, 2)
VERSION_KEY = "format_version"

T = TypeVar("T")


def _is_none(value: object) -> bool:
    return value is None


def omitted() -> Any:
    """A field that defaults to None and is left out of the JSON while it is None (written by some runs only)."""
    return Field(default=None, exclude_if=_is_none)


# A measured number: JSON numbers only (no "12" strings, no booleans), finite.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
StrictInt = Annotated[int, Field(strict=True)]
# Numbers with a physical range: a run folder holding anything else is refused whole, before it is stored
# (a negative LCP would become a baseline; 1e308 would turn every trend into inf).
Milliseconds = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_DURATION_MS)]
Seconds = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_DURATION_MS / 1000)]
Rate = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
Amount = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_AMOUNT)]  # rps, bytes, counts
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT)]


def metric_problem(name: str, value: float) -> str | None:
    """What is physically wrong with one value of metric ``name`` (None: nothing), by the metric's unit."""
    metric = METRICS.get(name)
    low, high = _UNIT_RANGE.get(metric.unit, (0.0, MAX_AMOUNT)) if metric is not None else (0.0, MAX_AMOUNT)
    if not (math.isfinite(value) and low <= value <= high):
        return f"{name}: expected a value from {low:g} to {high:g}, got {value!r}"
    return None


_UNIT_RANGE = {
    Unit.MS: (0.0, MAX_DURATION_MS),
    Unit.SCORE: (0.0, 100.0),
    Unit.RATIO: (0.0, 1.0),
    Unit.BYTES: (0.0, float(MAX_SIZE_BYTES)),
}


def _time_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 time, got {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"expected an ISO-8601 time, got {value!r}") from None


def _as_utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


# A point in time: ISO-8601 in the file, an aware UTC datetime in memory (a time without zone is UTC).
UtcTime = Annotated[
    datetime, BeforeValidator(_time_text), AfterValidator(_as_utc), PlainSerializer(datetime.isoformat, str)
]


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _NOT_IN_THE_FILE or "[" in part:
            continue  # a union member pydantic tried, or a model the file keeps flat: not part of the path
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


# Left out of error paths: the ``name`` tags of the load verdicts' union (load_verdicts.py), and a check's
# ``comparison``, whose keys the file keeps beside the check's own (verdicts.py).
_NOT_IN_THE_FILE = frozenset({"tenant_isolation", "saturday_spike", "comparison"})
_PLAIN = {
    "missing": "missing",
    "unexpected_keyword_argument": "not a known field",
    "extra_forbidden": "not a known field",
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def problem(source: str | Path, e: ValidationError) -> ConfigError:
    """One line naming the file, the field path and what is wrong (the first problem, and how many more)."""
    err = e.errors()[0]
    kind = str(err["type"])
    if kind in _PLAIN:
        what = _PLAIN[kind]
    else:
        msg = str(err["msg"]).removeprefix("Value error, ")
        what = f"{msg[:1].lower()}{msg[1:]}"
        if "got " not in what and "input" in err and kind != "union_tag_invalid":
            what += f", got {_short(err['input'])}"
    more = e.error_count() - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return ConfigError(" ".join(f"{source}: {_where(tuple(err['loc']))}: {what}{tail}".split()))


class Record:
    """The JSON form of a run-folder model, and validation of JSON data into one."""

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], _adapter(type(self)).dump_python(self, mode="json", fallback=str))

    @classmethod
    def from_json(cls, data: Any, source: str | Path | None = None) -> Self:
        """Validate ``data``; ConfigError names ``source`` (default: the model), the field and the problem."""
        return validate(cls, data, source or cls.__name__)


def validate(model: type[T], data: Any, source: str | Path) -> T:
    try:
        return cast(T, _adapter(model).validate_python(data))
    except ValidationError as e:
        raise problem(source, e) from None


def check_version(path: Path, file: RunFile, version: Any) -> None:
    readable = READABLE_FORMATS[file]
    if isinstance(version, bool) or version not in readable:
        known = ", ".join(map(str, readable))
        raise ConfigError(
            f"{path}: {VERSION_KEY}: {version!r} is not a version this bigday reads ({known});"
            " was it written by another version of bigday?"
        )


def read_document(path: Path, file: RunFile, model: type[T]) -> T:
    """A JSON file of the run folder as ``model``; ConfigError for a missing, corrupt or invalid file."""
    data = read_json(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
    body = dict(data)
    check_version(path, file, body.pop(VERSION_KEY, 1))
    return validate(model, body, path)


def write_document(folder: RunFolder, file: RunFile, record: Record) -> Path:
    path = folder.file(file)
    write_json_atomic(path, {VERSION_KEY: WRITTEN_FORMAT[file], **record.to_json()})
    return path
