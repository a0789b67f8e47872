"""What the probe records for the delivery checks and coverage: each response as the network saw it (protocol,
the caching, compression and CDN headers), the redirects, and which bytes of each script ever ran.

Both come from the page's CDP session: ``Network`` is enabled for the profile's throttling anyway, so listening
to its events costs nothing extra; precise coverage (``Profiler``) is function-level only (``detailed: false``),
the cheap mode, taken once after the interaction."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import CDPSession

# The response headers the checks read; others are not kept (cookies and the like must never be recorded).
KEPT_HEADERS = (
    "cache-control",
    "expires",
    "etag",
    "last-modified",
    "content-encoding",
    "content-type",
    "content-length",
    "age",
    "x-cache",
    "cf-cache-status",
    "x-vercel-cache",
    "location",
)
# Bounds samples.json on a page with hundreds of requests, as the waterfall does.
MAX_RESPONSES = 150


def short_url(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.netloc else url


class NetworkLog:
    """Responses and redirects of one page, from ``Network.responseReceived`` / ``requestWillBeSent``."""

    def __init__(self, cdp: CDPSession) -> None:
        self.responses: dict[str, dict[str, Any]] = {}
        self.redirects: list[dict[str, Any]] = []
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.loadingFinished", self._finished)

    def _response(self, params: dict[str, Any]) -> None:
        response = params.get("response") or {}
        url = str(response.get("url", ""))
        if not url.startswith(("http://", "https://")) or len(self.responses) >= MAX_RESPONSES:
            return
        headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
        self.responses[str(params.get("requestId"))] = {
            "url": url,
            "type": str(params.get("type", "")).lower(),
            "status": int(response.get("status") or 0),
            "protocol": str(response.get("protocol") or "").lower(),
            "mime_type": str(response.get("mimeType") or ""),
            "from_cache": bool(response.get("fromDiskCache") or response.get("fromPrefetchCache")),
            "headers": {k: headers[k][:200] for k in KEPT_HEADERS if k in headers},
        }

    def _finished(self, params: dict[str, Any]) -> None:
        response = self.responses.get(str(params.get("requestId")))
        if response is not None:
            response["transfer_bytes"] = int(params.get("encodedDataLength") or 0)

    def _request(self, params: dict[str, Any]) -> None:
        redirect = params.get("redirectResponse")
        if redirect and len(self.redirects) < MAX_RESPONSES:
            self.redirects.append(
                {
                    "from": short_url(str(redirect.get("url", ""))),
                    "to": short_url(str((params.get("request") or {}).get("url", ""))),
                    "status": int(redirect.get("status") or 0),
                    "type": str(params.get("type", "")).lower(),
                }
            )

    def record(self) -> dict[str, Any]:
        return {
            "responses": list(self.responses.values()),
            "redirects": self.redirects,
        }


class Coverage:
    """Coverage of one page run: per script URL its length and the bytes never run (V8's function-level
    precise coverage), per stylesheet URL its length and the bytes of rules never used (CSS rule usage)."""

    def __init__(self, cdp: CDPSession) -> None:
        self.cdp = cdp
        self.sheets: dict[str, dict[str, Any]] = {}
        cdp.on("CSS.styleSheetAdded", self._sheet)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.startPreciseCoverage", {"callCount": False, "detailed": False})
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        cdp.send("CSS.startRuleUsageTracking")

    def _sheet(self, params: dict[str, Any]) -> None:
        header = params.get("header") or {}
        self.sheets[str(header.get("styleSheetId"))] = header

    def take(self) -> dict[str, list[dict[str, Any]]]:
        result = self.cdp.send("Profiler.takePreciseCoverage")
        self.cdp.send("Profiler.stopPreciseCoverage")
        rules = self.cdp.send("CSS.stopRuleUsageTracking").get("ruleUsage") or []
        return {"js": unused_js(result.get("result") or []), "css": unused_css(rules, self.sheets)}


def unused_css(rules: list[dict[str, Any]], sheets: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stylesheet with a URL: its length and the bytes outside every rule that was used (as Lighthouse
    counts unused CSS); inline <style> and constructed sheets are skipped."""
    used: dict[str, bytearray] = {}
    for sheet_id, header in sheets.items():
        url = str(header.get("sourceURL") or "")
        if url.startswith(("http://", "https://")) and not header.get("isInline"):
            used[sheet_id] = bytearray(int(float(header.get("length") or 0)))
    for rule in rules:
        mask = used.get(str(rule.get("styleSheetId")))
        if mask is not None and rule.get("used"):
            start, end = int(rule["startOffset"]), min(int(rule["endOffset"]), len(mask))
            mask[start:end] = b"\x01" * max(end - start, 0)
    return [
        {"url": str(sheets[sid]["sourceURL"]), "bytes": len(mask), "unused_bytes": mask.count(0)}
        for sid, mask in used.items()
        if len(mask)
    ]


def unused_js(scripts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lighthouse's rule on V8's coverage: a byte is unused when it lies in a range that never ran (count 0);
    the script's length is its top-level function's range. Scripts without a URL (inline, eval) are skipped."""
    out = []
    for script in scripts:
        url = str(script.get("url", ""))
        if not url.startswith(("http://", "https://")):
            continue
        functions = script.get("functions") or []
        length = max((int(r["endOffset"]) for f in functions for r in f.get("ranges", [])), default=0)
        if length <= 0:
            continue
        unused = bytearray(length)
        for f in functions:
            for r in f.get("ranges", []):
                if int(r.get("count", 1)) == 0:
                    start, end = int(r["startOffset"]), min(int(r["endOffset"]), length)
                    unused[start:end] = b"\x01" * max(end - start, 0)
        out.append({"url": url, "bytes": length, "unused_bytes": unused.count(1)})
    return out
