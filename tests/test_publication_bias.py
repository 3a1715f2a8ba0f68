"""helpers.classical.publication_bias: metafor's published output, statsmodels, by hand."""

import numpy as np
import pytest
import statsmodels.api as sm

from helpers import data
from helpers.classical import (
    EggerResult,
    PetPeeseResult,
    TrimAndFillResult,
    egger_test,
    fixed_effect,
    log_odds_ratio,
    log_risk_ratio,
    meta_regression,
    pet_peese,
    random_effects,
    trim_and_fill,
)


@pytest.fixture(scope="module")
def bcg():
    """Log risk ratios of the 13 BCG trials (metafor's escalc(measure="RR"))."""
    df = data.bcg()
    lrr = log_risk_ratio(df.cpos + df.cneg, df.cpos, df.tpos + df.tneg, df.tpos)
    return lrr.y, lrr.sigma


@pytest.fixture(scope="module")
def magnesium():
    """Log odds ratios of the 16 magnesium trials, 1/2 added to tables with a zero cell."""
    df = data.magnesium()
    lor = log_odds_ratio(df.n_control, df.deaths_control, df.n_treated, df.deaths_treated)
    return lor.y, lor.sigma


def _datasets(rng, n):
    """Random meta-analyses with K between 5 and 20 and a small-study effect of random sign."""
    out = []
    for _ in range(n):
        K = int(rng.integers(5, 21))
        sigma = rng.uniform(0.05, 0.8, size=K)
        y = 0.2 + rng.normal(0.0, 1.5) * sigma + rng.normal(0.0, sigma)
        out.append((y, sigma))
    return out


# --- metafor's documented output (docs/reference/regtest.html, trimfill.html) ---------------


def test_magnesium_log_odds_ratios_and_random_effects_match_metafor(magnesium):
    # escalc(measure="OR", ..., subset=-16)$yi and rma(yi, vi) as printed in regtest's examples
    y, sigma = magnesium[0][:15], magnesium[1][:15]
    printed = [-0.83034830, -1.05605267, -1.27833981, -0.04348511, 0.22314355, -2.40751999,
               -1.28093385, -1.19170271, -0.69574796, -2.20827441, -2.03815988, -0.85015093,
               -0.79323064, -0.29933987, -1.57078846]  # fmt: skip
    np.testing.assert_array_equal(np.round(y, 8), printed)
    res = random_effects(y, sigma)
    assert (round(res.mean, 4), round(res.se, 4), round(res.tau2, 4)) == (-0.8745, 0.2080, 0.1911)
    assert round(res.statistic, 4) == 20.9184 and res.df == 14


def test_egger_reproduces_metafor_regtest_lm(magnesium):
    # regtest(res, model="lm"): t = -3.1783, df = 13, p = 0.0073, b = -0.1512 (CI -0.5130, 0.2106)
    res = egger_test(magnesium[0][:15], magnesium[1][:15])
    assert isinstance(res, EggerResult)
    assert round(res.statistic, 4) == -3.1783 and res.df == 13
    assert round(res.pvalue, 4) == 0.0073
    assert round(res.estimate, 4) == -0.1512
    assert (round(res.low, 4), round(res.high, 4)) == (-0.5130, 0.2106)


def test_mixed_effects_egger_is_meta_regression_on_sigma(magnesium):
    # regtest(res) (REML meta-regression on sei): z = -2.8062, p = 0.0050,
    # b = -0.1639 (CI -0.5681, 0.2402); with all 16 trials z = -4.6686 (metafor's tests).
    y, sigma = magnesium[0][:15], magnesium[1][:15]
    res = meta_regression(y, sigma, sigma)
    assert round(res.statistic[1], 4) == -2.8062 and round(res.pvalue[1], 4) == 0.0050
    assert round(res.coef[0], 4) == -0.1639
    assert (round(res.ci_low[0], 4), round(res.ci_high[0], 4)) == (-0.5681, 0.2402)
    assert round(meta_regression(*magnesium, magnesium[1]).statistic[1], 4) == -4.6686


