"""Hostile and clumsy inputs, one table: each is refused with its exit code (2: what the user wrote, 3: what the
environment did) and one line naming the place, and leaves the store and the results folder byte for byte as
they were. In-process calls of the real CLI entry point, so the whole table runs in seconds."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

from bigday.cli import main
from bigday.settings.scenario import DEFAULT_SCENARIO
from bigday.store.synthetic import write_probe_run

# Its module fixture is costly: every test of this file on one xdist worker, so it is built once.
pytestmark = pytest.mark.xdist_group("hostile_inputs")

GOOD = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Case:
    """``argv`` with {run}, {results}, {store} and {inputs} filled in; ``files`` written under {inputs} first."""

    name: str
    argv: tuple[str, ...]
    code: int
    message: str
    files: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    sparse: dict[str, int] = field(default_factory=dict)  # files of this size holding nothing (no disk used)


def _scenario_with(path: str, value: object) -> str:
    """The example scenario with one key (a dotted path; [i] for list items) set to ``value``."""
    data = json.loads(json.dumps(GOOD))
    parts = path.replace("]", "").replace("[", ".").split(".")
    node = data
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return yaml.safe_dump(data, sort_keys=False)


def _scenario_case(name: str, key: str, value: object, message: str) -> Case:
    return Case(
        f"scenario {name}",
        ("scenario", "{inputs}/s.yaml"),
        2,
        message,
        files={"s.yaml": _scenario_with(key, value)},
    )


def _json(data: object) -> str:
    return json.dumps(data)


NAN, INF = float("nan"), float("inf")
SCENARIO_CASES = [
    _scenario_case("nan bound", "thresholds[0].bound", NAN, "thresholds[0].bound"),
    _scenario_case("inf bound", "thresholds[0].bound", INF, "thresholds[0].bound"),
    _scenario_case("-inf bound", "thresholds[2].bound", -INF, "thresholds[2].bound"),
    _scenario_case("negative lcp bound", "thresholds[0].bound", "-5ms", "thresholds[0].bound"),
    _scenario_case("negative cls bound", "thresholds[2].bound", -0.1, "thresholds[2].bound"),
    _scenario_case("performance bound 150", "thresholds[9].bound", 150, "thresholds[9].bound"),
    _scenario_case("accessibility bound -1", "thresholds[10].bound", -1, "thresholds[10].bound"),
    _scenario_case("huge duration", "thresholds[0].bound", 1e308, "thresholds[0].bound"),
    _scenario_case("huge size", "budgets[0].max", 1e308, "budgets[0].max"),
    _scenario_case("inf size", "budgets[0].max", INF, "budgets[0].max"),
    _scenario_case("negative budget", "budgets[0].max", -5, "budgets[0].max"),
    _scenario_case("nan alert band", "alert_bands.lcp.warning", NAN, "alert_bands.lcp.warning"),
    _scenario_case("peak users 1e30", "load.peak_users", 10**30, "load.peak_users"),
    _scenario_case("peak users 0", "load.peak_users", 0, "load.peak_users"),
    _scenario_case("stage users past the limit", "load.stages[0].users", 10**9, "load.stages[0].users"),
    _scenario_case("negative stage duration", "load.stages[0].duration", "-2m", "load.stages[0].duration"),
    _scenario_case("stage duration 1e308", "load.stages[0].duration", 1e308, "load.stages[0].duration"),
    _scenario_case("error rate 5", "load.isolation.victim_max_error_rate", 5.0, "victim_max_error_rate"),
    _scenario_case("tolerance nan", "load.isolation.tolerance", NAN, "load.isolation.tolerance"),
    _scenario_case("tolerance inf", "load.isolation.tolerance", INF, "load.isolation.tolerance"),
    _scenario_case("phase 0", "load.isolation.phase", "0s", "load.isolation.phase"),
    _scenario_case("max duration inf", "load.max_duration", INF, "load.max_duration"),
    _scenario_case("score points 500", "regression.score_points", 500.0, "regression.score_points"),
    _scenario_case("alpha nan", "regression.alpha", NAN, "regression.alpha"),
    _scenario_case("cls effect inf", "regression.cls", INF, "regression.cls"),
    _scenario_case("negative timing effect", "regression.timing", "-10%", "regression.timing"),
    _scenario_case("user mix weight inf", "load.user_mix.planner", INF, "load.user_mix"),
    _scenario_case("negative clients", "tenants[0].clients", -3, "tenants[0].clients"),
    _scenario_case("think time negative", "load.think_time.min", "-2s", "load.think_time.min"),
    _scenario_case("unknown key", "thresholds[0].bund", 5, "unknown key"),
    Case(
        "scenario duplicate key", ("scenario", "{inputs}/s.yaml"), 2, "appears twice", {"s.yaml": "name: a\nname: b\n"}
    ),
    Case("scenario not yaml", ("scenario", "{inputs}/s.yaml"), 2, "not valid YAML", {"s.yaml": "a: [1, 2\n"}),
    Case("scenario a list", ("scenario", "{inputs}/s.yaml"), 2, "expected a mapping", {"s.yaml": "- 1\n- 2\n"}),
    Case("scenario empty", ("scenario", "{inputs}/s.yaml"), 2, "the file is empty", {"s.yaml": ""}),
    Case("scenario missing", ("scenario", "{inputs}/nope.yaml"), 2, "no such scenario file"),
    Case("scenario not utf-8", ("scenario", "{inputs}/s.yaml"), 2, "not UTF-8", {"s.yaml": "\udcff"}),
    Case(
        "scenario yaml bomb",
        ("scenario", "{inputs}/s.yaml"),
        2,
        "s.yaml",
        {
            "s.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        },
    ),
    Case(
        "scenario too large",
        ("scenario", "{inputs}/s.yaml"),
        2,
        "a scenario may be at most",
        {"s.yaml": "#" * (5 << 20)},
    ),
    Case(
        "scenario secret in clear",
        ("scenario", "{inputs}/s.yaml"),
        2,
        "never write a secret",
        {"s.yaml": yaml.safe_dump({**GOOD, "auth": {"headers": {"X-Api-Token": "hunter2"}}}, sort_keys=False)},
    ),
    Case("scenario base url file:", ("probe", "--base-url", "file:///etc/passwd"), 2, "file:///etc/passwd"),
]

FLAG_CASES = [
    Case("load --max-error-rate 5", ("load", "--max-error-rate", "5"), 2, "--max-error-rate"),
    Case("load --max-error-rate nan", ("load", "--max-error-rate", "nan"), 2, "--max-error-rate"),
    Case("load --max-error-rate -0.1", ("load", "--max-error-rate", "-0.1"), 2, "--max-error-rate"),
    Case("load --victim-rps inf", ("load", "--victim-rps", "inf"), 2, "--victim-rps"),
    Case("load --victim-rps 0", ("load", "--victim-rps", "0"), 2, "--victim-rps"),
    Case("load --processes 999", ("load", "--processes", "999"), 2, "--processes"),
    Case("load --processes 0", ("load", "--processes", "0"), 2, "--processes"),
    Case("load --processes -2", ("load", "--processes", "-2"), 2, "--processes"),
    Case("load --tolerance nan", ("load", "--tolerance", "nan"), 2, "--tolerance"),
    Case("load --tolerance 0.5", ("load", "--tolerance", "0.5"), 2, "--tolerance"),
    Case("load --peak-users 1e30", ("load", "--peak-users", "1e30"), 2, "--peak-users"),
    Case("load --peak-users 0", ("load", "--peak-users", "0"), 2, "--peak-users"),
    Case("load --time-scale inf", ("load", "--time-scale", "inf"), 2, "--time-scale"),
    Case("load --time-scale -1", ("load", "--time-scale", "-1"), 2, "--time-scale"),
    Case("load --batch-size 5:2", ("load", "--batch-size", "5:2"), 2, "--batch-size"),
    Case("load --photo-sizes -5", ("load", "--photo-sizes", "-5"), 2, "--photo-sizes"),
    Case("load --master-bind-port 70000", ("load", "--master-bind-port", "70000"), 2, "--master-bind-port"),
    Case("load --run-time -5s", ("load", "--run-time=-5s", "saturday"), 2, "-5s"),
    Case("load --run-time 1e308s", ("load", "--run-time", "99999999999999d", "saturday"), 2, "99999999999999d"),
    Case("load --phase nan", ("load", "--phase", "nan", "isolation"), 2, "nan"),
    Case("load --locust-args --host", ("load", "--locust-args=--host http://x", "saturday"), 2, "--host"),
    Case("probe --runs 0", ("probe", "--runs", "0"), 2, "--runs"),
    Case("probe --runs 100000", ("probe", "--runs", "100000"), 2, "--runs"),
    Case("probe --timeout nan", ("probe", "--timeout", "nan"), 2, "--timeout"),
    Case("probe --timeout inf", ("probe", "--timeout", "inf"), 2, "--timeout"),
    Case("probe --timeout -1", ("probe", "--timeout", "-1"), 2, "--timeout"),
    Case("probe --pages nope", ("probe", "--pages", "nope"), 2, "no page named 'nope'"),
    Case("probe --pages ,", ("probe", "--pages", ","), 2, "--pages"),
    Case("probe --knob without =", ("probe", "--knob", "lcp_delay"), 2, "expected NAME=VALUE"),
    Case("trends --days 0", ("trends", "--days", "0", "--store", "{store}"), 2, "--days"),
    Case("trends --days 1e9", ("trends", "--days", "99999999999", "--store", "{store}"), 2, "--days"),
    Case("prune --older-than -3d", ("prune", "--older-than=-3d", "--store", "{store}"), 2, "--older-than"),
    Case("prune --older-than 0d", ("prune", "--older-than", "0d", "--store", "{store}"), 2, "--older-than"),
    Case("prune --older-than huge", ("prune", "--older-than", "1e308d", "--store", "{store}"), 2, "--older-than"),
]

ENV_CASES = [
    Case("env BIGDAY_RUNS=abc", ("probe",), 2, "$BIGDAY_RUNS", env={"BIGDAY_RUNS": "abc"}),
    Case("env BIGDAY_RUNS=99999", ("probe",), 2, "$BIGDAY_RUNS", env={"BIGDAY_RUNS": "99999"}),
    Case("env BIGDAY_RUNS=-1", ("probe",), 2, "$BIGDAY_RUNS", env={"BIGDAY_RUNS": "-1"}),
    Case("env BIGDAY_PROFILE=moon", ("probe",), 2, "$BIGDAY_PROFILE", env={"BIGDAY_PROFILE": "moon"}),
    Case("env BIGDAY_LOAD_PROCESSES=999", ("load",), 2, "$BIGDAY_LOAD_PROCESSES", env={"BIGDAY_LOAD_PROCESSES": "999"}),
    Case("env BIGDAY_LOAD_PROCESSES=x", ("load",), 2, "$BIGDAY_LOAD_PROCESSES", env={"BIGDAY_LOAD_PROCESSES": "x"}),
    Case(
        "env BIGDAY_SCENARIO missing", ("probe",), 2, "no such scenario", env={"BIGDAY_SCENARIO": "/nonexistent/s.yaml"}
    ),
    Case("env BIGDAY_BASE_URL ftp", ("probe",), 2, "ftp://", env={"BIGDAY_BASE_URL": "ftp://127.0.0.1/"}),
]

STORE_CASES = [
    Case("store empty", ("ingest", "{run}", "--store", ""), 2, "--store: empty"),
    Case("store bad scheme", ("ingest", "{run}", "--store", "mysql://u@h/db"), 2, "unsupported scheme"),
    Case("store pg no host", ("ingest", "{run}", "--store", "postgresql:///db"), 2, "names no host"),
    Case("store pg bad port", ("ingest", "{run}", "--store", "postgresql://u@h:99999999/db"), 2, "bad port"),
    Case("store in-memory", ("ingest", "{run}", "--store", "sqlite://"), 2, "in-memory"),
    Case(
        "store password in error",
        ("ingest", "{run}", "--store", "mysql://u:Sup3rSecretPw@h/db"),
        2,
        "'mysql://***@h/db'",
    ),
    Case(
        "store query password in error",
        ("ingest", "{run}", "--store", "mysql://u@h/db?password=Sup3rSecretPw"),
        2,
        "password=***",
    ),
    Case("store unreachable", ("ingest", "{run}", "--store", "postgresql://u@127.0.0.1:1/db"), 3, "127.0.0.1"),
    Case(
        "store folder missing",
        ("ingest", "{run}", "--store", "sqlite:///{inputs}/no/such/s.sqlite"),
        2,
        "does not exist",
    ),
    Case("store is a directory", ("ingest", "{run}", "--store", "{inputs}"), 2, "is a folder"),
]

BASELINE_CASES = [
    Case("baseline age negative", ("compare", "{run}", "--store", "{store}", "--baseline", "age:-3d"), 2, "age:-3d"),
    Case("baseline age nan", ("compare", "{run}", "--store", "{store}", "--baseline", "age:nand"), 2, "age:nand"),
    Case("baseline age huge", ("compare", "{run}", "--store", "{store}", "--baseline", "age:1e308d"), 2, "age:1e308d"),
    Case(
        "baseline branch empty", ("compare", "{run}", "--store", "{store}", "--baseline", "branch:"), 2, "branch:NAME"
    ),
    Case("baseline run unknown", ("compare", "{run}", "--store", "{store}", "--baseline", "run:nope"), 2, "run:nope"),
    Case("baseline name unknown", ("compare", "{run}", "--store", "{store}", "--baseline", "nosuch"), 2, "nosuch"),
    Case("baseline set unknown run", ("baseline", "set", "x", "no-such-run", "--store", "{store}"), 2, "no-such-run"),
    Case("baseline show unknown", ("baseline", "show", "nosuch", "--store", "{store}"), 2, "nosuch"),
]

RUN_FOLDER_CASES = [
    Case("run folder missing", ("ingest", "{inputs}/nope", "--store", "{store}"), 2, "not a bigday run folder"),
    Case(
        "run folder is a file",
        ("compare", "{inputs}/f", "--store", "{store}"),
        2,
        "not a bigday run folder",
        {"f": "x"},
    ),
    Case(
        "run folder corrupt manifest",
        ("ingest", "{inputs}/r", "--store", "{store}"),
        2,
        "manifest.json: corrupt JSON",
        {"r/manifest.json": "{"},
    ),
    Case(
        "run folder manifest a list",
        ("ingest", "{inputs}/r", "--store", "{store}"),
        2,
        "expected a JSON object",
        {"r/manifest.json": "[]"},
    ),
    Case(
        "run folder samples past the size limit",
        ("ingest", "{inputs}/r", "--store", "{store}"),
        2,
        "MiB); a run folder may hold at most 512 MiB of them",
        {"r/manifest.json": _json({"format_version": 1})},
        sparse={"r/samples.json": 600 << 20},
    ),
    Case(
        "run folder load samples past the size limit, compared",
        ("compare", "{inputs}/r", "--store", "{store}", "--no-notify"),
        2,
        "(load_samples.csv.gz 513 MiB); a run folder may hold at most 512 MiB",
        {"r/manifest.json": _json({"format_version": 1}), "r/load_stats.json": "{}"},
        sparse={"r/load_samples.csv.gz": 513 << 20},
    ),
    Case(
        "run folder future format",
        ("ingest", "{inputs}/r", "--store", "{store}"),
        2,
        "format_version",
        {"r/manifest.json": _json({"format_version": 99})},
    ),
]

BUDGET_CASES = [
    Case(
        "budget negative",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/b.json"),
        2,
        "timings[0].budget",
        {"b.json": _json([{"path": "/*", "timings": [{"metric": "interactive", "budget": -5}]}])},
    ),
    Case(
        "budget 1e308",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/b.json"),
        2,
        "resourceSizes[0].budget",
        {"b.json": _json([{"path": "/*", "resourceSizes": [{"resourceType": "script", "budget": 1e308}]}])},
    ),
    Case(
        "budget not a list",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/b.json"),
        2,
        "expected a list of budgets",
        {"b.json": _json({"path": "/*"})},
    ),
    Case(
        "budget string number",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/b.json"),
        2,
        "expected a number",
        {"b.json": _json([{"resourceCounts": [{"resourceType": "script", "budget": "10"}]}])},
    ),
    Case(
        "budget unknown timing",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/b.json"),
        2,
        "unknown Lighthouse timing",
        {"b.json": _json([{"timings": [{"metric": "warp-speed", "budget": 5}]}])},
    ),
    Case(
        "budget unknown resource type",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/b.json"),
        2,
        "resourceSizes[0].resourceType: unknown resource type 'scripts'; expected one of document,",
        {"b.json": _json([{"path": "/*", "resourceSizes": [{"resourceType": "scripts", "budget": 100}]}])},
    ),
    Case(
        "budget unknown count type",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/b.json"),
        2,
        "resourceCounts[0].resourceType: unknown resource type 'imgs'",
        {"b.json": _json([{"resourceCounts": [{"resourceType": "imgs", "budget": 10}]}])},
    ),
    Case(
        "scenario budget unknown chunk",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--scenario", "{inputs}/s.yaml"),
        2,
        "s.yaml: budgets[1].chunk: unknown JS chunk 'vendr'; the run's pages load dashboard, forms, main, vendor",
        {"s.yaml": _scenario_with("budgets[1].chunk", "vendr")},
    ),
    Case(
        "budget missing file",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--budget", "{inputs}/none.json"),
        2,
        "no such budget.json file",
    ),
]

LIGHTHOUSERC_CASES = [
    Case(
        "lighthouserc minScore 5",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--lighthouserc", "{inputs}/l.json"),
        2,
        "minScore",
        {"l.json": _json({"ci": {"assert": {"assertions": {"categories:performance": ["error", {"minScore": 5}]}}}})},
    ),
    Case(
        "lighthouserc minScore -1",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--lighthouserc", "{inputs}/l.json"),
        2,
        "minScore",
        {
            "l.json": _json(
                {"ci": {"assert": {"assertions": {"largest-contentful-paint": ["error", {"minScore": -1}]}}}}
            )
        },
    ),
    Case(
        "lighthouserc negative max",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--lighthouserc", "{inputs}/l.json"),
        2,
        "maxNumericValue",
        {
            "l.json": _json(
                {"ci": {"assert": {"assertions": {"largest-contentful-paint": ["error", {"maxNumericValue": -100}]}}}}
            )
        },
    ),
    Case(
        "lighthouserc no assert",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--lighthouserc", "{inputs}/l.json"),
        2,
        "ci.assert",
        {"l.json": _json({"ci": {}})},
    ),
    Case(
        "lighthouserc bad level",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--lighthouserc", "{inputs}/l.json"),
        2,
        "level must be",
        {"l.json": _json({"ci": {"assert": {"assertions": {"largest-contentful-paint": ["fatal", {}]}}}})},
    ),
    Case(
        "lighthouserc bad regex",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--lighthouserc", "{inputs}/l.json"),
        2,
        "not a valid regular expression",
        {"l.json": _json({"ci": {"assert": {"assertMatrix": [{"matchingUrlPattern": "(", "assertions": {}}]}}})},
    ),
    Case(
        "lighthouserc not json",
        ("compare", "{run}", "--store", "{store}", "--no-notify", "--lighthouserc", "{inputs}/l.json"),
        2,
        "not valid JSON",
        {"l.json": "{ci:"},
    ),
]

CASES = [
    *SCENARIO_CASES,
    *FLAG_CASES,
    *ENV_CASES,
    *STORE_CASES,
    *BASELINE_CASES,
    *RUN_FOLDER_CASES,
    *BUDGET_CASES,
    *LIGHTHOUSERC_CASES,
]


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A results folder with one judged run in its default store."""
    root = tmp_path_factory.mktemp("hostile")
    results = root / "results"
    rng = np.random.default_rng(1)
    names = [p["name"] for p in GOOD["pages"]]
    pages = {p: {"lcp": list(rng.normal(900, 30, 5)), "cls": list(rng.uniform(0, 0.05, 5))} for p in names}
    # Every page of the scenario with its JS chunk sizes, so a budget on a chunk none of them loads is a mistake.
    chunks = {c: {"body_bytes": 50_000} for c in ("main", "vendor", "forms", "dashboard")}
    details = {p: {"resources": {"js_chunks": chunks}} for p in names}
    run = write_probe_run(results, pages, run_id="good-run", details=details)
    store = results / "bigday.sqlite"
    assert _cli("compare", str(run), "--store", str(store), "--no-notify")[0] in (0, 1)
    yield {"results": results, "store": store, "run": run, "root": root}


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse's own refusals
            code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue()


