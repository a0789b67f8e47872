"""Recommendations and delivery checks from what each page run recorded (docs/insights.md).

Each rule reads one run's ``details`` (resources, long tasks, LCP and CLS attribution, the responses' headers,
images, coverage) and returns findings that name a resource, element or script, with what fixing it would
save and the evidence. ``recommend`` runs every rule over every run of a page and keeps one line per finding
("in N of M runs"), the median impact of the runs that had it. Thresholds are the scenario's ``insights``
section (bigday/settings/insights.py); nothing here is a number of its own.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from bigday.probe.delivery import short_url
from bigday.probe.results import PageRun
from bigday.runfolder import PRIORITIES, FindingCategory, Priority, Recommendation
from bigday.settings.insights import InsightPolicy

MODERN_IMAGE_TYPES = ("image/webp", "image/avif")
TEXT_TYPES = ("text/", "javascript", "ecmascript", "json", "xml", "svg")
COMPRESSED = ("gzip", "br", "zstd", "deflate", "compress")
STATIC_TYPES = ("script", "stylesheet", "image", "font")
# A build tool's content hash in a file name (app.3f9a1c2e.js, main-5d41402abc4b.css) or a version query.
_FINGERPRINT = re.compile(r"[.\-_~][0-9a-f]{8,}(?=[.\-_~]|\.[a-z0-9]+$)|[?&](v|ver|version|hash|h)=", re.I)
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*(\d+)", re.I)
_CDN_HEADERS = ("x-cache", "cf-cache-status", "x-vercel-cache")
_CDN_MISS = ("miss", "expired", "bypass", "stale")
# Findings that rest on how long something took, so a busy machine can raise them on a page that is fine.
TIMING_KINDS = frozenset({"long_task", "slow_resource", "third_party"})


@dataclass(frozen=True)
class Finding:
    """One rule's finding in one run, before runs of a page are pooled."""

    kind: str
    category: FindingCategory
    priority: Priority
    subject: str
    title: str
    evidence: str
    impact_bytes: int | None = None
    impact_ms: float | None = None


@dataclass(frozen=True)
class RunView:
    """One run's details as the rules read them, with the policy."""

    details: Mapping[str, Any]
    metrics: Mapping[str, float | None]
    policy: InsightPolicy
    warm: bool

    @property
    def rows(self) -> list[Mapping[str, Any]]:
        return list((self.details.get("resources") or {}).get("waterfall") or [])

    @property
    def delivery(self) -> Mapping[str, Any]:
        return self.details.get("delivery") or {}

    @property
    def responses(self) -> list[Mapping[str, Any]]:
        return list(self.delivery.get("responses") or [])

    def row_for(self, url: str) -> Mapping[str, Any] | None:
        short = short_url(url)
        return next((r for r in self.rows if r.get("url") == short), None)


def _path(url: str) -> str:
    """A resource named as a team would search for it: its path, without the tenant/knob query."""
    return urlsplit(url).path or url


def _kb(n: float) -> str:
    return f"{n / 1000:.1f} KB"


# ---------------------------------------------------------------- the specification's five


def code_splitting(v: RunView) -> list[Finding]:
    scripts = [r for r in v.rows if r.get("type") == "script"]
    total = sum(int(r.get("decoded") or r.get("bytes") or 0) for r in scripts)
    if total <= v.policy.js_total_bytes:
        return []
    biggest = sorted(scripts, key=lambda r: -int(r.get("decoded") or r.get("bytes") or 0))[:3]
    named = ", ".join(f"{_path(str(r['url']))} {_kb(int(r.get('decoded') or r.get('bytes') or 0))}" for r in biggest)
    return [
        Finding(
            "code_splitting",
            "recommendation",
            "high",
            _path(str(biggest[0]["url"])),
            "Split the JavaScript: load per route what each page needs",
            f"{_kb(total)} of JS over {len(scripts)} files (limit {_kb(v.policy.js_total_bytes)}); largest: {named}",
            impact_bytes=total - v.policy.js_total_bytes,
        )
    ]


