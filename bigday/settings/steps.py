"""Interaction steps: what a probe does on a page (and a sign-in on the login page) with trusted input.

Written in the scenario as one-key mappings (``click: "#save"``, ``type: {selector, text}``, ...); parsed into
:class:`InteractionStep`, whose canonical form (``{action, selector, ...}``) is also accepted so a step survives
a round trip through JSON. Texts, selectors and URLs may hold ``{placeholders}`` and ``${SECRETS}``
(bigday.settings.templates); a step's :meth:`~InteractionStep.describe` never shows its text, which may be a
password.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import Field, StrictInt, StrictStr, model_validator
from pydantic.dataclasses import dataclass

from bigday.settings.base import CONFIG
from bigday.settings.units import DurationMs, describe_value

StepAction = Literal["click", "type", "press", "select", "hover", "scroll", "wait_for", "navigate", "upload"]
STEP_ACTIONS: tuple[str, ...] = typing.get_args(StepAction)
DEFAULT_WAIT_MS = 10_000.0

# Per action: the keys its mapping form takes (the first is what a plain string means), and those it needs.
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "click": (("selector",), ("selector",)),
    "hover": (("selector",), ("selector",)),
    "type": (("selector", "text"), ("selector", "text")),
    "press": (("key", "selector"), ("key",)),
    "select": (("selector", "value"), ("selector", "value")),
    "scroll": (("selector", "by"), ()),
    "wait_for": (("selector", "text", "url", "timeout"), ()),
    "navigate": (("url", "selector", "timeout"), ("url",)),
    "upload": (("selector", "file"), ("selector", "file")),
}
# The file's key names and the field each fills.
_FIELD = {"key": "text", "value": "text", "by": "pixels", "timeout": "timeout_ms"}


def step_keys_problem(raw: Any) -> str | None:
    """What is wrong with a step's keys (unknown action, two actions), or None: for errors naming the page."""
    if not isinstance(raw, dict) or "action" in raw:
        return None
    keys = list(raw)
    if len(keys) != 1:
        return f"expected exactly one of {', '.join(STEP_ACTIONS)} per step, got {', '.join(map(str, keys)) or 'none'}"
    if keys[0] not in STEP_ACTIONS:
        return f"unknown step {keys[0]!r}; expected one of {', '.join(STEP_ACTIONS)}"
    return None


def _from_scenario(action: str, value: Any) -> dict[str, Any]:
    takes, needs = _KEYS[action]
    if isinstance(value, str):
        value = {takes[0]: value}
    if action == "scroll" and isinstance(value, int) and not isinstance(value, bool):
        value = {"by": value}
    if not isinstance(value, dict):
        raise ValueError(
            f"{action}: expected a string or a mapping with {', '.join(takes)}, got {describe_value(value)}"
        )
    unknown = sorted(set(value) - set(takes))
    if unknown:
        raise ValueError(f"{action}.{unknown[0]}: unknown key; expected one of: {', '.join(takes)}")
    for key in needs:
        if key not in value:
            raise ValueError(f"{action}.{key}: missing required key")
    if action == "wait_for" and not {"selector", "text", "url"} & set(value):
        raise ValueError("wait_for: expected a selector, a text or a url to wait for")
    if action == "scroll" and not {"selector", "by"} & set(value):
        raise ValueError("scroll: expected a selector to scroll into view, or by: PIXELS")
    out: dict[str, Any] = {"action": action}
    for key, v in value.items():
        if key not in ("by", "timeout") and (not isinstance(v, str) or not v):
            raise ValueError(f"{action}.{key}: expected a non-empty string, got {describe_value(v)}")
        out[_FIELD.get(str(key), str(key))] = v
    return out


@dataclass(frozen=True, config=CONFIG)
class InteractionStep:
    """One trusted input step.

    ``text`` is what the action takes besides its selector: the text to type, the key to press, the option to
    select, or the text to wait for; ``url`` is where ``navigate`` goes (or what ``wait_for`` waits to reach).
    """

    action: StepAction
    selector: StrictStr = ""
    text: StrictStr = ""
    url: StrictStr = ""
    file: StrictStr = ""  # upload: a path, relative to the scenario file's folder
    pixels: StrictInt = 0  # scroll by this much when there is no selector
    timeout_ms: DurationMs | None = Field(default=None)  # wait_for / navigate bound (default 10 s)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "action" in data:
            return data
        problem = step_keys_problem(data)
        if problem:
            raise ValueError(problem)
        action = next(iter(data))
        return _from_scenario(action, data[action])

    @property
    def wait_ms(self) -> float:
        return self.timeout_ms if self.timeout_ms is not None else DEFAULT_WAIT_MS

    def describe(self) -> str:
        """The step for a message: action and target, never the text typed (it may be a secret)."""
        if self.action == "type":
            return f"type into {self.selector}"
        if self.action == "press":
            return f"press {self.text}" + (f" in {self.selector}" if self.selector else "")
        if self.action == "select":
            return f"select an option of {self.selector}"
        if self.action == "wait_for":
            what = (
                f"selector {self.selector}"
                if self.selector
                else (f"text {self.text!r}" if self.text else f"url {self.url}")
            )
            return f"wait for {what}"
        if self.action == "navigate":
            return f"navigate to {self.url}" + (f" via {self.selector}" if self.selector else "")
        if self.action == "scroll":
            return f"scroll to {self.selector}" if self.selector else f"scroll by {self.pixels}px"
        if self.action == "upload":
            return f"upload {self.file} into {self.selector}"
        return f"{self.action} {self.selector}"

    def templates(self) -> tuple[str, ...]:
        """The texts of this step that may hold placeholders (for the scenario's checks)."""
        return (self.selector, self.text, self.url, self.file)
