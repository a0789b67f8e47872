"""bigday.stats: the one quantile definition, the summaries, FDR control and the bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bigday import stats

RNG_SEEDS = range(5)


@pytest.mark.parametrize("n", [1, 2, 5, 10, 101, 1000])
def test_quantiles_are_numpys_linear_interpolation(n: int) -> None:
    values = np.random.default_rng(n).lognormal(5, 1, n)
    for q in (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0):
        assert stats.quantile(values, q) == float(np.quantile(values, q, method="linear"))
    assert stats.quantiles(list(values), (0.5, 0.95)) == [stats.quantile(values, 0.5), stats.quantile(values, 0.95)]


def test_the_definition_is_type_7() -> None:
    # Hyndman & Fan type 7: h = (n - 1) q, then linear between x[floor h] and x[floor h + 1].
    xs = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert stats.quantile(xs, 0.95) == pytest.approx(48.0)  # between the fourth and fifth value
    assert stats.quantile(xs, 0.75) == 40.0 and stats.median(xs) == 30.0
    assert stats.median([1.0, 2.0, 3.0, 4.0]) == 2.5


def test_aggregates_by_name() -> None:
    v = np.arange(1.0, 101.0)
    assert stats.aggregate(v, "median") == 50.5 and stats.aggregate(v, "p95") == pytest.approx(95.05)
    assert stats.aggregate(v, "p99") == stats.quantile(v, 0.99) and stats.aggregate(v, "p75") == 75.25
    assert stats.aggregate(v, "mean") == 50.5 and stats.aggregate(v, "min") == 1 and stats.aggregate(v, "max") == 100
    assert stats.aggregate((x for x in (3.0, 1.0, 2.0)), "median") == 2.0  # any iterable
    with pytest.raises(ValueError, match="unknown aggregate"):
        stats.aggregate(v, "p-worst")
    with pytest.raises(ValueError, match="no values"):
        stats.aggregate([], "median")
    with pytest.raises(ValueError, match="no values"):
        stats.quantile([], 0.5)


def test_aggregate_or_none_leaves_unmeasured_values_out() -> None:
    assert stats.aggregate_or_none([None, 4.0, None, 2.0], "max") == 4.0
    assert stats.aggregate_or_none([None, None], "p95") is None
    assert stats.aggregate_or_none([], "median") is None


def test_summary_shape_and_rounding() -> None:
    s = stats.summarize([0.1234567891, None, 0.2, 0.3])
    assert s is not None and list(s) == ["n", "median", "p75", "p95", "min", "max"]
    assert s["n"] == 3 and isinstance(s["n"], int)
    assert s["min"] == 0.123457 and s["max"] == 0.3 and s["median"] == 0.2  # six decimals
    assert s["p95"] == round(float(np.quantile([0.1234567891, 0.2, 0.3], 0.95)), 6)
    assert stats.summarize([None]) is None and stats.summarize([]) is None


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_sorted_group_quantiles_equal_numpy_per_group(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = [np.sort(rng.lognormal(3, 1, int(k))) for k in rng.integers(1, 40, 60)]
    values = np.concatenate(groups)
    counts = np.array([len(g) for g in groups], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    for q in (0.0, 0.5, 0.75, 0.95, 1.0):
        got = stats.sorted_group_quantiles(values, starts, counts, q)
        np.testing.assert_array_equal(got, [np.quantile(g, q) for g in groups])


def test_coefficient_of_variation() -> None:
    assert stats.coefficient_of_variation([100.0, 100.0, 100.0]) == 0
    assert stats.coefficient_of_variation([90.0, 110.0]) == pytest.approx(math.sqrt(200) / 100)
    assert stats.coefficient_of_variation([5.0]) == 0


def _hand_written_bh(p_values: list[float]) -> list[float]:
    """The step-up Benjamini-Hochberg bigday had before it used scipy's, kept as the oracle."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return [float(x) for x in q]


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_fdr_q_values_are_those_of_the_former_implementation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for m in (1, 2, 7, 40, 300):
        p = list(rng.uniform(0, 1, m) ** 3)
        p[: m // 3] = [round(x, 2) for x in p[: m // 3]]  # ties
        ours, former = stats.benjamini_hochberg(p), _hand_written_bh(p)
        # Identical up to rounding: scipy multiplies p by m / i, the former code p * m by 1 / i (<= 2 ulp apart).
        np.testing.assert_allclose(ours, former, rtol=4e-16, atol=0)
        for alpha in (0.01, 0.05, 0.1):
            assert [q <= alpha for q in ours] == [q <= alpha for q in former]
    assert stats.benjamini_hochberg([]) == []
    # Sorted 0.01, 0.03, 0.04, 0.2 -> p * 4 / rank 0.04, 0.06, 0.0533, 0.2 -> step-up minimum from the right.
    assert stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])


