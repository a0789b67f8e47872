"""The Lighthouse engine's pieces that need no browser: the flags a profile gives Lighthouse, and a report's
numbers as bigday's metrics (screenshots left in the report)."""

from __future__ import annotations

import json

from bigday.probe.lighthouse import failed_accessibility_audits, report_values
from bigday.probe.profiles import PROFILES


def test_lighthouse_presets_in_devtools_mode_are_the_parity_profiles():
    desktop = PROFILES["lighthouse-desktop"].lighthouse_flags("156.0.1")
    # desktopDense4G in devtools mode: latency and throughputs 0 ("unset"): no network throttling at all.
    assert "--throttling-method=devtools" in desktop and "--throttling.requestLatencyMs=0" in desktop
    assert "--throttling.downloadThroughputKbps=0" in desktop and "--screenEmulation.mobile=false" in desktop
    assert any("Chrome/119.0.0.0 Safari" in f for f in desktop)  # Lighthouse's own User-Agent, verbatim
    mobile = PROFILES["lighthouse-mobile"].lighthouse_flags("156.0.1")
    assert "--throttling.requestLatencyMs=562.5" in mobile and "--throttling.cpuSlowdownMultiplier=4" in mobile
    assert "--screenEmulation.mobile=true" in mobile and "--form-factor=mobile" in mobile
    # bigday's desktop applies Lighthouse's simulated desktop network for real; Lighthouse gets the same.
    ours = PROFILES["desktop"].lighthouse_flags("156.0.1")
    assert "--throttling.requestLatencyMs=40" in ours and "--throttling.downloadThroughputKbps=10240" in ours
    assert any("Chrome/156.0.0.0" in f for f in ours)
    assert "--throttling-method=provided" in PROFILES["none"].lighthouse_flags()
    assert PROFILES["lighthouse-mobile"].context_options()["is_mobile"] is True
    assert "is_mobile" not in PROFILES["lighthouse-desktop"].context_options()


def _report() -> dict:
    shot = "data:image/jpeg;base64," + "A" * 400
    return {
        "lighthouseVersion": "12.2.3",
        "finalDisplayedUrl": "http://127.0.0.1:1/dashboard",
        "environment": {"hostUserAgent": "Mozilla/5.0 HeadlessChrome/156.0.7702.3 Safari/537.36"},
        "configSettings": {"throttlingMethod": "devtools", "throttling": {"requestLatencyMs": 0}},
        "timing": {"total": 19_800.5},
        "categories": {
            "performance": {"score": 0.87},
            "accessibility": {
                "score": 0.84,
                "auditRefs": [
                    {"id": "image-alt", "weight": 10},
                    {"id": "color-contrast", "weight": 7},
                    {"id": "bypass", "weight": 7},
                    {"id": "document-title", "weight": 7},
                ],
            },
        },
        "audits": {
            "first-contentful-paint": {"numericValue": 310.2, "score": 1},
            "speed-index": {"numericValue": 612.0, "score": 1},
            "largest-contentful-paint": {"numericValue": 1538.4, "score": 0.86},
            "total-blocking-time": {"numericValue": 0, "score": 1},
            "cumulative-layout-shift": {"numericValue": 0.0012, "score": 1},
            "image-alt": {
                "score": 0,
                "title": "Image elements do not have [alt] attributes",
                "details": {
                    "items": [{"node": {"selector": "footer > img.badge"}}],
                    "debugData": {"impact": "critical"},
                },
            },
            "color-contrast": {"score": 1},
            "bypass": {"score": None, "scoreDisplayMode": "notApplicable"},
            "document-title": {"score": 1},
            "final-screenshot": {"score": None, "details": {"data": shot}},
            "screenshot-thumbnails": {"score": None, "details": {"items": [{"data": shot}]}},
            "layout-shifts": {"score": None, "scoreDisplayMode": "error"},
            "resource-summary": {
                "details": {
                    "items": [
                        {"resourceType": "script", "requestCount": 3, "transferSize": 455_100},
                        {"resourceType": "total", "requestCount": 9, "transferSize": 600_000},
                    ]
                }
            },
        },
    }


def test_a_report_becomes_bigday_metrics_and_small_details():
    vitals, details = report_values(_report())
    assert (vitals.fcp, vitals.si, vitals.lcp, vitals.tbt, vitals.cls) == (310.2, 612.0, 1538.4, 0.0, 0.0012)
    assert vitals.performance_score == 87 and vitals.accessibility_score == 84 and vitals.js_bytes == 455_100
    assert vitals.inp is None and vitals.ttfb is None  # not what Lighthouse's observed run reports
    assert details["errored_audits"] == ["layout-shifts"]
    assert details["resources"]["by_type"] == {"script": {"count": 3, "transfer_bytes": 455_100}}
    assert details["audit_scores"]["image-alt"] == 0 and "bypass" not in details["audit_scores"]
    assert "base64" not in json.dumps(details) and "data:image" not in json.dumps(details)


def test_failed_accessibility_audits_are_the_weighted_ones_that_scored_zero():
    assert failed_accessibility_audits(_report()) == [
        {
            "audit": "image-alt",
            "weight": 10,
            "impact": "critical",
            "help": "Image elements do not have [alt] attributes",
            "nodes": 1,
            "selectors": ["footer > img.badge"],
        }
    ]