def test_trim_and_fill_reproduces_metafor_on_bcg(bcg):
    # rma(yi, vi, method="EE"); trimfill(res): 4 missing on the right (SE = 2.3853),
    # estimate -0.2910, se 0.0383, CI (-0.3660, -0.2160), and the filled yi and vi.
    res = trim_and_fill(*bcg)
    assert isinstance(res, TrimAndFillResult)
    assert (res.k0, round(res.k0_se, 4), res.side) == (4, 2.3853, "right")
    assert np.isnan(res.pvalue)
    assert (round(res.estimate, 4), round(res.se, 4)) == (-0.2910, 0.0383)
    assert (round(res.low, 4), round(res.high, 4)) == (-0.3660, -0.2160)
    assert len(res.y) == len(res.sigma) == len(res.filled) == 17
    np.testing.assert_array_equal(res.y[:13], bcg[0])
    np.testing.assert_array_equal(res.filled, np.arange(17) >= 13)
    np.testing.assert_array_equal(
        np.round(res.y[res.filled], 8), [0.78929282, 0.85949921, 1.00333667, 1.03884624]
    )
    np.testing.assert_array_equal(
        np.round(res.sigma[res.filled] ** 2, 9),
        [0.073024794, 0.020010032, 0.194581121, 0.223017248],
    )
    # the equal-random approach of metafor's example: REML on the filled data
    after = random_effects(res.y, res.sigma)
    assert (round(after.mean, 4), round(after.se, 4), round(after.tau2, 4)) == (
        -0.3422,
        0.2223,
        0.7164,
    )


def test_trim_and_fill_r0_reproduces_metafor_on_bcg(bcg):
    # trimfill(res, estimator="R0"): 4 missing (SE = 3.1623), p = 0.0312, same estimate
    res = trim_and_fill(*bcg, estimator="R0")
    assert (res.k0, round(res.k0_se, 4), round(res.pvalue, 4)) == (4, 3.1623, 0.0312)
    assert res.pvalue == 0.5**5
    assert (round(res.estimate, 4), round(res.se, 4)) == (-0.2910, 0.0383)


def test_trim_and_fill_reml_reproduces_metafor_on_bcg(bcg):
    # rma(yi, vi); trimfill(res): 1 missing on the right (SE = 2.4528), k = 14,
    # tau^2 = 0.3313, estimate -0.6571 (se 0.1785), CI (-1.0070, -0.3072)
    res = trim_and_fill(*bcg, method="reml")
    assert (res.k0, round(res.k0_se, 4), res.side) == (1, 2.4528, "right")
    assert (round(res.estimate, 4), round(res.se, 4)) == (-0.6571, 0.1785)
    assert (round(res.low, 4), round(res.high, 4)) == (-1.0070, -0.3072)
    after = random_effects(res.y, res.sigma)
    assert round(after.tau2, 4) == 0.3313 and len(res.y) == 14
    assert round(after.statistic, 4) == 154.6750


# --- independent checks ----------------------------------------------------------------------


def test_egger_is_statsmodels_wls_and_egger_original_ols(magnesium, rng):
    for y, sigma in [(magnesium[0][:15], magnesium[1][:15]), *_datasets(rng, 20)]:
        res = egger_test(y, sigma, level=0.9)
        wls = sm.WLS(y, sm.add_constant(sigma), weights=sigma**-2).fit()
        assert res.slope == pytest.approx(wls.params[1], rel=1e-10)
        assert res.statistic == pytest.approx(wls.tvalues[1], rel=1e-10)
        assert res.pvalue == pytest.approx(wls.pvalues[1], rel=1e-8)
        assert res.estimate == pytest.approx(wls.params[0], rel=1e-10, abs=1e-12)
        assert res.se == pytest.approx(wls.bse[0], rel=1e-10)
        np.testing.assert_allclose([res.low, res.high], wls.conf_int(0.1)[0], rtol=1e-10)
        assert res.df == int(wls.df_resid) == len(y) - 2
        # Egger et al. (1997): y/sigma on 1/sigma by OLS; its intercept is our slope
        ols = sm.OLS(y / sigma, sm.add_constant(1 / sigma)).fit()
        assert ols.params[0] == pytest.approx(res.slope, rel=1e-10)
        assert ols.tvalues[0] == pytest.approx(res.statistic, rel=1e-10)
        assert ols.params[1] == pytest.approx(res.estimate, rel=1e-10, abs=1e-12)


