"""E-divisive change points: Otava's published examples, then the nightly bars of issue 5."""

from __future__ import annotations

import numpy as np
import pytest

from bigday.compare.changepoint import best_split, change_points, detect, qhat_matrix, ttest
from bigday.compare.history import nightly_change_points
from bigday.settings.scenario import RegressionPolicy

# apache/otava tests/change_point_divisive_test.py
OTAVA_SEQUENCE = np.array([0.3, 2.4, 1.5, -0.9, -0.5, 99.7, 98.3, 99.1, 149.0, 149.7, 149.5, 149.1, 148.8, 150.0])
# apache/otava tests/analysis_test.py
OTAVA_SERIES = [
    1.02,
    0.95,
    0.99,
    1.00,
    1.12,
    1.00,
    1.01,
    0.98,
    1.01,
    0.96,
    0.50,
    0.51,
    0.48,
    0.48,
    0.55,
    0.50,
    0.49,
    0.51,
    0.50,
    0.49,
]


def _qhat_by_definition(seq: np.ndarray) -> np.ndarray:
    """Matteson & James's Q-hat straight from its definition (Otava's slow reference)."""
    n_all = len(seq)
    q = np.full((n_all - 1, n_all - 1), -np.inf)
    for tau in range(1, n_all):
        for kappa in range(tau + 1, n_all + 1):
            x, y = seq[:tau], seq[tau:kappa]
            n, m = len(x), len(y)
            a = sum(abs(i - j) for i in x for j in y) * 2 / (m + n)
            b = sum(abs(x[i] - x[k]) for i in range(n) for k in range(i + 1, n)) * (
                2 * m / (m + n) / (n - 1) if n > 1 else 0
            )
            c = sum(abs(y[i] - y[k]) for i in range(m) for k in range(i + 1, m)) * (
                2 * n / (m + n) / (m - 1) if m > 1 else 0
            )
            q[tau - 1, kappa - 2] = a - b - c
    return q


def test_qhat_matches_its_definition() -> None:
    fast, slow = qhat_matrix(OTAVA_SEQUENCE), _qhat_by_definition(OTAVA_SEQUENCE)
    finite = np.isfinite(slow)
    assert np.array_equal(np.isfinite(fast), finite)
    assert np.allclose(fast[finite], slow[finite])
    assert best_split(OTAVA_SEQUENCE)[0] == 5


def test_otava_ttest_detector_example() -> None:
    assert [c.index for c in detect(OTAVA_SEQUENCE, max_pvalue=0.01)] == [5, 8]


def test_otava_split_merge_examples() -> None:
    assert [c.index for c in change_points(OTAVA_SERIES, window=10, max_pvalue=0.0001)] == [10]
    longer = OTAVA_SERIES + [0.47, 0.48, 0.45, 0.01, 0.1, 0.22]
    assert [c.index for c in change_points(longer, window=5, max_pvalue=0.0001)] == [10, 23]


def test_otava_significance_examples() -> None:
    same = np.array([1.00, 1.02, 1.05, 0.95, 0.98])
    assert ttest(same, same)[0] == pytest.approx(1.0)
    p = ttest(same, np.array([0.80, 0.82, 0.85, 0.79, 0.77]))[0]
    assert 0 < p < 0.001


POLICY = RegressionPolicy()


@pytest.mark.parametrize("seed", range(10))
def test_a_ten_percent_step_after_night_30_is_found_within_three_nights(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nights = 1000.0 * (1 + 0.05 * rng.standard_normal(60))
    nights[30:] *= 1.10
    found = nightly_change_points(nights, POLICY)
    assert any(abs(i - 30) <= 3 for i in found), found
    assert all(abs(i - 30) <= 3 for i in found), f"spurious change points {found}"


@pytest.mark.parametrize("seed", range(10))
def test_a_single_night_spike_is_not_a_change_point(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    nights = 1000.0 * (1 + 0.05 * rng.standard_normal(60))
    nights[20 + seed * 3] *= 1.5
    assert nightly_change_points(nights, POLICY) == []


def test_flat_and_tiny_series_have_no_change_points() -> None:
    assert nightly_change_points(np.full(40, 1200.0), POLICY) == []
    assert change_points([1.0, 2.0]) == []
