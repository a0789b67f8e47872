"""Text with placeholders: ``{name}`` for run-time values, ``${VAR}`` for secrets read from the environment.

A scenario names what differs per tenant or per request with ``{name}`` (``{tenant}``, ``{tenant_key}``, a
tenant's credential such as ``{password}``, a value captured from an earlier response), and names every secret
by the environment variable that holds it (``${STUDIO_A_PASSWORD}``), so no secret is ever written in the
file. Both are found when the scenario is parsed (an unknown placeholder is an error then) and filled in only
when a probe or a load user needs the text, through :func:`render`. Secrets are read through
``bigday.settings.environment`` and never kept beyond the object that needed them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bigday.errors import ConfigError
from bigday.settings import environment, redact

# ``{name}``; ``{{`` and ``}}`` stand for literal braces. JSON and CSS text (``{"a": 1}``, ``a{color:red}``)
# never matches, since a placeholder is a bare identifier between braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Values every template may use: the tenant's id in the scenario, and its identifier in the app.
BUILTIN_NAMES = ("tenant", "tenant_key")


def placeholders(text: str) -> tuple[str, ...]:
    """The ``{name}`` placeholders of ``text``, in order of appearance."""
    return tuple(m.group(2) for m in _PLACEHOLDER.finditer(text) if m.group(2))


def env_refs(text: str) -> tuple[str, ...]:
    """The environment variables ``${VAR}`` that ``text`` names."""
    return tuple(m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1))


def strings_in(value: Any) -> Iterable[str]:
    """Every string inside a YAML value (a JSON body's leaves, say), keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from strings_in(k)
            yield from strings_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings_in(v)


def check_known(text: str, known: Iterable[str]) -> str | None:
    """None when every placeholder of ``text`` is known, else what is wrong (for a one-line error)."""
    names = set(known)
    for name in placeholders(text):
        if name not in names:
            listed = ", ".join(sorted(names)) or "none"
            return f"unknown placeholder {{{name}}}; known here: {listed} (write {{{{ and }}}} for literal braces)"
    return None


def secret(name: str) -> str:
    """The value of ``$name``; ConfigError naming the variable when it is unset (its value never appears)."""
    if not _ENV_NAME.fullmatch(name):
        raise ConfigError(f"${{{name}}}: not an environment variable name")
    value = environment.raw(name)
    if value is None:
        raise ConfigError(f"${name} is not set: the scenario names it for a secret; set it in the environment")
    redact.register(value)
    return value


def render(text: str, values: Mapping[str, str], env: Callable[[str], str] = secret) -> str:
    """``text`` with placeholders filled from ``values`` and ``${VAR}`` from the environment.

    A placeholder without a value is a ConfigError (the scenario's checks make that rare: only a value captured
    from a response that did not come can be missing)."""

    def fill(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        if m.group(1):
            return env(m.group(1))
        name = m.group(2)
        if name not in values:
            raise ConfigError(f"no value for {{{name}}} in {text!r}")
        return values[name]

    return _PLACEHOLDER.sub(fill, text)


def render_value(value: Any, values: Mapping[str, str], env: Callable[[str], str] = secret) -> Any:
    """:func:`render` applied to every string inside a YAML value (a JSON body), keys included."""
    if isinstance(value, str):
        return render(value, values, env)
    if isinstance(value, Mapping):
        return {render(str(k), values, env): render_value(v, values, env) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_value(v, values, env) for v in value]
    return value


def is_constant(text: str) -> bool:
    """True when ``text`` has nothing to fill in (so it can be used as it is, without a render per use)."""
    return _PLACEHOLDER.search(text) is None