def test_pet_peese_chooses_by_pet_test_and_matches_statsmodels(magnesium, rng):
    for y, sigma in [(magnesium[0][:15], magnesium[1][:15]), *_datasets(rng, 20)]:
        pet = sm.WLS(y, sm.add_constant(sigma), weights=sigma**-2).fit()
        peese = sm.WLS(y, sm.add_constant(sigma**2), weights=sigma**-2).fit()
        p = pet.pvalues[0]
        for alpha in (0.05, 0.2):
            res = pet_peese(y, sigma, alpha=alpha)
            assert isinstance(res, PetPeeseResult)
            assert res.pet_pvalue == pytest.approx(p, rel=1e-8)
            chosen = peese if p < alpha else pet
            assert res.model == ("PEESE" if p < alpha else "PET")
            assert res.estimate == pytest.approx(chosen.params[0], rel=1e-10, abs=1e-12)
            assert res.se == pytest.approx(chosen.bse[0], rel=1e-10)
            np.testing.assert_allclose([res.low, res.high], chosen.conf_int(0.05)[0], rtol=1e-10)
        # the threshold: just above and just below PET's p-value
        assert pet_peese(y, sigma, alpha=min(p * 1.001, 0.999)).model == "PEESE"
        assert pet_peese(y, sigma, alpha=p * 0.999).model == "PET"


def test_pet_on_magnesium_is_egger_limit_estimate(magnesium):
    y, sigma = magnesium[0][:15], magnesium[1][:15]
    res, egger = pet_peese(y, sigma), egger_test(y, sigma)
    assert res.model == "PET" and res.pet_pvalue > 0.05
    assert (res.estimate, res.se, res.low, res.high) == (
        egger.estimate,
        egger.se,
        egger.low,
        egger.high,
    )


def test_pet_peese_and_egger_are_equivariant_under_sign_flip(rng):
    for y, sigma in _datasets(rng, 10):
        e, f = egger_test(y, sigma), egger_test(-y, sigma)
        assert f.statistic == pytest.approx(-e.statistic) and f.pvalue == pytest.approx(e.pvalue)
        assert f.estimate == pytest.approx(-e.estimate, abs=1e-12)
        a, b = pet_peese(y, sigma), pet_peese(-y, sigma)
        assert a.model == b.model and b.estimate == pytest.approx(-a.estimate, abs=1e-12)


def test_trim_and_fill_by_hand():
    # Equal sigma, so the pooled mean is the plain mean. Side "left": surplus on the right.
    # Round 1: mean 2.5, |y - 2.5| = 2.5, 2, 1.5, 2.5, 3.5 ranked (ties in data order)
    # 3, 2, 1, 4, 5; ranks above the mean 4 + 5 = 9, L0 = (4*9 - 30) / 9 = 0.67 -> 1.
    # Round 2: trim 6, mean of the rest 1.625; ranks 3, 2, 1, 4, 5 again -> k0 = 1, stop.
    # Fill 2 * 1.625 - 6 = -2.75; the filled mean is 9.75 / 6 = 1.625.
    y, sigma = np.array([0.0, 0.5, 1.0, 5.0, 6.0]), np.ones(5)
    res = trim_and_fill(y, sigma, side="left")
    assert (res.k0, res.side) == (1, "left")
    np.testing.assert_array_equal(res.y, [0.0, 0.5, 1.0, 5.0, 6.0, -2.75])
    np.testing.assert_array_equal(res.sigma, np.ones(6))
    assert res.estimate == pytest.approx(1.625) and res.se == pytest.approx(1 / np.sqrt(6))
    assert res.low == pytest.approx(1.625 - 1.959963985 / np.sqrt(6))
    # R0: the rightmost run above the mean has 2 studies (ranks 4, 5), R0 = 2 - 1 = 1,
    # se = sqrt(2 * 1 + 2) = 2, p = P(R0 >= 1 | none missing) = 1/4
    r0 = trim_and_fill(y, sigma, side="left", estimator="R0")
    assert (r0.k0, r0.k0_se, r0.pvalue) == (1, 2.0, 0.25)
    # the same data mirrored: missing on the right
    flipped = trim_and_fill(-y, sigma, side="right")
    assert flipped.k0 == 1 and flipped.y[-1] == 2.75 and flipped.estimate == pytest.approx(-1.625)


