"""Load journeys: what each kind of load user does, as weighted tasks of HTTP requests, declared in the scenario.

A journey (``load.journeys.<kind>``) is a list of tasks, each a sequence of requests with a weight; a load
user of that kind picks a task by weight, sends its requests in order, thinks, and picks again. A request
names its method and path (``get: /api/clients?q={q}``), may send a JSON, form or photo body, may capture a
value from its response (a CSRF token, an id) for the requests after it, and may state what it expects (a
status, a text). ``load.sign_in`` is such a request list run once by every user before its first task.

These are the scenario's models; bigday.load turns them into Locust users. Paths, headers and bodies may hold
``{placeholders}`` and ``${SECRETS}`` (bigday.settings.templates).
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator, model_validator
from pydantic.dataclasses import dataclass

from bigday.settings.base import CONFIG, UrlPath
from bigday.settings.templates import placeholders, strings_in
from bigday.settings.units import DurationMs, PositiveSeconds, describe_value

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
METHODS: tuple[str, ...] = typing.get_args(Method)
TenantWeighting = Literal["equal", "clients", "weddings"]
# ``repeat: batch`` means the plan's batch size (``bigday load --batch-size``, default 2:5).
BATCH = "batch"
_RANGE = re.compile(r"^\s*(\d+)\s*(?::\s*(\d+)\s*)?$")


@dataclass(frozen=True, config=CONFIG)
class ThinkTime:
    """Seconds a load user waits between tasks, drawn uniformly from [min, max]."""

    min: PositiveSeconds
    max: PositiveSeconds


@dataclass(frozen=True, config=CONFIG)
class Capture:
    """Where a value comes from in a response: a regex's first group over the body, a JSON path, a header, a cookie."""

    regex: StrictStr = ""
    json: StrictStr = ""  # dotted path into the JSON body: ``id``, ``items.0.id``
    header: StrictStr = ""
    cookie: StrictStr = ""

    @model_validator(mode="after")
    def _one_source(self) -> Capture:
        given = [k for k in ("regex", "json", "header", "cookie") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("expected exactly one of regex, json, header, cookie")
        if self.regex:
            try:
                compiled = re.compile(self.regex)
            except re.error as e:
                raise ValueError(f"regex: not a regular expression ({e})") from None
            if compiled.groups < 1:
                raise ValueError('regex: expected a group, like value="([^"]+)", for the value to capture')
        return self


def _statuses(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,)
    return v


@dataclass(frozen=True, config=CONFIG)
class Expect:
    """What a response must be for its request to count as a success (else a failure with the reason)."""

    status: tuple[Annotated[StrictInt, Field(ge=100, le=599)], ...] = ()
    text: StrictStr = ""  # the body must contain this

    @field_validator("status", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return _statuses(v)


@dataclass(frozen=True, config=CONFIG)
class JourneyRequest:
    """One HTTP request of a journey; written ``get: PATH`` (or ``post:`` ...) or with ``method`` and ``path``."""

    path: UrlPath
    method: Method = "GET"
    name: StrictStr = ""  # the endpoint's name in the statistics; default: the path without its query
    headers: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    json: Any = None
    form: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    photo: StrictBool = False  # a photo from the generated pool, as multipart field ``file``
    capture: dict[StrictStr, Capture] = Field(default_factory=dict)
    expect: Expect | None = None
    follow_redirects: StrictBool = True
    retry_after: StrictBool = False  # on 503/429 wait the Retry-After the app asks for, and end the task
    pause_ms: DurationMs = Field(default=0.0, validation_alias="pause")  # after the response, before the next
    choose: dict[StrictStr, tuple[StrictStr, ...]] = Field(default_factory=dict)  # a value at random, per request

    @model_validator(mode="before")
    @classmethod
    def _method_key(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = [m for m in METHODS if m.lower() in data]
        if not given:
            return data
        if len(given) > 1 or "path" in data or "method" in data:
            raise ValueError("expected one method key (get: PATH, post: PATH, ...) or method and path, not both")
        out = {k: v for k, v in data.items() if k != given[0].lower()}
        return {**out, "method": given[0], "path": data[given[0].lower()]}

    @field_validator("choose", mode="before")
    @classmethod
    def _as_text(cls, v: Any) -> Any:
        # ``offset: [0, 50]`` reads as numbers in YAML; they go into a URL as text either way.
        if isinstance(v, dict):
            return {
                k: [str(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for x in vals]
                if isinstance(vals, list)
                else vals
                for k, vals in v.items()
            }
        return v

    @model_validator(mode="after")
    def _one_body(self) -> JourneyRequest:
        bodies = [k for k in ("json", "form", "photo") if getattr(self, k) not in (None, {}, False)]
        if len(bodies) > 1:
            raise ValueError(f"expected one body (json, form or photo), got {' and '.join(bodies)}")
        for name, values in self.choose.items():
            if not values:
                raise ValueError(f"choose.{name}: expected a list of values to choose from")
        if self.pause_ms < 0:
            raise ValueError(f"pause: expected a duration >= 0, got {self.pause_ms:g}ms")
        return self

    @property
    def endpoint_name(self) -> str:
        return self.name or self.path.split("?", 1)[0]

    def templates(self) -> tuple[str, ...]:
        """Every text of the request that may hold placeholders."""
        return (self.path, *self.headers.values(), *self.form.values(), *strings_in(self.json))

    def names_used(self) -> set[str]:
        return {n for t in self.templates() for n in placeholders(t)}


def _repeat(v: Any) -> Any:
    if v == BATCH or isinstance(v, tuple):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    if isinstance(v, list):
        return tuple(v)
    m = _RANGE.match(v) if isinstance(v, str) else None
    if not m:
        raise ValueError(f"a count like 3, a range like 2:5, or batch, got {describe_value(v)}")
    lo = int(m.group(1))
    return (lo, int(m.group(2) or lo))


@dataclass(frozen=True, config=CONFIG)
class JourneyTask:
    """Requests sent in order; a failed request (or one whose expectation fails) ends the task there."""

    requests: tuple[JourneyRequest, ...]
    name: StrictStr = ""
    weight: Annotated[StrictFloat | StrictInt, Field(gt=0)] = 1
    repeat: tuple[StrictInt, StrictInt] | Literal["batch"] = (1, 1)  # the requests, this many times in a row

    @field_validator("repeat", mode="before")
    @classmethod
    def _range(cls, v: Any) -> Any:
        return _repeat(v)

    @model_validator(mode="after")
    def _sane(self) -> JourneyTask:
        if not self.requests:
            raise ValueError("requests: expected at least one request")
        if isinstance(self.repeat, tuple) and not 1 <= self.repeat[0] <= self.repeat[1]:
            raise ValueError(f"repeat: expected 1 <= MIN <= MAX, got {self.repeat[0]}:{self.repeat[1]}")
        return self


@dataclass(frozen=True, config=CONFIG)
class Journey:
    """A kind of load user: its weighted tasks, how its users spread over tenants, and its think time."""

    tasks: tuple[JourneyTask, ...]
    # Which tenants users of this kind belong to: each alike, or in proportion to the tenant's clients or
    # its weddings today (a studio with more weddings has more photographers uploading).
    tenants: TenantWeighting = "equal"
    think_time: ThinkTime | None = None  # default: load.think_time

    @model_validator(mode="before")
    @classmethod
    def _one_task(cls, data: Any) -> Any:
        if isinstance(data, dict) and "requests" in data:
            if "tasks" in data:
                raise ValueError("expected tasks or requests (one task), not both")
            rest = {k: v for k, v in data.items() if k != "requests"}
            return {**rest, "tasks": [{"requests": data["requests"]}]}
        return data

    @model_validator(mode="after")
    def _sane(self) -> Journey:
        if not self.tasks:
            raise ValueError("tasks: expected at least one task")
        if self.think_time is not None and self.think_time.min > self.think_time.max:
            raise ValueError(f"think_time.min ({self.think_time.min}s) exceeds max ({self.think_time.max}s)")
        return self
