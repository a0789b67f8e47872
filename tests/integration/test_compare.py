"""compare_run end to end on synthetic run folders in the documented format (SQLite store)."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from bigday.compare.engine import CompareOptions, compare_run
from bigday.errors import ConfigError
from bigday.runfolder import utc_now
from bigday.settings.scenario import Budget, load_scenario
from bigday.store import repo, schema
from bigday.store.engine import open_store
from bigday.store.synthetic import write_probe_run

SCENARIO = load_scenario()


def label(check):
    """A baseline comparison's label (None for checks of other kinds)."""
    return check.comparison.label if check.comparison else None


CHUNKS = {
    "resources": {
        "js_chunks": {
            "main": {"body_bytes": 150_000},
            "vendor": {"body_bytes": 250_000},
            "forms": {"body_bytes": 60_000},
            "dashboard": {"body_bytes": 60_000},
        },
        "by_type": {"image": {"count": 3, "transfer_bytes": 400_000, "body_bytes": 400_000}},
    }
}


def healthy(rng: np.random.Generator, lcp: float = 1000.0, n: int = 10, **overrides: list[float | None]):
    pages = {}
    for p in SCENARIO.pages:
        metrics = {
            "lcp": list(lcp * (1 + 0.03 * rng.standard_normal(n))),
            "fcp": list(500 * (1 + 0.03 * rng.standard_normal(n))),
            "cls": [0.01] * n,
            "inp": list(rng.uniform(40, 80, n)),
            "fid": list(rng.uniform(1, 5, n)),
            "ttfb": list(rng.uniform(20, 30, n)),
            "tbt": [0.0] * n,
            "page_load": list(rng.uniform(900, 1100, n)),
            "js_bytes": [400_000.0] * n,
            "js_heap_used": [20e6] * n,
            "performance_score": [99.0] * n,
            "accessibility_score": [100.0] * n,
        }
        metrics.update(overrides)
        pages[p.name] = metrics
    return pages


def details() -> dict:
    return {p.name: CHUNKS for p in SCENARIO.pages}


@pytest.fixture
def store(tmp_path: Path):
    with open_store(str(tmp_path / "bigday.sqlite")) as s:
        yield s


def run(tmp_path: Path, pages, days_ago: float = 0, **kw) -> Path:
    return write_probe_run(
        tmp_path / "results",
        pages,
        started_at=utc_now() - timedelta(days=days_ago),
        details=kw.pop("details", details()),
        **kw,
    )


def test_a_healthy_run_passes_and_writes_verdicts_and_alerts(store, tmp_path: Path) -> None:
    r = run(tmp_path, healthy(np.random.default_rng(1)))
    v = compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    assert v.outcome == "pass" and v.exit_code == 0, [c.message for c in v.failed()]
    written = json.loads((r / "verdicts.json").read_text())
    assert written["outcome"] == "pass" and written["counts"]["fail"] == 0
    assert json.loads((r / "alerts.json").read_text())["alerts"] == []
    assert {c.kind for c in v.checks} >= {"threshold", "budget"}
    with store.begin() as conn:
        assert repo.get_run(conn, r.name).verdict == "pass"


def test_a_budget_on_a_chunk_no_page_loads_is_refused_before_anything_is_stored(store, tmp_path: Path) -> None:
    r = run(tmp_path, healthy(np.random.default_rng(1)))
    typo = dataclasses.replace(SCENARIO, budgets=(*SCENARIO.budgets, Budget("vendr", 300_000)))
    with pytest.raises(
        ConfigError, match=r"budgets\[5\]\.chunk: unknown JS chunk 'vendr'; the run's pages load dashboard"
    ):
        compare_run(store, r, typo, CompareOptions(notify=False))
    assert not (r / "verdicts.json").exists()
    with store.begin() as conn:
        assert repo.get_run(conn, r.name) is None


def test_a_budget_on_a_chunk_the_probed_pages_do_not_load_is_said_not_judged(store, tmp_path: Path) -> None:
    # Only one page probed, which loads main and vendor: the forms budget cannot be judged, and says so.
    pages = {"dashboard": healthy(np.random.default_rng(1))["dashboard"]}
    chunks = {"resources": {"js_chunks": {"main": {"body_bytes": 1_000}, "vendor": {"body_bytes": 1_000}}}}
    r = run(tmp_path, pages, details={"dashboard": chunks})
    v = compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    (forms,) = [c for c in v.checks if c.metric == "js:forms"]
    assert forms.status == "skipped" and "no page of this run loads it" in forms.message


