"""One field beacon, judged before anything is kept: the schema the snippet sends and every check on it.

A beacon is a JSON object of at most ``MAX_BEACON_BYTES``::

    {"v": 1, "key": "pk_...", "tenant": "lumen", "route": "/clients/:id", "nav": "navigate",
     "device": "mobile", "ect": "4g", "visit": "probe-1234" (optional: a synthetic visit's label),
     "metrics": {"lcp": {"value": 1234.5, "attribution": {"target": "#hero", ...}}, "cls": {...}, ...}}

Any violation (an unknown key or metric, a number that is not finite or out of range, a route that is a raw
URL with ids or a query, a tenant or string of the wrong form) rejects the whole beacon: ``BeaconRejected``
carries the HTTP status and a short reason. Nothing that identifies a visitor is read from it or kept: the
user agent is reduced to a browser family and a device class here, and the client's address is never looked at.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bigday.metrics import FIELD_METRICS

MAX_BEACON_BYTES = 16 * 1024
MAX_MS = 3_600_000.0  # an hour: no vital of one page view is longer
MAX_CLS = 100.0
MAX_ATTRIBUTION_MS = 86_400_000.0  # attribution times count from navigation start: a page may stay open a day
MAX_STRING = 300
DEVICES = ("mobile", "tablet", "desktop")
CONNECTIONS = ("slow-2g", "2g", "3g", "4g")
NAVIGATIONS = ("navigate", "reload", "back-forward", "back-forward-cache", "prerender", "restore")
TENANT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
# A route template: segments of letters, digits and ._~- or :name placeholders; no query, fragment or escapes.
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~-]{1,64}|:[a-z][a-z0-9_]{0,31})$")
# A segment that is an identifier rather than a name: numbers, UUIDs, long hex or base64-like tokens.
_ID_LIKE = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{12,}"
    r"|(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,})$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The attribution fields kept per metric (web-vitals' attribution build names them): numbers or short strings.
ATTRIBUTION: dict[str, dict[str, type]] = {
    "lcp": {
        "target": str,
        "url": str,
        "timeToFirstByte": float,
        "resourceLoadDelay": float,
        "resourceLoadDuration": float,
        "elementRenderDelay": float,
    },
    "inp": {
        "interactionTarget": str,
        "interactionType": str,
        "interactionTime": float,
        "inputDelay": float,
        "processingDuration": float,
        "presentationDelay": float,
        "loadState": str,
    },
    "cls": {"largestShiftTarget": str, "largestShiftTime": float, "largestShiftValue": float, "loadState": str},
    "fcp": {"timeToFirstByte": float, "firstByteToFCP": float, "loadState": str},
    "ttfb": {
        "waitingDuration": float,
        "cacheDuration": float,
        "dnsDuration": float,
        "connectionDuration": float,
        "requestDuration": float,
    },
    "fid": {"eventType": str, "eventTarget": str, "loadState": str},
}
TOP_KEYS = frozenset({"v", "key", "tenant", "route", "nav", "device", "ect", "metrics", "visit"})
# A synthetic visit's label (the page's data-visit): short, plain, so a probe can find its own beacon.
VISIT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BeaconRejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Beacon:
    """A beacon that passed every check."""

    key: str
    tenant: str
    route: str
    navigation: str | None
    device: str | None  # as the page said; None: take the user agent's
    connection: str | None
    metrics: dict[str, tuple[float, dict[str, Any]]]  # name -> (value, attribution)
    visit: str | None = None  # the page's label of this view, when it gave one (synthetic visits)

    def rows(self, received_at: datetime, browser: str, device: str) -> list[dict[str, Any]]:
        """The store's rows for it, one per metric (``bigday.store.schema.rum_values``)."""
        beacon = secrets.token_hex(16)
        return [
            {
                "beacon": beacon,
                "received_at": received_at,
                "day": received_at.date(),
                "tenant": self.tenant,
                "route": self.route,
                "device": self.device or device,
                "connection": self.connection,
                "navigation": self.navigation,
                "browser": browser,
                "metric": name,
                "value": value,
                "attribution": json.dumps(attribution, separators=(",", ":")) if attribution else None,
                "visit": self.visit,
            }
            for name, (value, attribution) in self.metrics.items()
        ]


def _refuse_constant(name: str) -> Any:
    raise BeaconRejected(400, f"{name} is not a number")


def route_problem(route: Any) -> str | None:
    """Why ``route`` is not a route template (``/clients/:id``), or None."""
    if not isinstance(route, str) or not route.startswith("/") or len(route) > 200:
        return "route: expected a template starting with '/', at most 200 characters"
    if route == "/":
        return None
    for seg in route.strip("/").split("/"):
        if not _SEGMENT.match(seg):
            return "route: expected segments of letters, digits, ._~- or :name (no query, fragment or escapes)"
        if _ID_LIKE.match(seg):
            return f"route: the segment {seg[:24]!r} looks like an id; send the template (/clients/:id)"
    return None


