"""bigday run --runs auto against a stored baseline: the looks stop early when the gate is decided, and the
run is then judged at the level of the look it stopped at (SQLite store, synthetic run folders)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from bigday.compare.engine import CompareOptions, compare_run
from bigday.compare.enough import SequentialBaseline
from bigday.settings.scenario import load_scenario
from bigday.stats.sequential import group_sequential, look_schedule
from bigday.store.engine import open_store
from bigday.store.synthetic import write_probe_run

SCENARIO = load_scenario()
DESIGN = group_sequential(look_schedule(5, 30, 5), 2 * SCENARIO.regression.alpha)


def _pages(rng: np.random.Generator, n: int, lcp: float) -> dict[str, dict[str, list[float]]]:
    return {
        p.name: {"lcp": list(lcp * (1 + 0.03 * rng.standard_normal(n))), "cls": [0.01] * n} for p in SCENARIO.pages[:2]
    }


@pytest.fixture
def store(tmp_path: Path):
    with open_store(str(tmp_path / "bigday.sqlite")) as s:
        base = write_probe_run(tmp_path / "results", _pages(np.random.default_rng(1), 10, 1000.0), run_id="base")
        compare_run(s, base, SCENARIO, CompareOptions(notify=False))
        yield s


def test_an_unchanged_run_stops_at_the_first_look_and_a_50_percent_rise_soon_after(store, tmp_path: Path) -> None:
    # The manifest the looks read to choose the baseline is the current run's own.
    probe_dir = write_probe_run(tmp_path / "results", _pages(np.random.default_rng(2), 1, 1000.0), run_id="cur")
    looks = SequentialBaseline(store, SCENARIO.regression, CompareOptions(notify=False), DESIGN)
    same = _pages(np.random.default_rng(3), 30, 1000.0)
    worse = _pages(np.random.default_rng(4), 30, 1500.0)

    def upto(pages, n):
        return {(p, m): np.asarray(v[:n]) for p, ms in pages.items() for m, v in ms.items()}

    stop = next(n for n in range(1, 31) if looks.look(probe_dir, n, upto(same, n)))
    assert stop == 5 and "decided at look 1" in looks.stopped
    late = SequentialBaseline(store, SCENARIO.regression, CompareOptions(notify=False), DESIGN)
    first = next(n for n in range(1, 31) if late.look(probe_dir, n, upto(worse, n)))
    # 5 runs against 10 cannot pass the first look's boundary (one-sided p >= 1/3003); 10 can.
    assert first == 10 and late.looks_taken == 2 and "decided at look 2" in late.stopped
    policy = late.judged_policy()
    assert policy.alpha == pytest.approx(DESIGN.nominal[1] / 2) and policy.alpha < 0.01
    run = write_probe_run(tmp_path / "results", {p: {m: v[:first] for m, v in ms.items()} for p, ms in worse.items()})
    v = compare_run(store, run, dataclasses.replace(SCENARIO, regression=policy), CompareOptions(notify=False))
    assert v.outcome == "fail" and {c.metric for c in v.failed()} == {"lcp"}


def test_without_a_baseline_the_first_look_ends_the_probe(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "empty.sqlite")) as s:
        run = write_probe_run(tmp_path / "results", _pages(np.random.default_rng(5), 1, 1000.0), run_id="only")
        looks = SequentialBaseline(s, SCENARIO.regression, CompareOptions(notify=False), DESIGN)
        assert [looks.look(run, n, {}) for n in (1, 4, 5)] == [False, False, True]
        assert "no baseline" in looks.stopped and looks.judged_policy() == SCENARIO.regression