def test_a_janky_page_raises_a_high_threshold_breach(store, tmp_path: Path) -> None:
    # A 200 ms busy loop every 100 ms: the first input waits for the running loop (FID ~ 0-200 ms).
    rng = np.random.default_rng(2)
    pages = healthy(rng)
    pages["dashboard"] |= {
        "fid": list(rng.uniform(60, 120, 10)),
        "tbt": list(rng.uniform(420, 560, 10)),
        "inp": list(rng.uniform(260, 420, 10)),
    }
    r = run(tmp_path, pages)
    v = compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    assert v.outcome == "fail"
    alerts = json.loads((r / "alerts.json").read_text())["alerts"]
    breach = {a["metric"]: a for a in alerts if a["type"] == "threshold_breach" and a["page"] == "dashboard"}
    # Breached at p95; the severity is where the median visit sits in the bands (80/150 ms, 200/600 ms).
    assert breach["fid"]["severity"] == "high"
    assert breach["tbt"]["severity"] == "high"
    assert all(a["page"] == "dashboard" for a in alerts)


def test_budgets_from_the_scenario_judge_each_chunk(store, tmp_path: Path) -> None:
    sizes = {"main": 260_000, "vendor": 250_000, "forms": 60_000, "dashboard": 60_000}
    heavy = {
        p.name: {"resources": {"js_chunks": {c: {"body_bytes": b} for c, b in sizes.items()}}} for p in SCENARIO.pages
    }
    r = run(tmp_path, healthy(np.random.default_rng(3)), details=heavy)
    v = compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    failed = {(c.page, c.metric) for c in v.failed()}
    assert failed == {(p.name, "js:main") for p in SCENARIO.pages}
    assert "260.0 KB > budget 200.0 KB" in v.failed()[0].message


def _history(store, tmp_path: Path, lcps: list[float], **kw) -> list[Path]:
    rng = np.random.default_rng(4)
    runs = []
    for i, lcp in enumerate(lcps):
        r = run(tmp_path, healthy(rng, lcp=lcp), days_ago=len(lcps) - i, run_id=f"hist-{i}", **kw)
        compare_run(store, r, SCENARIO, CompareOptions(notify=False))
        runs.append(r)
    return runs


def test_branch_baseline_flags_a_15_percent_lcp_regression(store, tmp_path: Path) -> None:
    _history(store, tmp_path, [1000.0])
    r = run(tmp_path, healthy(np.random.default_rng(5), lcp=1150.0))
    v = compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    assert v.baseline is not None and v.baseline.run_id == "hist-0"
    regressions = {c.page for c in v.checks if label(c) == "regression"}
    assert regressions == {p.name for p in SCENARIO.pages}
    assert all(c.metric == "lcp" for c in v.checks if label(c) == "regression")
    assert v.outcome == "fail" and v.exit_code == 1
    alerts = json.loads((r / "alerts.json").read_text())["alerts"]
    assert {a["type"] for a in alerts} == {"regression"}


def test_an_unchanged_build_is_not_flagged(store, tmp_path: Path) -> None:
    _history(store, tmp_path, [1000.0])
    r = run(tmp_path, healthy(np.random.default_rng(6), lcp=1000.0))
    v = compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    assert v.baseline.run_id == "hist-0" and v.outcome == "pass"
    assert not [c for c in v.checks if label(c) == "regression"]


def test_baselines_by_name_and_by_age(store, tmp_path: Path) -> None:
    runs = _history(store, tmp_path, [1000.0] * 10)  # 10, 9, ..., 1 days ago
    repo.set_baseline(store, "release", runs[2].name)
    r = run(tmp_path, healthy(np.random.default_rng(7)))
    assert (
        compare_run(store, r, SCENARIO, CompareOptions(baseline="release", notify=False)).baseline.run_id
        == runs[2].name
    )
    week = compare_run(store, r, SCENARIO, CompareOptions(baseline="age:7d", notify=False)).baseline
    assert week.run_id == runs[3].name  # started 7 days ago
    with pytest.raises(ConfigError, match="unknown baseline name"):
        compare_run(store, r, SCENARIO, CompareOptions(baseline="nope", notify=False))


