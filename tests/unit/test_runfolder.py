"""The run-folder contract: every file round-trips through its model, a damaged file is one line naming the file
and the field, a folder from before format versions reads, and a version from the future is refused."""

from __future__ import annotations

import ast
import gzip
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import bigday
from bigday.errors import ConfigError
from bigday.runfolder import (
    Alert,
    Alerts,
    App,
    BaselineComparison,
    BaselineInfo,
    ChangePointFinding,
    Check,
    CheckKind,
    CpuSample,
    EndpointStats,
    Environment,
    Filmstrip,
    FilmstripFrame,
    FilmstripRun,
    GeneratorHealth,
    GeneratorRecord,
    Interval,
    IsolationLook,
    IsolationPart,
    IsolationPlan,
    IsolationVerdict,
    LoadPlan,
    LoadSamples,
    LoadStats,
    Manifest,
    MetricSummary,
    PageRunCounts,
    PhaseFigures,
    PhaseRecord,
    ProbeSample,
    ProbeSamples,
    ProbeSettings,
    ProbeSummary,
    ProcessCpu,
    Recommendation,
    Recommendations,
    RegressionLabel,
    RunFile,
    RunFolder,
    RunKind,
    ScenarioRef,
    SequentialRule,
    SpikeVerdict,
    Stage,
    Status,
    TenantShare,
    TimelinePoint,
    Verdicts,
    VictimNoise,
    frame_file,
    load_csv_formats,
    read_alerts,
    read_filmstrip,
    read_load_samples,
    read_load_stats,
    read_load_stats_csv,
    read_load_timeline,
    read_manifest,
    read_plan,
    read_probe_samples,
    read_probe_summary,
    read_recommendations,
    read_verdicts,
    utc_now,
    write_alerts,
    write_filmstrip,
    write_frame,
    write_load_samples,
    write_load_stats,
    write_load_stats_csv,
    write_load_timeline,
    write_manifest,
    write_plan,
    write_probe_samples,
    write_probe_summary,
    write_recommendations,
    write_verdicts,
)
from bigday.runfolder.document import WRITTEN_FORMAT

T0 = utc_now().replace(microsecond=250_000)


def manifest(kind: RunKind = RunKind.LOAD, **changes: Any) -> Manifest:
    fields: dict[str, Any] = dict(
        run_id="run-1",
        kind=kind,
        rehearsal="isolation" if kind is RunKind.LOAD else None,
        started_at=T0,
        finished_at=T0 + timedelta(minutes=1),
        complete=True,
        status="ok",
        trustworthy=True if kind is RunKind.LOAD else None,
        scenario=ScenarioRef("wedsync", "scenarios/wedsync.yaml", "0" * 64),
        environment=Environment(harness_version="0.1.0", python="3.11.7", platform="Linux", cpu_count=2),
        app=App(base_url="http://127.0.0.1:1", embedded_target=True, git_sha="abc", git_branch="main"),
        probe=ProbeSettings(
            runs=2,
            pages=("dashboard",),
            tenant=None,
            warm=False,
            timeout_s=30.0,
            max_attempts=3,
            knobs={"jank": "200"},
            accessibility="first",
            tbt_window="fcp to settle",
        )
        if kind is RunKind.PROBE
        else None,
        formats=load_csv_formats() if kind is RunKind.LOAD else None,
        argv=("bigday", "load"),
    )
    return Manifest(**(fields | changes))


def probe_samples() -> ProbeSamples:
    return ProbeSamples(
        tuple(
            ProbeSample(
                page="dashboard",
                path="/dashboard",
                url="http://127.0.0.1:1/dashboard?tenant=everafter",
                tenant="everafter",
                run_index=i,
                warm=False,
                profile="desktop",
                device="desktop",
                connection="none",
                browser="chromium",
                browser_version="156.0.0.0",
                ok=i == 0,
                error=None if i == 0 else "timeout: no load event",
                attempt=1,
                started_at=T0 + timedelta(seconds=i),
                duration_s=1.25,
                metrics={"lcp": 812.5, "inp": None, "cls": 0.01} if i == 0 else {"lcp": None},
                details={"resources": {"js_chunks": {"main": {"body_bytes": 150_000}}}},
            )
            for i in range(2)
        )
    )