def test_trim_and_fill_finds_nothing_in_a_symmetric_funnel():
    y = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, -0.5, 0.5])
    sigma = np.array([0.5, 1.0, 1.5, 1.0, 0.5, 0.8, 0.8])
    for estimator in ("L0", "R0"):
        for side in ("left", "right", None):
            for method in ("fixed", "reml"):
                res = trim_and_fill(y, sigma, estimator=estimator, side=side, method=method)
                assert res.k0 == 0 and not res.filled.any()
                np.testing.assert_array_equal(res.y, y)
                assert res.estimate == pytest.approx(0.0, abs=1e-12)
    fe = fixed_effect(y, sigma)
    assert trim_and_fill(y, sigma).se == pytest.approx(fe.se)


def test_trim_and_fill_finds_nothing_in_a_flat_funnel():
    # every estimate at the centre: no study above it, so no run and nothing missing
    for estimator in ("L0", "R0"):
        res = trim_and_fill([1.0] * 4, [0.1, 0.2, 0.3, 0.4], estimator=estimator)
        assert res.k0 == 0 and res.estimate == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["fixed", "reml", "dl", "pm"])
@pytest.mark.parametrize("estimator", ["L0", "R0"])
def test_trim_and_fill_flips_with_the_data(method, estimator, bcg, magnesium, rng):
    for y, sigma in [bcg, magnesium, *_datasets(rng, 5)]:
        a = trim_and_fill(y, sigma, method=method, estimator=estimator)
        b = trim_and_fill(-y, sigma, method=method, estimator=estimator)
        assert {a.side, b.side} == {"left", "right"}
        assert a.k0 == b.k0 and b.k0_se == pytest.approx(a.k0_se)
        assert b.estimate == pytest.approx(-a.estimate, abs=1e-10)
        assert b.se == pytest.approx(a.se)
        np.testing.assert_allclose(b.y, -a.y, atol=1e-12)
        np.testing.assert_array_equal(b.filled, a.filled)


def test_trim_and_fill_side_follows_the_funnel_slope(bcg):
    # BCG: small trials show larger protection (negative slope), so missing on the right
    assert egger_test(*bcg).slope < 0
    assert meta_regression(*bcg, bcg[1]).coef[1] < 0
    assert trim_and_fill(*bcg).side == trim_and_fill(*bcg, method="reml").side == "right"
    # forced to the other side, nothing is missing there: the fixed-effect answer
    forced = trim_and_fill(*bcg, side="left")
    assert (forced.side, forced.k0) == ("left", 0)
    assert forced.estimate == pytest.approx(fixed_effect(*bcg).mean)


def test_filled_studies_mirror_the_most_extreme_ones(bcg, rng):
    for y, sigma in [bcg, *_datasets(rng, 10)]:
        res = trim_and_fill(y, sigma)
        k0 = res.k0
        if not k0:
            continue
        # the k0 most extreme estimates on the other side are mirrored about one centre
        # (in the order trimmed: from the centre outwards)
        sources = np.sort(y)[:k0][::-1] if res.side == "right" else np.sort(y)[-k0:]
        sums = res.y[res.filled] + sources
        np.testing.assert_allclose(sums, sums[0], rtol=1e-12, atol=1e-12)
        order = np.argsort(y)
        mirrored = order[:k0][::-1] if res.side == "right" else order[-k0:]
        np.testing.assert_array_equal(res.sigma[res.filled], sigma[mirrored])