def _number(raw: Any, what: str, top: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise BeaconRejected(400, f"{what}: expected a number")
    value = float(raw)
    if not math.isfinite(value) or not 0 <= value <= top:
        raise BeaconRejected(400, f"{what}: expected a finite number from 0 to {top:g}")
    return value


def _text(raw: Any, what: str) -> str:
    if not isinstance(raw, str) or len(raw) > MAX_STRING or _CONTROL.search(raw):
        raise BeaconRejected(400, f"{what}: expected text of at most {MAX_STRING} characters, no control characters")
    return raw


def _attribution(metric: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BeaconRejected(400, f"metrics.{metric}.attribution: expected an object")
    known = ATTRIBUTION[metric]
    out: dict[str, Any] = {}
    for k, val in raw.items():
        kind = known.get(k)
        what = f"metrics.{metric}.attribution.{k}"
        if kind is None:
            raise BeaconRejected(400, f"{what}: unknown field; expected one of {', '.join(known)}")
        if val is None:
            continue
        top = MAX_CLS if k == "largestShiftValue" else MAX_ATTRIBUTION_MS
        out[k] = _text(val, what) if kind is str else _number(val, what, top)
    return out


def _choice(raw: Any, allowed: tuple[str, ...], what: str) -> str | None:
    if raw is None:
        return None
    if raw not in allowed:
        raise BeaconRejected(400, f"{what}: expected one of {', '.join(allowed)}")
    return str(raw)


def _metrics(raw: Any) -> dict[str, tuple[float, dict[str, Any]]]:
    if not isinstance(raw, dict) or not raw:
        raise BeaconRejected(400, "metrics: expected an object with at least one metric")
    out = {}
    for name, m in raw.items():
        if name not in FIELD_METRICS:
            raise BeaconRejected(
                400, f"metrics: unknown metric {str(name)[:20]!r}; expected {', '.join(FIELD_METRICS)}"
            )
        if not isinstance(m, dict) or set(m) - {"value", "attribution"}:
            raise BeaconRejected(400, f"metrics.{name}: expected {{value, attribution}}")
        value = _number(m.get("value"), f"metrics.{name}.value", MAX_CLS if name == "cls" else MAX_MS)
        out[name] = (value, _attribution(name, m.get("attribution")))
    return out


def parse_beacon(body: bytes) -> Beacon:
    """The beacon in ``body``, or BeaconRejected saying why not."""
    if len(body) > MAX_BEACON_BYTES:
        raise BeaconRejected(413, f"a beacon is at most {MAX_BEACON_BYTES} bytes")
    try:
        raw = json.loads(body, parse_constant=_refuse_constant)
    except BeaconRejected:
        raise
    except (ValueError, RecursionError):
        raise BeaconRejected(400, "expected a JSON object") from None
    if not isinstance(raw, dict):
        raise BeaconRejected(400, "expected a JSON object")
    if unknown := set(raw) - TOP_KEYS:
        raise BeaconRejected(400, f"unknown field {sorted(unknown)[0][:20]!r}; expected {', '.join(sorted(TOP_KEYS))}")
    if raw.get("v") != 1:
        raise BeaconRejected(400, "v: expected beacon format 1")
    key, tenant = raw.get("key"), raw.get("tenant")
    if not isinstance(key, str) or len(key) > 80:
        raise BeaconRejected(401, "key: expected the site's public key")
    if not isinstance(tenant, str) or not TENANT.match(tenant):
        raise BeaconRejected(400, "tenant: expected an id of lower-case letters, digits, _ or -")
    if (problem := route_problem(raw.get("route"))) is not None:
        raise BeaconRejected(400, problem)
    visit = raw.get("visit")
    if visit is not None and not (isinstance(visit, str) and VISIT.match(visit)):
        raise BeaconRejected(400, "visit: expected 1 to 64 letters, digits, _ or -")
    return Beacon(
        key=key,
        tenant=tenant,
        route=str(raw["route"]),
        navigation=_choice(raw.get("nav"), NAVIGATIONS, "nav"),
        device=_choice(raw.get("device"), DEVICES, "device"),
        connection=_choice(raw.get("ect"), CONNECTIONS, "ect"),
        metrics=_metrics(raw.get("metrics")),
        visit=visit,
    )


def browser_family(user_agent: str) -> str:
    """The browser family of a user agent; the rest of it (versions, platform details) is dropped."""
    ua = user_agent or ""
    for token, family in (
        ("Edg/", "edge"),
        ("OPR/", "opera"),
        ("SamsungBrowser/", "samsung"),
        ("Firefox/", "firefox"),
        ("Chrome/", "chrome"),
        ("Chromium/", "chrome"),
        ("Safari/", "safari"),
    ):
        if token in ua:
            return family
    return "other"


def device_class(user_agent: str) -> str:
    """mobile, tablet or desktop, as CrUX splits visits."""
    ua = user_agent or ""
    if "iPad" in ua or "Tablet" in ua or ("Android" in ua and "Mobile" not in ua):
        return "tablet"
    if "Mobi" in ua or "iPhone" in ua or "Android" in ua:
        return "mobile"
    return "desktop"