def probe_summary() -> ProbeSummary:
    lcp = MetricSummary(2, 812.5, 830.0, 850.0, 800.0, 860.0)
    return ProbeSummary(pages={"dashboard": {"lcp": lcp}}, runs={"dashboard": PageRunCounts(2, 0, 2)})


def plan() -> LoadPlan:
    iso = IsolationPlan(victim="lumen", aggressor="everafter", phase_s=9.0)
    return LoadPlan(
        kind="isolation",
        scenario_name="wedsync",
        scenario_path="scenarios/wedsync.yaml",
        scenario_sha256="0" * 64,
        tenants=(TenantShare("lumen", "lumen", 80.0, 1.0), TenantShare("everafter", "everafter", 2000.0, 200.0)),
        stages=iso.stages,
        user_mix=(("photographer", 1.0),),
        think_time_s=(2.0, 8.0),
        max_duration_s=1800.0,
        isolation=iso,
    )


def endpoint_row(phase: str = "spike", p95: float | None = 80.0) -> EndpointStats:
    return EndpointStats("lumen", "planner", "GET /api/clients", phase, 500, 50.0, 12.0, p95, 120.0, 300.0, 20.5, 0.002)


def load_stats() -> LoadStats:
    figures = PhaseFigures(540, 80.1, 150.2, 190.3, 0.0)
    ratio = Interval(1.02, 0.97, 1.08, 0.95)
    health = GeneratorHealth(False, 0.0, 90.0, 0.1, {"local": ProcessCpu(30, 20.0, 25.0, 0.0)})
    return LoadStats(
        kind="isolation",
        host="http://127.0.0.1:1",
        trustworthy=True,
        stop_reason="shape complete",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=62),
        duration_s=62.0,
        samples=1000,
        peak_users_reached=26,
        phases=(PhaseRecord("alone", 2.0, 22.0), PhaseRecord("spike", 22.0, 42.0)),
        stats=(endpoint_row(), endpoint_row("*", None)),
        timeline=(TimelinePoint(t=1.0, users=10, rps=120.0, fail_rps=0.0, phase="alone"),),
        verdicts=(
            IsolationVerdict(
                status=Status.PASS,
                trustworthy=True,
                reasons=(),
                victim="lumen",
                aggressor="everafter",
                tolerance=1.25,
                victim_p95_sla_ms=500.0,
                victim_max_error_rate=0.01,
                alone=figures,
                spike=figures,
                p95_ratio=ratio,
                p99_ratio=ratio,
                error_rate_increase=Interval(0.0, -0.001, 0.001, 0.95),
                aggressor_requests_in_spike=120,
                recovery=figures,
                p95_increase_ms=Interval(1.5, -2.0, 4.0, 0.95),
                p99_increase_ms=Interval(None, None, None, 0.95),
                min_effect_ms=5.0,
                notes=("victim p99 rose 1.3x",),
                reason="victim p95 1.02x [0.97, 1.08] beside the everafter spike: within the 1.25x tolerance",
                parts=(
                    IsolationPart(
                        part="slowdown",
                        condition="both",
                        status=Status.PASS,
                        reason="within the tolerance",
                        value=ratio,
                        bound=1.25,
                        unit="ratio",
                        rise_ms=Interval(1.5, -2.0, 4.0, 0.95),
                        min_effect_ms=5.0,
                    ),
                    IsolationPart(
                        part="error_rate",
                        condition="spike",
                        status=Status.INCONCLUSIVE,
                        reason="reaches both sides",
                        value=Interval(0.0, 0.0, 0.012, 0.95),
                        bound=0.01,
                        unit="fraction",
                    ),
                ),
                noise=VictimNoise(
                    first="alone-1",
                    second="alone-2",
                    first_p95_ms=150.0,
                    second_p95_ms=151.0,
                    ratio=Interval(1.01, 0.9, 1.1, 0.95),
                    difference_ms=Interval(1.0, -9.0, 11.0, 0.95),
                    beyond_tolerance=False,
                ),
                rule=SequentialRule(
                    adaptive=True,
                    planned_looks=3,
                    alpha=0.05,
                    per_look_confidence=0.98,
                    window_s=10,
                    max_phase_time_s=80,
                ),
                looks=(
                    IsolationLook(
                        index=1,
                        at_s=42.5,
                        alone_windows=("alone-1", "alone-2", "alone-3"),
                        spike_windows=("spike-1",),
                        alone_n=2500,
                        spike_n=800,
                        confidence=0.98,
                        status=Status.PASS,
                        p95_ratio=ratio,
                        p95_increase_ms=Interval(1.5, -2.0, 4.0, 0.95),
                        reason="within the tolerance",
                        stopped=True,
                    ),
                ),
                alone_windows=("alone-1", "alone-2", "alone-3"),
                spike_windows=("spike-1",),
                phase_time_s=40.0,
                decided_at_s=42.5,
            ),
            SpikeVerdict(
                status=Status.FAIL,
                trustworthy=False,
                reasons=("plateau p95 1200 ms exceeds the SLA of 1000 ms",),
                peak_users_planned=30,
                peak_users_reached=30,
                plateau_phases=("spike",),
                plateau_count=900,
                plateau_rps=30.0,
                plateau_p95_ms=1200.0,
                plateau_p99_ms=1500.0,
                plateau_error_rate=0.0,
                p95_sla_ms=1000.0,
                max_error_rate=0.01,
                caveats=("load generator saturated",),
            ),
        ),
        generator=GeneratorRecord(
            cpu_samples=(CpuSample("local", 1700000000.5, 20.0),), saturated=False, health=health, processes=1
        ),
    )


