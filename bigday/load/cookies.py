"""Cookies a load user starts with: the scenario's ``auth.cookies`` and those of a Playwright storage-state file,
as entries of the user's cookie jar (http.cookiejar), so they go wherever a browser would send them.

No Locust import, so the rules can be checked in plain Python.
"""

from __future__ import annotations

import functools
import json
from http.cookiejar import Cookie, CookieJar
from pathlib import Path

from bigday.errors import ConfigError


@functools.lru_cache(maxsize=64)
def storage_state_cookies(path: str, host: str) -> tuple[tuple[str, str], ...]:
    """(name, value) of the cookies in a Playwright storage-state file that a browser would send to ``host``
    (read once per process and host, however many users start)."""
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the storage-state file ({e.strerror})") from None
    except ValueError:
        raise ConfigError(f"{path}: not a Playwright storage-state JSON file") from None
    out = []
    for c in state.get("cookies", []) if isinstance(state, dict) else []:
        # Playwright writes a domain cookie as ".example.com" and a host-only one as "example.com".
        domain = str(c.get("domain", ""))
        if domain == host or (domain.startswith(".") and (host == domain[1:] or host.endswith(domain))):
            out.append((str(c.get("name", "")), str(c.get("value", ""))))
    return tuple(out)


def jar_cookie(name: str, value: str, host: str) -> Cookie:
    """A cookie for every path of ``host``, as the jar will match it.

    http.cookiejar compares a dotless host as ``host.local`` (``localhost`` is ``localhost.local``), so the
    cookie's domain is written that way too, or the jar would never send it."""
    domain = host if "." in host else f"{host}.local"
    return Cookie(0, name, value, None, False, domain, False, False, "/", True, False, None, False, None, None, {})


def add_cookies(jar: CookieJar, pairs: list[tuple[str, str]], host: str) -> None:
    for name, value in pairs:
        jar.set_cookie(jar_cookie(name, value, host))