def modern_image_format(v: RunView) -> list[Finding]:
    out = []
    types = {_path(str(r.get("url"))): str(r.get("mime_type", "")) for r in v.responses}
    for row in v.rows:
        size = int(row.get("bytes") or 0)
        if row.get("type") != "image" or size <= v.policy.image_bytes:
            continue
        ctype = types.get(_path(str(row["url"])), "")
        if ctype in MODERN_IMAGE_TYPES:
            continue
        out.append(
            Finding(
                "modern_image_format",
                "recommendation",
                "medium",
                _path(str(row["url"])),
                "Serve this image as WebP or AVIF, in responsive sizes",
                f"{_kb(size)} {ctype or 'image'} (limit {_kb(v.policy.image_bytes)} for formats other than WebP/AVIF)",
                impact_bytes=size,
            )
        )
    return out


def dns_prefetch(v: RunView) -> list[Finding]:
    slowest: dict[str, float] = {}
    for row in v.rows:
        origin = str(row.get("host") or "")
        dns = float(row.get("dns") or 0)
        if dns > v.policy.dns_ms and origin:
            slowest[origin] = max(slowest.get(origin, 0.0), dns)
    return [
        Finding(
            "dns_prefetch",
            "recommendation",
            "low",
            host,
            f'Add <link rel="dns-prefetch" href="//{host}"> (or preconnect) to the head',
            f"DNS lookup of {host} took {ms:.0f} ms (limit {v.policy.dns_ms:.0f} ms)",
            impact_ms=round(ms, 1),
        )
        for host, ms in sorted(slowest.items())
    ]


def slow_resources(v: RunView) -> list[Finding]:
    return [
        Finding(
            "slow_resource",
            "recommendation",
            "medium",
            _path(str(row["url"])),
            "Speed up this slow resource (server time, size, or a CDN)",
            f"{row.get('type')} took {float(row['duration']):.0f} ms (limit {v.policy.slow_resource_ms:.0f} ms)",
            impact_ms=round(float(row["duration"]), 1),
        )
        for row in v.rows
        if float(row.get("duration") or 0) > v.policy.slow_resource_ms
    ]


def _task_source(task: Mapping[str, Any]) -> str:
    scripts = sorted(task.get("scripts") or [], key=lambda s: -float(s.get("duration") or 0))
    if scripts:
        s = scripts[0]
        where = _path(str(s.get("source_url") or "")) or "inline script"
        what = s.get("function") or s.get("invoker") or s.get("invoker_type") or ""
        return f"{where} {what}".strip()
    names = [a.get("container_src") or a.get("name") for a in task.get("attribution") or []]
    return str(next((n for n in names if n), "unattributed"))


def _foreign(v: RunView, url: str) -> bool:
    """Whether ``url`` is another site's than the page's (its scripts are the third_party rule's)."""
    host = urlsplit(url).netloc
    return bool(host) and _site(host) != _site(urlsplit(str(v.details.get("final_url") or "")).netloc)


def _longest_script_url(task: Mapping[str, Any]) -> str:
    scripts = sorted(task.get("scripts") or [], key=lambda s: -float(s.get("duration") or 0))
    return str(scripts[0].get("source_url") or "") if scripts else ""


def long_tasks(v: RunView) -> list[Finding]:
    by_source: dict[str, list[float]] = {}
    for task in v.details.get("long_tasks") or []:
        if _foreign(v, _longest_script_url(task)):
            continue  # another site's script: reported once, by the third_party rule
        if float(task.get("duration") or 0) > v.policy.long_task_ms:
            by_source.setdefault(_task_source(task), []).append(float(task["duration"]))
    out = []
    for source, durations in sorted(by_source.items()):
        blocking = sum(max(d - 50.0, 0.0) for d in durations)
        out.append(
            Finding(
                "long_task",
                "recommendation",
                "high" if max(durations) >= 200 else "medium",
                source,
                "Break up this long task (yield to the main thread, or move the work off it)",
                f"{len(durations)} long task(s), longest {max(durations):.0f} ms "
                f"(limit {v.policy.long_task_ms:.0f} ms)",
                impact_ms=round(blocking, 1),
            )
        )
    return out