def test_trim_and_fill_uses_random_effects_on_the_filled_data(bcg):
    for method in ("reml", "dl", "pm"):
        res = trim_and_fill(*bcg, method=method, level=0.9)
        re = random_effects(res.y, res.sigma, method=method, level=0.9)
        assert (res.estimate, res.se, res.low, res.high) == pytest.approx(
            (re.mean, re.se, re.ci_low, re.ci_high)
        )


def test_trim_and_fill_stops_after_max_iter(bcg):
    with pytest.raises(RuntimeError, match="max_iter"):
        trim_and_fill(*bcg, max_iter=1)
    assert trim_and_fill(*bcg, max_iter=10).k0 == 4


# --- bad input -------------------------------------------------------------------------------

Y, SIGMA = [0.1, 0.3, -0.2, 0.5], [0.1, 0.2, 0.3, 0.4]


@pytest.mark.parametrize("function", [egger_test, pet_peese, trim_and_fill])
@pytest.mark.parametrize(
    "y, sigma, error, match",
    [
        (Y, SIGMA[:3], ValueError, "same length"),
        (Y, [0.1, 0.2, 0.0, 0.4], ValueError, "sigma must be strictly positive"),
        (Y, [0.1, -0.2, 0.3, 0.4], ValueError, "sigma must be strictly positive"),
        ([0.1, np.nan, -0.2, 0.5], SIGMA, ValueError, "y must be finite"),
        (Y, [0.1, np.inf, 0.3, 0.4], ValueError, "sigma must be finite"),
        (Y[:2], SIGMA[:2], ValueError, "y must have at least 3"),
        ("abc", SIGMA, TypeError, "y must be"),
        (Y, ["a", "b", "c", "d"], TypeError, "sigma must contain only numbers"),
        ([[0.1, 0.3], [0.2, 0.4]], SIGMA, ValueError, "y must be one-dimensional"),
    ],
)
def test_bad_estimates_are_rejected(function, y, sigma, error, match):
    with pytest.raises(error, match=match):
        function(y, sigma)


@pytest.mark.parametrize("function", [egger_test, pet_peese, trim_and_fill])
@pytest.mark.parametrize(
    "level, error", [(0.0, ValueError), (1.0, ValueError), (1.5, ValueError), ("0.9", TypeError)]
)
def test_bad_level_is_rejected(function, level, error):
    with pytest.raises(error, match="level"):
        function(Y, SIGMA, level=level)


@pytest.mark.parametrize("function", [egger_test, pet_peese])
def test_regression_needs_different_sigmas(function):
    with pytest.raises(ValueError, match="sigma must not be the same"):
        function(Y, [0.2] * 4)


@pytest.mark.parametrize(
    "alpha, error", [(0.0, ValueError), (1.0, ValueError), (-0.1, ValueError), (None, TypeError)]
)
def test_pet_peese_rejects_bad_alpha(alpha, error):
    with pytest.raises(error, match="alpha"):
        pet_peese(Y, SIGMA, alpha=alpha)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"estimator": "Q0"}, ValueError, "estimator must be one of"),
        ({"estimator": 0}, TypeError, "estimator must be a string"),
        ({"side": "up"}, ValueError, "side must be one of"),
        ({"side": 1}, TypeError, "side must be a string"),
        ({"method": "ml"}, ValueError, "method must be one of"),
        ({"method": None}, TypeError, "method must be a string"),
        ({"max_iter": 0}, ValueError, "max_iter must be at least 1"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an integer"),
    ],
)
def test_trim_and_fill_rejects_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        trim_and_fill(Y, SIGMA, **kwargs)


def test_trim_and_fill_needs_a_side_when_sigmas_are_equal():
    with pytest.raises(ValueError, match="side must be given"):
        trim_and_fill(Y, [0.2] * 4)
    assert trim_and_fill(Y, [0.2] * 4, side="left").side == "left"
