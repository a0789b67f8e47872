"""The probe's arithmetic on timing entries: TBT window, FID, resource summary, navigation phases, aggregates."""

from __future__ import annotations

import math
from dataclasses import fields

import pytest

from bigday.metrics import METRICS
from bigday.present.probe import summary_table
from bigday.probe import details as d
from bigday.probe.profiles import PROFILES
from bigday.probe.results import SAMPLE_METRICS, Vitals
from bigday.probe.runner import page_url
from bigday.settings.access import Tenancy
from bigday.stats import aggregate_or_none, coefficient_of_variation, summarize


def test_tbt_counts_only_the_blocking_part_inside_the_window():
    tasks = [
        {"start": 100, "duration": 120},  # ends before FCP (300): ignored
        {"start": 250, "duration": 150},  # 300..400 inside: 100 - 50 = 50
        {"start": 500, "duration": 300},  # 300 - 50 = 250
        {"start": 900, "duration": 40},  # not long enough to block
        {"start": 1900, "duration": 200},  # clipped at the window end (2000): 100 - 50 = 50
        {"start": 2100, "duration": 500},  # after the window: ignored
    ]
    assert d.total_blocking_time(tasks, fcp=300, window_end=2000) == 350
    assert d.total_blocking_time([], fcp=300, window_end=2000) == 0
    assert d.total_blocking_time(tasks, fcp=None, window_end=2000) is None


def test_fid_is_processing_start_minus_start_and_none_without_input():
    assert d.first_input_delay({"start": 1000.0, "processing_start": 1012.5}) == 12.5
    assert d.first_input_delay(None) is None


def _res(name, kind="", ctype="", transfer=0, body=0, duration=10.0):
    return {
        "name": name,
        "initiatorType": kind,
        "contentType": ctype,
        "transferSize": transfer,
        "encodedBodySize": body,
        "duration": duration,
    }


def test_resource_summary_by_type_chunks_and_named_offenders():
    entries = [
        _res("http://h/static/js/main.js?tenant=a", "script", "text/javascript", 120_300, 120_000),
        _res("http://h/static/js/vendor.js", "script", "application/javascript", 0, 250_000),  # cached
        _res("http://h/static/css/app.css", "link", "text/css", 6_300, 6_000),
        _res("http://h/img/big.jpg", "img", "image/jpeg", 600_300, 600_000, duration=1500),
        _res("http://h/img/ok.webp", "img", "image/webp", 300_300, 300_000),
        _res("http://h/img/mid.png", "img", "", 210_300, 210_000),
        _res("http://h/api/clients?limit=5", "fetch", "application/json", 1_300, 1_000),
    ]
    s = d.resource_summary(entries)
    assert s["count"] == 7
    assert s["by_type"]["script"] == {"count": 2, "transfer_bytes": 120_300, "body_bytes": 370_000}
    assert s["by_type"]["image"]["count"] == 3
    assert s["by_type"]["fetch"]["count"] == 1 and s["by_type"]["stylesheet"]["count"] == 1
    assert s["js_chunks"] == {
        "main": {"transfer_bytes": 120_300, "body_bytes": 120_000},
        "vendor": {"transfer_bytes": 0, "body_bytes": 250_000},
    }
    assert d.js_bytes(s) == 370_000  # body bytes: a cached chunk still counts
    assert [r["url"] for r in s["slow"]] == ["/img/big.jpg"]
    assert [r["url"] for r in s["large"]] == ["/img/big.jpg"]
    # WebP is exempt; a PNG without a content type is recognised by its extension.
    assert [r["url"] for r in s["images_not_modern_over_200kb"]] == ["/img/big.jpg", "/img/mid.png"]


def test_navigation_breakdown_phases():
    nav = {
        "startTime": 0,
        "redirectStart": 0,
        "redirectEnd": 0,
        "domainLookupStart": 2,
        "domainLookupEnd": 5,
        "connectStart": 5,
        "connectEnd": 9,
        "requestStart": 10,
        "responseStart": 420,
        "responseEnd": 450,
        "domInteractive": 600,
        "domContentLoadedEventStart": 610,
        "domContentLoadedEventEnd": 615,
        "loadEventStart": 900,
        "loadEventEnd": 905,
    }
    b = d.navigation_breakdown(nav)
    assert b == {
        "redirect": 0,
        "dns": 3,
        "connect": 4,
        "ttfb": 410,
        "download": 30,
        "dom_parse": 150,
        "dom_content_loaded": 5,
        "resources": 300,
        "total": 905,
    }
    assert d.navigation_breakdown(None) is None


def test_long_tasks_get_the_scripts_of_their_animation_frame():
    tasks = [{"start": 100, "duration": 300, "attribution": [{"name": "self"}]}, {"start": 5000, "duration": 80}]
    frames = [
        {"start": 90, "duration": 320, "scripts": [{"invoker": "BUTTON#go.onclick", "duration": 299}]},
        {"start": 3000, "duration": 60, "scripts": [{"invoker": "other", "duration": 55}]},
    ]
    out = d.attribute_long_tasks(tasks, frames, until=1000)
    assert len(out) == 1
    assert out[0]["blocking"] == 250 and out[0]["scripts"][0]["invoker"] == "BUTTON#go.onclick"