def load_samples() -> LoadSamples:
    rng = np.random.default_rng(1)
    return LoadSamples.from_groups(
        [
            (("lumen", "planner", "GET /api/clients", "spike"), np.arange(5) * 0.25, rng.gamma(2, 30, 5), [1] * 5),
            (("a,b", "planner", 'GET /q"x', "alone"), [0.5, 0.75], [12.0, 30000.0], [1, 0]),
        ]
    )


def verdicts() -> Verdicts:
    threshold = Check(
        kind=CheckKind.THRESHOLD,
        page="dashboard",
        metric="lcp",
        status=Status.FAIL,
        message="dashboard lcp p95 2,600 ms > 2,000 ms (error, n=10)",
        aggregate="p95",
        level="error",
        bound=2000.0,
        actual=2600.0,
        n=10,
        typical=2600.0,
    )
    regression = Check(
        kind=CheckKind.REGRESSION,
        page="clients",
        metric="lcp",
        status=Status.FAIL,
        message="clients lcp: regression +25.0%",
        source="baseline",
        aggregate="median",
        level="error",
        actual=1250.0,
        n=10,
        comparison=BaselineComparison(
            label=RegressionLabel.REGRESSION,
            baseline=1000.0,
            effect=0.25,
            effect_kind="ratio",
            interval=(0.2, 0.3),
            min_effect=0.1,
            p_value=0.0001,
            q_value=0.0002,
            n_baseline=10,
            gated=True,
        ),
    )
    skipped = Check(
        kind=CheckKind.REGRESSION,
        page="clients",
        metric="fid",
        status=Status.SKIPPED,
        message="too few samples",
        source="baseline",
        n=2,
        comparison=BaselineComparison(n_baseline=10),
    )
    return Verdicts(
        run_id="run-1",
        kind=RunKind.PROBE,
        outcome=Status.FAIL,
        baseline=BaselineInfo("branch:main", "base", T0.isoformat(), ("cpu_count: 8 vs 2",), "different"),
        unsupported=("lighthouserc speed-index",),
        notes=("1 page run(s) failed and carry no values",),
        change_points=(ChangePointFinding("dashboard", "lcp", "2026-01-01", 1000.0, 1150.0, 0.15, 1e-5, True),),
        checks=(threshold, regression, skipped),
    )


