"""The recommendation and delivery rules on recorded run details: the ones no target knob can reach (DNS on
loopback, HTTP/2), the thresholds as data, the pooling of runs, and V8 coverage arithmetic."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bigday.probe.delivery import unused_css, unused_js
from bigday.probe.insights import recommend
from bigday.probe.results import PageRun, PageTarget, Vitals
from bigday.settings.insights import InsightPolicy

POLICY = InsightPolicy()


def _run(details: dict[str, Any], index: int = 0, page: str = "home", warm: bool = False, cls: float = 0.0) -> PageRun:
    target = PageTarget(page, "/", "https://app.example.com/", None)
    return PageRun(
        target,
        index,
        warm,
        "desktop",
        "desktop",
        "cable",
        "1",
        1,
        "2026-12-01T00:00:00",
        True,
        vitals=Vitals(cls=cls),
        details=details,
    )


def _row(url: str, **kw: Any) -> dict[str, Any]:
    return {
        "url": url,
        "host": "app.example.com",
        "type": "script",
        "start": 0,
        "duration": 10,
        "bytes": 1000,
        "transfer": 1000,
        "decoded": 1000,
        "render_blocking": False,
        "dns": 0.0,
        **kw,
    }


def _response(url: str, **kw: Any) -> dict[str, Any]:
    headers = {
        "cache-control": "public, max-age=31536000, immutable",
        "etag": '"x"',
        "content-encoding": "br",
        "content-type": "text/javascript",
    }
    return {
        "url": f"https://app.example.com{url}",
        "type": "script",
        "status": 200,
        "protocol": "h2",
        "mime_type": "text/javascript",
        "from_cache": False,
        "transfer_bytes": 50_000,
        "headers": {**headers, **kw.pop("headers", {})},
        **kw,
    }


def _kinds(found: Any) -> list[tuple[str, str]]:
    return sorted((r.kind, r.subject) for r in found)


def test_a_clean_run_has_no_findings():
    details = {
        "resources": {"waterfall": [_row("/app.3f9a1c2e.js")]},
        "delivery": {"responses": [_response("/app.3f9a1c2e.js")]},
    }
    assert recommend([_run(details)], POLICY) == ()


def test_dns_over_the_threshold_names_the_host_and_the_threshold_is_data():
    details = {"resources": {"waterfall": [_row("/font.woff2", host="fonts.example.net", type="font", dns=140.0)]}}
    found = recommend([_run(details)], POLICY)
    assert _kinds(found) == [("dns_prefetch", "fonts.example.net")]
    assert found[0].impact_ms == 140.0 and "140 ms" in found[0].evidence
    assert recommend([_run(details)], replace(POLICY, dns_ms=150.0)) == ()


def test_http1_is_flagged_off_loopback_or_when_the_scenario_expects_http2():
    remote = {"delivery": {"responses": [_response("/a.js", protocol="http/1.1")]}}
    assert _kinds(recommend([_run(remote)], POLICY)) == [("http_version", "app.example.com")]
    assert recommend([_run(remote)], replace(POLICY, expect_http2=False)) == ()
    local = {
        "delivery": {"responses": [{**_response("/a.js", protocol="http/1.1"), "url": "http://127.0.0.1:8000/a.js"}]}
    }
    assert recommend([_run(local)], POLICY) == ()
    assert _kinds(recommend([_run(local)], replace(POLICY, expect_http2=True))) == [("http_version", "127.0.0.1:8000")]


def test_cache_rules_fingerprinted_short_lifetime_and_missing_headers():
    details = {
        "delivery": {
            "responses": [
                _response("/app.3f9a1c2e.js", headers={"cache-control": "public, max-age=3600"}),
                _response("/plain.js", headers={"cache-control": "public, max-age=3600"}),  # not fingerprinted: fine
                {**_response("/bare.css", type="stylesheet"), "headers": {"content-encoding": "gzip"}},
                _response("/private.js", headers={"cache-control": "no-store"}),  # a deliberate choice
            ]
        }
    }
    found = {r.subject: r for r in recommend([_run(details)], POLICY)}
    assert set(found) == {"/app.3f9a1c2e.js", "/bare.css"}
    assert "fingerprinted, yet max-age=3600" in found["/app.3f9a1c2e.js"].evidence
    assert "no Cache-Control" in found["/bare.css"].evidence and "no validator" in found["/bare.css"].evidence


def test_cdn_miss_and_uncompressed_text():
    details = {
        "delivery": {
            "responses": [
                _response("/a.js", headers={"x-cache": "MISS", "age": "0"}),
                _response("/b.js", headers={"cf-cache-status": "HIT", "age": "300"}),
                {**_response("/c.json", type="fetch"), "headers": {"content-type": "application/json"}},
                {
                    **_response("/tiny.json", type="fetch", transfer_bytes=300),
                    "headers": {"content-type": "application/json"},
                },
            ]
        }
    }
    assert _kinds(recommend([_run(details)], POLICY)) == [("cdn_miss", "/a.js"), ("text_compression", "/c.json")]


def test_findings_are_pooled_over_runs_with_the_median_impact():
    slow = [{"resources": {"waterfall": [_row("/hero.jpg", type="image", duration=d)]}} for d in (1500, 900, 2500)]
    found = recommend([_run(d, i) for i, d in enumerate(slow)], POLICY)
    assert len(found) == 1
    r = found[0]
    assert (r.kind, r.subject, r.runs, r.of_runs, r.impact_ms) == ("slow_resource", "/hero.jpg", 2, 3, 2000.0)
    assert r.id == "home:slow_resource:/hero.jpg"


def test_warm_runs_report_what_was_downloaded_again():
    cold = {"resources": {"waterfall": [_row("/app.js", transfer=50_000)]}}
    warm = {"resources": {"waterfall": [_row("/app.js", transfer=50_000), _row("/b.js", transfer=300)]}}
    found = recommend([_run(cold), _run(warm, warm=True)], POLICY)
    assert [(r.kind, r.subject, r.warm) for r in found] == [("warm_resend", "/app.js", True)]


def test_layout_shift_names_its_largest_source():
    details = {
        "attribution": {
            "cls": {
                "largest_shift_target": "#banner",
                "largest_shift_value": 0.12,
                "largest_shift_time": 900,
                "sources": [{"node": "section#banner"}],
            }
        }
    }
    assert recommend([_run(details, cls=0.04)], POLICY) == ()
    found = recommend([_run(details, cls=0.12)], POLICY)
    assert _kinds(found) == [("layout_shift", "#banner")] and "section#banner" in found[0].evidence


def test_v8_function_coverage_counts_bytes_in_ranges_that_never_ran():
    scripts = [
        {
            "url": "https://a.example/app.js",
            "functions": [
                {"functionName": "", "ranges": [{"startOffset": 0, "endOffset": 1000, "count": 1}]},
                {"functionName": "never", "ranges": [{"startOffset": 100, "endOffset": 400, "count": 0}]},
                {
                    "functionName": "ran",
                    "ranges": [
                        {"startOffset": 500, "endOffset": 900, "count": 1},
                        {"startOffset": 600, "endOffset": 650, "count": 0},
                    ],
                },
            ],
        },
        {"url": "", "functions": [{"ranges": [{"startOffset": 0, "endOffset": 10, "count": 0}]}]},
    ]
    assert unused_js(scripts) == [{"url": "https://a.example/app.js", "bytes": 1000, "unused_bytes": 350}]


def test_css_rule_usage_counts_bytes_outside_every_used_rule():
    sheets = {
        "1": {"sourceURL": "https://a.example/app.css", "length": 100, "isInline": False},
        "2": {"sourceURL": "https://a.example/", "length": 50, "isInline": True},
    }
    rules = [
        {"styleSheetId": "1", "startOffset": 0, "endOffset": 30, "used": True},
        {"styleSheetId": "1", "startOffset": 20, "endOffset": 40, "used": True},
        {"styleSheetId": "1", "startOffset": 40, "endOffset": 90, "used": False},
        {"styleSheetId": "2", "startOffset": 0, "endOffset": 50, "used": False},
    ]
    assert unused_css(rules, sheets) == [{"url": "https://a.example/app.css", "bytes": 100, "unused_bytes": 60}]
