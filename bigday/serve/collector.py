"""The field-beacon collector on ``bigday serve``: ``POST /rum``, its CORS preflight, and ``GET /rum/rum.js``.

A beacon is answered only after it is committed (group commit): requests wait on a bounded queue that one
writer drains in batches, one transaction per batch, so a 204 means the beacon is in the store and a killed
server loses nothing it acknowledged. When ``rum.queue`` beacons are waiting, the next gets 503 with
Retry-After: memory stays bounded and a slow database pushes back on browsers instead of piling up.

Checks, cheapest first; any failure is a 4xx and nothing is stored: the Origin must be on a site's allow-list
(403); per client address and per origin a token bucket (429 with Retry-After); the body at most
``MAX_BEACON_BYTES`` (413), text/plain or JSON (415); then ``beacon.parse_beacon`` (400); the key must be a
site's (403), the Origin one of that site's, the tenant that site's (403). The client address is used for the
rate limit in memory only; it, cookies and the user agent never reach the store (the agent is reduced to a
browser family and a device class).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bigday.errors import BigdayError, ConfigError, StoreError
from bigday.probe.assets import WEB_VITALS_IIFE, package_version
from bigday.runfolder import utc_now
from bigday.serve.beacon import (
    MAX_BEACON_BYTES,
    BeaconRejected,
    browser_family,
    device_class,
    parse_beacon,
    route_problem,
)
from bigday.settings.assets import read_asset
from bigday.settings.rum import RumPolicy
from bigday.store import rum as rum_store
from bigday.store.engine import Store

SCRIPT_PATH = "/rum/rum.js"
PRUNE_EVERY_S = 3600.0
MAX_BUCKETS = 100_000
CONTENT_TYPES = ("text/plain", "application/json")
NO_STORE = {"Cache-Control": "no-store"}


@lru_cache(maxsize=4)
def script_source(node_modules: str) -> str:
    """The pinned web-vitals attribution build followed by bigday's beacon code (what /rum/rum.js serves)."""
    del node_modules  # part of the cache key
    vitals = read_asset(WEB_VITALS_IIFE, "web-vitals")
    vitals = "\n".join(line for line in vitals.splitlines() if not line.startswith("//# sourceMappingURL="))
    ours = (resources.files("bigday.serve") / "rum.js").read_text(encoding="utf-8")
    return f"/* web-vitals {package_version('web-vitals')} (Apache-2.0), attribution build */\n{vitals}\n{ours}"


def script() -> str:
    from bigday.settings.assets import node_modules

    return script_source(str(node_modules()))


def script_integrity(source: str) -> str:
    """The Subresource Integrity value of the served script, for the snippet's tag."""
    return "sha384-" + base64.b64encode(hashlib.sha384(source.encode()).digest()).decode()