def alerts() -> Alerts:
    return Alerts(
        "run-1",
        (
            Alert(
                id=1,
                type="threshold_breach",
                severity="high",
                page="dashboard",
                metric="fid",
                threshold=75.0,
                actual=112.0,
                window="run run-1",
                run_id="run-1",
                occurrences=1,
                new=True,
                data={"message": "fid p95", "interval": [0.1, 0.2]},
            ),
        ),
    )


@pytest.fixture
def folder(tmp_path: Path) -> RunFolder:
    f = RunFolder(tmp_path / "run-1")
    f.path.mkdir()
    return f


# (file, write the model, read it back, the model) for every JSON file of the contract
JSON_FILES: list[tuple[RunFile, Callable[[RunFolder, Any], Any], Callable[[RunFolder], Any], Callable[[], Any]]] = [
    (RunFile.MANIFEST, write_manifest, read_manifest, manifest),
    (RunFile.MANIFEST, write_manifest, read_manifest, lambda: manifest(RunKind.PROBE)),
    (RunFile.PROBE_SAMPLES, write_probe_samples, read_probe_samples, probe_samples),
    (RunFile.PROBE_SUMMARY, write_probe_summary, read_probe_summary, probe_summary),
    (RunFile.PLAN, write_plan, read_plan, plan),
    (RunFile.LOAD_STATS, write_load_stats, read_load_stats, load_stats),
    (RunFile.VERDICTS, write_verdicts, read_verdicts, verdicts),
    (RunFile.ALERTS, write_alerts, read_alerts, alerts),
    (RunFile.RECOMMENDATIONS, write_recommendations, read_recommendations, lambda: recommendations()),
]


def recommendations() -> Recommendations:
    found = Recommendation(
        id="dashboard:unused_javascript:/static/js/main.js",
        kind="unused_javascript",
        category="recommendation",
        priority="medium",
        page="dashboard",
        subject="/static/js/main.js",
        title="Remove or lazy-load the code of this script that the page never runs",
        impact_bytes=101_200,
        evidence="101.2 KB of 268.0 KB never ran",
        runs=2,
        of_runs=3,
    )
    return Recommendations("run-1", (found,))


def filmstrip() -> Filmstrip:
    frames = tuple(
        FilmstripFrame(t, p, frame_file("dashboard", 1, i)) for i, (t, p) in enumerate([(310.5, 40), (545.0, 100)])
    )
    return Filmstrip((FilmstripRun(page="dashboard", run_index=1, speed_index=471.0, frames=frames),))


def test_a_filmstrip_names_frames_that_are_in_the_folder(folder) -> None:
    strip = filmstrip()
    for f in strip.runs[0].frames:
        write_frame(folder, f.file, b"\xff\xd8 jpeg")
    write_filmstrip(folder, strip)
    assert read_filmstrip(folder) == strip
    (folder.path / strip.runs[0].frames[0].file).unlink()
    with pytest.raises(ConfigError, match="filmstrip.json: frame filmstrip/dashboard-run2-000.jpg is missing"):
        read_filmstrip(folder)


def test_a_sample_written_before_engines_reads_as_bigdays(folder) -> None:
    write_probe_samples(folder, probe_samples())
    data = folder.read("samples.json")
    for s in data["samples"]:
        s.pop("engine")
    folder.write("samples.json", data)
    assert {s.engine for s in read_probe_samples(folder).samples} == {"bigday"}


@pytest.mark.parametrize(("file", "write", "read", "make"), JSON_FILES, ids=lambda x: getattr(x, "value", ""))
def test_every_json_file_round_trips_with_its_format_version(folder, file, write, read, make) -> None:
    model = make()
    write(folder, model)
    raw = json.loads(folder.file(file).read_text())
    # plan.json at 3 (journeys at 2, the adaptive isolation check's windows at 3), load_stats.json at 2 (the
    # inconclusive isolation verdict), every other file at 1
    version = WRITTEN_FORMAT[file]
    assert next(iter(raw)) == "format_version" and raw["format_version"] == version == (
        {RunFile.PLAN: 3, RunFile.LOAD_STATS: 2}.get(file, 1)
    )
    assert read(folder) == model
    assert raw == {"format_version": version, **model.to_json()}
    if version > 1:  # a file from the version before still reads
        folder.file(file).write_text(json.dumps(raw | {"format_version": version - 1}))
        assert read(folder) == model