# ---------------------------------------------------------------- beyond the specification


def render_blocking(v: RunView) -> list[Finding]:
    out = []
    for row in v.rows:
        if not row.get("render_blocking"):
            continue
        kind, size = row.get("type"), int(row.get("decoded") or row.get("bytes") or 0)
        if kind == "stylesheet" and size <= v.policy.blocking_css_bytes:
            continue  # a small stylesheet in the head is how pages are meant to be styled
        out.append(
            Finding(
                "render_blocking",
                "recommendation",
                "high",
                _path(str(row["url"])),
                "Stop this resource blocking the first paint (defer/async the script, split critical CSS)",
                f"render-blocking {kind}, {_kb(size)}, loaded in {float(row.get('duration') or 0):.0f} ms",
                impact_ms=round(float(row.get("duration") or 0), 1),
            )
        )
    return out


def unused_javascript(v: RunView) -> list[Finding]:
    worst: dict[str, Mapping[str, Any]] = {}
    for script in (v.details.get("coverage") or {}).get("js") or []:
        path = _path(str(script.get("url")))
        if int(script.get("unused_bytes") or 0) > int((worst.get(path) or {}).get("unused_bytes") or 0):
            worst[path] = script
    return [
        Finding(
            "unused_javascript",
            "recommendation",
            "medium",
            path,
            "Remove or lazy-load the code of this script that the page never runs",
            f"{_kb(int(s['unused_bytes']))} of {_kb(int(s['bytes']))} never ran "
            f"({100 * int(s['unused_bytes']) / max(int(s['bytes']), 1):.0f}%, limit {_kb(v.policy.unused_js_bytes)})",
            impact_bytes=int(s["unused_bytes"]),
        )
        for path, s in sorted(worst.items())
        if int(s.get("unused_bytes") or 0) > v.policy.unused_js_bytes
    ]


def unused_css(v: RunView) -> list[Finding]:
    worst: dict[str, Mapping[str, Any]] = {}
    for sheet in (v.details.get("coverage") or {}).get("css") or []:
        path = _path(str(sheet.get("url")))
        if int(sheet.get("unused_bytes") or 0) > int((worst.get(path) or {}).get("unused_bytes") or 0):
            worst[path] = sheet
    return [
        Finding(
            "unused_css",
            "recommendation",
            "medium",
            path,
            "Remove the rules of this stylesheet that nothing on the page uses, or split them per page",
            f"{_kb(int(s['unused_bytes']))} of {_kb(int(s['bytes']))} in rules never used "
            f"({100 * int(s['unused_bytes']) / max(int(s['bytes']), 1):.0f}%, limit {_kb(v.policy.unused_css_bytes)})",
            impact_bytes=int(s["unused_bytes"]),
        )
        for path, s in sorted(worst.items())
        if int(s.get("unused_bytes") or 0) > v.policy.unused_css_bytes
    ]