class Buckets:
    """Token buckets by key (an origin, a client address): ``rate`` per second, ``burst_s`` seconds' worth."""

    def __init__(self, rate: float, burst_s: float) -> None:
        self.rate, self.capacity = rate, max(1.0, rate * burst_s)
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._state.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                self._trim(now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def _trim(self, now: float) -> None:
        if len(self._state) <= MAX_BUCKETS:
            return
        # A bucket idle long enough to be full is the same as no bucket: dropping it forgets nothing.
        full_after = self.capacity / self.rate
        self._state = {k: v for k, v in self._state.items() if now - v[1] < full_after}
        if len(self._state) > MAX_BUCKETS:  # a flood of distinct addresses: start over rather than grow
            self._state.clear()


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Cache-Control": "no-store"}


def _refusal(
    status: int, reason: str, origin: str | None = None, retry_after: float | None = None
) -> tuple[int, bytes, dict[str, str]]:
    headers = _cors(origin) if origin else {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return status, json.dumps({"error": reason}).encode(), headers


def _refuse(status: int, reason: str, origin: str | None = None, retry_after: float | None = None) -> Response:
    status, body, headers = _refusal(status, reason, origin, retry_after)
    return Response(body, status, headers, media_type="application/json")


class Collector:
    """The routes' state: the policy, the rate limits, the queue of beacons waiting for their commit."""

    def __init__(self, store: Store, policy: RumPolicy) -> None:
        self.store, self.policy = store, policy
        self.origins = policy.origins  # a property that builds the set: once, not on every beacon
        self.by_origin = Buckets(policy.rate_limit.per_origin, policy.rate_limit.burst_s)
        self.by_client = Buckets(policy.rate_limit.per_ip, policy.rate_limit.burst_s)
        self._queue: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self.waiting = 0  # beacons accepted and not yet committed (queued or in the batch being written)
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._pruned_at = -math.inf
        self.retry_after_s = max(1.0, 2 * policy.flush_s)

    # ------------------------------------------------------------ routes

    async def preflight(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if not origin or origin not in self.origins:
            return _refuse(403, "this origin may not send beacons here")
        if request.headers.get("access-control-request-method", "POST").upper() != "POST":
            return _refuse(403, "only POST", origin)
        headers = {
            **_cors(origin),
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "86400",
        }
        return Response(status_code=204, headers=headers)

    async def accept(
        self, header: Callable[[str], str | None], client: str, chunks: AsyncIterator[bytes]
    ) -> tuple[int, bytes, dict[str, str]]:
        """One beacon: (status, body, headers) of the answer; 204 only once the beacon is committed."""
        origin = header("origin")
        if not origin or origin not in self.origins:
            return _refusal(403, "this origin may not send beacons here (the Origin header is checked)")
        for buckets, key in ((self.by_client, client), (self.by_origin, origin)):
            if (wait := buckets.take(key)) > 0:
                return _refusal(429, "too many beacons; slow down", origin, wait)
        try:
            body = await self._body(header, chunks)
            beacon = parse_beacon(body)
        except BeaconRejected as e:
            return _refusal(e.status, e.reason, origin)
        site = self.policy.site_of(beacon.key)
        if site is None:
            return _refusal(403, "key: not a site's public key", origin)
        if origin not in site.origins:
            return _refusal(403, "this origin is not on the key's site's allow-list", origin)
        if beacon.tenant != site.tenant:
            return _refusal(403, "tenant: not the key's site's tenant", origin)
        if self.waiting >= self.policy.queue:
            return _refusal(503, "the collector is full; retry later", origin, self.retry_after_s)
        agent = header("user-agent") or ""
        rows = beacon.rows(utc_now(), browser_family(agent), device_class(agent))
        try:
            await self._commit(rows)
        except BigdayError:
            return _refusal(503, "the store could not be written; retry later", origin, self.retry_after_s)
        return 204, b"", _cors(origin)

    async def post_asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /rum`` as bare ASGI (``RumApp`` answers it before routing): Starlette's request, routing and
        response objects cost about a fifth of a beacon's CPU at a thousand a second."""
        raw: dict[str, str] = {}
        for k, v in scope["headers"]:  # a repeated header counts by its first value, as Starlette's Headers.get
            raw.setdefault(k.decode("latin-1"), v.decode("latin-1"))
        client = scope.get("client")

        async def chunks() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _ClientGone
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        try:
            status, body, headers = await self.accept(raw.get, client[0] if client else "-", chunks())
        except _ClientGone:
            return  # hung up before its body was whole: nothing stored, no one to answer
        pairs = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        if body:
            pairs += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": pairs})
        await send({"type": "http.response.body", "body": body})

    async def serve_script(self, request: Request) -> Response:
        try:
            source = await run_in_threadpool(script)
        except BigdayError as e:
            return JSONResponse({"error": str(e)}, 503)
        headers = {
            "Cache-Control": "public, max-age=3600",
            "Access-Control-Allow-Origin": "*",  # for the snippet's integrity check (crossorigin="anonymous")
            "Cross-Origin-Resource-Policy": "cross-origin",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(source, media_type="text/javascript; charset=utf-8", headers=headers)

    async def _body(self, header: Callable[[str], str | None], chunks: AsyncIterator[bytes]) -> bytes:
        declared = header("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BEACON_BYTES):
            raise BeaconRejected(413, f"a beacon is at most {MAX_BEACON_BYTES} bytes")
        kind = (header("content-type") or "").split(";")[0].strip().lower()
        if kind not in CONTENT_TYPES:
            raise BeaconRejected(415, "expected text/plain or application/json")
        parts, size = [], 0
        async for chunk in chunks:
            size += len(chunk)
            if size > MAX_BEACON_BYTES:
                raise BeaconRejected(413, f"a beacon is at most {MAX_BEACON_BYTES} bytes")
            parts.append(chunk)
        return b"".join(parts)

    # ------------------------------------------------------------ the writer

    async def _commit(self, rows: list[dict[str, Any]]) -> None:
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer.done():
            self._wake = asyncio.Event()
            self._writer = loop.create_task(self._write_batches())
        done: asyncio.Future[None] = loop.create_future()
        self._queue.append((rows, done))
        self.waiting += 1
        assert self._wake is not None
        self._wake.set()
        # Shielded: a browser that hangs up does not take its beacon out of a batch being written.
        await asyncio.shield(done)

    async def _write_batches(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(self.policy.flush_s)  # let a batch gather
            while self._queue:
                batch = self._queue[: self.policy.batch]
                del self._queue[: self.policy.batch]
                try:
                    await run_in_threadpool(self._insert, [r for rows, _ in batch for r in rows])
                except Exception as e:  # noqa: BLE001 (whatever failed, every waiting request must be answered)
                    failure = e if isinstance(e, BigdayError) else StoreError(f"storing field beacons failed: {e}")
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(failure)
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
                finally:
                    self.waiting -= len(batch)

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self.store.begin("storing field beacons") as conn:
            rum_store.insert_values(conn, rows)
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            with self.store.begin("pruning field beacons past their retention") as conn:
                rum_store.prune(conn, self.policy.retention_s)

    def routes(self) -> list[Route]:
        return [
            Route("/rum", self.preflight, methods=["OPTIONS"]),
            Route(SCRIPT_PATH, self.serve_script, methods=["GET"]),
        ]


class _ClientGone(Exception):
    """The browser hung up while its beacon's body was arriving."""


class RumApp(Starlette):
    """A Starlette app that answers ``POST /rum`` itself, as bare ASGI (``Collector.post_asgi``), before routing."""

    def __init__(self, collector: Collector, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.collector = collector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/rum":
            await self.collector.post_asgi(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def collector_app(store: Store, policy: RumPolicy) -> Starlette:
    """The collector alone (``bigday collect``): the routes ``bigday serve`` hosts beside its dashboard, and a
    ``/healthz`` that says whether the writer keeps up."""
    collector = Collector(store, policy)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "waiting": collector.waiting, "queue": policy.queue}, headers=NO_STORE)

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "not found; the collector answers POST /rum"}, 404, headers=NO_STORE)

    return RumApp(
        collector,
        routes=[*collector.routes(), Route("/healthz", healthz)],
        exception_handlers={404: not_found, 405: not_found},
    )


def snippet(
    endpoint: str, key: str, tenant: str | None, sample_rate: float, route: str | None = None, inline: bool = False
) -> str:
    """The tag an app puts in its pages: the script served by ``bigday serve`` next to ``endpoint`` (with its
    integrity hash), or the whole script inline (``inline``: for a page that cannot load it from there)."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"--endpoint: expected the collector's URL like https://rum.example.com/rum, got {endpoint!r}"
        )
    if not (isinstance(sample_rate, float) and 0 < sample_rate <= 1):
        raise ConfigError(f"--sample-rate: expected a share above 0 and at most 1, got {sample_rate!r}")
    if route is not None and (problem := route_problem(route)) is not None:
        raise ConfigError(f"--route: {problem.removeprefix('route: ')}")
    attrs = {"data-key": key, "data-endpoint": endpoint, "data-sample-rate": f"{sample_rate:g}"}
    if tenant is not None:
        attrs["data-tenant"] = tenant
    if route is not None:
        attrs["data-route"] = route
    source = script()
    if inline:
        return f"<script{_attributes(attrs)}>{source}</script>"
    src = urlunsplit((parts.scheme, parts.netloc, SCRIPT_PATH, "", ""))
    attrs = {"src": src, "integrity": script_integrity(source), "crossorigin": "anonymous", **attrs}
    return f"<script async{_attributes(attrs)}></script>"


def _attributes(attrs: dict[str, str]) -> str:
    return "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