def test_a_baseline_from_another_environment_is_reported_and_only_warns(store, tmp_path: Path) -> None:
    _history(store, tmp_path, [1000.0], environment={"cpu_count": 8, "browser_version": "155.0.0.0"})
    r = run(tmp_path, healthy(np.random.default_rng(8), lcp=1300.0))
    v = compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    diffs = " ".join(v.baseline.environment_differences)
    assert "cpu_count: 8 (baseline) vs 2 (this run)" in diffs and "browser_version" in diffs
    assert {c.status for c in v.checks if label(c) == "regression"} == {"warn"}
    assert v.outcome == "warn" and v.exit_code == 0


def test_a_recent_step_in_the_nightly_trend_is_an_anomaly(store, tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    lcps = list(1000 * (1 + 0.03 * rng.standard_normal(20))) + list(1150 * (1 + 0.03 * rng.standard_normal(2)))
    _history(store, tmp_path, lcps)
    r = run(tmp_path, healthy(np.random.default_rng(10), lcp=1150.0))
    v = compare_run(store, r, SCENARIO, CompareOptions(baseline="age:1d", notify=False))
    steps = {(c.page, c.metric) for c in v.change_points if c.worse}
    assert ("dashboard", "lcp") in steps
    alerts = json.loads((r / "alerts.json").read_text())["alerts"]
    assert any(a["type"] == "anomaly" and a["metric"] == "lcp" for a in alerts)


def test_bad_input_writes_nothing(store, tmp_path: Path) -> None:
    r = run(tmp_path, healthy(np.random.default_rng(11)))
    bad_budget = tmp_path / "budget.json"
    bad_budget.write_text("[{]")
    with pytest.raises(ConfigError, match="budget.json"):
        compare_run(store, r, SCENARIO, CompareOptions(budget_json=bad_budget, notify=False))
    with pytest.raises(ConfigError, match="unknown baseline"):
        compare_run(store, r, SCENARIO, CompareOptions(baseline="missing", notify=False))
    (r / "samples.json").write_text('{"samples": [')
    with pytest.raises(ConfigError, match="samples.json"):
        compare_run(store, r, SCENARIO, CompareOptions(notify=False))
    assert not (r / "verdicts.json").exists() and not (r / "alerts.json").exists()
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(schema.runs)).scalar_one() == 0


def test_cli_exit_codes_and_lighthouse_files(cli, tmp_path: Path) -> None:
    store_url = str(tmp_path / "cli.sqlite")
    rng = np.random.default_rng(12)
    base = run(tmp_path, healthy(rng), days_ago=1, run_id="cli-base")
    ok = cli("compare", str(base), "--store", store_url, "--no-notify")
    assert ok.returncode == 0 and "PASS" in ok.stdout, ok.stderr
    slow = run(tmp_path, healthy(rng, lcp=1200.0), run_id="cli-slow")
    rc = tmp_path / "lighthouserc.json"
    rc.write_text(
        json.dumps(
            {
                "ci": {
                    "assert": {
                        "preset": "lighthouse:no-pwa",
                        "assertions": {
                            "largest-contentful-paint": [
                                "error",
                                {"maxNumericValue": 1100, "aggregationMethod": "median-run"},
                            ],
                            "speed-index": "warn",
                        },
                    }
                }
            }
        )
    )
    failed = cli("compare", str(slow), "--store", store_url, "--no-notify", "--lighthouserc", str(rc), subprocess_=True)
    assert failed.returncode == 1, failed.stderr
    assert "regression" in failed.stdout and "<lighthouserc:lighthouserc.json>" in failed.stdout
    # Speed Index is measured now: a check (skipped here, the synthetic run has none), not a "not checked".
    assert "not checked: lighthouserc speed-index" not in failed.stdout
    assert "not checked: lighthouserc preset 'lighthouse:no-pwa'" in failed.stdout
    verdicts = json.loads((slow / "verdicts.json").read_text())
    assert any(c["metric"] == "si" and c["status"] == "skipped" for c in verdicts["checks"])
    assert any("lighthouse:no-pwa" in u and "dom-size" in u for u in verdicts["unsupported"])
    bad = tmp_path / "lhrc.json"
    bad.write_text('{"ci": {"assert": {"assertions": {"largest-contentful-paint": ["fatal"]}}}}')
    usage = cli("compare", str(slow), "--store", store_url, "--no-notify", "--lighthouserc", str(bad))
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1 and "lhrc.json" in usage.stderr
    unknown = cli("compare", str(slow), "--store", store_url, "--baseline", "nightly-42", "--no-notify")
    assert unknown.returncode == 2 and "nightly-42" in unknown.stderr
    down = cli(
        "compare", str(slow), "--store", "postgresql://bigday:pw-xyz@127.0.0.1:9/db", "--no-notify", subprocess_=True
    )
    assert down.returncode == 3 and "pw-xyz" not in down.stderr and down.stderr.count("\n") == 1
    missing = cli("compare", str(tmp_path / "nowhere"), "--store", store_url)
    assert missing.returncode == 2 and "nowhere" in missing.stderr


