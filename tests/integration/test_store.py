"""The results store on SQLite and on a real PostgreSQL 15 cluster started for this session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text

from bigday.errors import ConfigError, StoreError
from bigday.load.launcher import free_port
from bigday.runfolder import Alert, Recommendation, Recommendations, RunFolder, utc_now, write_recommendations
from bigday.store import alerts as alert_store
from bigday.store import repo, schema
from bigday.store.engine import open_store
from bigday.store.ingest import ingest_run, read_run, store_run, write_run
from bigday.store.migrations import LATEST
from bigday.store.synthetic import write_probe_run

BIGDAY = [sys.executable, "-m", "bigday"]

# The throwaway cluster is tests/conftest.py's session fixture ``pg``; this is its password.
PG_PASSWORD = "s3cret-Pw-for-tests"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "store" / "bigday.sqlite")
    return request.getfixturevalue("pg").new_database()


def _pages(rng: np.random.Generator, n: int = 10, lcp: float = 1000.0) -> dict[str, dict[str, list[float | None]]]:
    return {
        page: {
            "lcp": list(rng.normal(lcp, 40, n)),
            "cls": list(rng.uniform(0, 0.3, n)),
            "inp": [None] * n,
            "ttfb": list(rng.normal(30, 3, n)),
        }
        for page in ("dashboard", "clients")
    }


def _count(store, table) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_migrations_bring_a_new_store_to_the_latest_version_once(store_url: str) -> None:
    with open_store(store_url) as store, store.begin() as conn:
        versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    assert versions == list(range(1, LATEST + 1))
    with open_store(store_url) as store, store.begin() as conn:  # reopening applies nothing twice
        assert conn.execute(select(func.count()).select_from(schema.schema_version)).scalar_one() == LATEST
        conn.execute(
            schema.schema_version.insert().values(version=LATEST + 1, description="future", applied_at=utc_now())
        )
    with pytest.raises(StoreError, match="newer than this bigday"):
        open_store(store_url)


def test_a_run_can_be_judged_inconclusive(store_url: str, tmp_path: Path) -> None:
    run = write_probe_run(tmp_path, _pages(np.random.default_rng(2), n=3))
    with open_store(store_url) as store:
        ingest_run(store, run)
        with store.begin() as conn:
            repo.set_verdict(conn, run.name, "inconclusive")
        with store.begin() as conn:
            verdict = conn.execute(select(schema.runs.c.verdict).where(schema.runs.c.run_id == run.name)).scalar_one()
    assert verdict == "inconclusive"


def test_a_version_1_store_gains_the_engine_and_keeps_engines_apart(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url) as store, store.begin() as conn:  # turn it back into a version 1 store
        conn.execute(text("ALTER TABLE samples DROP COLUMN engine"))
        conn.execute(schema.schema_version.delete().where(schema.schema_version.c.version > 1))
    rng = np.random.default_rng(4)
    pages = _pages(rng, n=4)
    run = write_probe_run(tmp_path, pages, engines={"clients": "lighthouse"})
    with open_store(store_url) as store:  # migrates to the latest version
        ingest_run(store, run)
        with store.begin() as conn:
            engines = dict(conn.execute(text("SELECT page, MIN(engine) FROM samples GROUP BY page")).fetchall())
            ours = repo.run_samples(conn, run.name)
            theirs = repo.run_samples(conn, run.name, "lighthouse")
            trend_pages = set(conn.execute(select(schema.daily_trends.c.page)).scalars())
    assert engines == {"dashboard": "bigday", "clients": "lighthouse"}
    assert {p for p, _ in ours} == {"dashboard"} and {p for p, _ in theirs} == {"clients"}
    assert trend_pages == {"dashboard"}  # daily trends follow bigday's own measurements


def test_ingest_stores_every_measured_value_and_daily_trends(store_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pages = _pages(rng)
    run = write_probe_run(tmp_path, pages)
    with open_store(store_url) as store:
        result = ingest_run(store, run)
        assert result.samples == 2 * 3 * 10  # lcp, cls, ttfb per page run; INP null is not a value
        again = ingest_run(store, run)
        assert again.already_stored and _count(store, schema.samples) == 60
        with store.begin() as conn:
            stored = repo.get_run(conn, run.name)
            trend = conn.execute(
                select(schema.daily_trends).where(
                    schema.daily_trends.c.page == "dashboard", schema.daily_trends.c.metric == "cls"
                )
            ).one()
            values = repo.run_samples(conn, run.name)
    assert stored is not None and stored.environment["browser_version"] == "156.0.0.0"
    assert stored.environment["cpu_count"] == 2 and stored.app_git_branch == "main"
    cls = np.asarray(pages["dashboard"]["cls"])
    assert np.allclose(sorted(values[("dashboard", "cls")]), sorted(cls))
    assert trend.count == 10
    assert trend.avg == pytest.approx(cls.mean())
    assert trend.p75 == pytest.approx(np.percentile(cls, 75))
    assert trend.p95 == pytest.approx(np.percentile(cls, 95))
    assert trend.share_good == pytest.approx(np.mean(cls <= 0.1))
    assert trend.share_poor == pytest.approx(np.mean(cls > 0.25))
    assert trend.share_good + trend.share_needs_improvement + trend.share_poor == pytest.approx(1.0)


def test_a_probe_runs_recommendations_are_stored_with_it_and_pruned_with_it(store_url: str, tmp_path: Path) -> None:
    run = write_probe_run(tmp_path, _pages(np.random.default_rng(4), n=3), started_at=utc_now() - timedelta(days=40))
    found = Recommendation(
        id="dashboard:text_compression:/static/js/vendor.js",
        kind="text_compression",
        category="delivery",
        priority="high",
        page="dashboard",
        subject="/static/js/vendor.js",
        title="Compress this text response (br or gzip)",
        impact_bytes=220_300,
        evidence="220.3 KB of text/javascript sent without Content-Encoding",
        runs=3,
        of_runs=3,
    )
    write_recommendations(RunFolder.open(run), Recommendations(run.name, (found,)))
    with open_store(store_url) as store:
        ingest_run(store, run)
        with store.begin() as conn:
            assert repo.run_recommendations(conn, run.name) == [found]
        repo.prune(store, timedelta(days=30))
        assert _count(store, schema.recommendations) == 0


def test_load_runs_are_ingested_per_endpoint(store_url: str, tmp_path: Path) -> None:
    folder = RunFolder.create("load", tmp_path, run_id="load-1")
    folder.write(
        "load_stats.json",
        {
            "stats": [
                {
                    "tenant": "lumen",
                    "user_kind": "planner",
                    "endpoint": "GET /api/clients",
                    "phase": "spike",
                    "count": 500,
                    "rps": 50.0,
                    "p50": 12.0,
                    "p95": 80.0,
                    "p99": 120.0,
                    "max": 300.0,
                    "error_rate": 0.002,
                    "errors": {},
                },
            ],
            "timeline": [],
            "verdicts": [],
            "generator": {"cpu_samples": [], "saturated": False},
        },
    )
    folder.write(
        "manifest.json",
        {
            "run_id": "load-1",
            "kind": "load",
            "started_at": utc_now().isoformat(),
            "finished_at": utc_now().isoformat(),
            "complete": True,
            "status": "ok",
            "environment": {"cpu_count": 2},
            "app": {},
            "scenario": {},
        },
    )
    with open_store(store_url) as store:
        assert ingest_run(store, folder.path).samples == 6
        with store.begin() as conn:
            values = repo.run_samples(conn, "load-1")
    assert values[("GET /api/clients", "latency_p95")].tolist() == [80.0]
    assert values[("GET /api/clients", "error_rate")].tolist() == [0.002]


@pytest.mark.parametrize("damage", ["corrupt-samples", "bad-metric", "bad-kind", "no-manifest"])
def test_a_damaged_run_folder_is_refused_whole(store_url: str, tmp_path: Path, damage: str) -> None:
    run = write_probe_run(tmp_path, _pages(np.random.default_rng(2)))
    if damage == "corrupt-samples":
        (run / "samples.json").write_text('{"samples": [{"page": "dash')
    elif damage == "bad-metric":
        data = json.loads((run / "samples.json").read_text())
        data["samples"][-1]["metrics"]["lcp"] = "fast"
        (run / "samples.json").write_text(json.dumps(data))
    elif damage == "bad-kind":
        m = json.loads((run / "manifest.json").read_text())
        m["kind"] = "lighthouse"
        (run / "manifest.json").write_text(json.dumps(m))
    else:
        (run / "manifest.json").unlink()
    with open_store(store_url) as store:
        with pytest.raises(ConfigError) as err:
            ingest_run(store, run)
        assert _count(store, schema.runs) == 0 and _count(store, schema.samples) == 0
    assert "\n" not in str(err.value) and str(run) in str(err.value)


def test_two_ingests_at_once_lose_nothing(store_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    runs = [write_probe_run(tmp_path, _pages(rng, n=400), run_id=f"concurrent-{i}") for i in range(3)]
    open_store(store_url).close()  # migrate first, so the race is on the data, not the schema
    procs = [
        subprocess.Popen(
            [*BIGDAY, "ingest", str(r), "--store", store_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for r in runs
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    with open_store(store_url) as store:
        assert _count(store, schema.runs) == 3
        assert _count(store, schema.samples) == 3 * 2 * 3 * 400
        with store.begin() as conn:
            assert conn.execute(select(func.sum(schema.daily_trends.c.count))).scalar_one() == 3 * 2 * 3 * 400


def test_an_ingest_rebuilds_trends_only_after_an_uncommitted_one_commits(store_url: str, tmp_path: Path) -> None:
    """The race above made certain: the first ingest has rebuilt the day's trends but not committed when
    the second reads the samples. Both runs must end up counted in the trends, and the second must not fail."""
    rng = np.random.default_rng(4)
    first, second = (read_run(write_probe_run(tmp_path, _pages(rng, n=50), run_id=f"overlap-{i}")) for i in range(2))
    errors: list[BaseException] = []
    with open_store(store_url) as store:

        def ingest_second() -> None:
            try:
                store_run(store, *second)
            except BaseException as e:  # noqa: BLE001 - reported by the assertion below
                errors.append(e)

        with store.begin() as conn:
            write_run(conn, *first)
            other = threading.Thread(target=ingest_second)
            other.start()
            other.join(1.0)
            assert other.is_alive(), "the second ingest did not wait for the first to commit"
        other.join(60)
        assert not other.is_alive() and errors == []
        assert _count(store, schema.runs) == 2
        with store.begin() as conn:
            assert conn.execute(select(func.sum(schema.daily_trends.c.count))).scalar_one() == 2 * 2 * 3 * 50


def _writing_started(store_url: str) -> bool:
    if store_url.startswith("postgresql"):
        with open_store(store_url, migrate=False) as store, store.begin() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND query ILIKE 'INSERT INTO samples%'"
                    )
                ).scalar_one()
            )
    wal = Path(store_url + "-wal")
    return wal.is_file() and wal.stat().st_size > 1_000_000


def test_an_ingest_killed_midway_leaves_the_store_consistent(store_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    small = write_probe_run(tmp_path, _pages(rng), run_id="before")
    big = write_probe_run(tmp_path, _pages(rng, n=15000), run_id="killed")
    with open_store(store_url) as store:
        ingest_run(store, small)
    proc = subprocess.Popen(
        [*BIGDAY, "ingest", str(big), "--store", store_url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not _writing_started(store_url):
        assert proc.poll() is None, "the ingest finished before it could be killed; make the run bigger"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with open_store(store_url) as store:
        with store.begin() as conn:
            assert repo.get_run(conn, "killed") is None
            assert (
                conn.execute(
                    select(func.count()).select_from(schema.samples).where(schema.samples.c.run_id == "killed")
                ).scalar_one()
                == 0
            )
            if store.dialect == "sqlite":
                assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert _count(store, schema.samples) == 60
        assert ingest_run(store, big).samples == 2 * 3 * 15000  # and the run can simply be ingested again


def test_prune_keeps_baselines_and_trends(store_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    now = utc_now()
    old = write_probe_run(tmp_path, _pages(rng), started_at=now - timedelta(days=100), run_id="old")
    pinned = write_probe_run(tmp_path, _pages(rng), started_at=now - timedelta(days=95), run_id="pinned")
    new = write_probe_run(tmp_path, _pages(rng), started_at=now - timedelta(days=1), run_id="new")
    with open_store(store_url) as store:
        for r in (old, pinned, new):
            ingest_run(store, r)
        repo.set_baseline(store, "release-1", "pinned")
        trends_before = _count(store, schema.daily_trends)
        result = repo.prune(store, timedelta(days=90))
        with store.begin() as conn:
            left = sorted(conn.execute(select(schema.runs.c.run_id)).scalars())
        assert left == ["new", "pinned"]
        assert (result.runs, result.samples, result.kept_baselines) == (1, 60, 1)
        assert _count(store, schema.samples) == 120
        assert _count(store, schema.daily_trends) == trends_before


def test_named_baselines(store_url: str, tmp_path: Path) -> None:
    run = write_probe_run(tmp_path, _pages(np.random.default_rng(6)), run_id="r1")
    with open_store(store_url) as store:
        ingest_run(store, run)
        repo.set_baseline(store, "stable", "r1")
        repo.set_baseline(store, "stable", "r1")  # setting again replaces, not duplicates
        assert [b["name"] for b in repo.list_baselines(store)] == ["stable"]
        with pytest.raises(ConfigError, match="not in the store"):
            repo.set_baseline(store, "ghost", "no-such-run")


def _alert(severity: str = "high", metric: str = "lcp", actual: float = 2500.0) -> Alert:
    return Alert(
        type="threshold_breach",
        severity=severity,
        page="dashboard",
        metric=metric,
        threshold=2000.0,
        actual=actual,
        window="run r",
        run_id="r",
        data={"k": 1},
    )


def test_alerts_are_deduplicated_while_open(store_url: str) -> None:
    with open_store(store_url) as store:
        with store.begin() as conn:
            first = alert_store.raise_alert(conn, _alert("high"))
            again = alert_store.raise_alert(conn, _alert("critical", actual=3500.0))
            other = alert_store.raise_alert(conn, _alert("medium", metric="cls"))
        assert first.new and not again.new and other.new and first.id == again.id != other.id
        rows = {a["metric"]: a for a in alert_store.list_alerts(store)}
        assert rows["lcp"]["occurrences"] == 2 and rows["lcp"]["severity"] == "critical"
        assert rows["lcp"]["actual"] == 3500.0
        alert_store.acknowledge(store, first.id, "ana")
        assert [a["id"] for a in alert_store.list_alerts(store, "acknowledged")] == [first.id]
        alert_store.resolve(store, first.id, "hero image recompressed")
        with pytest.raises(ConfigError, match="already resolved"):
            alert_store.resolve(store, first.id, None)
        with store.begin() as conn:  # resolved: the same breach opens a new alert
            reopened = alert_store.raise_alert(conn, _alert("high"))
        assert reopened.new and reopened.id != first.id
        resolved = alert_store.list_alerts(store, "resolved")
        assert resolved[0]["notes"] == "hero image recompressed" and resolved[0]["acknowledged_by"] == "ana"
        with pytest.raises(ConfigError, match="no such alert"):
            alert_store.acknowledge(store, 9999, "ana")


def test_concurrent_raisers_share_one_open_alert(store_url: str) -> None:
    import threading

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with open_store(store_url, migrate=False) as store:
                for _ in range(5):
                    with store.begin() as conn:
                        alert_store.raise_alert(conn, _alert())
        except BaseException as e:  # noqa: BLE001 -- reported by the assertion below
            errors.append(e)

    open_store(store_url).close()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with open_store(store_url) as store:
        rows = alert_store.list_alerts(store, "all")
    assert len(rows) == 1 and rows[0]["occurrences"] == 20


@pytest.mark.postgres
def test_store_url_errors_are_one_line_and_never_show_the_password(cli, pg, tmp_path: Path) -> None:
    wrong = pg.url(password="Wr0ng-Secret-xyz")
    r = cli("baseline", "list", "--store", wrong, subprocess_=True)  # a real process, end to end
    assert r.returncode == 3, r.stderr
    assert "password authentication failed" in r.stderr and "Wr0ng-Secret-xyz" not in r.stderr + r.stdout
    assert r.stderr.count("\n") == 1

    r = cli("baseline", "list", env={"BIGDAY_STORE": f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{free_port()}/x"})
    assert r.returncode == 3 and PG_PASSWORD not in r.stderr and "Connection refused" in r.stderr
    assert r.stderr.count("\n") == 1

    r = cli("baseline", "list", "--store", f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:notaport/db")
    assert r.returncode == 2 and PG_PASSWORD not in r.stderr and "malformed" in r.stderr

    r = cli("baseline", "list", "--store", "mysql://u:p@h/db")
    assert r.returncode == 2 and "unsupported scheme" in r.stderr

    ok = cli("baseline", "list", "--store", pg.new_database())
    assert ok.returncode == 0 and "no baselines" in ok.stdout


def test_cli_ingest_baseline_prune_alerts(cli, tmp_path: Path) -> None:
    store_url = str(tmp_path / "cli.sqlite")
    run = write_probe_run(tmp_path / "results", _pages(np.random.default_rng(7)), run_id="cli-run")
    r = cli("ingest", str(run), "--store", store_url, subprocess_=True)
    assert r.returncode == 0 and "ingested 60 samples" in r.stdout
    assert "already in" in cli("ingest", str(run), "--store", store_url).stdout
    assert cli("baseline", "set", "nightly", "cli-run", "--store", store_url).returncode == 0
    shown = cli("baseline", "show", "nightly", "--store", store_url)
    assert shown.returncode == 0 and "cli-run" in shown.stdout
    unknown = cli("baseline", "show", "nope", "--store", store_url)
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    assert cli("prune", "--older-than", "soon", "--store", store_url).returncode == 2
    pruned = cli("prune", "--older-than", "90d", "--store", store_url)
    assert pruned.returncode == 0 and "pruned 0 run(s)" in pruned.stdout
    with open_store(store_url) as store, store.begin() as conn:
        alert_id = alert_store.raise_alert(conn, _alert()).id
    listed = cli("alerts", "list", "--store", store_url)
    assert listed.returncode == 0 and f"#{alert_id}" in listed.stdout and "threshold_breach" in listed.stdout
    assert cli("alerts", "ack", str(alert_id), "--by", "ana", "--store", store_url).returncode == 0
    assert cli("alerts", "resolve", str(alert_id), "--note", "fixed", "--store", store_url).returncode == 0
    assert "no open alerts" in cli("alerts", "list", "--store", store_url).stdout
    as_json = json.loads(cli("alerts", "list", "--status", "all", "--json", "--store", store_url).stdout)
    assert as_json[0]["acknowledged_by"] == "ana" and as_json[0]["notes"] == "fixed"
    missing = cli("alerts", "ack", "999", "--by", "ana", "--store", store_url)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
