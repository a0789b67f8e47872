"""The reference target's runtime fault switches over real HTTP: downtime, error rate, knobs, loopback only."""

from __future__ import annotations

import httpx
import pytest

from bigday.errors import ConfigError
from bigday.target.server import clear_faults, running_target, set_faults


@pytest.fixture(scope="module")
def target():
    with running_target() as url:
        yield url


@pytest.fixture
def client(target):
    with httpx.Client(base_url=target, timeout=30.0) as c:
        yield c
    clear_faults(target)


def test_downtime_answers_503_everywhere_but_the_admin_endpoint(target, client):
    assert set_faults(target, down=True) == {"knobs": {}, "down": True}
    for path in ("/dashboard", "/api/clients", "/healthz", "/static/css/app.css", "/static/img/hero/dashboard.jpg"):
        r = client.get(path)
        assert r.status_code == 503 and r.headers["retry-after"] == "1", path
    assert client.get("/_admin/faults").json()["down"] is True
    clear_faults(target)
    assert client.get("/dashboard").status_code == 200


def test_error_rate_is_spread_evenly_over_documents_and_api_calls(target, client):
    set_faults(target, errors=25)
    codes = [client.get("/dashboard" if i % 2 else "/api/timeline").status_code for i in range(8)]
    assert codes.count(500) == 2 and codes.count(200) == 6
    assert client.get("/static/css/app.css").status_code == 200  # assets are not calls
    assert "injected server error" in next(
        r.json()["error"] for r in (client.get("/dashboard") for _ in range(4)) if r.status_code == 500
    )


def test_knob_switches_reach_the_page_and_a_query_still_wins(target, client):
    set_faults(target, jank=200, jank_every=100)
    assert '"jank":200' in client.get("/dashboard").text
    assert '"jank":0' in client.get("/dashboard?jank=0").text
    state = set_faults(target, lcp_delay=300)
    assert state["knobs"] == {"jank": 200, "jank_every": 100, "lcp_delay": 300}
    assert clear_faults(target) == {"knobs": {}, "down": False}
    assert '"jank":0' in client.get("/dashboard").text


@pytest.mark.parametrize(
    ("body", "word"),
    [({"bogus": 1}, "bogus"), ({"jank": -1}, "jank"), ({"down": "yes"}, "down"), ({"errors": 101}, "errors")],
)
def test_bad_switches_are_refused_with_400_naming_them(target, client, body, word):
    r = client.post("/_admin/faults", json=body)
    assert r.status_code == 400 and word in r.json()["error"]
    with pytest.raises(ConfigError, match=word):
        set_faults(target, **body)
    assert client.get("/_admin/faults").json() == {"knobs": {}, "down": False}


def test_the_admin_endpoint_answers_loopback_clients_only(target):
    # An ASGI call with a non-loopback client address: the same app, without a network we do not have.
    from bigday.settings.scenario import load_scenario
    from bigday.target.app import AppSettings, build_app
    from bigday.target.knobs import Knobs

    app = build_app(load_scenario(), AppSettings("fair", 1, 16, 1_000_000, Knobs()))
    transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 4711))
    import asyncio
    import concurrent.futures

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://target") as c:
            return await c.post("/_admin/faults", json={"down": True})

    # In a thread of its own: a session's sync Playwright may already run an event loop on this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        r = pool.submit(lambda: asyncio.run(call())).result()
    assert r.status_code == 403 and "loopback" in r.json()["error"]
    app.state.target.close()
