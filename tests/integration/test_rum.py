"""Field data for real: a page on a loopback server includes the snippet, Chromium visits it, interacts and hides
it, and the beacon reaches a real ``bigday serve`` (a process, port 0) and lands in its SQLite store. Hostile
beacons each get a 4xx and store nothing; a full collector answers 503 with Retry-After and loses nothing it
acknowledged."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bigday.cli import main
from bigday.settings.scenario import DEFAULT_SCENARIO

KEY = "pk_lumen_test_0123456789"
OTHER_KEY = "pk_petal_test_0123456789"
QUEUE = 4
BUSY_MS = 150  # the click handler's busy loop: INP is at least this
SHIFT_AFTER_MS = 300

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>client</title>
<style>body{{margin:0;font:16px sans-serif}}#late{{height:200px;background:#c33}}p{{margin:0;height:40px}}</style>
</head><body><div id="slot"></div><h1>Ada &amp; Grace</h1><button id="go">go</button>{paras}
<script>
setTimeout(function(){{var d=document.createElement('div');d.id='late';
  document.getElementById('slot').appendChild(d);}}, {shift});
document.getElementById('go').addEventListener('click', function(){{
  var end=performance.now()+{busy}; while(performance.now()<end){{}}
  document.getElementById('go').textContent='done';}});
</script>{snippet}</body></html>"""


