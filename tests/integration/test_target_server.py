"""The reference target over real HTTP: pages, tenant separation, APIs, uploads, knobs, queue bounds."""

from __future__ import annotations

import concurrent.futures
import io
import os
import time

import httpx
import pytest
from PIL import Image

from bigday.errors import RunError
from bigday.target.images import draw_photo, encode
from bigday.target.server import TargetConfig, TargetServer, running_target

PATHS = ("/dashboard", "/clients", "/forms/new", "/timeline/edit", "/photos/gallery")


@pytest.fixture(scope="module")
def target():
    with running_target() as url:
        yield url


@pytest.fixture(scope="module")
def client(target):
    with httpx.Client(base_url=target, timeout=30.0) as c:
        yield c


def _jpeg(size=(1600, 1200), noise=40, quality=95) -> bytes:
    return encode(draw_photo(size, seed=3, noise=noise), "JPEG", quality)


@pytest.mark.parametrize("tenant", ["everafter", "lumen"])
@pytest.mark.parametrize("path", PATHS)
def test_pages_answer_200_with_the_tenants_name(client, path, tenant):
    r = client.get(path, headers={"X-Tenant": tenant})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    name = {"everafter": "Everafter Photography", "lumen": "Lumen &amp; Lace"}[tenant]
    assert name in r.text
    assert 'id="hero"' in r.text and 'id="shift-victim"' in r.text and '<html lang="en">' in r.text


def test_tenant_from_query_and_default_and_unknown(client):
    assert "Lumen &amp; Lace" in client.get("/dashboard?tenant=lumen").text
    assert "Everafter Photography" in client.get("/dashboard").text  # the scenario's first tenant
    for r in (client.get("/dashboard?tenant=nobody"), client.get("/api/clients", headers={"X-Tenant": "nobody"})):
        assert r.status_code == 404
        assert "nobody" in r.json()["error"]


def test_clients_api_is_tenant_scoped_and_pages(client):
    big = client.get("/api/clients?limit=100000", headers={"X-Tenant": "everafter"}).json()
    small = client.get("/api/clients?limit=100000", headers={"X-Tenant": "lumen"}).json()
    assert (big["total"], len(big["clients"])) == (2000, 2000)
    assert (small["total"], len(small["clients"])) == (1000, 1000)
    assert all(c["id"].startswith("lumen-") for c in small["clients"])
    assert not {c["id"] for c in big["clients"]} & {c["id"] for c in small["clients"]}
    page = client.get("/api/clients?offset=10&limit=5&tenant=lumen").json()
    assert [c["id"] for c in page["clients"]] == [c["id"] for c in small["clients"][10:15]]
    hart = client.get("/api/clients?q=hart&limit=5000&tenant=lumen").json()
    assert hart["total"] > 0 and all("hart" in (c["couple"] + c["venue"]).lower() for c in hart["clients"])
    assert client.get("/api/clients?limit=x").status_code == 400


def test_timeline_and_photos_apis(client):
    tl = client.get("/api/timeline", headers={"X-Tenant": "petal"}).json()
    assert tl["tenant"] == "petal" and len(tl["events"]) >= 5
    photos = client.get("/api/photos", headers={"X-Tenant": "petal"}).json()["photos"]
    assert {p["format"] for p in photos} == {"JPEG", "WEBP"}
    big_jpegs = [p for p in photos if p["format"] == "JPEG" and len(client.get(p["url"]).content) > 200_000]
    assert big_jpegs, "the gallery needs a JPEG over 200 KB for the WebP recommendation"


