"""The monitor's store side without a browser: claims, recording checks and the alerts that follow, the
outbox and its channels, maintenance, SLA arithmetic and the audit log, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from bigday.monitor import claims, maintenance, notify
from bigday.monitor.check import OK, UNAVAILABLE, Breach, CheckOutcome
from bigday.monitor.record import RecordContext, record_check
from bigday.monitor.schedule import Schedule
from bigday.monitor.sla import sla_report
from bigday.monitor.synthetic import HistorySpec, write_history
from bigday.runfolder import utc_now
from bigday.settings.scenario import DEFAULT_SCENARIO, Scenario, parse_scenario
from bigday.store import alerts as alert_store
from bigday.store import rum as rum_store
from bigday.store import schema
from bigday.store.audit import list_audit
from bigday.store.engine import Store, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = str(tmp_path / "s.sqlite") if request.param == "sqlite" else request.getfixturevalue("pg").new_database()
    with open_store(url) as s:
        yield s


def scenario(**monitor: Any) -> Scenario:
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["pages"] = [dict(p, tenant=t) for p, t in zip(data["pages"][:3], ("everafter", "lumen", "petal"), strict=True)]
    data["monitor"] = {"alerts": {"open_after": 2, "resolve_after": 2}, **monitor}
    return parse_scenario(yaml.safe_dump(data), Path("monitor.yaml"))


def outcome(status: str, lcp: float = 600.0, breaches: tuple[Breach, ...] = ()) -> CheckOutcome:
    now = utc_now()
    metrics = {"lcp": lcp, "tbt": 0.0, "fid": 3.0} if status == OK else {}
    within = not breaches if status == OK else None
    return CheckOutcome(
        status,
        None if status == OK else "HTTP 503",
        now,
        now + timedelta(seconds=1),
        1,
        metrics,
        breaches,
        within,
        tenant="everafter",
    )


def run(
    store: Store, sc: Scenario, page: str, out: CheckOutcome, channels: tuple[str, ...] = ("webhook",)
) -> list[Any]:
    sched = {page: Schedule(page, every_s=1, jitter_s=0)}
    claims.sync_schedules(store, sched, "here")
    with store.begin() as conn:  # make the slot due now, whatever the grid says
        conn.execute(schema.monitor_schedule.update().values(due_at=utc_now() - timedelta(seconds=1)))
    claim = None
    for _ in range(30):
        claim = claims.claim_next(store, sched, "here", "test-monitor", {page: "everafter"})
        if claim is not None:
            break
        with store.begin() as conn:
            conn.execute(schema.monitor_schedule.update().values(due_at=utc_now() - timedelta(seconds=1)))
    assert claim is not None
    return record_check(store, RecordContext(sc, "here", "test-monitor", channels), claim, out)


def alerts(store: Store) -> list[Any]:
    with store.begin() as conn:
        return conn.execute(select(schema.alerts).order_by(schema.alerts.c.id)).fetchall()


LCP_BREACH = Breach("lcp", "scenario", "p95", 2000.0, 2600.0, "error", "high")


def test_alerts_open_after_n_resolve_after_k_and_queue_one_notification_each(store: Store) -> None:
    sc = scenario()
    run(store, sc, "dashboard", outcome(OK))
    run(store, sc, "dashboard", outcome(UNAVAILABLE))
    assert alerts(store) == []
    events = run(store, sc, "dashboard", outcome(UNAVAILABLE))
    (a,) = alerts(store)
    assert (a.type, a.severity, a.page, a.tenant, a.occurrences) == (
        "availability",
        "critical",
        "dashboard",
        "everafter",
        1,
    )
    assert any("availability opened" in e.text for e in events)
    run(store, sc, "dashboard", outcome(UNAVAILABLE))
    assert alerts(store)[0].occurrences == 2  # one alert per problem: the third failure joins it
    run(store, sc, "dashboard", outcome(OK))
    assert alerts(store)[0].resolved_at is None
    run(store, sc, "dashboard", outcome(OK))
    done = alerts(store)[0]
    assert done.resolved_at is not None and done.resolved_by == "bigday monitor (here)"
    with store.begin() as conn:
        n = schema.notifications
        rows = conn.execute(select(n.c.event).where(n.c.alert_id == done.id).order_by(n.c.id)).scalars().all()
    assert rows == ["opened", "resolved"]


def _field_rows(tenant: str, route: str, values: list[float]) -> list[dict[str, Any]]:
    now = utc_now()
    common = {"received_at": now, "day": now.date(), "tenant": tenant, "route": route, "device": "mobile"}
    common |= {"connection": "4g", "navigation": "navigate", "browser": "chrome", "metric": "lcp", "attribution": None}
    return [common | {"beacon": uuid.uuid4().hex, "value": v} for v in values]


def test_a_field_p75_past_its_threshold_opens_an_alert_and_good_visits_resolve_it(store: Store) -> None:
    field = {"every": "1h", "min_count": 20, "thresholds": [{"metric": "lcp", "aggregate": "p75", "bound": "2500ms"}]}
    sc = scenario(field=field)
    route = rum_store.route_of(sc.page("dashboard").path)

    def field_alerts() -> list[Any]:
        return [a for a in alerts(store) if a.type == "field"]

    def add(tenant: str, values: list[float], page_route: str = route) -> None:
        with store.begin() as conn:
            rum_store.insert_values(conn, _field_rows(tenant, page_route, values))
            # An hour on: the next check's field judgement is due (history.is_due reads this row).
            conn.execute(schema.monitor_state.delete().where(schema.monitor_state.c.key == "field:dashboard"))

    run(store, sc, "dashboard", outcome(OK))
    assert field_alerts() == []  # no beacons: nothing to judge
    # 19 slow visits of the page's own studio (one short of min_count), and slow visits that are not its: another
    # studio on the same route, the same studio on another route.
    add("everafter", [3100.0] * 19)
    add("lumen", [3100.0] * 40)
    add("everafter", [3100.0] * 40, "/photos/gallery")
    run(store, sc, "dashboard", outcome(OK))
    assert field_alerts() == []
    add("everafter", [3100.0] * 11)
    events = run(store, sc, "dashboard", outcome(OK))
    (a,) = field_alerts()
    assert (a.page, a.metric, a.tenant, a.actual, a.threshold) == ("dashboard", "lcp", "everafter", 3100.0, 2500.0)
    # The scenario's alert bands grade the field's p75 as they grade a check's median: past 3,000 ms is critical.
    assert a.severity == "critical" and json.loads(a.data)["count"] == 30
    assert [e.text for e in events if e.kind == "alert"] == [
        "[critical] field lcp opened: dashboard (everafter) - field lcp p75 3,100 ms over 30 visits to /dashboard"
        " (everafter) over the last 1 day(s): past the error threshold 2,500 ms"
    ]
    run(store, sc, "dashboard", outcome(OK))  # within monitor.field.every: the same beacons are not judged again
    assert field_alerts()[0].occurrences == 1
    # 90 fast visits: the p75 of 120 is 1,675 ms (numpy's quantile), within the bound.
    add("everafter", [1200.0] * 90)
    run(store, sc, "dashboard", outcome(OK))
    (done,) = field_alerts()
    assert done.resolved_at is not None
    with store.begin() as conn:
        n = schema.notifications
        sent = conn.execute(select(n.c.event).where(n.c.alert_id == done.id).order_by(n.c.id)).scalars().all()
    assert sent == ["opened", "resolved"]


def test_an_alert_whose_threshold_left_the_scenario_resolves_instead_of_reminding_forever(store: Store) -> None:
    field = {"every": "1h", "min_count": 20, "thresholds": [{"metric": "lcp", "aggregate": "p75", "bound": "2500ms"}]}
    sc = scenario(field=field)
    with store.begin() as conn:
        rum_store.insert_values(
            conn, _field_rows("everafter", rum_store.route_of(sc.page("dashboard").path), [3100.0] * 30)
        )
    for _ in range(2):
        run(store, sc, "dashboard", outcome(OK, 2600.0, (LCP_BREACH,)))
    assert sorted((a.type, a.metric) for a in alerts(store) if a.resolved_at is None) == [
        ("field", "lcp"),
        ("threshold_breach", "lcp"),
    ]
    # The next scenario sets neither bound: no lab threshold or alert band on LCP, and a field threshold on INP only.
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["pages"] = [dict(p, tenant=t) for p, t in zip(data["pages"][:3], ("everafter", "lumen", "petal"), strict=True)]
    data["thresholds"] = [t for t in data["thresholds"] if t["metric"] != "lcp"]
    data["alert_bands"] = {m: b for m, b in data["alert_bands"].items() if m != "lcp"}
    data["monitor"] = {
        "alerts": {"open_after": 2, "resolve_after": 2},
        "field": dict(field, thresholds=[{"metric": "inp", "aggregate": "p75", "bound": "200ms"}]),
    }
    without = parse_scenario(yaml.safe_dump(data), Path("monitor.yaml"))
    events = run(store, without, "dashboard", outcome(OK, 2600.0))
    assert [a for a in alerts(store) if a.resolved_at is None] == []
    texts = sorted(e.text for e in events if e.kind == "alert")
    assert len(texts) == 2 and all("resolved" in t for t in texts), texts
    with store.begin() as conn:
        notes = " ".join(conn.execute(select(schema.alerts.c.notes)).scalars().all())
    for source in ("field", "lab"):
        assert f"resolved by itself: no {source} threshold on lcp applies to dashboard any more" in notes


def test_threshold_breach_severity_reminder_and_acknowledge(store: Store) -> None:
    sc = scenario(alerts={"open_after": 2, "resolve_after": 2, "remind_every": "1s"})
    for _ in range(2):
        run(store, sc, "dashboard", outcome(OK, 2600.0, (LCP_BREACH,)))
    (a,) = [x for x in alerts(store) if x.type == "threshold_breach"]
    assert (a.metric, a.severity, a.threshold, a.actual) == ("lcp", "high", 2000.0, 2600.0)
    import time

    time.sleep(1.1)
    run(store, sc, "dashboard", outcome(OK, 2700.0, (LCP_BREACH,)))
    alert_store.acknowledge(store, a.id, "ana", note="looking")
    time.sleep(1.1)
    run(store, sc, "dashboard", outcome(OK, 2700.0, (LCP_BREACH,)))
    with store.begin() as conn:
        events = (
            conn.execute(select(schema.notifications.c.event).where(schema.notifications.c.alert_id == a.id))
            .scalars()
            .all()
        )
    assert events == ["opened", "reminder"]  # and none once acknowledged
    # The monitor's own entries (slots it missed while this machine was busy) may come between.
    audit = [a for a in list_audit(store) if a["action"].startswith("alert.")]
    assert (
        audit[0]["action"] == "alert.acknowledge"
        and audit[0]["actor"] == "ana"
        and audit[0]["detail"]["note"] == "looking"
    )


def test_maintenance_mutes_alerts_and_leaves_the_sla(store: Store) -> None:
    sc = scenario()
    wid = maintenance.add_window(
        store,
        utc_now() - timedelta(minutes=1),
        utc_now() + timedelta(minutes=5),
        ("dashboard",),
        "db upgrade",
        "ops",
        sc,
    )
    for _ in range(4):
        run(store, sc, "dashboard", outcome(UNAVAILABLE))
        run(store, sc, "clients", outcome(OK))
    assert alerts(store) == []
    with store.begin() as conn:
        flags = conn.execute(select(schema.checks.c.page, schema.checks.c.maintenance)).fetchall()
        report = sla_report(conn, sc, 3600)
    assert {p for p, m in flags if m} == {"dashboard"}
    page = {s.name: s for s in report.pages}
    assert page["dashboard"].counts.total == 0 and page["clients"].counts.total == 4
    assert report.excluded_maintenance == 4 and len(report.maintenance) == 1
    maintenance.delete_window(store, wid, "ops", sc)  # deleting it puts the checks back
    with store.begin() as conn:
        report = sla_report(conn, sc, 3600)
        n = conn.execute(select(func.count()).where(schema.checks.c.maintenance.is_(True))).scalar_one()
    assert n == 0 and {s.name: s for s in report.pages}["dashboard"].objective("availability").share == 0.0
    actions = [r["action"] for r in list_audit(store) if r["action"].startswith("maintenance.")]
    assert actions == ["maintenance.delete", "maintenance.add"]


def test_sla_report_matches_the_checks_and_a_tenant_sees_only_its_pages(store: Store) -> None:
    sc = scenario()
    start = utc_now() - timedelta(days=2)
    write_history(store, sc, HistorySpec(start=start, days=2, every_s=600, unavailable_share=0.05, seed=3))
    with store.begin() as conn:
        rows = conn.execute(
            select(schema.checks.c.page, schema.checks.c.status, schema.checks.c.within_thresholds)
        ).fetchall()
        report = sla_report(conn, sc, 3 * 86400)
        lumen = sla_report(conn, sc, 3 * 86400, tenant="lumen")
    for s in report.pages:
        mine = [r for r in rows if r.page == s.name]
        assert s.counts.total == len(mine)
        assert s.objective("availability").share == sum(r.status == OK for r in mine) / len(mine)
        assert s.objective("within_thresholds").share == sum(
            r.status == OK and bool(r.within_thresholds) for r in mine
        ) / len(mine)
    assert [s.name for s in lumen.pages] == ["clients"] and [t.name for t in lumen.tenants] == ["lumen"]
    from bigday.monitor.evidence import to_html, to_json, to_markdown

    for text in (to_json(lumen), to_markdown(lumen), to_html(lumen)):
        assert "lumen" in text.lower() or "Lumen" in text
        for other in ("everafter", "Everafter", "petal", "Petal", "dashboard", "new-form"):
            assert other not in text, other


class _Hook(BaseHTTPRequestHandler):
    codes: list[int] = []
    got: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        _Hook.got.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(_Hook.codes.pop(0) if _Hook.codes else 200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_outbox_retries_a_failed_delivery_and_never_sends_twice(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _Hook.codes, _Hook.got = [503], []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sc = scenario()
        for _ in range(2):
            run(store, sc, "dashboard", outcome(UNAVAILABLE))
        channel = notify.WebhookChannel(f"http://127.0.0.1:{server.server_address[1]}/x", "k")
        first = notify.deliver_pending(store, [channel])
        assert [(d.sent, d.detail) for d in first] == [(False, "HTTP 503")]
        assert notify.deliver_pending(store, [channel]) == []  # backing off
        with store.begin() as conn:
            conn.execute(schema.notifications.update().values(next_attempt_at=utc_now() - timedelta(seconds=1)))
        assert [d.sent for d in notify.deliver_pending(store, [channel])] == [True]
        with store.begin() as conn:
            conn.execute(schema.notifications.update().values(next_attempt_at=utc_now() - timedelta(seconds=1)))
        assert notify.deliver_pending(store, [channel]) == []  # sent is sent
        body = json.loads(_Hook.got[-1])
        assert (body["event"], body["type"], body["page"], body["version"]) == (
            "opened",
            "availability",
            "dashboard",
            1,
        )
    finally:
        server.shutdown()
        server.server_close()


def test_a_slot_is_claimed_once_even_by_racing_threads(store: Store) -> None:
    pages = {p: Schedule(p, every_s=3600, jitter_s=0) for p in ("dashboard", "clients", "new-form")}
    claims.sync_schedules(store, pages, "here")
    got: list[Any] = []

    def worker(i: int) -> None:
        for _ in range(3):
            c = claims.claim_next(store, pages, "here", f"m{i}", {})
            if c is not None:
                got.append(c)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c.page for c in got) == ["clients", "dashboard", "new-form"]  # one each, the rest not due yet
    with store.begin() as conn:
        n = conn.execute(select(func.count()).select_from(schema.checks)).scalar_one()
    assert n == 3
    assert claims.sync_schedules(store, pages, "here") == 0
    assert claims.sync_schedules(store, {"dashboard": Schedule("dashboard", every_s=60, jitter_s=0)}, "here") == 1