@pytest.mark.browser
def test_a_real_janky_page_raises_a_high_threshold_breach_within_seconds(store, tmp_path: Path) -> None:
    """DESIGN §3: a 200 ms busy loop every 100 ms, probed for real on the reference target."""
    import time

    from bigday.cli.common import run_probe
    from bigday.probe.runner import ProbeOptions

    options = ProbeOptions(
        SCENARIO,
        results_dir=tmp_path / "results",
        runs=3,
        pages=("dashboard",),
        knobs=(("jank", "200"), ("jank_every", "100")),
        accessibility="off",
    )
    outcome = run_probe(options)
    assert outcome.complete, outcome.missing
    t0 = time.monotonic()
    v = compare_run(store, outcome.folder.path, SCENARIO, CompareOptions(notify=False))
    elapsed = time.monotonic() - t0
    alerts = json.loads((outcome.folder.path / "alerts.json").read_text())["alerts"]
    severities = {(a["type"], a["severity"]) for a in alerts}
    # DESIGN asks for high: on a quiet machine the busy loop's median FID lands in the 80-150 ms band. On a busy
    # one the same loop delays input past 150 ms and the breach is critical, which is at least high.
    assert severities & {("threshold_breach", "high"), ("threshold_breach", "critical")}, alerts
    assert v.outcome == "fail" and elapsed < 5.0


def test_a_failed_isolation_verdict_of_a_load_run_raises_an_isolation_alert(store, tmp_path: Path) -> None:
    from bigday.runfolder import RunFolder

    folder = RunFolder.create("load", tmp_path / "results", run_id="load-iso")
    folder.write(
        "load_stats.json",
        {
            "stats": [
                {
                    "tenant": "lumen",
                    "user_kind": "planner",
                    "endpoint": "GET /api/clients",
                    "phase": "spike",
                    "count": 400,
                    "rps": 40.0,
                    "p50": 30.0,
                    "p95": 900.0,
                    "p99": 1500.0,
                    "max": 2000.0,
                    "error_rate": 0.0,
                    "errors": {},
                }
            ],
            "timeline": [],
            "verdicts": [
                {
                    "name": "tenant_isolation",
                    "status": "fail",
                    "trustworthy": True,
                    "victim": "lumen",
                    "aggressor": "everafter",
                    "reasons": ["victim p95 x3.1 while the aggressor spiked (tolerance x1.25)"],
                    "kind": "load",
                },
                {"name": "saturday_spike", "status": "pass", "trustworthy": True, "reasons": [], "kind": "load"},
            ],
            "generator": {"cpu_samples": [], "saturated": False},
        },
    )
    folder.write(
        "manifest.json",
        {
            "run_id": "load-iso",
            "kind": "load",
            "started_at": utc_now().isoformat(),
            "finished_at": utc_now().isoformat(),
            "complete": True,
            "status": "ok",
            "environment": {"cpu_count": 2},
            "app": {"git_branch": "main"},
            "scenario": {},
        },
    )
    v = compare_run(store, folder.path, SCENARIO, CompareOptions(notify=False))
    assert v.outcome == "fail" and v.kind == "load"
    assert {c.kind for c in v.checks} == {"isolation", "load"}  # browser thresholds do not apply
    (iso,) = [c for c in v.checks if c.kind == "isolation"]
    assert iso.page == "tenant:lumen" and "x3.1" in iso.message
    alerts = json.loads((folder.path / "alerts.json").read_text())["alerts"]
    assert [(a["type"], a["page"]) for a in alerts] == [("isolation", "tenant:lumen")]