def test_the_csv_files_round_trip(folder) -> None:
    write_manifest(folder, manifest())
    stats = load_stats()
    write_load_stats_csv(folder, stats.stats)
    assert read_load_stats_csv(folder) == stats.stats
    write_load_timeline(folder, stats.timeline)
    assert read_load_timeline(folder) == stats.timeline
    samples = load_samples()
    write_load_samples(folder, samples)
    back = read_load_samples(folder)
    assert back is not None and back.keys == samples.keys
    assert np.array_equal(back.key_index, samples.key_index) and np.array_equal(back.ok, samples.ok)
    # Written to the microsecond: what comes back is the value as written.
    assert np.allclose(back.t_s, samples.t_s, atol=5e-4) and np.allclose(
        back.response_ms, samples.response_ms, atol=5e-4
    )
    with gzip.open(folder.file(RunFile.LOAD_SAMPLES), "rt") as f:
        assert f.readline() == "tenant,user_kind,endpoint,phase,t_s,response_ms,ok\n"
        assert '"a,b",planner,"GET /q""x",alone,0.500,12.000,1\n' in f.read()


def test_a_check_is_one_flat_object_in_the_file() -> None:
    regression = verdicts().checks[1]
    flat = regression.to_json()
    assert flat["label"] == "regression" and flat["n_baseline"] == 10 and "comparison" not in flat
    assert list(flat)[:5] == ["kind", "page", "metric", "status", "message"]
    assert "bound" not in flat  # absent, not null: it does not apply
    doc = verdicts().to_json()
    assert list(doc)[:5] == ["run_id", "kind", "outcome", "exit_code", "counts"]
    assert doc["exit_code"] == 1 and doc["counts"] == {"pass": 0, "warn": 0, "fail": 2, "skipped": 1}


