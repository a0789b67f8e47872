"""Where load may go: loopback always; another host only if the scenario allows it and the user confirms.

A load rehearsal against the wrong host is an attack, so the check runs before Locust starts (``bigday
load``) and again inside Locust (plain ``locust -f``, where the host may be typed into the web UI).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx

from bigday.errors import ConfigError, TargetUnreachable

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def host_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--host/--base-url: expected an http(s) URL like http://127.0.0.1:8000, got {url!r}")
    return parts.hostname.lower()


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host_allowed(url: str, allow_hosts: tuple[str, ...], permission: bool) -> None:
    """ConfigError unless ``url`` is loopback, or in ``allow_hosts`` *and* explicitly confirmed."""
    host = host_of(url)
    if is_loopback(host):
        return
    allowed = {h.lower() for h in allow_hosts}
    if host not in allowed:
        listed = ", ".join(sorted(allowed)) or "none"
        raise ConfigError(
            f"refusing to send load to {host}: it is not loopback and not in the scenario's load.allow_hosts ({listed})"
        )
    if not permission:
        raise ConfigError(
            f"{host} is in load.allow_hosts but is not loopback; add --i-have-permission to confirm you may load it"
        )


def check_reachable(url: str, timeout_s: float = 5.0) -> None:
    """TargetUnreachable when nothing answers HTTP at ``url`` (any status code counts as an answer)."""
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
            client.get(url.rstrip("/") + "/")
    except httpx.HTTPError as e:
        raise TargetUnreachable(
            f"{url} is unreachable ({type(e).__name__}: {e or 'no answer'}); is the app running?"
        ) from None