def _isolation_run(root: Path, run_id: str, verdict: dict) -> Path:
    from bigday.runfolder import RunFolder

    folder = RunFolder.create("load", root, run_id=run_id)
    folder.write(
        "load_stats.json",
        {"stats": [], "timeline": [], "verdicts": [verdict], "generator": {"cpu_samples": [], "saturated": False}},
    )
    folder.write(
        "manifest.json",
        {
            "run_id": run_id,
            "kind": "load",
            "started_at": utc_now().isoformat(),
            "finished_at": utc_now().isoformat(),
            "complete": True,
            "status": "ok",
            "environment": {"cpu_count": 2},
            "app": {"git_branch": "main"},
            "scenario": {},
        },
    )
    return folder.path


def test_an_inconclusive_isolation_verdict_is_an_inconclusive_check_not_a_failure(cli, store, tmp_path: Path) -> None:
    reason = (
        "victim p95 1.16x [0.99, 1.31] beside the everafter spike reaches both sides of the 1.25x tolerance;"
        " about 150 s more phase time would likely decide it"
    )
    verdict = {
        "name": "tenant_isolation",
        "kind": "load",
        "status": "inconclusive",
        "trustworthy": True,
        "victim": "lumen",
        "aggressor": "everafter",
        "tolerance": 1.25,
        "reasons": [reason],
        "reason": reason,
        "p95_ratio": {"estimate": 1.16, "low": 0.99, "high": 1.31, "confidence": 0.95},
        "extra_phase_time_s": 150.0,
    }
    path = _isolation_run(tmp_path / "results", "load-undecided", verdict)
    v = compare_run(store, path, SCENARIO, CompareOptions(notify=False))
    (iso,) = v.checks
    assert iso.status == "inconclusive" and v.outcome == "inconclusive" and v.exit_code == 0
    assert iso.actual == 1.16 and iso.bound == 1.25 and "150 s more phase time" in iso.message
    assert v.exit_code_for(strict=True) == 1
    assert json.loads((path / "alerts.json").read_text())["alerts"] == []  # "cannot tell" raises no alert
    saved = json.loads((path / "verdicts.json").read_text())
    assert saved["outcome"] == "inconclusive" and saved["counts"]["inconclusive"] == 1 and saved["exit_code"] == 0
    store_url = str(tmp_path / "cli.sqlite")
    lenient = cli("compare", str(path), "--store", store_url, "--no-notify")
    strict = cli("compare", str(path), "--store", store_url, "--no-notify", "--strict")
    assert (lenient.returncode, strict.returncode) == (0, 1), lenient.stderr + strict.stderr
    assert "???? [isolation] tenant_isolation: inconclusive:" in lenient.stdout
    assert "1 inconclusive" in lenient.stdout
    for fmt, want in (
        ("md", ("INCONCLUSIVE", "❔", "about 150 s more phase time would decide it")),
        ("junit", ("INCONCLUSIVE: tenant_isolation", 'failures="0"')),
    ):
        out = tmp_path / f"report.{fmt}"
        assert cli("report", str(path), "--format", fmt, "--output", str(out)).returncode == 0
        assert all(w in out.read_text() for w in want), out.read_text()