def _scipy_quantile_change(
    before: np.ndarray, after: np.ndarray, q: float, resamples: int, rng: np.random.Generator
) -> tuple[float, float, float, float]:
    """scipy's percentile bootstrap of the same two statistics: (ratio low, high, rise low, high)."""
    from scipy.stats import bootstrap

    def ratio_and_rise(b: np.ndarray, a: np.ndarray, axis: int = -1) -> np.ndarray:
        qb, qa = np.quantile(b, q, axis=axis), np.quantile(a, q, axis=axis)
        return np.stack([qa / np.maximum(qb, 1e-6), qa - qb])

    res = bootstrap(
        (before, after),
        ratio_and_rise,
        n_resamples=resamples,
        vectorized=True,
        paired=False,
        confidence_level=0.95,
        method="percentile",
        rng=rng,
        batch=200,
    )
    low, high = res.confidence_interval
    return float(low[0]), float(high[0]), float(low[1]), float(high[1])


@pytest.mark.parametrize("n", [300, 1500])
def test_quantile_change_agrees_with_scipys_bootstrap(n: int) -> None:
    # The same bootstrap distribution drawn two ways: with 20,000 resamples each, the interval ends agree to
    # within 5% of the interval's width (a p99's resamples take few distinct values, so its tails are lumpy).
    data = np.random.default_rng(n)
    before, after = data.exponential(100, n), data.exponential(120, n + 17)
    for q in (0.95, 0.99):
        ratio, rise = stats.quantile_change(before, after, q, 0.95, 20_000, np.random.default_rng(5))
        r_low, r_high, d_low, d_high = _scipy_quantile_change(before, after, q, 20_000, np.random.default_rng(5))
        assert (ratio.low, ratio.high) == pytest.approx((r_low, r_high), abs=0.05 * (r_high - r_low))
        assert (rise.low, rise.high) == pytest.approx((d_low, d_high), abs=0.05 * (d_high - d_low))
        assert ratio.value == stats.quantile(after, q) / stats.quantile(before, q)
        assert rise.value == stats.quantile(after, q) - stats.quantile(before, q)


def test_bootstrap_quantiles_are_the_resampled_quantiles() -> None:
    # Drawn from the order statistics, they have the distribution of the quantiles of real resamples: with
    # 40,000 of each, the two distribution functions stay within 0.015 of each other everywhere.
    for n in (1, 2, 7, 60):
        x = np.random.default_rng(n).lognormal(3, 0.5, n)
        for q in (0.05, 0.5, 0.95, 1.0):
            ours = np.sort(stats.bootstrap_quantiles(x, q, 40_000, np.random.default_rng(1)))
            real = np.sort(np.quantile(x[np.random.default_rng(2).integers(0, n, (40_000, n))], q, axis=1))
            grid = np.union1d(ours, real)
            distance = np.max(np.abs(np.searchsorted(ours, grid, "right") - np.searchsorted(real, grid, "right")))
            assert distance / 40_000 < 0.015, (n, q)
    with pytest.raises(ValueError):
        stats.bootstrap_quantiles(np.empty(0), 0.95, 10, np.random.default_rng(0))


def test_quantile_interval_covers_the_true_quantile() -> None:
    rng = np.random.default_rng(21)
    true_p95 = 80 * np.exp(0.4 * 1.6448536)
    covered = 0
    for _ in range(200):
        est = stats.quantile_interval(rng.lognormal(np.log(80), 0.4, 800), 0.95, 0.95, 2000, rng)
        covered += est.low <= true_p95 <= est.high
        assert est.low <= est.value <= est.high
    assert covered / 200 >= 0.9, covered