def test_a_photo_upload_is_stored_for_its_tenant_only(client):
    photo = _jpeg()
    r = client.post("/api/photos", headers={"X-Tenant": "lumen"}, files={"file": ("p.jpg", photo, "image/jpeg")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] and body["tenant"] == "lumen" and body["format"] == "JPEG"
    assert (body["width"], body["height"], body["bytes"]) == (1600, 1200, len(photo))
    lumen = client.get("/api/photos", headers={"X-Tenant": "lumen"}).json()["photos"]
    petal = client.get("/api/photos", headers={"X-Tenant": "petal"}).json()["photos"]
    assert body["id"] in {p["id"] for p in lumen}
    assert body["id"] not in {p["id"] for p in petal}
    assert client.get(f"/media/photos/{body['id']}", headers={"X-Tenant": "lumen"}).content == photo
    assert client.get(f"/media/photos/{body['id']}", headers={"X-Tenant": "petal"}).status_code == 404
    thumb = client.get(f"/media/photos/{body['id']}/thumb?tenant=lumen")
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert max(im.size) == 320
    assert body["id"] in client.get("/photos/gallery?tenant=lumen").text
    assert body["id"] not in client.get("/photos/gallery?tenant=petal").text


def test_a_2mb_jpeg_upload_gets_201(client):
    photo = _jpeg(size=(2400, 1800), noise=40, quality=92)
    assert 1_900_000 < len(photo) < 4_000_000
    r = client.post("/api/photos", files={"file": ("big.jpg", photo, "image/jpeg")})
    assert r.status_code == 201 and r.json()["id"]


def test_oversized_and_non_image_uploads_get_json_errors():
    with running_target(upload_limit_bytes=500_000) as url, httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/api/photos", files={"file": ("big.jpg", _jpeg(), "image/jpeg")})
        assert r.status_code == 413 and "limit" in r.json()["error"]
        r = c.post("/api/photos", files={"file": ("notes.txt", b"not a photo at all" * 100, "text/plain")})
        assert r.status_code == 415 and "not an image" in r.json()["error"]
        r = c.post("/api/photos", content=b"{}", headers={"content-type": "application/json"})
        assert r.status_code == 415 and r.json()["error"]
        small = encode(draw_photo((400, 300), seed=1, noise=0), "PNG", 90)
        assert c.post("/api/photos", files={"file": ("s.png", small, "image/png")}).status_code == 201


def test_a_tenant_over_its_queue_bound_gets_503_and_others_do_not():
    photo = _jpeg(size=(2400, 1800), noise=10)
    with running_target(queue_limit=2, workers=1) as url, httpx.Client(base_url=url, timeout=60) as c:

        def upload(_: int) -> httpx.Response:
            return c.post(
                "/api/photos", headers={"X-Tenant": "everafter"}, files={"file": ("p.jpg", photo, "image/jpeg")}
            )

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            flood = [ex.submit(upload, i) for i in range(8)]
            time.sleep(0.05)
            victim = [c.get("/api/clients", headers={"X-Tenant": "lumen"}) for _ in range(5)]
            results = [f.result() for f in flood]
    codes = sorted(r.status_code for r in results)
    assert 201 in codes and 503 in codes, codes
    refused = next(r for r in results if r.status_code == 503)
    assert refused.headers["retry-after"] == "1" and "everafter" in refused.json()["error"]
    assert all(r.status_code == 200 for r in victim)


@pytest.mark.serial
def test_server_delay_and_extra_js_and_query_over_server_default(client, target):
    t0 = time.perf_counter()
    assert client.get("/dashboard?server_delay=400").status_code == 200
    assert time.perf_counter() - t0 >= 0.4
    base = client.get("/static/js/vendor.js").content
    padded = client.get("/static/js/vendor.js?extra_js=30").content
    assert len(padded) - len(base) == 30_000
    page = client.get("/dashboard?extra_js=30&tenant=lumen").text
    assert "/static/js/vendor.js?tenant=lumen&amp;extra_js=30" in page  # carried to the chunk URLs
    with running_target(lcp_delay=600, server_delay=300) as url, httpx.Client(base_url=url) as c:
        t0 = time.perf_counter()
        c.get("/static/img/hero/dashboard.jpg")
        held = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.get("/static/img/hero/dashboard.jpg?lcp_delay=0")
        free = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.get("/api/timeline")
        api = time.perf_counter() - t0
    assert held >= 0.6 and free < 0.3 and api >= 0.3


def test_bad_knob_values_are_400(client):
    r = client.get("/dashboard?lcp_delay=soon")
    assert r.status_code == 400 and "lcp_delay" in r.json()["error"]


def test_running_target_reports_a_failed_start(tmp_path):
    with pytest.raises(RunError, match="no such scenario file"):
        with running_target(scenario=tmp_path / "missing.yaml"):
            pass


def test_target_server_stops_its_process():
    server = TargetServer(TargetConfig())
    url = server.start()
    pid = server.pid
    assert httpx.get(f"{url}/healthz").json()["ok"] is True
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz", timeout=2)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
