"""Turn the page's raw timing entries into the per-run details: navigation breakdown, resources, long tasks, TBT.

Thresholds follow the wedding app's performance specification (DESIGN §3): resources slower than 1 s, larger
than 500 KB, images over 200 KB that are not WebP/AVIF, long tasks over 50 ms.  KB is 1000 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

SLOW_RESOURCE_MS = 1000.0
LARGE_RESOURCE_BYTES = 500_000
LARGE_IMAGE_BYTES = 200_000
MODERN_IMAGE_TYPES = ("image/webp", "image/avif")
LONG_TASK_BLOCKING_MS = 50.0
# Rows of the resource waterfall a run keeps: the gallery loads ~100 thumbnails, and a dashboard shows the
# median run's, so this bounds samples.json without hiding what a page of the five critical paths loads.
WATERFALL_ROWS = 150

_EXTENSION_KIND = {
    ".js": "script",
    ".mjs": "script",
    ".css": "stylesheet",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".avif": "image",
    ".svg": "image",
    ".ico": "image",
    ".heic": "image",
    ".woff": "font",
    ".woff2": "font",
    ".ttf": "font",
    ".otf": "font",
}
_IMAGE_TYPE_BY_EXTENSION = {
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}


def _num(x: Any) -> float:
    return float(x) if isinstance(x, (int, float)) else 0.0


def navigation_breakdown(nav: Mapping[str, Any] | None) -> dict[str, float] | None:
    """Phases of the document load in ms: dns, connect, ttfb (request to first byte), download, dom parse,
    resources (DOM interactive to the load event) and total (navigation start to load end)."""
    if not nav:
        return None

    def g(key: str) -> float:
        return _num(nav.get(key))

    return {
        "redirect": round(g("redirectEnd") - g("redirectStart"), 1),
        "dns": round(g("domainLookupEnd") - g("domainLookupStart"), 1),
        "connect": round(g("connectEnd") - g("connectStart"), 1),
        "ttfb": round(max(g("responseStart") - g("requestStart"), 0.0), 1),
        "download": round(max(g("responseEnd") - g("responseStart"), 0.0), 1),
        "dom_parse": round(max(g("domInteractive") - g("responseEnd"), 0.0), 1),
        "dom_content_loaded": round(max(g("domContentLoadedEventEnd") - g("domContentLoadedEventStart"), 0.0), 1),
        "resources": round(max(g("loadEventStart") - g("domInteractive"), 0.0), 1),
        "total": round(g("loadEventEnd") - g("startTime"), 1),
    }


def _kind_by_content_type(ctype: str, initiator: str) -> str | None:
    if "javascript" in ctype or "ecmascript" in ctype:
        return "script"
    if ctype == "text/css":
        return "stylesheet"
    if ctype.startswith("image/"):
        return "image"
    if ctype.startswith("font/") or "font" in ctype:
        return "font"
    if ctype == "application/json" or initiator in ("fetch", "xmlhttprequest"):
        return "fetch"
    if ctype == "text/html":
        return "document"
    return None


def resource_kind(entry: Mapping[str, Any]) -> str:
    """script, stylesheet, image, font, fetch, document or other, from content type, initiator and extension."""
    ctype = str(entry.get("contentType") or "").lower()
    initiator = str(entry.get("initiatorType") or "")
    by_type = _kind_by_content_type(ctype, initiator) if ctype else None
    if by_type is not None:
        return by_type
    if initiator in ("fetch", "xmlhttprequest", "beacon"):
        return "fetch"
    if initiator in ("iframe", "frame"):
        return "document"
    ext = PurePosixPath(urlsplit(str(entry.get("name", ""))).path).suffix.lower()
    if ext in _EXTENSION_KIND:
        return _EXTENSION_KIND[ext]
    if initiator in ("img", "image"):
        return "image"
    if initiator == "script":
        return "script"
    if initiator == "css" or initiator == "link":
        return "stylesheet"
    return "other"


def _bytes(entry: Mapping[str, Any]) -> tuple[int, int]:
    """(transfer bytes incl. headers, encoded body bytes); transfer is 0 when served from cache."""
    return int(_num(entry.get("transferSize"))), int(_num(entry.get("encodedBodySize")))


def _short(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.netloc else url


def _image_type(entry: Mapping[str, Any]) -> str:
    ctype = str(entry.get("contentType") or "").lower()
    if ctype:
        return ctype
    ext = PurePosixPath(urlsplit(str(entry.get("name", ""))).path).suffix.lower()
    return _IMAGE_TYPE_BY_EXTENSION.get(ext, "")


def resource_summary(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Count and bytes by type, JS bytes per chunk (by file stem), and the resources worth naming."""
    by_type: dict[str, dict[str, int]] = {}
    chunks: dict[str, dict[str, int]] = {}
    slow, large, heavy_images = [], [], []
    for e in entries:
        kind = resource_kind(e)
        transfer, body = _bytes(e)
        t = by_type.setdefault(kind, {"count": 0, "transfer_bytes": 0, "body_bytes": 0})
        t["count"] += 1
        t["transfer_bytes"] += transfer
        t["body_bytes"] += body
        url = str(e.get("name", ""))
        if kind == "script":
            stem = PurePosixPath(urlsplit(url).path).stem or url
            c = chunks.setdefault(stem, {"transfer_bytes": 0, "body_bytes": 0})
            c["transfer_bytes"] += transfer
            c["body_bytes"] += body
        duration = _num(e.get("duration"))
        if duration > SLOW_RESOURCE_MS:
            slow.append({"url": _short(url), "type": kind, "duration_ms": round(duration, 1)})
        size = max(transfer, body)
        if size > LARGE_RESOURCE_BYTES:
            large.append({"url": _short(url), "type": kind, "bytes": size})
        if kind == "image" and size > LARGE_IMAGE_BYTES and _image_type(e) not in MODERN_IMAGE_TYPES:
            heavy_images.append({"url": _short(url), "bytes": size, "content_type": _image_type(e) or None})
    return {
        "count": len(entries),
        "transfer_bytes": sum(t["transfer_bytes"] for t in by_type.values()),
        "waterfall": waterfall(entries),
        "by_type": by_type,
        "js_chunks": chunks,
        "slow": slow,
        "large": large,
        "images_not_modern_over_200kb": heavy_images,
    }