def test_summary_aggregates_and_unmeasured_values():
    s = summarize([100.0, None, 300.0, 200.0, 400.0, 500.0])
    assert s == {"n": 5, "median": 300.0, "p75": 400.0, "p95": 480.0, "min": 100.0, "max": 500.0}
    assert summarize([None, None]) is None
    assert aggregate_or_none([1.0, 2.0, 3.0, 4.0], "mean") == 2.5
    assert aggregate_or_none([1.0, 2.0, 3.0], "p99") == pytest.approx(2.98)
    with pytest.raises(ValueError):
        aggregate_or_none([1.0], "p-worst")
    assert coefficient_of_variation([100.0, 100.0, 100.0]) == 0
    assert coefficient_of_variation([90.0, 110.0]) == pytest.approx(math.sqrt(200) / 100)


def test_vitals_fields_are_the_sample_metrics_of_the_run_folder_format():
    assert tuple(f.name for f in fields(Vitals)) == SAMPLE_METRICS
    assert all(m in METRICS for m in SAMPLE_METRICS)
    with pytest.raises(KeyError):
        Vitals().get("speed_index")


def test_page_url_adds_tenant_and_knobs_to_existing_query():
    query = Tenancy(by="query", name="tenant")
    assert page_url("http://h:1/", "/dashboard", "lumen", tenancy=query) == "http://h:1/dashboard?tenant=lumen"
    assert page_url("http://h:1", "/clients?view=all&tenant=x", "lumen", (("lcp_delay", "1500"),), query) == (
        "http://h:1/clients?view=all&tenant=lumen&lcp_delay=1500"
    )
    assert page_url("https://app.example", "/forms/new", None, tenancy=query) == "https://app.example/forms/new"


@pytest.mark.parametrize(
    ("tenancy", "url"),
    [
        (Tenancy(), "http://localhost:8000/admin/?x=1"),
        (Tenancy(by="header", name="X-Studio"), "http://localhost:8000/admin/?x=1"),
        (Tenancy(by="query", name="studio"), "http://localhost:8000/admin/?x=1&studio=ever-after"),
        (Tenancy(by="subdomain"), "http://ever-after.localhost:8000/admin/?x=1"),
        (Tenancy(by="path"), "http://localhost:8000/ever-after/admin/?x=1"),
        (Tenancy(by="path", prefix="/studios/{tenant}"), "http://localhost:8000/studios/everafter/admin/?x=1"),
    ],
)
def test_each_way_of_telling_tenants_apart(tenancy, url):
    # The tenant's id is "everafter"; the app knows it as "ever-after" (its key).
    assert page_url("http://localhost:8000", "/admin/?x=1", "everafter", (), tenancy, "ever-after") == url
    headers = tenancy.headers("ever-after")
    assert headers == ({"X-Studio": "ever-after"} if tenancy.by == "header" else {})


def test_summary_table_marks_unmeasured_metrics():
    summary = {
        "pages": {
            "dashboard": {
                "lcp": {"n": 2, "median": 812.4, "p75": 830, "p95": 850, "min": 800, "max": 860},
                "cls": {"n": 2, "median": 0.01234, "p75": 0.02, "p95": 0.03, "min": 0, "max": 0.04},
                "js_bytes": {"n": 2, "median": 454_141, "p75": 454_141, "p95": 454_141, "min": 454_141, "max": 454_141},
            }
        },
        "runs": {"dashboard": {"ok": 2, "wanted": 3}, "clients": {"ok": 0, "wanted": 3}},
    }
    lines = summary_table(summary).splitlines()
    assert lines[0].split() == [
        "page",
        "stat",
        "LCP",
        "ms",
        "INP",
        "ms",
        "CLS",
        "FCP",
        "ms",
        "TTFB",
        "ms",
        "TBT",
        "ms",
        "SI",
        "ms",
        "perf",
        "a11y",
        "JS",
        "KB",
        "runs",
    ]
    assert lines[1].split() == ["dashboard", "median", "812", "-", "0.012", "-", "-", "-", "-", "-", "-", "454", "2/3"]
    assert lines[3].split()[:3] == ["p95", "850", "-"]
    assert lines[4].split() == ["clients", "median", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "0/3"]


def test_profiles_send_lighthouse_user_agents_with_the_real_major_version():
    opts = PROFILES["mobile"].context_options("156.0.7702.3")
    assert "is_mobile" not in opts and opts["viewport"] == {"width": 412, "height": 823}
    assert "Android 11; moto g power (2022)" in opts["user_agent"]
    assert "Chrome/156.0.0.0 Mobile Safari/537.36" in opts["user_agent"]
    assert "Chrome/0.0.0.0" in PROFILES["mobile"].context_options(None)["user_agent"]
    desktop = PROFILES["desktop"].context_options("156.0.7702.3")["user_agent"]
    assert "Chrome/156.0.0.0 Safari/537.36" in desktop and "Headless" not in desktop and "Mobile" not in desktop
    assert "user_agent" not in PROFILES["none"].context_options()