def test_proportion_interval_is_clopper_pearson() -> None:
    from scipy.stats import binomtest

    for k, n in ((0, 420), (3, 1000), (50, 60), (7, 7)):
        est = stats.proportion_interval(k, n, 0.95)
        want = binomtest(k, n).proportion_ci(0.95, method="exact")
        assert (est.low, est.high) == pytest.approx((want.low, want.high), abs=1e-9)
        assert est.value == k / n
    # No error in 420 requests: the rate is below 0.88% with 97.5% confidence, one-sided.
    assert stats.proportion_interval(0, 420, 0.95).high == pytest.approx(1 - 0.025 ** (1 / 420))


def test_quantile_change_of_a_single_observation_is_degenerate_not_an_error() -> None:
    ratio, rise = stats.quantile_change(np.array([50.0]), np.array([75.0]), 0.95, 0.95, 200, np.random.default_rng(0))
    assert (ratio.value, ratio.low, ratio.high) == (1.5, 1.5, 1.5) and (rise.low, rise.high) == (25.0, 25.0)


def test_quantile_change_intervals_cover_the_true_ratio() -> None:
    # Lognormal response times slowed by 1.2x: every quantile's true ratio is exactly 1.2.
    rng = np.random.default_rng(42)
    trials, covered, widths = 60, 0, []
    for _ in range(trials):
        before, after = rng.lognormal(np.log(80), 0.4, 600), 1.2 * rng.lognormal(np.log(80), 0.4, 600)
        ratio, rise = stats.quantile_change(before, after, 0.95, 0.95, 1000, rng)
        covered += ratio.low <= 1.2 <= ratio.high
        widths.append(ratio.high - ratio.low)
        assert ratio.low <= ratio.value <= ratio.high and rise.low <= rise.value <= rise.high
    assert covered / trials >= 0.85, covered
    assert float(np.median(widths)) < 0.4


def test_median_effect_interval_covers_the_true_effect() -> None:
    rng = np.random.default_rng(7)
    trials, covered = 200, 0
    for _ in range(trials):
        base = rng.normal(1000, 50, 30)
        cur = rng.normal(1100, 55, 30)  # true median ratio 1.1: effect +10 %
        low, high = stats.median_effect_interval(cur, base, "ratio", 0.95, 2000, rng)
        covered += low <= 0.1 <= high
    assert covered / trials >= 0.85, covered
    diff_low, diff_high = stats.median_effect_interval(cur, base, "difference", 0.95, 2000, rng)
    assert diff_low < float(stats.median_effect(cur, base, "difference")) < diff_high


def test_median_effect_interval_leaves_undefined_ratios_out() -> None:
    # Half the baseline runs had no blocking time: some resampled baseline medians are 0.
    base = np.array([0.0, 0.0, 0.0, 0.0, 60.0, 70.0, 80.0, 90.0, 100.0])
    cur = np.array([70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0, 140.0, 150.0])
    low, high = stats.median_effect_interval(cur, base, "ratio", 0.95, 2000, np.random.default_rng(1))
    assert math.isfinite(low) and math.isfinite(high) and low < high
    undefined = stats.median_effect_interval(cur, np.zeros(5), "ratio", 0.95, 100, np.random.default_rng(1))
    assert all(math.isnan(x) for x in undefined)


def test_rate_difference_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(3)
    trials, covered = 200, 0
    for _ in range(trials):
        eb, ea = int(rng.binomial(1000, 0.02)), int(rng.binomial(1000, 0.05))
        d = stats.rate_difference(eb, 1000, ea, 1000, 0.95, 2000, rng)
        covered += d.low <= 0.03 <= d.high
        assert d.value == ea / 1000 - eb / 1000
    assert covered / trials >= 0.9, covered


def test_rank_test_is_one_sided_each_way() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(100, 5, 10)
    greater, less = stats.rank_test(base + 20, base)
    assert greater < 0.001 and less > 0.99
    assert stats.rank_test(np.full(5, 3.0), np.full(5, 3.0)) == (1.0, 1.0)
