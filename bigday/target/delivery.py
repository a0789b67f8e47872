"""How the reference target delivers what it serves: compressed text and cacheable static assets, as a
well-run app does, unless a delivery knob says otherwise (uncompressed, no_cache, cdn_miss)."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from bigday.target.knobs import Knobs

NO_STORE = {"Cache-Control": "no-store"}
# The target's asset URLs carry no content hash, so an hour (revalidated by ETag after it) is the right life.
ASSET_CACHE = {"Cache-Control": "public, max-age=3600"}
# Dynamic responses are compressed on the worker that made them, quickly; static ones once, harder.
DYNAMIC_LEVEL = 1
STATIC_LEVEL = 6
MIN_COMPRESS_BYTES = 512


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def compress(body: bytes, level: int) -> bytes:
    return gzip.compress(body, compresslevel=level, mtime=0)


@lru_cache(maxsize=128)
def _static_gzip(body: bytes) -> bytes:
    # Keyed by the bytes themselves: the same asset object (or an equal padded one) compresses once.
    return compress(body, STATIC_LEVEL)


@lru_cache(maxsize=256)
def etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def text_body(request: Request, body: bytes, knobs: Knobs, level: int = DYNAMIC_LEVEL) -> tuple[bytes, dict[str, str]]:
    """The body as sent, and its Content-Encoding / Vary headers."""
    if knobs.uncompressed or len(body) < MIN_COMPRESS_BYTES:
        return body, {"Vary": "Accept-Encoding"}
    if not accepts_gzip(request):
        return body, {"Vary": "Accept-Encoding"}
    packed = _static_gzip(body) if level == STATIC_LEVEL else compress(body, level)
    return packed, {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}


def cache_headers(body: bytes, knobs: Knobs) -> dict[str, str]:
    """A static asset's caching headers: a lifetime and a validator (none with no_cache), CDN-style ones with
    cdn_miss."""
    headers = {} if knobs.no_cache else {**ASSET_CACHE, "ETag": etag(body)}
    if knobs.cdn_miss:
        headers.update({"X-Cache": "MISS", "Age": "0"})
    return headers


def static_response(request: Request, body: bytes, media_type: str, knobs: Knobs, text: bool) -> Response:
    """A static asset, 304 when the browser's validator still matches."""
    headers = cache_headers(body, knobs)
    if "ETag" in headers and request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if text:
        body, encoding = text_body(request, body, knobs, STATIC_LEVEL)
        headers.update(encoding)
    return Response(body, media_type=media_type, headers=headers)