# (file, write a valid one, a damage to its JSON, what the message must name)
def _set(path: list[Any], value: Any) -> Callable[[Any], None]:
    def damage(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value

    return damage


DAMAGES = [
    (RunFile.MANIFEST, lambda f: write_manifest(f, manifest()), _set(["kind"], "lighthouse"), "kind"),
    (
        RunFile.MANIFEST,
        lambda f: write_manifest(f, manifest()),
        _set(["environment", "cpu_count"], "two"),
        "environment.cpu_count",
    ),
    (RunFile.MANIFEST, lambda f: write_manifest(f, manifest()), _set(["started_at"], "soon"), "started_at"),
    (
        RunFile.PROBE_SAMPLES,
        lambda f: write_probe_samples(f, probe_samples()),
        _set(["samples", 0, "metrics", "lcp"], "fast"),
        "samples[0].metrics.lcp",
    ),
    (
        RunFile.PROBE_SUMMARY,
        lambda f: write_probe_summary(f, probe_summary()),
        _set(["pages", "dashboard", "lcp", "n"], "many"),
        "pages.dashboard.lcp.n",
    ),
    (RunFile.PLAN, lambda f: write_plan(f, plan()), _set(["stages", 1, "users"], -0.5), "stages[1].users"),
    (
        RunFile.LOAD_STATS,
        lambda f: write_load_stats(f, load_stats()),
        _set(["stats", 0, "p95"], "slow"),
        "stats[0].p95",
    ),
    (
        RunFile.LOAD_STATS,
        lambda f: write_load_stats(f, load_stats()),
        _set(["verdicts", 0, "p95_ratio", "high"], "wide"),
        "verdicts[0].p95_ratio.high",
    ),
    (
        RunFile.LOAD_STATS,
        lambda f: write_load_stats(f, load_stats()),
        _set(["verdicts", 1, "name"], "black_friday"),
        "verdicts[1]",
    ),
    (
        RunFile.VERDICTS,
        lambda f: write_verdicts(f, verdicts()),
        _set(["checks", 2, "status"], "maybe"),
        "checks[2].status",
    ),
    (
        RunFile.VERDICTS,
        lambda f: write_verdicts(f, verdicts()),
        _set(["checks", 1, "q_value"], "tiny"),
        "checks[1].q_value",
    ),
    (
        RunFile.ALERTS,
        lambda f: write_alerts(f, alerts()),
        _set(["alerts", 0, "severity"], "apocalyptic"),
        "alerts[0].severity",
    ),
    (RunFile.ALERTS, lambda f: write_alerts(f, alerts()), _set(["alerts", 0, "colour"], "red"), "alerts[0].colour"),
]


@pytest.mark.parametrize(("file", "write", "damage", "field"), DAMAGES, ids=lambda x: getattr(x, "value", None))
def test_a_damaged_json_file_is_one_line_naming_the_file_and_the_field(folder, file, write, damage, field) -> None:
    write(folder)
    doc = json.loads(folder.file(file).read_text())
    damage(doc)
    folder.file(file).write_text(json.dumps(doc))
    reader = {r: fn for r, _, fn, _ in JSON_FILES}[file]
    with pytest.raises(ConfigError) as err:
        reader(folder)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{folder.file(file)}: {field}"), message


def test_a_corrupt_json_file_is_named(folder) -> None:
    folder.file(RunFile.VERDICTS).write_text('{"run_id": ')
    with pytest.raises(ConfigError, match=r"verdicts\.json: corrupt JSON"):
        read_verdicts(folder)


def test_damaged_csv_files_name_the_file_the_line_and_the_column(folder) -> None:
    write_manifest(folder, manifest())
    path = folder.file(RunFile.LOAD_SAMPLES)
    head = "tenant,user_kind,endpoint,phase,t_s,response_ms,ok\n"
    for text, expected in (
        ("tenant,endpoint,phase,response_ms,ok\n", "missing user_kind, t_s"),
        (head + "l,p,GET /x,spike,0.1,fast,1\n", "line 2: response_ms: expected milliseconds >= 0, got 'fast'"),
        # Past a blank line (skipped) and a good row, the third line's latency is negative.
        (
            head + "\nl,p,GET /x,spike,0.1,12,1\nl,p,GET /x,spike,0.2,-3,1\n",
            "line 4: response_ms: expected milliseconds",
        ),
        (head + "l,p,GET /x,spike,0.1,12,yes\n", "line 2: ok: expected 1 or 0, got 'yes'"),
        (head + "l,p,GET /x,spike,nan,12,1\n", "line 2: t_s"),
        (head + "l,p,GET /x,spike,0.1\n", "line 2: expected 7 columns, got 5"),
    ):
        with gzip.open(path, "wt") as f:
            f.write(text)
        with pytest.raises(ConfigError) as err:
            read_load_samples(folder)
        assert str(err.value).startswith(str(path)) and expected in str(err.value) and "\n" not in str(err.value)
    path.write_bytes(b"not gzip")
    with pytest.raises(ConfigError, match=r"load_samples\.csv\.gz: not a readable gzipped CSV"):
        read_load_samples(folder)
    write_load_timeline(folder, load_stats().timeline)
    timeline = folder.file(RunFile.LOAD_TIMELINE)
    timeline.write_text(timeline.read_text().replace(",10,", ",ten,"))
    with pytest.raises(ConfigError, match=r"load_timeline\.csv: line 2: users: "):
        read_load_timeline(folder)
    write_load_stats_csv(folder, load_stats().stats)
    stats_csv = folder.file(RunFile.LOAD_STATS_CSV)
    stats_csv.write_text(stats_csv.read_text().replace(",500,", ",lots,", 1))
    with pytest.raises(ConfigError, match=r"load_stats\.csv: line 2: count: "):
        read_load_stats_csv(folder)


def test_a_folder_written_before_format_versions_reads_as_version_1(folder) -> None:
    # As bigday wrote them before this contract: no format_version, stats rows without a mean, a manifest
    # without formats for its CSV files.
    folder.write(
        RunFile.MANIFEST,
        {
            "kind": "load",
            "started_at": "2025-06-01T10:00:00",
            "finished_at": None,
            "complete": True,
            "status": "ok",
            "scenario": {"name": "wedsync", "path": "s.yaml", "sha256": "0"},
            "environment": {"harness_version": "0.1.0", "cpu_count": 2, "locust_version": "2.47.0"},
            "app": {"base_url": "http://127.0.0.1:1"},
            "run_id": "run-1",
            "argv": ["bigday", "load"],
        },
    )
    row = endpoint_row().to_json()
    del row["mean"]
    folder.write(
        RunFile.LOAD_STATS,
        {
            "stats": [row],
            "timeline": [],
            "verdicts": [{"name": "saturday_spike", "status": "pass", "trustworthy": True, "reasons": []}],
            "generator": {"cpu_samples": [], "saturated": False},
        },
    )
    write_load_samples(folder, load_samples())
    m = read_manifest(folder)
    assert m.started_at.tzinfo is not None and m.started_at.hour == 10  # a time without zone is UTC
    assert m.format_of(RunFile.LOAD_SAMPLES) == 1
    stats = read_load_stats(folder)
    assert stats.stats[0].mean is None and stats.host is None
    (spike,) = stats.verdicts
    assert isinstance(spike, SpikeVerdict) and spike.passed and spike.check_kind is CheckKind.LOAD
    assert read_load_samples(folder) is not None


def test_an_unknown_format_version_is_refused(folder) -> None:
    write_verdicts(folder, verdicts())
    doc = json.loads(folder.file(RunFile.VERDICTS).read_text())
    for version in (2, 0, "1", True):
        folder.file(RunFile.VERDICTS).write_text(json.dumps(doc | {"format_version": version}))
        with pytest.raises(ConfigError) as err:
            read_verdicts(folder)
        assert f"verdicts.json: format_version: {version!r} is not a version this bigday reads (1)" in str(err.value)
    write_manifest(folder, manifest(formats={"load_samples.csv.gz": 2}))
    write_load_samples(folder, load_samples())
    with pytest.raises(ConfigError, match=r"load_samples\.csv\.gz: format_version: 2 is not a version"):
        read_load_samples(folder)


def test_a_plan_file_outside_a_run_folder() -> None:
    with pytest.raises(ConfigError, match="no such load plan file"):
        read_plan(Path("/nonexistent/plan.json"))
    again = LoadPlan.from_json(json.loads(plan().dumps()))
    assert again == plan() and again.stages[2] == Stage("spike", 9.0, 26)


def test_verdicts_derived_figures_are_recomputed_not_trusted(folder) -> None:
    write_verdicts(folder, verdicts())
    doc = json.loads(folder.file(RunFile.VERDICTS).read_text())
    folder.file(RunFile.VERDICTS).write_text(json.dumps(doc | {"exit_code": 0, "counts": {"pass": 99}}))
    back = read_verdicts(folder)
    assert back.exit_code == 1 and back.counts[Status.FAIL] == 2


def test_only_the_runfolder_package_spells_the_folders_file_names() -> None:
    names = {f.value for f in RunFile}
    package = Path(bigday.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.is_relative_to(package / "runfolder"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in names or any(node.value.endswith("/" + n) for n in names):
                    offenders.append(f"{path.relative_to(package)}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_raw_load_samples_past_the_stated_row_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A gzip of repeated lines expands a thousandfold: the rows are counted as they are read, not trusted.
    from bigday.runfolder import RunFolder, read_load_samples
    from bigday.settings import limits

    monkeypatch.setattr(limits, "MAX_LOAD_SAMPLE_ROWS", 3)
    rows = "tenant,user_kind,endpoint,phase,t_s,response_ms,ok\n" + "lumen,victim,/api,alone,1.0,3.0,1\n" * 4
    (tmp_path / "load_samples.csv.gz").write_bytes(gzip.compress(rows.encode()))
    with pytest.raises(ConfigError, match=r"load_samples.csv.gz: more than 3 rows; a run folder may hold at most"):
        read_load_samples(RunFolder(tmp_path))
    (tmp_path / "load_samples.csv.gz").write_bytes(gzip.compress(rows.rsplit("lumen", 1)[0].encode()))
    assert len(read_load_samples(RunFolder(tmp_path)).t_s) == 3
