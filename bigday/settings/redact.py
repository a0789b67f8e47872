"""The one redaction rule: what bigday must never write or print in clear, and how it is hidden.

A secret reaches bigday in four ways, each through the settings layer: the user info of a URL
(``http://user:pass@host``), a query parameter named like a secret (``?password=``, ``?token=``, ``?api_key=``),
a header or cookie value, and the value of an environment variable the scenario names (``${STUDIO_PASSWORD}``).
The settings layer registers each such value as it resolves it (``resolve.base_url``, ``resolve.store_url``,
``resolve.scenario``, ``templates.secret``); the writers of run folders, the store's error messages, the manifest's
``argv`` and the terminal pass their text through :func:`text`, which hides every registered value and every
URL secret by its shape, so no later stage can forget to.

The values themselves are kept only in this process's memory, never written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MASK = "***"
# Shorter values would hide innocent text ("ok", "1"): a secret this short is no secret anyway.
MIN_SECRET_LENGTH = 4
# Query parameters and header/cookie names that carry secrets.
SECRET_NAME = re.compile(r"pass|pwd|secret|token|key|auth|cookie|session|signature|sig\b|credential", re.IGNORECASE)
# scheme://user:password@: the whole user info goes. A bare user name (postgresql://bigday@host) is no secret by
# its shape; a token written as one (https://TOKEN@host) is hidden because resolving the URL registered it.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<info>[^/@\s?#:]*:[^/@\s?#]*)@")
# name=value in a URL's query string (after ? or &) where the name looks like a secret's. Only there: code and
# prose say ``keys=function(){...}`` or ``token=`` too (ECharts in a dashboard does), and they are no secrets.
_QUERY = re.compile(
    r"(?P<name>[?&][A-Za-z0-9_.\-]*(?:" + SECRET_NAME.pattern + r")[A-Za-z0-9_.\-]*=)(?P<value>[^&#\s'\"]*)",
    re.IGNORECASE,
)
# Flags whose value is a secret outright (the whole value is hidden, not only a URL's parts).
SECRET_FLAGS = ("--webhook-url", "--password", "--token")

_known: set[str] = set()


def register(value: str | None) -> None:
    """Remember ``value`` as a secret of this process: :func:`text` hides it wherever it appears."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _known.add(value)


def register_all(values: Iterable[str | None]) -> None:
    for v in values:
        register(v)


def register_url(url: str | None, bare_user_is_secret: bool = False) -> None:
    """Remember the secrets a URL carries: its password and its secret-named query values; with
    ``bare_user_is_secret`` (the app's base URL) also a user name written without a password, a token."""
    if not url:
        return
    try:
        parts = urlsplit(url)
        password, username = parts.password, parts.username
    except ValueError:  # a malformed URL (bad port): its shape-based redaction still applies
        return
    register(password)
    if password is None and bare_user_is_secret:  # a token alone as user info (https://TOKEN@host)
        register(username)
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if SECRET_NAME.search(name):
            register(value)


def register_headers(headers: Mapping[str, str] | None) -> None:
    """Header and cookie values: every value is hidden (a header's name says little about its value)."""
    for value in (headers or {}).values():
        register(value)


def known() -> frozenset[str]:
    """The secrets registered so far (tests check that none of them reached a file)."""
    return frozenset(_known)


def forget() -> None:
    """Forget every registered secret (tests run several commands in one process)."""
    _known.clear()


def _hide_userinfo(m: re.Match[str]) -> str:
    return f"{m.group('scheme')}{MASK}@" if m.group("info") else m.group(0)


def text(value: str) -> str:
    """``value`` with every registered secret and every URL secret (user info, secret query values) hidden."""
    if not value:
        return value
    out = value
    # Longest first, so a secret that contains another is hidden whole.
    for secret in sorted(_known, key=len, reverse=True):
        if secret in out:
            out = out.replace(secret, MASK)
    if "@" in out:
        out = _USERINFO.sub(_hide_userinfo, out)
    if "=" in out:
        out = _QUERY.sub(_hide_query_value, out)
    return out


def _hide_query_value(m: re.Match[str]) -> str:
    value = m.group("value")
    # A template (``token={csrf}``, ``key=${API_KEY}``) names a secret, it is none: the plan and reports keep it.
    if not value or value.startswith(("{", "${")) or value == MASK:
        return m.group(0)
    return f"{m.group('name')}{MASK}"


def url(value: str | None) -> str | None:
    """A URL as bigday records and shows it: user info and secret query values hidden."""
    return None if value is None else text(value)


def argv(args: Sequence[str]) -> tuple[str, ...]:
    """A command line as bigday records it: secrets hidden, and the value of a secret flag hidden whole."""
    out: list[str] = []
    hide_next = False
    for a in args:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        flag, eq, _ = a.partition("=")
        if flag in SECRET_FLAGS:
            if eq:
                out.append(f"{flag}={MASK}")
            else:
                out.append(a)
                hide_next = True
            continue
        out.append(text(a))
    return tuple(out)


def deep(value: Any) -> Any:
    """:func:`text` applied to every string inside JSON-like data (dict keys included)."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, Mapping):
        return {deep(k) if isinstance(k, str) else k: deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [deep(v) for v in value]
    return value
