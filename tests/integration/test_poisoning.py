"""A run folder with impossible numbers is refused whole, before anything is stored: negative timings,
scores past 100, rates past 1, and 1e308 (finite, NaN-free, and enough to turn every daily trend into inf).
The store, its trends and its baselines are unchanged afterwards, and so is the folder."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bigday.cli import main
from bigday.runfolder import RunFolder, utc_now
from bigday.store.synthetic import write_probe_run


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _pages(seed: int, lcp: float = 1000.0) -> dict[str, dict[str, list[float | None]]]:
    rng = np.random.default_rng(seed)
    return {
        p: {
            "lcp": list(rng.normal(lcp, 40, 8)),
            "cls": list(rng.uniform(0, 0.1, 8)),
            "ttfb": list(rng.normal(30, 3, 8)),
        }
        for p in ("dashboard", "clients")
    }


def _snapshot(root: Path, store: Path) -> tuple[dict[str, str], str]:
    files = {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p != store and not p.name.startswith(store.name)
    }
    return files, "\n".join(sqlite3.connect(store).iterdump())


def _edit_samples(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        data = json.loads((run / "samples.json").read_text())
        change(data["samples"][-1])
        (run / "samples.json").write_text(json.dumps(data))

    return damage


def _metric(name: str, value: float) -> Callable[[Path], None]:
    return _edit_samples(lambda s: s["metrics"].__setitem__(name, value))


def _load_run(results: Path, row: dict[str, Any], response_ms: str = "12.5") -> Path:
    folder = RunFolder.create("load", results, run_id="load-poisoned")
    base = {"tenant": "lumen", "user_kind": "planner", "endpoint": "GET /api/clients", "phase": "spike"}
    stats = {"count": 500, "rps": 50.0, "p50": 12.0, "p95": 80.0, "p99": 120.0, "max": 300.0, "error_rate": 0.002}
    folder.write(
        "load_stats.json",
        {
            "stats": [{**base, **stats, "errors": {}, **row}],
            "timeline": [],
            "verdicts": [],
            "generator": {"cpu_samples": [], "saturated": False},
        },
    )
    with gzip.open(folder.file("load_samples.csv.gz"), "wt", encoding="utf-8", newline="") as f:
        f.write("tenant,user_kind,endpoint,phase,t_s,response_ms,ok\n")
        f.write(f"lumen,planner,GET /api/clients,spike,1.0,{response_ms},1\n")
    now = utc_now().isoformat()
    folder.write(
        "manifest.json",
        {
            "run_id": "load-poisoned",
            "kind": "load",
            "started_at": now,
            "finished_at": now,
            "complete": True,
            "status": "ok",
            "environment": {"cpu_count": 2},
            "app": {"git_branch": "main"},
            "scenario": {},
        },
    )
    return folder.path


PROBE_POISONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "negative lcp": (_metric("lcp", -5000.0), "lcp: expected a value from 0"),
    "lcp 1e308": (_metric("lcp", 1e308), "lcp: expected a value from 0"),
    "negative cls": (_metric("cls", -0.1), "cls: expected a value from 0"),
    "cls 1e308": (_metric("cls", 1e308), "cls: expected a value from 0"),
    "performance 150": (_metric("performance_score", 150.0), "performance_score: expected a value from 0 to 100"),
    "accessibility -1": (_metric("accessibility_score", -1.0), "accessibility_score: expected a value from 0 to 100"),
    "js bytes negative": (_metric("js_bytes", -1.0), "js_bytes: expected a value from 0"),
    "unregistered metric 1e308": (_metric("js:main", 1e308), "js:main: expected a value from 0"),
    "negative run index": (_edit_samples(lambda s: s.__setitem__("run_index", -3)), "run_index"),
    "negative duration": (_edit_samples(lambda s: s.__setitem__("duration_s", -1.0)), "duration_s"),
}

LOAD_POISONS: dict[str, tuple[dict[str, Any], str, str]] = {
    "negative p95": ({"p95": -80.0}, "12.5", "stats[0].p95"),
    "p99 1e308": ({"p99": 1e308}, "12.5", "stats[0].p99"),
    "error rate 1.5": ({"error_rate": 1.5}, "12.5", "stats[0].error_rate"),
    "negative error rate": ({"error_rate": -0.2}, "12.5", "stats[0].error_rate"),
    "negative rps": ({"rps": -1.0}, "12.5", "stats[0].rps"),
    "negative count": ({"count": -5}, "12.5", "stats[0].count"),
    "raw sample 1e308": ({}, "1e308", "response_ms"),
    "raw sample negative": ({}, "-4", "response_ms"),
}


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, Path]:
    """A results folder with two good runs of main ingested, one of them named as a baseline."""
    results, store = tmp_path / "results", tmp_path / "results" / "store.sqlite"
    for i in range(2):
        run = write_probe_run(results, _pages(i), run_id=f"good-{i}")
        assert _cli("ingest", str(run), "--store", str(store))[0] == 0
    assert _cli("baseline", "set", "release", "good-0", "--store", str(store))[0] == 0
    return results, store


def _views(store: Path) -> list[str]:
    return [
        _cli("trends", "--store", str(store))[1],
        _cli("baseline", "list", "--store", str(store))[1],
    ]


def _refused(results: Path, store: Path, run: Path, expected: str) -> None:
    before, views = _snapshot(results, store), _views(store)
    for verb in (["ingest", str(run)], ["compare", str(run), "--no-notify"]):
        code, out, err = _cli(*verb, "--store", str(store))
        lines = err.strip().splitlines()
        assert code == 2, (verb, code, out, err)
        assert len(lines) == 1 and expected in lines[0] and str(run) in lines[0], lines
    assert _snapshot(results, store) == before
    assert _views(store) == views


@pytest.mark.parametrize("poison", PROBE_POISONS, ids=list(PROBE_POISONS))
def test_a_probe_run_with_an_impossible_value_is_refused_whole(stored: tuple[Path, Path], poison: str) -> None:
    results, store = stored
    damage, expected = PROBE_POISONS[poison]
    run = write_probe_run(results, _pages(9, lcp=1100.0), run_id="poisoned")
    damage(run)
    _refused(results, store, run, expected)


@pytest.mark.parametrize("poison", LOAD_POISONS, ids=list(LOAD_POISONS))
def test_a_load_run_with_an_impossible_value_is_refused_whole(stored: tuple[Path, Path], poison: str) -> None:
    results, store = stored
    row, response_ms, expected = LOAD_POISONS[poison]
    run = _load_run(results, row, response_ms)
    _refused(results, store, run, expected)


def test_the_good_runs_still_compare(stored: tuple[Path, Path]) -> None:
    """The refusals above are of the values, not of the folders: the same folder with true values is judged."""
    results, store = stored
    run = write_probe_run(results, _pages(9, lcp=1100.0), run_id="fine")
    code, _, err = _cli("compare", str(run), "--store", str(store), "--no-notify")
    assert code in (0, 1), err