def _load_run_with_samples(root: Path, run_id: str, victim_ms: float, seed: int) -> Path:
    """A load run folder with raw samples: the victim's GET /api/clients around ``victim_ms``, some failures."""
    import gzip

    from bigday.runfolder import RunFolder

    rng = np.random.default_rng(seed)
    folder = RunFolder.create("load", root, run_id=run_id)
    folder.write(
        "load_stats.json",
        {"stats": [], "timeline": [], "verdicts": [], "generator": {"cpu_samples": [], "saturated": False}},
    )
    lines = ["tenant,user_kind,endpoint,phase,t_s,response_ms,ok"]
    for i in range(900):
        ms = rng.lognormal(np.log(victim_ms), 0.3)
        lines.append(f"lumen,planner,GET /api/clients,spike,{i * 0.01:.3f},{ms:.3f},1")
    for i in range(40):  # failures never count as latency
        lines.append(f"lumen,planner,GET /api/clients,spike,{i * 0.01:.3f},30000.000,0")
    for i in range(120):
        ms = rng.lognormal(np.log(800), 0.2)
        lines.append(f"everafter,photographer,POST /api/photos,spike,{i * 0.1:.3f},{ms:.3f},1")
    with gzip.open(folder.file("load_samples.csv.gz"), "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    folder.write(
        "manifest.json",
        {
            "run_id": run_id,
            "kind": "load",
            "started_at": utc_now().isoformat(),
            "finished_at": utc_now().isoformat(),
            "complete": True,
            "status": "ok",
            "environment": {"cpu_count": 2},
            "app": {"git_branch": "main"},
            "scenario": {},
        },
    )
    return folder.path


def test_load_runs_are_compared_sample_against_sample_per_tenant_endpoint_and_phase(store, tmp_path: Path) -> None:
    from bigday.runfolder import RAW_LATENCY_PER_KEY
    from bigday.store.ingest import read_run

    base = _load_run_with_samples(tmp_path / "results", "load-base", 100.0, seed=1)
    run, rows = read_run(base)
    latency = [r for r in rows if r["metric"] == "latency"]
    victim = [r["value"] for r in latency if r["page"] == "GET /api/clients [lumen, spike]"]
    assert len(victim) == RAW_LATENCY_PER_KEY and max(victim) < 30000  # a seeded subset of the successes
    assert [r["value"] for r in read_run(base)[1] if r["metric"] == "latency"] == [r["value"] for r in latency]
    assert len([r for r in latency if r["tenant"] == "everafter"]) == 120
    assert {r["profile"] for r in latency} == {"spike"}
    compare_run(store, base, SCENARIO, CompareOptions(notify=False))

    def victim_check(run_dir: Path):
        v = compare_run(store, run_dir, SCENARIO, CompareOptions(baseline="run:load-base", notify=False))
        (check,) = [c for c in v.checks if c.page == "GET /api/clients [lumen, spike]" and c.metric == "latency"]
        (upload,) = [c for c in v.checks if c.page == "POST /api/photos [everafter, spike]"]
        return check, upload

    same, upload = victim_check(_load_run_with_samples(tmp_path / "results", "load-same", 100.0, seed=2))
    assert label(same) == "neutral" and same.status == "pass" and label(upload) == "neutral"
    slower, upload = victim_check(_load_run_with_samples(tmp_path / "results", "load-slow", 140.0, seed=3))
    assert label(slower) == "regression" and slower.status == "warn", slower.message  # latency informs, never gates
    assert slower.comparison.interval[0] > 0.25 and slower.n == slower.comparison.n_baseline == RAW_LATENCY_PER_KEY
    assert label(upload) == "neutral"


def test_a_damaged_load_samples_file_is_named_and_nothing_is_stored(store, tmp_path: Path) -> None:
    import gzip

    run_dir = _load_run_with_samples(tmp_path / "results", "load-bad", 100.0, seed=1)
    (run_dir / "load_samples.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ConfigError, match=r"load_samples\.csv\.gz: not a readable gzipped CSV"):
        compare_run(store, run_dir, SCENARIO, CompareOptions(notify=False))
    with gzip.open(run_dir / "load_samples.csv.gz", "wt") as f:
        f.write("tenant,user_kind,endpoint,phase,t_s,response_ms,ok\nlumen,planner,GET /x,spike,0.1,fast,1\n")
    with pytest.raises(ConfigError, match=r"line 2: response_ms: expected milliseconds >= 0, got 'fast'"):
        compare_run(store, run_dir, SCENARIO, CompareOptions(notify=False))
    with store.begin("counting") as conn:
        assert conn.execute(select(func.count()).select_from(schema.runs)).scalar() == 0