def _state(results: Path, store: Path) -> tuple[dict[str, str], str]:
    """Every file of the results folder byte for byte, and the store's content (SQLite's own -wal/-shm files,
    which any reader touches, are the store's business: its dump stands for them)."""
    files = {
        str(p.relative_to(results)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(results.rglob("*"))
        if p.is_file() and not p.name.startswith(store.name)
    }
    with contextlib.closing(sqlite3.connect(store)) as db:
        return files, "\n".join(db.iterdump())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_input_is_refused_in_one_line_and_changes_nothing(
    world: dict[str, Path], case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name, text in case.files.items():
        path = inputs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    for name, size in case.sparse.items():
        with (inputs / name).open("wb") as f:
            f.truncate(size)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BIGDAY_RESULTS_DIR", str(world["results"]))
    monkeypatch.delenv("BIGDAY_STORE", raising=False)
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    fill = {
        "run": str(world["run"]),
        "results": str(world["results"]),
        "store": str(world["store"]),
        "inputs": str(inputs),
    }
    argv = [a.format(**fill) for a in case.argv]
    before = _state(world["results"], world["store"])
    code, _, err = _cli(*argv)
    lines = err.strip().splitlines()
    assert (code, len(lines)) == (case.code, 1), (code, err)
    assert case.message in lines[0], lines[0]
    assert "Traceback" not in err and "internal error" not in err
    assert _state(world["results"], world["store"]) == before
    assert not any(p.name != "inputs" for p in tmp_path.iterdir())  # nothing written in the current folder either
    assert os.environ.get("BIGDAY_STORE") is None