def oversized_images(v: RunView) -> list[Finding]:
    dpr = float(v.delivery.get("dpr") or 1.0)
    out = []
    for img in v.delivery.get("images") or []:
        shown = float(img.get("width") or 0) * float(img.get("height") or 0) * dpr * dpr
        natural = float(img.get("natural_width") or 0) * float(img.get("natural_height") or 0)
        if shown <= 0 or natural <= 0 or str(img.get("url", "")).startswith("data:"):
            continue
        ratio = (natural / shown) ** 0.5
        row = v.row_for(str(img["url"]))
        size = int(row.get("bytes") or 0) if row else 0
        wasted = int(size * (1 - shown / natural)) if natural > shown else 0
        if ratio <= v.policy.oversized_ratio or wasted < v.policy.oversized_min_bytes:
            continue
        out.append(
            Finding(
                "oversized_image",
                "recommendation",
                "medium",
                _path(str(img["url"])),
                "Serve this image at the size it is shown (srcset/sizes)",
                f"{img['natural_width']}x{img['natural_height']} px drawn in {img['width']:.0f}x{img['height']:.0f} "
                f"CSS px at DPR {dpr:g} ({ratio:.1f}x too large, limit {v.policy.oversized_ratio:g}x)",
                impact_bytes=wasted,
            )
        )
    return out


def lcp_image(v: RunView) -> list[Finding]:
    lcp = (v.details.get("attribution") or {}).get("lcp") or {}
    url = str(lcp.get("url") or "")
    if not url:
        return []
    img = next((i for i in v.delivery.get("images") or [] if short_url(str(i.get("url"))) == short_url(url)), None)
    if img is None:
        return []
    problems = []
    if img.get("loading") == "lazy":
        problems.append("loading=lazy (the browser waits for layout before fetching it)")
    if img.get("fetchpriority") != "high":
        problems.append(f"fetchpriority={img.get('fetchpriority')} (not high)")
    if not problems:
        return []
    return [
        Finding(
            "lcp_image_priority",
            "recommendation",
            "high",
            _path(url),
            'Load the LCP image eagerly with fetchpriority="high"',
            f"the LCP element {lcp.get('element') or 'img'} has " + "; ".join(problems),
            impact_ms=float(lcp.get("resource_load_delay") or 0) or None,
        )
    ]


def layout_shifts(v: RunView) -> list[Finding]:
    cls = v.metrics.get("cls")
    if cls is None or cls <= v.policy.cls:
        return []
    a = (v.details.get("attribution") or {}).get("cls") or {}
    target = str(a.get("largest_shift_target") or "unknown element")
    sources = [str(s.get("node")) for s in a.get("sources") or [] if s.get("node")]
    return [
        Finding(
            "layout_shift",
            "recommendation",
            "high",
            target,
            "Reserve the space of what moves (size boxes, no content inserted above, transforms for motion)",
            f"CLS {cls:.3f} (limit {v.policy.cls:g}); largest shift {a.get('largest_shift_value')} at "
            f"{a.get('largest_shift_time')} ms, sources: {', '.join(sources[:5]) or target}",
        )
    ]


# ---------------------------------------------------------------- delivery checks


def _is_text(ctype: str) -> bool:
    return any(t in ctype.lower() for t in TEXT_TYPES)


def text_compression(v: RunView) -> list[Finding]:
    out = []
    for r in v.responses:
        headers = r.get("headers") or {}
        ctype = str(headers.get("content-type") or r.get("mime_type") or "")
        size = int(r.get("transfer_bytes") or 0)
        if r.get("status") != 200 or r.get("from_cache") or not _is_text(ctype) or size <= v.policy.compress_min_bytes:
            continue
        encoding = str(headers.get("content-encoding") or "").lower()
        if any(c in encoding for c in COMPRESSED):
            continue
        out.append(
            Finding(
                "text_compression",
                "delivery",
                "high",
                _path(str(r["url"])),
                "Compress this text response (br or gzip)",
                f"{_kb(size)} of {ctype.split(';')[0]} sent without Content-Encoding",
                impact_bytes=size,
            )
        )
    return out


