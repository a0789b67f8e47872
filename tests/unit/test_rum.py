"""Field data without a browser: the beacon schema, route templates, user agents reduced to family and class,
the scenario's rum section, rate-limit buckets, the snippet tag, and the SQL p75 against numpy."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sqlalchemy import func, select, text

from bigday.errors import ConfigError
from bigday.runfolder import utc_now
from bigday.serve.beacon import BeaconRejected, browser_family, device_class, parse_beacon, route_problem
from bigday.serve.collector import Buckets, script, script_integrity, snippet
from bigday.settings.scenario import DEFAULT_SCENARIO, parse_scenario
from bigday.store import rum as rum_store
from bigday.store import schema
from bigday.store.engine import open_store
from bigday.store.rum import route_of

KEY = "pk_lumen_test_0123456789"


def _body(**over: Any) -> bytes:
    b: dict[str, Any] = {
        "v": 1,
        "key": KEY,
        "tenant": "lumen",
        "route": "/clients/:id",
        "metrics": {"lcp": {"value": 2000, "attribution": {"target": "img#hero", "resourceLoadDelay": 12.5}}},
    }
    b.update(over)
    return json.dumps(b).encode()


def test_a_good_beacon_becomes_one_row_per_metric() -> None:
    b = parse_beacon(_body(nav="reload", device="tablet", ect="3g", metrics={"lcp": {"value": 1}, "cls": {"value": 0}}))
    rows = b.rows(utc_now(), "firefox", "desktop")
    assert [(r["metric"], r["value"], r["device"], r["connection"], r["navigation"]) for r in rows] == [
        ("lcp", 1.0, "tablet", "3g", "reload"),
        ("cls", 0.0, "tablet", "3g", "reload"),
    ]
    assert len({r["beacon"] for r in rows}) == 1
    assert parse_beacon(_body()).rows(utc_now(), "chrome", "mobile")[0]["device"] == "mobile"  # from the agent


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"x" * 20_000, 413),
        (b"[1, 2]", 400),
        (b'{"v": 1, "metrics": {"lcp": {"value": NaN}}}', 400),
        (_body(metrics={"lcp": {"value": float("inf")}}).replace(b"Infinity", b"1e999"), 400),
        (_body(metrics={"lcp": {"value": -1}}), 400),
        (_body(metrics={"cls": {"value": 101}}), 400),
        (_body(metrics={"lcp": {"value": True}}), 400),
        (_body(metrics={"fid": {"value": 5, "extra": 1}}), 400),
        (_body(metrics={}), 400),
        (_body(metrics={"tbt": {"value": 5}}), 400),
        (_body(metrics={"lcp": {"value": 5, "attribution": {"target": "a\x00b"}}}), 400),
        (_body(metrics={"lcp": {"value": 5, "attribution": {"target": "x" * 301}}}), 400),
        (_body(metrics={"lcp": {"value": 5, "attribution": {"navigationEntry": {}}}}), 400),
        (_body(v=2), 400),
        (_body(key=5), 401),
        (_body(tenant="Lumen"), 400),
        (_body(nav="teleport"), 400),
        (_body(device="fridge"), 400),
        (_body(user_agent="Mozilla/5.0"), 400),
        (_body(route="https://app.example.com/clients"), 400),
    ],
)
def test_every_violation_rejects_the_whole_beacon(body: bytes, status: int) -> None:
    with pytest.raises(BeaconRejected) as e:
        parse_beacon(body)
    assert e.value.status == status


@pytest.mark.parametrize(
    "route",
    [
        "/clients/4711",
        "/c/550e8400-e29b-41d4-a716-446655440000",
        "/f/deadbeefcafe01",
        "/x?tab=1",
        "/x#top",
        "/a%2Fb",
        "/<script>",
        "clients",
        "/" + "a/" * 120,
        "/s/eyJhbGciOiJIUzI1NiJ9abc123",
    ],
)
def test_raw_urls_with_ids_or_queries_are_not_routes(route: str) -> None:
    assert route_problem(route) is not None


@pytest.mark.parametrize("route", ["/", "/clients", "/clients/:id", "/photos/gallery/", "/forms/new", "/v2/x.json"])
def test_route_templates_pass(route: str) -> None:
    assert route_problem(route) is None


def test_scenario_page_paths_become_route_templates() -> None:
    assert route_of("/studios/{tenant_key}/clients?tab=all") == "/studios/:tenant_key/clients"
    assert route_of("/photos/gallery") == "/photos/gallery"


@pytest.mark.parametrize(
    ("agent", "family", "device"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
            "chrome",
            "desktop",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 "
            "Safari/604.1",
            "safari",
            "mobile",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
            "safari",
            "tablet",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0", "firefox", "desktop"),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130 Mobile Safari/537.36 EdgA/130 Edg/130",
            "edge",
            "mobile",
        ),
        ("", "other", "desktop"),
    ],
)
def test_user_agents_are_reduced_to_family_and_class(agent: str, family: str, device: str) -> None:
    assert (browser_family(agent), device_class(agent)) == (family, device)


def _scenario(tmp_path: Path, rum: Any) -> Any:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["rum"] = rum
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return parse_scenario(path.read_text(), path)


def test_scenario_rum_section(tmp_path: Path) -> None:
    site = {"tenant": "lumen", "key": KEY, "origins": ["https://lumen.example.com"]}
    s = _scenario(tmp_path, {"sites": [site], "retention": "60d", "queue": 10})
    assert s.rum.site_of(KEY).tenant == "lumen" and s.rum.retention_s == 60 * 86400 and s.rum.queue == 10
    bad = [
        ({"sites": [{**site, "tenant": "nobody"}]}, "rum.sites[0].tenant: unknown tenant"),
        ({"sites": [site, {**site, "tenant": "petal"}]}, "rum.sites[1].key"),
        ({"sites": [{**site, "key": "secret"}]}, "rum.sites[0].key: expected a public key"),
        ({"sites": [{**site, "origins": ["https://x.example.com/path"]}]}, "origins"),
        ({"sites": [{**site, "origins": []}]}, "origins"),
        ({"retention": "7d"}, "at least 28d"),
        ({"queue": 0}, "queue"),
        ({"sities": []}, "unknown key"),
    ]
    for rum, message in bad:
        with pytest.raises(ConfigError) as e:
            _scenario(tmp_path, rum)
        assert message in str(e.value), str(e.value)


def test_rate_limit_buckets_refill_at_their_rate() -> None:
    b = Buckets(rate=10, burst_s=1)
    assert [b.take("o", now=0.0) for _ in range(10)] == [0.0] * 10
    assert b.take("o", now=0.0) == pytest.approx(0.1)
    assert b.take("o", now=0.1) == 0.0 and b.take("other", now=0.1) == 0.0


def test_snippet_tag_carries_key_endpoint_rate_and_integrity() -> None:
    tag = snippet("https://rum.example.com/rum", KEY, "lumen", 0.1, route="/clients/:id")
    assert 'src="https://rum.example.com/rum/rum.js"' in tag and 'data-sample-rate="0.1"' in tag
    assert f'integrity="{script_integrity(script())}"' in tag and 'crossorigin="anonymous"' in tag
    inline = snippet("https://rum.example.com/rum", KEY, "lumen", 1.0, inline=True)
    assert "webVitals" in inline and "sendBeacon" in inline and "keepalive" in inline and "src=" not in inline
    assert "sourceMappingURL" not in inline and "//cdn" not in inline
    for args in (
        ("ftp://x/rum", KEY, None, 0.1),
        ("https://x/rum?a=1", KEY, None, 0.1),
        ("https://x/rum", KEY, None, 0.0),
    ):
        with pytest.raises(ConfigError):
            snippet(*args)


def test_sql_p75_and_shares_equal_numpy(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    now = utc_now()
    truth: dict[tuple[str, str, str], list[float]] = {}
    rows = []
    for i in range(2001):
        route, device = ("/a", "/b/:id")[i % 2], ("mobile", "desktop", "tablet")[i % 3]
        for metric in ("lcp", "cls", "inp"):
            v = float(round(rng.exponential(0.12), 4)) if metric == "cls" else float(rng.lognormal(7, 0.6))
            days_ago = i % 35  # a week of it falls outside the 28-day window
            rows.append(
                {
                    "beacon": uuid.uuid4().hex,
                    "received_at": now,
                    "day": now.date() - timedelta(days=days_ago),
                    "tenant": "lumen",
                    "route": route,
                    "device": device,
                    "connection": None,
                    "navigation": None,
                    "browser": "chrome",
                    "metric": metric,
                    "value": v,
                    "attribution": None,
                }
            )
            if days_ago < 28:
                truth.setdefault((metric, route, device), []).append(v)
                truth.setdefault((metric, route, "all"), []).append(v)
                truth.setdefault((metric, route, f"day-{days_ago}"), []).append(v)
    with open_store(str(tmp_path / "s.sqlite")) as store:
        with store.begin() as conn:
            rum_store.insert_values(conn, rows)
        with store.read() as conn:
            got = rum_store.field_p75(conn) + rum_store.field_p75(conn, by_device=False)
            daily = rum_store.field_p75(conn, by_day=True, by_device=False, metrics=("lcp",))
        assert len(got) == len([k for k in truth if not k[2].startswith("day-")])
        for r in got:
            values = np.array(truth[(r.metric, r.route, r.device)])
            spec_good, spec_poor = {"lcp": (2500, 4000), "cls": (0.1, 0.25), "inp": (200, 500)}[r.metric]
            assert r.count == values.size and r.p75 == float(np.quantile(values, 0.75))
            assert r.good == np.mean(values <= spec_good) and r.poor == np.mean(values > spec_poor)
            assert r.good + r.needs_improvement + r.poor == pytest.approx(1)
        for r in daily:
            assert r.day is not None
            values = np.array(truth[(r.metric, r.route, f"day-{(now.date() - r.day).days}")])
            assert r.count == values.size and r.p75 == float(np.quantile(values, 0.75))
        assert len(daily) == 2 * 28 and sum(r.count for r in daily) == sum(
            len(truth[("lcp", rt, "all")]) for rt in ("/a", "/b/:id")
        )
        with store.begin() as conn:
            assert rum_store.prune(conn, 30 * 86400) == sum(1 for r in rows if (now.date() - r["day"]).days > 30)


def test_values_on_bucket_edges_zeros_and_ties_give_numpys_p75_after_any_batching(tmp_path: Path) -> None:
    """The p75 reads its values from the bucket its rank falls in: a value exactly on a bucket's edge, one a
    float below it, zeros and ties must be counted where they are read back, across batches (each an upsert into
    rum_buckets) and per day; rebuilding the buckets from the values gives the same counts; pruning drops both."""
    edges = [rum_store._edge(b) for b in range(330, 420, 3)]  # around 700 ms to 4 s
    below = [float(np.nextafter(e, 0)) for e in edges]
    values = edges + below + [0.0] * 7 + [edges[10]] * 40 + [2500.0] * 5  # 2500: the LCP good bound, inclusive
    assert all(rum_store._edge(rum_store.bucket_of(v)) <= v < rum_store._edge(rum_store.bucket_of(v) + 1)
               for v in values if v > 0)  # fmt: skip
    for b in range(-3000, 3000):  # every edge from 1e-26 to 1e26, and a float either side: filed where it is read
        e = rum_store._edge(b)
        for v in (float(np.nextafter(e, 0)), e, float(np.nextafter(e, np.inf))):
            got = rum_store.bucket_of(v)
            assert rum_store._edge(got) <= v < rum_store._edge(got + 1), (b, v, got)
    rng = np.random.default_rng(3)
    rng.shuffle(values)
    now = utc_now()
    rows = [
        dict(r, day=now.date() - timedelta(days=i % 3)) for i, r in enumerate(_field_rows("lumen", "/a", "lcp", values))
    ]
    with open_store(str(tmp_path / "s.sqlite")) as store:
        for part in range(0, len(rows), 17):  # batches of 17, so a bucket is added to many times
            with store.begin() as conn:
                rum_store.insert_values(conn, rows[part : part + 17])
        with store.read() as conn:
            (whole,) = rum_store.field_p75(conn)
            daily = rum_store.field_p75(conn, by_day=True)
            counted = conn.execute(select(schema.rum_buckets)).fetchall()
        assert whole.count == len(values) and whole.p75 == float(np.quantile(values, 0.75))
        assert whole.good == np.mean(np.array(values) <= 2500)
        assert len(daily) == 3
        for r in daily:
            assert r.day is not None
            of_day = [x["value"] for x in rows if x["day"] == r.day]
            assert r.count == len(of_day) and r.p75 == float(np.quantile(of_day, 0.75))
        with store.begin() as conn:
            assert rum_store.rebuild_buckets(conn) == len(values)
        with store.read() as conn:
            assert sorted(conn.execute(select(schema.rum_buckets)).fetchall()) == sorted(counted)
        # A day goes only when it is wholly older than the retention: 36 h back from 01:00 is inside the day
        # before yesterday, which stays; from 18:00 it is inside yesterday, so the day before goes.
        early = datetime.combine(now.date(), time(1), tzinfo=UTC)
        with store.begin() as conn:
            assert rum_store.prune(conn, 1.5 * 86400, early) == 0
        with store.begin() as conn:
            rum_store.prune(conn, 1.5 * 86400, early + timedelta(hours=17))  # keeps today and yesterday
        with store.read() as conn:
            (kept,) = rum_store.field_p75(conn)
            days = {d for (d,) in conn.execute(select(schema.rum_buckets.c.day).distinct())}
        kept_values = [x["value"] for x in rows if (now.date() - x["day"]).days < 2]
        assert days == {now.date(), now.date() - timedelta(days=1)}
        assert kept.count == len(kept_values) and kept.p75 == float(np.quantile(kept_values, 0.75))


def test_a_store_from_before_the_buckets_counts_its_values_when_it_is_migrated(tmp_path: Path) -> None:
    """Migration 8 builds rum_buckets from the values a version-7 store holds (made here by dropping the table
    and its version row), so its p75 is the same after the upgrade."""
    values = [float(v) for v in np.random.default_rng(5).lognormal(7.4, 0.6, 999)]
    url = str(tmp_path / "s.sqlite")
    with open_store(url) as store:
        with store.begin() as conn:
            rum_store.insert_values(conn, _field_rows("lumen", "/a", "lcp", values))
            conn.execute(schema.rum_buckets.delete())
            conn.execute(text("DROP TABLE rum_buckets"))
            conn.execute(schema.schema_version.delete().where(schema.schema_version.c.version == 8))
    with open_store(url) as store, store.read() as conn:
        (row,) = rum_store.field_p75(conn)
        assert conn.execute(select(func.sum(schema.rum_buckets.c.n))).scalar_one() == len(values)
    assert row.count == len(values) and row.p75 == float(np.quantile(values, 0.75))


def test_every_group_size_gives_numpys_p75(tmp_path: Path) -> None:
    """Groups of 1 to 40 values (the rank's two neighbours in one bucket, in two, at the end): one group each."""
    rng = np.random.default_rng(11)
    truth = {}
    rows = []
    for n in range(1, 41):
        values = [float(v) for v in np.round(rng.lognormal(7.5, 0.8, n), 1)]
        truth[f"/n{n}"] = values
        rows += _field_rows("lumen", f"/n{n}", "lcp", values)
    with open_store(str(tmp_path / "s.sqlite")) as store:
        with store.begin() as conn:
            rum_store.insert_values(conn, rows)
        with store.read() as conn:
            got = rum_store.field_p75(conn)
    assert len(got) == 40
    for r in got:
        assert r.count == len(truth[r.route]) and r.p75 == float(np.quantile(truth[r.route], 0.75)), r.route


def _field_rows(tenant: str, route: str, metric: str, values: list[float]) -> list[dict[str, Any]]:
    now = utc_now()
    return [
        {
            "beacon": uuid.uuid4().hex,
            "received_at": now,
            "day": now.date(),
            "tenant": tenant,
            "route": route,
            "device": "mobile",
            "connection": "4g",
            "navigation": "navigate",
            "browser": "chrome",
            "metric": metric,
            "value": v,
            "attribution": None,
        }
        for v in values
    ]


def test_field_beside_lab_flags_the_route_the_lab_is_too_kind_to(tmp_path: Path, cli: Any) -> None:
    from bigday.store.ingest import ingest_run
    from bigday.store.synthetic import write_probe_run

    store_path = str(tmp_path / "s.sqlite")
    run = write_probe_run(
        tmp_path / "results", {"photo-gallery": {"lcp": [1200.0] * 3}, "clients": {"lcp": [900.0] * 3}}
    )
    with open_store(store_path) as store:
        ingest_run(store, run)
        with store.begin() as conn:
            rum_store.insert_values(conn, _field_rows("everafter", "/photos/gallery", "lcp", [3100.0] * 4))
            rum_store.insert_values(conn, _field_rows("everafter", "/clients", "lcp", [1000.0] * 4))
            rum_store.insert_values(conn, _field_rows("petal", "/clients", "lcp", [9999.0] * 4))
    r = cli("rum", "report", "--store", store_path)
    assert r.returncode == 1, r.stderr
    assert "the lab is too kind to /photos/gallery: field LCP p75 3.1 s vs lab 1.2 s" in r.stdout
    assert "/clients: field" not in r.stdout  # 1000 vs 900 is within the factor
    assert "9999" not in r.stdout and "10.0 s" in r.stdout  # petal's route has no page of petal: field only
    mine = json.loads(cli("rum", "report", "--store", store_path, "--tenant", "petal", "--format", "json").stdout)
    assert {v["tenant"] for v in mine["routes"]} == {"petal"}
    # bigday sla shows the same beside its own figures, in every format, unless --no-field.
    flag = "the lab is too kind to /photos/gallery: field LCP p75 3.1 s vs lab 1.2 s"
    terminal = cli("sla", "--store", store_path)
    assert flag in terminal.stdout and "field (real visits, p75 over 30 days)" in terminal.stdout, terminal.stderr
    sla = json.loads(cli("sla", "--store", store_path, "--format", "json").stdout)
    assert sla["field"]["days"] == 30 and flag in sla["field"]["flags"] and "pages" in sla
    assert "## Field beside lab" in cli("sla", "--store", store_path, "--format", "md").stdout
    page = cli("sla", "--store", store_path, "--format", "html").stdout
    assert page.index("Field beside lab") < page.index("</body>") and "3.1 s" in page
    assert "field" not in json.loads(cli("sla", "--store", store_path, "--format", "json", "--no-field").stdout)
    petal = json.loads(cli("sla", "--store", store_path, "--format", "json", "--tenant", "petal").stdout)
    assert {v["tenant"] for v in petal["field"]["routes"]} == {"petal"}


def test_rum_report_judges_the_field_thresholds_and_fails_on_an_error_one(tmp_path: Path, cli: Any) -> None:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    lcp = {"metric": "lcp", "aggregate": "p75", "bound": "2500ms", "level": "error", "pages": ["photo-gallery"]}
    cls_ = {"metric": "cls", "aggregate": "p75", "bound": 0.1, "level": "warn"}
    data["monitor"] = {"field": {"min_count": 4, "thresholds": [lcp, cls_]}}
    scenario_file = tmp_path / "field.yaml"
    scenario_file.write_text(yaml.safe_dump(data))
    store_path = str(tmp_path / "s.sqlite")
    with open_store(store_path) as store, store.begin() as conn:
        rum_store.insert_values(
            conn, _field_rows("everafter", "/photos/gallery", "lcp", [1000.0, 1500.0, 2000.0, 2400.0])
        )
        rum_store.insert_values(conn, _field_rows("everafter", "/photos/gallery", "cls", [0.2] * 4))
        rum_store.insert_values(conn, _field_rows("everafter", "/clients", "cls", [0.9] * 3))  # under min_count
    args = ("rum", "report", "--store", store_path, "--scenario", str(scenario_file))
    r = cli(*args)
    # The LCP p75 of (1000, 1500, 2000, 2400) is 2,100 ms: within; the CLS warns, which fails nothing.
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok\tphoto-gallery\tfield lcp p75 2,100 ms over 4 visits to /photos/gallery (everafter)" in r.stdout
    # The CLS threshold covers /clients too, but three visits there are under min_count: no judgement.
    assert "WARN\tphoto-gallery\tfield cls p75 0.2" in r.stdout and "visits to /clients" not in r.stdout
    with open_store(store_path) as store, store.begin() as conn:
        rum_store.insert_values(conn, _field_rows("everafter", "/photos/gallery", "lcp", [3000.0] * 8))
    r = cli(*args)
    assert r.returncode == 1 and "ERROR\tphoto-gallery\tfield lcp p75 3,000 ms over 12 visits" in r.stdout, r.stdout
    doc = json.loads(cli(*args, "--format", "json").stdout)
    (judged,) = [t for t in doc["thresholds"] if t["metric"] == "lcp"]
    assert judged["breached"] and judged["p75"] == 3000.0 and judged["bound"] == 2500.0 and judged["count"] == 12


def test_a_visit_label_is_kept_and_anything_else_there_refused(tmp_path: Path) -> None:
    rows = parse_beacon(_body(visit="probe-42_a")).rows(utc_now(), "chrome", "desktop")
    assert {r["visit"] for r in rows} == {"probe-42_a"}
    assert parse_beacon(_body()).rows(utc_now(), "chrome", "desktop")[0]["visit"] is None
    for bad in ("", "x" * 65, "a b", "<script>", "1;DROP", 42, ["a"]):
        with pytest.raises(BeaconRejected) as e:
            parse_beacon(_body(visit=bad))
        assert e.value.status == 400 and "visit" in e.value.reason
    with open_store(str(tmp_path / "s.sqlite")) as store:
        with store.begin() as conn:
            rum_store.insert_values(conn, rows)
            rum_store.insert_values(conn, parse_beacon(_body()).rows(utc_now(), "chrome", "desktop"))
        with store.read() as conn:
            from sqlalchemy import text

            got = conn.execute(text("SELECT visit FROM rum_values ORDER BY id")).scalars().all()
    assert got == ["probe-42_a", None]


def _target_page(scenario: Any, path: str, endpoint: str | None = None) -> Any:
    import asyncio
    import concurrent.futures

    import httpx

    from bigday.target.app import AppSettings, build_app
    from bigday.target.knobs import Knobs

    extra = {} if endpoint is None else {"rum_endpoint": endpoint}
    app = build_app(scenario, AppSettings("fair", 1, 16, 1_000_000, Knobs(), **extra))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4711))
        async with httpx.AsyncClient(transport=transport, base_url="http://target") as c:
            return await c.get(path)

    try:  # in a thread of its own: a session's sync Playwright may already run an event loop on this one
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(call())).result()
    finally:
        app.state.target.close()