def waterfall(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The page's requests in start order: path, kind, start and duration (ms from navigation start), bytes."""
    rows = sorted(entries, key=lambda e: _num(e.get("startTime")))[:WATERFALL_ROWS]
    return [
        {
            "url": _short(str(e.get("name", ""))),
            "host": urlsplit(str(e.get("name", ""))).netloc,
            "type": resource_kind(e),
            "start": round(_num(e.get("startTime")), 1),
            "duration": round(_num(e.get("duration")), 1),
            "bytes": max(_bytes(e)),
            "transfer": _bytes(e)[0],
            "decoded": int(_num(e.get("decodedBodySize"))),
            "render_blocking": e.get("renderBlockingStatus") == "blocking",
            "dns": round(max(_num(e.get("domainLookupEnd")) - _num(e.get("domainLookupStart")), 0.0), 1),
        }
        for e in rows
    ]


def js_bytes(summary: Mapping[str, Any]) -> int:
    """All JS bytes of the page: encoded body bytes (as on the wire), so a warm, cached run still counts them."""
    chunks = summary.get("js_chunks") or {}
    if not chunks:
        return 0
    return int(sum(c["body_bytes"] for c in chunks.values()))


def total_blocking_time(long_tasks: Sequence[Mapping[str, Any]], fcp: float | None, window_end: float) -> float | None:
    """Lighthouse's TBT over the window [FCP, window_end]: each long task clipped to the window, minus 50 ms.

    bigday's window ends when the page has settled, just before the scripted interaction, so it measures the
    blocking of the load (the interaction's own cost is INP's to report)."""
    if fcp is None:
        return None
    total = 0.0
    for task in long_tasks:
        start = _num(task.get("start"))
        end = start + _num(task.get("duration"))
        if end <= fcp or start >= window_end:
            continue
        clipped = min(end, window_end) - max(start, fcp)
        total += max(clipped - LONG_TASK_BLOCKING_MS, 0.0)
    return round(total, 1)


def attribute_long_tasks(
    long_tasks: Sequence[Mapping[str, Any]], frames: Sequence[Mapping[str, Any]], until: float
) -> list[dict[str, Any]]:
    """Long tasks up to ``until``, each with the scripts of the long animation frame it ran in."""
    out = []
    for task in long_tasks:
        start = _num(task.get("start"))
        if start > until:
            continue
        end = start + _num(task.get("duration"))
        scripts: list[Any] = []
        for frame in frames:
            f_start = _num(frame.get("start"))
            if f_start <= end and start <= f_start + _num(frame.get("duration")):
                scripts.extend(s for s in frame.get("scripts", []) if _num(s.get("duration")) > 0)
        out.append(
            {
                "start": round(start, 1),
                "duration": round(_num(task.get("duration")), 1),
                "blocking": round(max(_num(task.get("duration")) - LONG_TASK_BLOCKING_MS, 0.0), 1),
                "attribution": task.get("attribution", []),
                "scripts": scripts[:5],
            }
        )
    return out


def first_input_delay(first_input: Mapping[str, Any] | None) -> float | None:
    """Legacy FID: processingStart - startTime of the first-input entry; None without an interaction."""
    if not first_input:
        return None
    return round(_num(first_input.get("processing_start")) - _num(first_input.get("start")), 1)