def _cache_problems(url: str, headers: Mapping[str, str], min_ttl_s: float) -> list[str]:
    control = str(headers.get("cache-control") or "").lower()
    if "no-store" in control or "no-cache" in control or "private" in control:
        return []  # a deliberate choice, not an omission
    problems = []
    if not control and "expires" not in headers:
        problems.append("no Cache-Control or Expires")
    m = _MAX_AGE.search(control)
    if _FINGERPRINT.search(url) and (m is None or int(m.group(1)) < min_ttl_s):
        age = f"max-age={m.group(1)}" if m else "no max-age"
        problems.append(f"fingerprinted, yet {age} (at least {min_ttl_s / 86_400:.0f} days, immutable)")
    if "etag" not in headers and "last-modified" not in headers:
        problems.append("no validator (ETag or Last-Modified)")
    return problems


def cache_policy(v: RunView) -> list[Finding]:
    out = []
    for r in v.responses:
        if r.get("status") != 200 or r.get("type") not in STATIC_TYPES or r.get("from_cache"):
            continue
        problems = _cache_problems(str(r["url"]), r.get("headers") or {}, v.policy.fingerprinted_min_ttl_s)
        if problems:
            out.append(
                Finding(
                    "cache_policy",
                    "delivery",
                    "medium",
                    _path(str(r["url"])),
                    "Give this static asset a cache lifetime and a validator",
                    "; ".join(problems),
                    impact_bytes=int(r.get("transfer_bytes") or 0),
                )
            )
    return out


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def http_version(v: RunView) -> list[Finding]:
    old: dict[str, int] = {}
    for r in v.responses:
        parts = urlsplit(str(r["url"]))
        expected = v.policy.expect_http2 if v.policy.expect_http2 is not None else not _loopback(parts.hostname or "")
        if expected and str(r.get("protocol")) in ("http/1.1", "http/1.0"):
            old[parts.netloc] = old.get(parts.netloc, 0) + 1
    return [
        Finding(
            "http_version",
            "delivery",
            "medium",
            origin,
            "Serve this origin over HTTP/2 or HTTP/3",
            f"{n} response(s) over HTTP/1.1 where HTTP/2 or 3 is expected",
        )
        for origin, n in sorted(old.items())
    ]


def cdn_misses(v: RunView) -> list[Finding]:
    out = []
    for r in v.responses:
        headers = r.get("headers") or {}
        if r.get("type") not in STATIC_TYPES or r.get("status") != 200:
            continue
        said = {h: str(headers[h]) for h in _CDN_HEADERS if h in headers}
        if said and all(any(m in value.lower() for m in _CDN_MISS) for value in said.values()):
            evidence = ", ".join(f"{h}: {value}" for h, value in said.items())
            age = f", age {headers['age']}" if "age" in headers else ""
            out.append(
                Finding(
                    "cdn_miss",
                    "delivery",
                    "low",
                    _path(str(r["url"])),
                    "This static asset missed the CDN cache: check its cache key and lifetime at the edge",
                    evidence + age,
                    impact_bytes=int(r.get("transfer_bytes") or 0),
                )
            )
    return out


def warm_resend(v: RunView) -> list[Finding]:
    if not v.warm:
        return []
    return [
        Finding(
            "warm_resend",
            "delivery",
            "medium",
            _path(str(row["url"])),
            "A repeat visit downloaded this asset again: let the browser cache it",
            f"warm run transferred {_kb(int(row['transfer']))} for this {row.get('type')} "
            f"(page total {_kb(int((v.details.get('resources') or {}).get('transfer_bytes') or 0))})",
            impact_bytes=int(row["transfer"]),
        )
        for row in v.rows
        if row.get("type") in STATIC_TYPES and int(row.get("transfer") or 0) > v.policy.warm_resend_bytes
    ]


def redirects(v: RunView) -> list[Finding]:
    return [
        Finding(
            "redirect",
            "delivery",
            "medium",
            _path(str(r["from"])),
            "Link to the final URL: a redirect on the critical path costs a round trip",
            f"{r.get('status')} redirect of a {r.get('type') or 'request'} from {r['from']} to {r['to']}",
        )
        for r in v.delivery.get("redirects") or []
        if r.get("type") in ("document", *STATIC_TYPES)
    ]


