"""helpers.classical.log_odds_ratio: hand computations, statsmodels, zero cells, bad input."""

import numpy as np
import pytest
from scipy.special import logit
from statsmodels.stats.contingency_tables import Table2x2

from helpers.classical import LogOddsRatioResult, log_odds_ratio

# Markets A and B of chapter 6 and a small market with no treated conversion.
N_C, Y_C = [200, 250, 120], [19, 23, 10]
N_T, Y_T = [200, 250, 120], [23, 23, 0]


def test_log_odds_ratio_by_hand():
    res = log_odds_ratio(N_C, Y_C, N_T, Y_T)
    assert isinstance(res, LogOddsRatioResult)
    # Market A: a, b, c, d = 23, 177, 19, 181
    assert res.y[0] == pytest.approx(np.log(23 * 181 / (177 * 19)), rel=1e-12)
    assert res.sigma[0] == pytest.approx(np.sqrt(1 / 23 + 1 / 177 + 1 / 19 + 1 / 181), rel=1e-12)
    # Market B: equal counts in both arms, an odds ratio of exactly 1
    assert res.y[1] == pytest.approx(0.0, abs=1e-12)
    # the small market has a zero cell: 1/2 is added to all four cells
    assert res.y[2] == pytest.approx(np.log(0.5 * 110.5 / (120.5 * 10.5)), rel=1e-12)
    assert res.sigma[2] == pytest.approx(np.sqrt(1 / 0.5 + 1 / 120.5 + 1 / 10.5 + 1 / 110.5))
    assert res.corrected.tolist() == [False, False, True]


def test_log_odds_ratio_is_a_difference_of_logits():
    n_c, y_c, n_t, y_t = [300, 40], [40, 3], [310, 45], [50, 9]
    res = log_odds_ratio(n_c, y_c, n_t, y_t)
    expected = logit(np.divide(y_t, n_t)) - logit(np.divide(y_c, n_c))
    np.testing.assert_allclose(res.y, expected, rtol=1e-12)


def test_correction_size_and_which_tables_it_touches():
    res = log_odds_ratio(N_C, Y_C, N_T, Y_T, correction=1.0)
    # tables without a zero cell are not changed by the correction
    np.testing.assert_allclose(res.y[:2], log_odds_ratio(N_C, Y_C, N_T, Y_T).y[:2])
    assert res.y[2] == pytest.approx(np.log(1 * 111 / (121 * 11)), rel=1e-12)
    assert res.sigma[2] == pytest.approx(np.sqrt(1 + 1 / 121 + 1 / 11 + 1 / 111))


@pytest.mark.parametrize(
    ("y_c", "y_t", "expected"),
    [
        (0, 0, 0.0),  # no conversion in either arm: corrected odds ratio 1
        (50, 50, 0.0),  # everyone converted in both arms
        (5, 50, np.log(50.5 * 45.5 / (0.5 * 5.5))),  # every treated unit converted
    ],
)
def test_other_zero_cells(y_c, y_t, expected):
    res = log_odds_ratio([50], [y_c], [50], [y_t])
    assert res.corrected.tolist() == [True]
    assert res.y[0] == pytest.approx(expected, abs=1e-12)
    assert np.isfinite(res.sigma[0]) and res.sigma[0] > np.sqrt(2)


def test_matches_statsmodels(rng):
    n_c, n_t = rng.integers(50, 2000, size=20), rng.integers(50, 2000, size=20)
    y_c, y_t = rng.binomial(n_c, 0.1), rng.binomial(n_t, 0.13)
    res = log_odds_ratio(n_c, y_c, n_t, y_t)
    assert not res.corrected.any()
    for k in range(20):
        table = Table2x2(np.array([[y_t[k], n_t[k] - y_t[k]], [y_c[k], n_c[k] - y_c[k]]]))
        assert res.y[k] == pytest.approx(table.log_oddsratio, rel=1e-10)
        assert res.sigma[k] == pytest.approx(table.log_oddsratio_se, rel=1e-10)


def test_zero_cell_convention_against_statsmodels():
    res = log_odds_ratio([120], [10], [120], [0])
    cells = np.array([[0, 120], [10, 110]], dtype=float)
    haldane = Table2x2(cells + 0.5, shift_zeros=False)
    assert res.y[0] == pytest.approx(haldane.log_oddsratio, rel=1e-12)
    assert res.sigma[0] == pytest.approx(haldane.log_oddsratio_se, rel=1e-12)
    # statsmodels' default replaces only the zero cell: a different number (see docstring)
    shifted = Table2x2(cells)
    assert shifted.log_oddsratio == pytest.approx(np.log(0.5 * 110 / (120 * 10)))
    assert abs(shifted.log_oddsratio - res.y[0]) > 0.04


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_control": [19, 23, -1]}, ValueError, "y_control must be at least 0"),
        ({"y_treat": [23, 251, 0]}, ValueError, r"y_treat must not exceed n_treat \(group 1"),
        ({"y_control": [201, 23, 10]}, ValueError, "y_control must not exceed n_control"),
        ({"n_control": [200, 0, 120]}, ValueError, "n_control must be at least 1"),
        ({"n_treat": [200, 250, 120.5]}, ValueError, "n_treat must hold whole numbers"),
        ({"y_treat": ["23", "23", "0"]}, TypeError, "y_treat must hold whole numbers"),
        ({"y_control": None}, TypeError, "y_control must be a sequence of whole numbers"),
        ({"n_control": [[200, 250, 120]]}, ValueError, "n_control must be one-dimensional"),
        ({"y_treat": [23, 23]}, ValueError, "must have the same length"),
        ({"n_control": [], "y_control": []}, ValueError, "n_control must have at least 1"),
        ({"correction": 0.0}, ValueError, "correction must be > 0"),
        ({"correction": np.inf}, ValueError, "correction must be finite"),
        ({"correction": "0.5"}, TypeError, "correction must be a number"),
    ],
)
def test_rejects_bad_input(kwargs, error, match):
    args = {"n_control": N_C, "y_control": Y_C, "n_treat": N_T, "y_treat": Y_T, **kwargs}
    counts = [args.pop(k) for k in ("n_control", "y_control", "n_treat", "y_treat")]
    with pytest.raises(error, match=match):
        log_odds_ratio(*counts, **args)
