"""``bigday serve`` for real (uvicorn on 127.0.0.1, port 0) over a store with three studios' histories.

A ``tenant:lumen`` token sees no other studio's names, pages, numbers or alerts on any page or API route and
gets 403 on acknowledge; a missing, wrong or revoked token gets 401; an admin token acknowledges and resolves
with the audit log saying who; a form posted from another site is refused."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from bigday.cli import main
from bigday.monitor import maintenance
from bigday.monitor.synthetic import HistorySpec, write_history
from bigday.runfolder import Alert, utc_now
from bigday.settings.scenario import DEFAULT_SCENARIO, parse_scenario
from bigday.store import schema
from bigday.store.alerts import raise_alert
from bigday.store.engine import open_store

# Its module fixture is costly: every test of this file on one xdist worker, so it is built once.
pytestmark = pytest.mark.xdist_group("serve")

OTHERS = ("everafter", "Everafter", "petal", "Petal", "dashboard", "new-form", "/forms/new", "migration")
PAGES = (("dashboard", "everafter"), ("clients", "lumen"), ("new-form", "petal"))


def _scenario(tmp_path: Path) -> Path:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    by_name = {p["name"]: p for p in data["pages"]}
    data["pages"] = [dict(by_name[name], tenant=t) for name, t in PAGES]
    path = tmp_path / "studios.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("serve")
    scenario_path = _scenario(tmp)
    sc = parse_scenario(scenario_path.read_text(), scenario_path)
    store_path = tmp / "s.sqlite"
    with open_store(str(store_path)) as store:
        spec = HistorySpec(
            start=utc_now() - timedelta(days=2), days=2, every_s=900, scale={"dashboard": 7.77, "new-form": 5.55}
        )
        write_history(store, sc, spec)
        with store.begin() as conn:
            for page, tenant in PAGES:
                raise_alert(
                    conn,
                    Alert(
                        type="threshold_breach",
                        severity="high",
                        page=page,
                        metric="lcp",
                        threshold=2000.0,
                        actual=4321.5 if tenant != "lumen" else 2100.0,
                        window="w",
                        data={"who": tenant},
                        run_id="r1",
                        tenant=tenant,
                    ),
                )
            c = schema.checks.c
            others = conn.execute(select(c.metrics).where(c.tenant != "lumen")).scalars().all()
            mine = conn.execute(select(c.metrics).where(c.tenant == "lumen")).scalars().all()
        maintenance.add_window(
            store,
            utc_now() - timedelta(hours=1),
            utc_now() + timedelta(hours=1),
            ("dashboard",),
            "everafter migration",
            "ops",
            sc,
        )

    def decimals(rows: list[str]) -> set[float]:
        return {v for raw in rows for v in json.loads(raw).values() if isinstance(v, float) and v != int(v)}

    # The numbers only the other studios' checks produce: their pages are 5.55x and 7.77x slower, so their LCP,
    # FCP and load times lie where none of lumen's own numbers (or numbers derived from them) can.
    values = {v for v in decimals(others) - decimals(mine) if v > 2000}

    def cli(*args: str) -> str:  # in this process: a bigday process takes seconds to start on a busy machine
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*args, "--store", str(store_path)])
        assert code == 0, err.getvalue()
        return out.getvalue()

    tokens = {}
    for role in ("admin", "tenant:lumen"):
        out = cli(
            "serve",
            "token",
            "add",
            "--role",
            role,
            "--name",
            f"{role.replace(':', '-')}-token",
            "--scenario",
            str(scenario_path),
        )
        tokens[role] = out.strip().splitlines()[-1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bigday",
            "serve",
            "--port",
            "0",
            "--store",
            str(store_path),
            "--scenario",
            str(scenario_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert url, line + (proc.stderr.read() if proc.stderr else "")
    try:
        yield {"url": url.group(0), "tokens": tokens, "values": values, "cli": cli, "store": store_path}
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # waits, and closes the pipes


READS = [
    "/",
    "/charts",
    "/pages/clients",
    "/pages/dashboard",
    "/pages/new-form",
    "/alerts?status=all",
    "/sla",
    "/sla?window=7d",
    "/maintenance",
    "/audit",
    "/api/whoami",
    "/api/pages",
    "/api/pages/clients/checks?limit=500",
    "/api/pages/clients/trends",
    "/api/pages/dashboard/checks",
    "/api/pages/new-form/trends",
    "/api/alerts?status=all",
    "/api/sla",
    "/api/maintenance",
    "/api/audit",
]
WRITES = ["/alerts/1/acknowledge", "/alerts/1/resolve", "/api/alerts/1/acknowledge", "/api/alerts/1/resolve"]


def _numbers(text: str) -> set[float]:
    return {float(x) for x in re.findall(r"-?\d+\.\d+", text)}


def _payload(html: str) -> dict[str, Any]:
    """The charts page's data (the rest of it is ECharts and the dashboard's own script)."""
    m = re.search(r'<script id="bigday-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, html[:300]
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def _viewed(path: str, text: str) -> str:
    return json.dumps(_payload(text)) + text[: text.index("<style>")] if path == "/charts" else text


def test_a_tenant_token_sees_only_its_studio(served: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {served['tokens']['tenant:lumen']}"}
    with httpx.Client(base_url=served["url"], headers=headers, timeout=30) as c:
        for path in READS:
            r = c.get(path)
            assert r.status_code in (200, 403, 404), (path, r.status_code)
            text = _viewed(path, r.text)
            for word in OTHERS:
                assert word not in text, (path, word)
            assert not (_numbers(text) & served["values"]), path
        assert c.get("/pages/dashboard").status_code == 404 and c.get("/api/pages/dashboard/checks").status_code == 404
        assert c.get("/api/audit").status_code == 403
        assert "Lumen" in c.get("/").text and "clients" in c.get("/").text
        charts = _payload(c.get("/charts").text)
        assert charts["tenant"] == "lumen" and charts["trends"]["metrics"]
        assert {s["page"] for m in charts["trends"]["metrics"] for s in m["series"]} == {"clients"}
        assert [a[3] for a in charts["alerts"]["open"]] == ["clients"]
        alerts = c.get("/api/alerts?status=all").json()["alerts"]
        assert [(a["page"], a["tenant"]) for a in alerts] == [("clients", "lumen")]
        assert len(c.get("/api/pages/clients/checks?limit=500").json()["checks"]) == 192
        sla = c.get("/api/sla").json()
        assert [p["name"] for p in sla["pages"]] == ["clients"] and sla["tenant"] == "lumen"
        for path in WRITES:
            r = c.post(path, json={"note": "x"}, headers={"Origin": served["url"]})
            assert r.status_code == 403, path
    with open_store(str(served["store"])) as store, store.begin() as conn:
        assert conn.execute(select(schema.alerts.c.acknowledged_at).where(schema.alerts.c.id == 1)).scalar_one() is None


def test_missing_wrong_and_revoked_tokens_get_401(served: dict[str, Any]) -> None:
    with httpx.Client(base_url=served["url"], timeout=30) as c:
        for token in (None, "bdt_not-a-real-token", "nonsense", served["tokens"]["admin"] + "x"):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            for path in READS:
                assert c.get(path, headers=headers).status_code == 401, (path, token)
            for path in WRITES:
                assert c.post(path, headers=headers, json={}).status_code == 401, (path, token)
        assert c.get("/healthz").json() == {"ok": True}
        out = served["cli"]("serve", "token", "add", "--role", "tenant:petal", "--name", "short-lived")
        token = out.strip().splitlines()[-1]
        auth = {"Authorization": f"Bearer {token}"}
        assert c.get("/api/whoami", headers=auth).json() == {"name": "short-lived", "role": "tenant:petal"}
        token_id = re.search(r"#(\d+)", out).group(1)  # type: ignore[union-attr]
        served["cli"]("serve", "token", "revoke", token_id, "--by", "ana")
        time.sleep(2.2)  # the server keeps verified tokens for 2 s
        assert c.get("/api/whoami", headers=auth).status_code == 401
        listing = served["cli"]("serve", "token", "list")
        assert "short-lived" in listing and "revoked" in listing and token not in listing


def test_admin_acknowledges_and_resolves_with_the_audit_log_saying_who(served: dict[str, Any]) -> None:
    admin = served["tokens"]["admin"]
    with httpx.Client(base_url=served["url"], timeout=30) as c:
        # A signed-in browser (the cookie) posting a form from another site is refused.
        login = c.post("/login", data={"token": admin})
        assert login.status_code == 303 and "bigday_token" in login.headers["set-cookie"]
        assert (
            "httponly" in login.headers["set-cookie"].lower()
            and "samesite=strict" in login.headers["set-cookie"].lower()
        )
        assert c.get("/alerts").status_code == 200
        assert (
            c.post("/alerts/2/acknowledge", data={"note": "x"}, headers={"Origin": "http://evil.example"}).status_code
            == 403
        )
        r = c.post("/alerts/2/acknowledge", data={"note": "on it"}, headers={"Origin": served["url"]})
        assert r.status_code == 303
        c.cookies.clear()
        api = {"Authorization": f"Bearer {admin}"}
        r = c.post("/api/alerts/3/resolve", json={"note": "fixed the hero"}, headers=api)
        assert r.status_code == 200 and r.json()["by"].startswith("token admin-token")
        assert c.post("/api/alerts/3/resolve", json={}, headers=api).status_code == 400  # already resolved
        audit = c.get("/api/audit", headers=api).json()["audit"]
        acts = [(a["action"], a["target"], a["source"]) for a in audit]
        assert ("alert.acknowledge", "alert 2", "serve") in acts and ("alert.resolve", "alert 3", "serve") in acts
        assert ("token.add", "token admin-token (#1)", "cli") in acts and ("maintenance.add", "window 1", "cli") in acts
        assert all(a["actor"].startswith("token admin-token") for a in audit if a["source"] == "serve")
        charts = c.get("/charts", headers=api)
        assert "script-src 'unsafe-inline'" in charts.headers["content-security-policy"]
        trends = _payload(charts.text)["trends"]["metrics"]
        assert {s["page"] for m in trends for s in m["series"]} == {"clients", "dashboard", "new-form"}
        lcp = next(m for m in trends if m["metric"] == "lcp")
        assert [w[2:] for w in lcp["maintenance"]] == [[["dashboard"], "maintenance: everafter migration"]]
        page = c.get("/pages/dashboard", headers=api).text
        assert "maintenance" in page and "everafter" in page  # the admin sees every studio, windows marked
        assert c.get("/api/pages", headers=api).json()["pages"][0]["page"] == "dashboard"