class _Page(BaseHTTPRequestHandler):
    snippet = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        paras = "".join(f"<p>line {i} of the client's notes</p>" for i in range(8))
        body = PAGE.format(paras=paras, shift=SHIFT_AFTER_MS, busy=BUSY_MS, snippet=self.snippet).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _rows(store: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(store)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM rum_values ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def rum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("rum")
    pages = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{pages.server_address[1]}"
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["rum"] = {
        "queue": QUEUE,
        "sites": [
            {"tenant": "lumen", "key": KEY, "origins": [origin]},
            {"tenant": "petal", "key": OTHER_KEY, "origins": ["http://petal.localhost:1"]},
        ],
    }
    scenario = tmp / "rum.yaml"
    scenario.write_text(yaml.safe_dump(data))
    store = tmp / "rum.sqlite"
    tokens = {}
    for role in ("admin", "tenant:petal"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["serve", "token", "add", "--role", role, "--name", "t", "--store", str(store)]) == 0
        tokens[role] = out.getvalue().strip().splitlines()[-1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bigday", "serve", "--port", "0", "--store", str(store), "--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert found, line + (proc.stderr.read() if proc.stderr else "")
    url = found.group(0)
    from bigday.serve.collector import snippet

    _Page.snippet = snippet(f"{url}/rum", KEY, "lumen", 1.0, route="/clients/:id")
    try:
        yield {
            "url": url,
            "origin": origin,
            "store": store,
            "page": f"{origin}/clients/4711?q=secret-query",
            "tokens": tokens,
        }
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
        pages.shutdown()
        pages.server_close()


@pytest.mark.browser
def test_a_real_visit_sends_one_beacon_that_lands_in_the_store(rum: dict[str, Any], browser: Any) -> None:
    before = {r["beacon"] for r in _rows(rum["store"])}
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.add_cookies([{"name": "session", "value": "cookie-secret-xyz", "domain": "127.0.0.1", "path": "/"}])
    try:
        page = context.new_page()
        page.goto(rum["page"], wait_until="load")
        page.wait_for_function("document.getElementById('late') !== null")
        page.wait_for_timeout(300)  # the shift is recorded and LCP has settled before the input ends it
        page.click("#go")
        page.wait_for_function("document.getElementById('go').textContent === 'done'")
        page.wait_for_timeout(200)  # the interaction's next paint
        page.goto("about:blank")  # the page is hidden: the beacon goes
    finally:
        context.close()
    deadline = time.monotonic() + 10
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = [r for r in _rows(rum["store"]) if r["beacon"] not in before]
        if {r["metric"] for r in rows} >= {"lcp", "cls", "inp", "fcp", "ttfb", "fid"}:
            break
        time.sleep(0.1)
    metrics = {r["metric"]: r for r in rows}
    assert set(metrics) == {"lcp", "cls", "inp", "fcp", "ttfb", "fid"}, rows
    assert len({r["beacon"] for r in rows}) == 1  # sent once
    for r in rows:
        assert (r["tenant"], r["route"], r["device"], r["browser"]) == ("lumen", "/clients/:id", "desktop", "chrome")
        assert r["navigation"] == "navigate"
    assert BUSY_MS <= metrics["inp"]["value"] < 5000  # the busy loop, plus whatever a busy machine adds
    assert metrics["cls"]["value"] > 0.05  # the 200 px block pushed the heading and the notes down
    assert 0 < metrics["fcp"]["value"] <= metrics["lcp"]["value"] < 5000
    assert json.loads(metrics["inp"]["attribution"])["interactionTarget"] == "#go"
    assert "largestShiftTarget" in json.loads(metrics["cls"]["attribution"])
    # Nothing that identifies the visitor or the raw URL: no address, cookie, user agent, id or query anywhere.
    text = json.dumps(_rows(rum["store"]))
    for leak in ("127.0.0.1", "cookie-secret-xyz", "Mozilla", "HeadlessChrome", "secret-query"):
        assert leak not in text
    # The id as a whole number: its digits alone turn up inside stored times and values (a CI run's did).
    assert not re.search(r"(?<![0-9.])4711(?![0-9])", text), text


def _beacon(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "v": 1,
        "key": KEY,
        "tenant": "lumen",
        "route": "/clients/:id",
        "nav": "navigate",
        "device": "mobile",
        "ect": "4g",
        "metrics": {"lcp": {"value": 1234.5, "attribution": {"target": "img#hero"}}, "cls": {"value": 0.02}},
    }
    b.update(over)
    return b


def _post(url: str, origin: str, body: bytes | str, ctype: str = "text/plain;charset=UTF-8") -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.post(f"{url}/rum", content=content, headers={"Origin": origin, "Content-Type": ctype}, timeout=30)


def test_hostile_beacons_get_4xx_and_store_nothing(rum: dict[str, Any]) -> None:
    url, origin = rum["url"], rum["origin"]
    count = len(_rows(rum["store"]))
    ok = json.dumps(_beacon())
    hostile: list[tuple[str, bytes | str, str, int]] = [
        ("oversized", json.dumps(_beacon(route="/" + "a" * 20_000)), origin, 413),
        ("unknown metric", json.dumps(_beacon(metrics={"lcpx": {"value": 1}})), origin, 400),
        ("NaN", ok.replace("1234.5", "NaN"), origin, 400),
        ("negative", ok.replace("1234.5", "-5"), origin, 400),
        ("huge", ok.replace("1234.5", "1e308"), origin, 400),
        ("string value", ok.replace("1234.5", '"1234"'), origin, 400),
        ("raw URL with ids", json.dumps(_beacon(route="/clients/4711?tab=notes")), origin, 400),
        ("id segment", json.dumps(_beacon(route="/clients/4711")), origin, 400),
        ("script in route", json.dumps(_beacon(route="/<script>alert(1)</script>")), origin, 400),
        ("bad tenant", json.dumps(_beacon(tenant="Lumen; DROP TABLE")), origin, 400),
        ("unknown field", json.dumps(_beacon(ip="1.2.3.4")), origin, 400),
        (
            "unknown attribution",
            json.dumps(_beacon(metrics={"lcp": {"value": 1, "attribution": {"x": 1}}})),
            origin,
            400,
        ),
        ("not JSON", "lcp=1234", origin, 400),
        ("bad key", json.dumps(_beacon(key="pk_nobody_0123456789")), origin, 403),
        ("another site's key", json.dumps(_beacon(key=OTHER_KEY, tenant="petal")), origin, 403),
        ("another tenant", json.dumps(_beacon(tenant="petal")), origin, 403),
        ("bad origin", ok, "http://evil.localhost:1", 403),
        ("origin of another site", ok, "http://petal.localhost:1", 403),
    ]
    for name, body, from_origin, status in hostile:
        r = _post(url, from_origin, body)
        assert r.status_code == status, (name, r.status_code, r.text)
    assert _post(url, origin, ok, ctype="application/x-www-form-urlencoded").status_code == 415
    assert httpx.post(f"{url}/rum", content=ok, headers={"Content-Type": "text/plain"}).status_code == 403  # no Origin
    assert len(_rows(rum["store"])) == count  # none of them stored anything
    # The same beacon, well-formed, is stored (so the checks above are what refused the others).
    r = _post(url, origin, ok, ctype="application/json")
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == origin
    assert len(_rows(rum["store"])) == count + 2
    pre = httpx.options(
        f"{url}/rum",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == origin
    assert httpx.options(f"{url}/rum", headers={"Origin": "http://evil.localhost:1"}).status_code == 403
    js = httpx.get(f"{url}/rum/rum.js")
    assert js.status_code == 200 and "webVitals" in js.text and "sendBeacon" in js.text


def test_a_browser_that_hangs_up_mid_body_stores_nothing_and_the_collector_goes_on(rum: dict[str, Any]) -> None:
    url, origin, store = rum["url"], rum["origin"], rum["store"]
    count = len(_rows(store))
    body = json.dumps(_beacon()).encode()
    host, port = url.removeprefix("http://").split(":")
    # Nothing, half, or all but the last byte of a valid beacon; and a whole valid beacon whose Content-Length
    # promised one byte more (parsed as it came, it would be stored though the request never finished).
    for cut, declared in (
        (0, len(body)),
        (len(body) // 2, len(body)),
        (len(body) - 1, len(body)),
        (len(body), len(body) + 1),
    ):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = (
                f"POST /rum HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: {origin}\r\n"
                f"Content-Type: text/plain\r\nContent-Length: {declared}\r\n\r\n"
            )
            sock.sendall(head.encode() + body[:cut])
            time.sleep(0.2)  # the collector has read what came and waits for the rest
    time.sleep(0.5)
    assert len(_rows(store)) == count  # no part-beacon was parsed, stored or half-stored
    assert _post(url, origin, body).status_code == 204  # and the collector still serves the next one
    assert len(_rows(store)) == count + 2


def test_the_field_page_shows_a_studio_only_its_own_beacons(rum: dict[str, Any]) -> None:
    assert _post(rum["url"], rum["origin"], json.dumps(_beacon())).status_code == 204
    url, tokens = rum["url"], rum["tokens"]
    admin = httpx.get(f"{url}/api/field", headers={"Authorization": f"Bearer {tokens['admin']}"}).json()
    lumen = [v for v in admin["routes"] if v["tenant"] == "lumen" and v["route"] == "/clients/:id"]
    assert lumen and lumen[0]["page"] is None  # no page of lumen's has that route: field figures only
    assert next(g for g in lumen[0]["metrics"] if g["metric"] == "lcp")["field_count"] >= 1
    petal = httpx.get(f"{url}/field", headers={"Authorization": f"Bearer {tokens['tenant:petal']}"})
    assert petal.status_code == 200 and "Field beside lab" in petal.text
    assert "lumen" not in petal.text and "/clients/:id" not in petal.text
    assert httpx.get(f"{url}/api/field").status_code == 401


def test_a_full_collector_answers_503_with_retry_after_and_keeps_what_it_acknowledged(rum: dict[str, Any]) -> None:
    url, origin, store = rum["url"], rum["origin"], rum["store"]
    count = len(_rows(store))
    lock = sqlite3.connect(store, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # the collector's writer now waits for the database
    try:
        with ThreadPoolExecutor(QUEUE + 1) as pool:
            sent = [pool.submit(_post, url, origin, json.dumps(_beacon())) for _ in range(QUEUE + 1)]
            # Whichever came last finds the queue full and is answered at once; the others wait for the commit.
            first = next(as_completed(sent, timeout=30)).result()
            assert first.status_code == 503 and int(first.headers["retry-after"]) >= 1
            assert sum(f.done() for f in sent) == 1
            lock.execute("ROLLBACK")
            codes = sorted(f.result().status_code for f in sent)
    finally:
        lock.close()
    assert codes == [204] * QUEUE + [503]
    assert len(_rows(store)) == count + 2 * QUEUE  # two metrics per beacon; the refused one is not there


@pytest.mark.postgres
def test_postgresql_p75_equals_numpy(pg: Any) -> None:
    """On PostgreSQL too: batches (a bucket added to again is ON CONFLICT's update), zeros, per day."""
    import uuid
    from datetime import timedelta

    import numpy as np

    from bigday.runfolder import utc_now
    from bigday.store import rum as rum_store
    from bigday.store.engine import open_store

    rng = np.random.default_rng(3)
    now = utc_now()
    values_by_key: dict[tuple[str, str], list[float]] = {}
    by_day: dict[tuple[str, str, Any], list[float]] = {}
    values = {
        (m, d): rng.lognormal(6, 0.8, 301 + 7 * i) for i, (m, d) in enumerate([("lcp", "mobile"), ("inp", "desktop")])
    }
    rows = [
        {
            "beacon": uuid.uuid4().hex,
            "received_at": now,
            "day": now.date(),
            "tenant": "lumen",
            "route": "/clients/:id",
            "device": d,
            "connection": None,
            "navigation": None,
            "browser": "firefox",
            "metric": m,
            "value": float(v),
            "attribution": None,
        }
        for (m, d), vs in values.items()
        for v in vs
    ]
    rng.shuffle(rows)  # type: ignore[arg-type]
    for i, r in enumerate(rows):
        r["day"] = now.date() - timedelta(days=i % 3)
        r["value"] = 0.0 if i % 50 == 0 else r["value"]  # some zeros: the bucket of their own
        values_by_key.setdefault((r["metric"], r["device"]), []).append(r["value"])
        by_day.setdefault((r["metric"], r["device"], r["day"]), []).append(r["value"])
    with open_store(pg.new_database()) as store:
        for part in range(0, len(rows), 97):  # batches: many buckets are added to again (ON CONFLICT DO UPDATE)
            with store.begin() as conn:
                rum_store.insert_values(conn, rows[part : part + 97])
        with store.read() as conn:
            got = {(r.metric, r.device): r for r in rum_store.field_p75(conn)}
            daily = rum_store.field_p75(conn, by_day=True)
    values = {k: np.array(v) for k, v in values_by_key.items()}
    assert len(daily) == 2 * 3
    for r in daily:
        assert r.day is not None
        vs = by_day[(r.metric, r.device, r.day)]
        assert r.count == len(vs) and r.p75 == float(np.quantile(vs, 0.75))
    for key, vs in values.items():
        assert got[key].count == vs.size and got[key].p75 == float(np.quantile(vs, 0.75))
        assert got[key].good == float(np.mean(vs <= {"lcp": 2500, "inp": 200}[key[0]]))
