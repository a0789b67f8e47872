"""Enough runs and A/B judging, on seeded synthetic samples whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from bigday.compare.ab import Judge, judge_look
from bigday.compare.regression import regression_checks
from bigday.report.ab import render_ab_markdown
from bigday.report.answer import JudgedRun, decide
from bigday.runfolder import (
    AbDesign,
    AbExperiment,
    AbRun,
    AbSide,
    AbVerdict,
    Decision,
    RegressionLabel,
    RunFolder,
    RunKind,
    Status,
    Verdicts,
    outcome_of,
    read_ab,
    utc_now,
    write_ab,
)
from bigday.settings.scenario import RegressionPolicy
from bigday.stats import rank_test
from bigday.stats.sequential import (
    fixed_design,
    group_sequential,
    look_schedule,
    min_rank_p,
    obrien_fleming_spent,
)

POLICY = RegressionPolicy()
AUTO = group_sequential(look_schedule(5, 30, 5), 0.05)


def test_the_rank_tests_floor_is_the_most_extreme_ordering() -> None:
    assert min_rank_p(3, 3) == pytest.approx(0.05)  # 1 / C(6, 3)
    assert min_rank_p(5, 5) == pytest.approx(1 / 252)
    for n in (3, 5, 12):
        high, low = np.arange(n) + 100.0, np.arange(n, dtype=float)
        assert min_rank_p(n, n) == pytest.approx(rank_test(high, low)[0], rel=1e-9)


def test_the_sequential_boundaries_spend_alpha_and_no_more() -> None:
    # O'Brien-Fleming-like: the first look demands ~z 4.8, the last is close to the fixed test's 1.96.
    assert AUTO.looks == (5, 10, 15, 20, 25, 30)
    assert AUTO.z_bounds[0] == pytest.approx(4.80, abs=0.01) and 1.96 < AUTO.z_bounds[-1] < 2.2
    assert all(a > b for a, b in zip(AUTO.z_bounds, AUTO.z_bounds[1:], strict=False))
    assert obrien_fleming_spent(1.0, 0.05) == pytest.approx(0.05)
    assert fixed_design(20, 0.05).z_bounds[0] == pytest.approx(1.96, abs=0.001)
    # The chance that a Brownian path (no change) crosses at any look is alpha.
    rng = np.random.default_rng(1)
    t = np.asarray(AUTO.looks, dtype=float) / AUTO.max_runs
    paths = np.cumsum(rng.standard_normal((100_000, t.size)) * np.sqrt(np.diff(t, prepend=0.0)), axis=1)
    crossed = (np.abs(paths / np.sqrt(t)) >= np.asarray(AUTO.z_bounds)).any(axis=1).mean()
    assert crossed == pytest.approx(0.05, abs=0.004)


def _pages(rng: np.random.Generator, n: int, lcp: float) -> dict[tuple[str, str], np.ndarray]:
    return {
        ("home", "lcp"): lcp * (1 + 0.03 * rng.standard_normal(n)),
        ("home", "fcp"): 500 * (1 + 0.03 * rng.standard_normal(n)),
        ("home", "inp"): rng.uniform(40, 80, n),
        ("home", "performance_score"): np.full(n, 99.0),
    }


def test_three_runs_of_a_50_percent_lcp_rise_say_too_few_runs_and_do_not_pass() -> None:
    rng = np.random.default_rng(3)
    checks = {c.metric: c for c in regression_checks(_pages(rng, 3, 1500), _pages(rng, 3, 1000), POLICY)}
    lcp = checks["lcp"]
    assert lcp.comparison.label is RegressionLabel.NEUTRAL
    assert lcp.status is Status.INCONCLUSIVE and "too few runs to show any change" in lcp.message, lcp.message
    # With ten runs a side the same change is a regression.
    checks = {c.metric: c for c in regression_checks(_pages(rng, 10, 1500), _pages(rng, 10, 1000), POLICY)}
    assert checks["lcp"].status is Status.FAIL and checks["lcp"].comparison.label is RegressionLabel.REGRESSION
    assert "too few" not in checks["fcp"].message and checks["fcp"].status is Status.PASS


def test_five_runs_in_a_large_family_cannot_show_one_metric_alone() -> None:
    # 5 vs 5 runs: one-sided p >= 1/252; with 16 gated comparisons and nothing else changed, BH keeps q >= 0.063.
    rng = np.random.default_rng(6)

    def side(n: int) -> dict[tuple[str, str], np.ndarray]:
        return {(f"p{i}", m): v for i in range(8) for (_, m), v in _pages(rng, n, 1000).items()}

    checks = {(c.page, c.metric): c for c in regression_checks(side(5), side(5), POLICY)}
    lcp = checks[("p0", "lcp")]
    # Not a green tick, but a warning: the family could still flag a change many comparisons share.
    assert lcp.status is Status.WARN and "a change of this comparison alone (5 runs, 16 comparisons" in (lcp.message), (
        lcp.message
    )
    assert all(c.status is Status.PASS for c in regression_checks(side(10), side(10), POLICY))


def test_the_saturday_answer_is_not_go_when_the_runs_were_too_few() -> None:
    rng = np.random.default_rng(5)
    checks = tuple(regression_checks(_pages(rng, 3, 1500), _pages(rng, 3, 1000), POLICY))
    verdicts = Verdicts(run_id="r", kind=RunKind.PROBE, outcome=outcome_of(checks), checks=checks)
    answer = decide([JudgedRun(role="probe", verdicts=verdicts)])
    assert answer.decision is Decision.INCONCLUSIVE, answer.headline
    assert "home lcp" in answer.reasons[0].text and "too few runs to show any change" in answer.reasons[0].text


def test_a_comparison_that_could_fire_but_not_at_the_minimum_effect_says_what_it_can_show() -> None:
    rng = np.random.default_rng(4)
    cur = {("home", "lcp"): 1000 * (1 + 0.25 * rng.standard_normal(5))}
    base = {("home", "lcp"): 1000 * (1 + 0.25 * rng.standard_normal(5))}
    (check,) = regression_checks(cur, base, POLICY)
    assert "5 runs cannot show a change below ~" in check.message and check.status is Status.PASS


def _experiment(seed: int, shift: float, design, metrics=("lcp", "fcp", "cls")) -> tuple[int, Judge, list[AbRun]]:
    rng = np.random.default_rng(seed)
    runs: list[AbRun] = []
    judge = Judge(POLICY, design, metrics)
    for r in range(design.max_runs):
        for side, f in (("a", 1.0), ("b", 1 + shift)):
            m = {"lcp": 1000 * f * (1 + 0.04 * rng.standard_normal()), "fcp": 500 * (1 + 0.04 * rng.standard_normal())}
            runs.append(AbRun(side=side, page="home", round=r, order=len(runs), ok=True, metrics=m | {"cls": 0.0}))
        if judge.after_round(r + 1, runs):
            return r + 1, judge, runs
    return design.max_runs, judge, runs


def test_auto_stops_early_on_a_15_percent_lcp_rise_and_on_no_change() -> None:
    rounds, judge, _ = _experiment(7, 0.15, AUTO)
    found = {f.metric: f for f in judge.result()}
    assert found["lcp"].verdict is AbVerdict.B_WORSE and found["lcp"].status is Status.FAIL
    assert found["lcp"].message.startswith("home lcp: B slower by 1"), found["lcp"].message
    assert rounds < 20 and found["fcp"].verdict is AbVerdict.NO_DIFFERENCE
    rounds, judge, _ = _experiment(8, 0.0, AUTO)
    assert rounds <= 10 and {f.verdict for f in judge.result()} == {AbVerdict.NO_DIFFERENCE}
    assert "no difference larger than 10% at this n" in {f.metric: f for f in judge.result()}["lcp"].message


def test_a_fixed_experiment_too_short_to_decide_says_how_many_more_runs() -> None:
    _, judge, _ = _experiment(9, 0.5, fixed_design(3, 0.05))
    lcp = {f.metric: f for f in judge.result()}["lcp"]
    assert lcp.verdict is AbVerdict.INCONCLUSIVE and lcp.status is Status.INCONCLUSIVE
    assert "too few runs to show any change (3 runs)" in lcp.message and "more runs needed" in lcp.message
    assert lcp.more_runs is not None and lcp.more_runs >= 1


def test_decided_comparisons_keep_their_look() -> None:
    rng = np.random.default_rng(10)
    a, b = {("p", "lcp"): 1000 + rng.normal(0, 20, 10)}, {("p", "lcp"): 1300 + rng.normal(0, 20, 10)}
    first = judge_look(a, b, POLICY, AUTO, 1, {})
    assert first[("p", "lcp")].look == 2 and first[("p", "lcp")].verdict is AbVerdict.B_WORSE
    again = judge_look({k: v[:5] for k, v in a.items()}, b, POLICY, AUTO, 2, first)
    assert again == first


def test_the_experiment_file_round_trips_and_reports(tmp_path) -> None:
    _, judge, runs = _experiment(11, 0.15, AUTO)
    exp = AbExperiment(
        run_id="x",
        started_at=utc_now(),
        a=AbSide(name="a", knobs=(("lcp_delay", "1000"),)),
        b=AbSide(name="b", knobs=(("lcp_delay", "1150"),)),
        pages=("home",),
        metrics=("lcp", "fcp", "cls"),
        profile="desktop",
        design=AbDesign(mode="auto", procedure="gs", alpha=0.05, looks=AUTO.looks, nominal=AUTO.nominal, max_runs=30),
        runs_per_side=10,
        looks_taken=judge.looks_taken,
        stopped=judge.stopped,
        outcome=Status.FAIL,
        findings=tuple(judge.result()),
        runs=tuple(runs),
    )
    folder = RunFolder.create("ab", tmp_path)
    write_ab(folder, exp)
    assert read_ab(folder) == exp
    text = render_ab_markdown(exp)
    assert "| home | lcp | B worse | B slower by" in text and "lcp_delay=1150" in text