def _site(host: str) -> str:
    """A host's site as browsers group them: its last two labels, or the host itself (an IP, localhost)."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    try:
        ip_address(name.strip("[]"))
        return name
    except ValueError:
        return ".".join(name.split(".")[-2:])


def third_parties(v: RunView) -> list[Finding]:
    blocking: dict[str, float] = {}
    for task in v.details.get("long_tasks") or []:
        url = _longest_script_url(task)
        if _foreign(v, url):
            host = urlsplit(url).netloc
            blocking[host] = blocking.get(host, 0.0) + max(float(task.get("duration") or 0) - 50.0, 0.0)
    out = []
    for host, ms in sorted(blocking.items()):
        if ms < v.policy.third_party_ms:
            continue
        rows = [r for r in v.rows if r.get("host") == host]
        out.append(
            Finding(
                "third_party",
                "recommendation",
                "high",
                host,
                "Load this third party later (after the page is interactive) or drop it",
                f"its scripts held the main thread {ms:.0f} ms beyond 50 ms per task (limit "
                f"{v.policy.third_party_ms:.0f} ms); {len(rows)} request(s), "
                f"{_kb(sum(int(r.get('bytes') or 0) for r in rows))}",
                impact_ms=round(ms, 1),
            )
        )
    return out


RULES: tuple[Callable[[RunView], list[Finding]], ...] = (
    code_splitting,
    modern_image_format,
    dns_prefetch,
    slow_resources,
    long_tasks,
    render_blocking,
    unused_javascript,
    unused_css,
    oversized_images,
    lcp_image,
    layout_shifts,
    third_parties,
    text_compression,
    cache_policy,
    http_version,
    cdn_misses,
    warm_resend,
    redirects,
)


def findings_of(run: PageRun, policy: InsightPolicy) -> list[Finding]:
    """Every rule over one run (a failed run has none)."""
    if not run.ok:
        return []
    view = RunView(run.details, run.vitals.as_dict(), policy, run.warm)
    return [f for rule in RULES for f in rule(view)]


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def recommend(runs: Sequence[PageRun], policy: InsightPolicy) -> tuple[Recommendation, ...]:
    """One line per page, kind, subject (and cold/warm) over the page's runs of bigday's engine."""
    seen: dict[tuple[str, bool, str, str], list[Finding]] = {}
    totals: dict[tuple[str, bool], int] = {}
    for run in runs:
        if not run.ok or run.engine != "bigday":
            continue
        totals[(run.target.page, run.warm)] = totals.get((run.target.page, run.warm), 0) + 1
        per_run: dict[tuple[str, str], Finding] = {}
        for f in findings_of(run, policy):
            per_run.setdefault((f.kind, f.subject), f)  # a finding counts once per run
        for (kind, subject), f in per_run.items():
            seen.setdefault((run.target.page, run.warm, kind, subject), []).append(f)
    out = []
    for (page, warm, kind, subject), found in seen.items():
        impact_bytes = _median(f.impact_bytes for f in found)
        impact_ms = _median(f.impact_ms for f in found)
        first = found[len(found) // 2]
        out.append(
            Recommendation(
                id=f"{page}:{kind}:{subject}" + (":warm" if warm else ""),
                kind=kind,
                category=first.category,
                priority=first.priority,
                page=page,
                subject=subject,
                title=first.title,
                impact_bytes=int(impact_bytes) if impact_bytes is not None else None,
                impact_ms=round(impact_ms, 1) if impact_ms is not None else None,
                evidence=first.evidence,
                runs=len(found),
                of_runs=totals[(page, warm)],
                warm=warm,
            )
        )
    out.sort(key=lambda r: (PRIORITIES.index(r.priority), -(r.impact_ms or 0), -(r.impact_bytes or 0), r.id))
    return tuple(out)
