"""Sending a journey's requests as one load user: placeholders filled, bodies built, captures kept, expectations judged.

A task's requests go in order on the user's client (so its cookies, tenancy and tags apply); a request that
fails (an HTTP error, a missed expectation, a capture that found nothing) ends the task there and says why,
which is also the failure Locust records for it. Imported only inside Locust processes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import gevent
from locust.contrib.fasthttp import FastHttpSession

from bigday.errors import ConfigError
from bigday.load.photos import CONTENT_TYPE
from bigday.load.runtime_state import RunState
from bigday.settings.journeys import Capture, JourneyRequest, JourneyTask
from bigday.settings.templates import is_constant, render, render_value


class Sender(Protocol):
    """What sending needs of a load user (bigday.load.users.TenantUser): its client and its run state."""

    client: FastHttpSession
    rehearsal: RunState


FORM_TYPE = "application/x-www-form-urlencoded"
RETRY_STATUSES = (429, 503)


@dataclass(frozen=True)
class Outcome:
    """How one request went: its status (0 when no answer came), and why it failed (None when it did not)."""

    status: int
    failure: str | None = None
    retry_after_s: float = 0.0


def _json_path(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


def captured(capture: Capture, response: Any, cookies: Any) -> str | None:
    """The value ``capture`` takes from ``response`` (a Locust FastResponse), or None when it is not there."""
    if capture.regex:
        m = re.search(capture.regex, response.text or "")
        return m.group(1) if m else None
    if capture.json:
        try:
            value = _json_path(response.json(), capture.json)
        except ValueError:
            return None
        return None if value is None or isinstance(value, (dict, list)) else str(value)
    if capture.header:
        value = (response.headers or {}).get(capture.header)
        return None if value is None else str(value)
    for cookie in cookies:
        if cookie.name == capture.cookie:
            return str(cookie.value)
    return None


def _retry_after(response: Any) -> float:
    try:
        return float((getattr(response, "headers", None) or {}).get("retry-after") or 0)
    except ValueError:
        return 0.0


def _expectation_missed(request: JourneyRequest, status: int, response: Any) -> str | None:
    expect = request.expect
    if expect is None:
        return None
    if expect.status and status not in expect.status:
        wanted = " or ".join(map(str, expect.status))
        return f"expected status {wanted}, got {status or 'no answer'}"
    if expect.text and expect.text not in (response.text or ""):
        return f"expected the response to contain {expect.text!r}"
    return None


class RequestSender:
    """Sends journey requests for one user; ``values`` are its placeholders (tenant, credentials, captures)."""

    def __init__(self, user: Sender, values: Mapping[str, str]) -> None:
        self.user = user
        self.values: dict[str, str] = dict(values)

    def _fill(self, text: str, values: Mapping[str, str]) -> str:
        return text if is_constant(text) else render(text, values)

    def _body(self, r: JourneyRequest, values: Mapping[str, str]) -> tuple[Any, dict[str, str], Any]:
        """(data, extra headers, json) for the request's body."""
        if r.photo:
            photo = random.choice(self.user.rehearsal.photos.pool())
            return photo.body, {"Content-Type": CONTENT_TYPE}, None
        if r.form:
            form = {k: self._fill(v, values) for k, v in r.form.items()}
            return urlencode(form), {"Content-Type": FORM_TYPE}, None
        if r.json is not None:
            return None, {}, render_value(r.json, values)
        return None, {}, None

    def send(self, r: JourneyRequest) -> Outcome:
        """One request; its captures join ``values`` for the requests after it."""
        values = self.values
        if r.choose:
            values = {**values, **{k: random.choice(v) for k, v in r.choose.items()}}
        try:
            path = self._fill(r.path, values)
            data, headers, body_json = self._body(r, values)
            headers.update({k: self._fill(v, values) for k, v in r.headers.items()})
        except ConfigError as e:  # a captured value that never came
            return Outcome(0, str(e))
        simple = r.expect is None and not r.capture and r.follow_redirects
        if simple:
            response = self.user.client.request(
                r.method, path, name=r.endpoint_name, data=data, json=body_json, headers=headers or None
            )
            status = int(getattr(response, "status_code", 0) or 0)
            failure = None if 0 < status < 400 else f"status {status or 'no answer'}"
        else:
            status, failure, response = self._judged(r, path, data, headers, body_json)
        retry = _retry_after(response) if r.retry_after and status in RETRY_STATUSES else 0.0
        gevent.sleep(r.pause_ms / 1000.0)  # also lets other users' ready requests go first
        return Outcome(status, failure, retry)

    def _judged(
        self, r: JourneyRequest, path: str, data: Any, headers: dict[str, str], body_json: Any
    ) -> tuple[int, str | None, Any]:
        with self.user.client.request(
            r.method,
            path,
            name=r.endpoint_name,
            data=data,
            json=body_json,
            headers=headers or None,
            allow_redirects=r.follow_redirects,
            catch_response=True,
        ) as response:
            status = int(getattr(response, "status_code", 0) or 0)
            failure = _expectation_missed(r, status, response)
            if failure is None and r.expect is None and not 0 < status < 400:
                failure = f"status {status or 'no answer'}"
            if failure is None:
                for name, capture in r.capture.items():
                    value = captured(capture, response, self.user.client.cookiejar)
                    if value is None:
                        failure = f"capture {name}: nothing found in the response"
                        break
                    self.values[name] = value
            if failure is None:
                response.success()
            else:
                response.failure(failure)
        return status, failure, response

    def run(self, requests: tuple[JourneyRequest, ...]) -> tuple[int, Outcome] | None:
        """Send ``requests`` in order; None when all went well, else (index, outcome) of the one that failed."""
        for i, r in enumerate(requests):
            outcome = self.send(r)
            if outcome.failure is not None:
                return i, outcome
        return None


def repeat_count(task: JourneyTask, batch: tuple[int, int]) -> int:
    lo, hi = task.repeat if isinstance(task.repeat, tuple) else batch
    return random.randint(lo, hi)


def run_task(sender: RequestSender, task: JourneyTask, batch: tuple[int, int]) -> Outcome | None:
    """The task's requests, ``repeat`` times; the first failure ends it (its outcome returned)."""
    for _ in range(repeat_count(task, batch)):
        failed = sender.run(task.requests)
        if failed is not None:
            return failed[1]
    return None


def describe_request(r: JourneyRequest) -> str:
    return f"{r.method} {r.endpoint_name}"