def test_the_reference_target_includes_the_snippet_when_the_rum_knob_is_on(tmp_path: Path) -> None:
    site = {"tenant": "lumen", "key": KEY, "origins": ["http://127.0.0.1:1"]}
    scenario = _scenario(tmp_path, {"sites": [site]})
    on = _target_page(scenario, "/forms/new?tenant=lumen&rum=4242", "http://127.0.0.1:9/rum")
    assert on.status_code == 200
    tag = on.text[on.text.index('<script async src="http://127.0.0.1:9/rum/rum.js"') :].split("</script>")[0]
    for attr in (f'data-key="{KEY}"', 'data-tenant="lumen"', 'data-route="/forms/new"', 'data-visit="4242"'):
        assert attr in tag, tag
    assert 'data-endpoint="http://127.0.0.1:9/rum"' in tag
    off = _target_page(scenario, "/forms/new?tenant=lumen")
    assert off.status_code == 200 and "rum.js" not in off.text  # off by default
    nosite = _target_page(scenario, "/forms/new?tenant=petal&rum=1")
    assert nosite.status_code == 400 and "no site for tenant 'petal'" in nosite.json()["error"]


def test_the_targets_rum_endpoint_must_be_a_loopback_collector() -> None:
    from bigday.target.server import TargetConfig

    assert TargetConfig(rum_endpoint="http://rum.localhost:8080/rum").rum_endpoint.endswith("/rum")
    for bad in (
        "https://rum.example.com/rum",
        "http://127.0.0.1:8080/",
        "ftp://127.0.0.1/rum",
        "http://127.0.0.1/rum?x",
    ):
        with pytest.raises(ConfigError, match="rum_endpoint"):
            TargetConfig(rum_endpoint=bad)


def test_collect_refuses_a_scenario_without_sites_in_one_line(tmp_path: Path, cli: Any) -> None:
    store = tmp_path / "s.sqlite"
    r = cli("collect", "--port", "0", "--store", str(store))
    assert r.returncode == 2 and "rum.sites is empty" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not store.exists()  # judged before the store was opened
    r = cli("collect", "--port", "70000")
    assert r.returncode == 2 and "--port" in r.stderr
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["rum"] = {"sites": [{"tenant": "lumen", "key": "nope", "origins": ["http://x.localhost"]}]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    r = cli("collect", "--scenario", str(path), "--store", str(store))
    assert r.returncode == 2 and "rum.sites[0].key: expected a public key" in r.stderr and not store.exists()
