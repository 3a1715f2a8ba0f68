"""helpers.classical.random_effects: metafor's BCG numbers, statsmodels, direct optimisation."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from helpers import data
from helpers.classical import (
    RandomEffectsResult,
    dersimonian_laird,
    log_risk_ratio,
    random_effects,
)

EIGHT_Y = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]
EIGHT_SIGMA = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]


@pytest.fixture(scope="module")
def bcg():
    """Log risk ratios and standard errors of the 13 BCG trials."""
    df = data.bcg()
    lrr = log_risk_ratio(df.cpos + df.cneg, df.cpos, df.tpos + df.tneg, df.tpos)
    return lrr.y, lrr.sigma


def _datasets(rng, n):
    """Random meta-analyses with K between 3 and 15 and real heterogeneity."""
    out = []
    for _ in range(n):
        K = int(rng.integers(3, 16))
        sigma = rng.uniform(0.1, 1.0, size=K)
        y = rng.normal(0.3, 0.5, size=K) + rng.normal(0.0, sigma)
        out.append((y, sigma))
    return out


def test_bcg_reml_reproduces_metafor(bcg):
    # rma(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg) and confint():
    # Viechtbauer (2010), J. Stat. Softw. 36(3); metafor's documentation of dat.bcg.
    res = random_effects(*bcg)
    assert isinstance(res, RandomEffectsResult)
    assert round(res.mean, 4) == -0.7145
    assert round(res.se, 4) == 0.1798
    assert round(res.tau2, 4) == 0.3132
    assert round(100 * res.I2, 2) == 92.22
    assert round(res.statistic, 2) == 152.23 and res.df == 12
    assert (round(res.tau2_low, 4), round(res.tau2_high, 4)) == (0.1197, 1.1115)
    assert (res.method, res.ci) == ("reml", "wald")


@pytest.mark.parametrize("which", ["eight", "bcg", "random"])
def test_paule_mandel_and_hksj_match_statsmodels(which, bcg, rng):
    # statsmodels iterates Paule-Mandel to an absolute tolerance of 1e-5 on Q; we solve
    # Q(tau2) = K - 1 to machine precision, so agreement is to about 1e-5 relative.
    sets = {"eight": [(EIGHT_Y, EIGHT_SIGMA)], "bcg": [bcg], "random": _datasets(rng, 20)}[which]
    for y, sigma in sets:
        y, sigma = np.asarray(y), np.asarray(sigma)
        theirs = combine_effects(y, sigma**2, method_re="pm")
        wald = random_effects(y, sigma, method="pm")
        hksj = random_effects(y, sigma, method="pm", ci="hksj")
        assert wald.tau2 == pytest.approx(theirs.tau2, rel=1e-4, abs=1e-10)
        assert wald.mean == pytest.approx(theirs.mean_effect_re, rel=1e-5, abs=1e-8)
        assert wald.se == pytest.approx(theirs.sd_eff_w_re, rel=1e-5)
        re_wald = theirs.conf_int(use_t=False)[1]
        re_hksj = theirs.conf_int(use_t=True)[3]
        np.testing.assert_allclose([wald.ci_low, wald.ci_high], re_wald, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose([hksj.ci_low, hksj.ci_high], re_hksj, rtol=1e-5, atol=1e-8)
        assert hksj.se == pytest.approx(theirs.sd_eff_w_re_hksj, rel=1e-5)
        # our estimate solves the Paule-Mandel equation Q(tau2) = K - 1 exactly
        if wald.tau2 > 0:
            w = 1 / (sigma**2 + wald.tau2)
            mu = np.sum(w * y) / np.sum(w)
            assert np.sum(w * (y - mu) ** 2) == pytest.approx(len(y) - 1, rel=1e-10)
            # and at the Paule-Mandel tau2 the HKSJ and Wald standard errors coincide
            assert hksj.se == pytest.approx(wald.se, rel=1e-9)


def test_dl_matches_dersimonian_laird_and_statsmodels_when_not_truncated(bcg, rng):
    for y, sigma in [bcg, (EIGHT_Y, EIGHT_SIGMA), *_datasets(rng, 20)]:
        ours = random_effects(y, sigma, method="dl")
        dl = dersimonian_laird(y, sigma)
        assert (ours.mean, ours.se, ours.tau2) == pytest.approx((dl.mean, dl.se, dl.tau2))
        assert np.isclose(ours.I2, dl.I2, rtol=0, atol=1e-12)  # tau2 form = (Q - df) / Q for DL
        with np.errstate(invalid="ignore"):  # statsmodels takes sqrt of a negative tau2
            theirs = combine_effects(np.asarray(y), np.asarray(sigma) ** 2, method_re="dl")
        if theirs.tau2 > 0:  # statsmodels 0.15 does not truncate DL's tau2 at zero
            assert ours.tau2 == pytest.approx(theirs.tau2, rel=1e-9)
            assert ours.mean == pytest.approx(theirs.mean_effect_re, rel=1e-9)


def _neg_restricted_loglik(tau2, y, sigma):
    v = sigma**2 + tau2
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    return 0.5 * (np.sum(np.log(v)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))


def test_reml_maximises_the_restricted_likelihood(bcg, rng):
    for y, sigma in [bcg, (EIGHT_Y, EIGHT_SIGMA), *_datasets(rng, 20)]:
        y, sigma = np.asarray(y), np.asarray(sigma)
        upper = 10 * max(np.var(y), np.max(sigma**2))
        direct = optimize.minimize_scalar(
            _neg_restricted_loglik,
            bounds=(0, upper),
            args=(y, sigma),
            method="bounded",
            options={"xatol": 1e-12},
        )
        ours = random_effects(y, sigma).tau2
        assert ours == pytest.approx(direct.x, rel=1e-5, abs=1e-7)
        # and no point of a fine grid does better
        grid = np.linspace(0, upper, 2001)
        best = min(_neg_restricted_loglik(t, y, sigma) for t in grid)
        assert _neg_restricted_loglik(ours, y, sigma) <= best + 1e-10


def test_reml_is_zero_for_homogeneous_data():
    # the eight schools: REML and Paule-Mandel put tau2 at the boundary, like DL
    for method in ("reml", "pm", "dl"):
        res = random_effects(EIGHT_Y, EIGHT_SIGMA, method=method)
        assert res.tau2 == 0.0 and res.I2 == 0.0
        assert res.tau2_low == 0.0 and res.tau2_high > 0


def test_hksj_is_weighted_least_squares_with_estimated_scale(bcg, rng):
    for y, sigma in [bcg, *_datasets(rng, 10)]:
        res = random_effects(y, sigma, ci="hksj", level=0.9)
        w = 1 / (np.asarray(sigma) ** 2 + res.tau2)
        fit = sm.WLS(np.asarray(y), np.ones((len(y), 1)), weights=w).fit()
        assert res.mean == pytest.approx(fit.params[0], rel=1e-10)
        assert res.se == pytest.approx(fit.bse[0], rel=1e-10)
        np.testing.assert_allclose([res.ci_low, res.ci_high], fit.conf_int(alpha=0.1)[0])


def test_q_profile_bounds_solve_the_q_equation(bcg):
    y, sigma = bcg
    res = random_effects(y, sigma, level=0.9)
    for tau2, p in ((res.tau2_low, 0.95), (res.tau2_high, 0.05)):
        w = 1 / (sigma**2 + tau2)
        mu = np.sum(w * y) / np.sum(w)
        assert np.sum(w * (y - mu) ** 2) == pytest.approx(stats.chi2.ppf(p, 12), rel=1e-9)
    wide = random_effects(y, sigma, level=0.99)
    assert wide.tau2_low < res.tau2_low < res.tau2 < res.tau2_high < wide.tau2_high


def test_q_profile_interval_truncated_at_zero():
    # Q far below its expectation: both bounds are 0
    y, sigma = [0.0, 0.01, -0.01, 0.0], [1.0, 1.0, 1.0, 1.0]
    res = random_effects(y, sigma)
    assert (res.tau2, res.tau2_low, res.tau2_high) == (0.0, 0.0, 0.0)


def test_q_profile_interval_covers_at_its_level(rng):
    # The interval is exact when the sigma_k are known: coverage is 95% up to Monte Carlo error.
    sigma = np.array([0.2, 0.3, 0.5, 0.4, 0.25, 0.6, 0.35, 0.45])
    tau2 = 0.1
    hits = []
    for _ in range(400):
        y = rng.normal(0.0, np.sqrt(tau2 + sigma**2))
        res = random_effects(y, sigma, method="dl")
        hits.append(res.tau2_low <= tau2 <= res.tau2_high)
    assert 0.91 < np.mean(hits) < 0.99


def test_prediction_interval(bcg):
    y, sigma = bcg
    for ci in ("wald", "hksj"):
        res = random_effects(y, sigma, ci=ci)
        half = stats.t.ppf(0.975, 11) * np.sqrt(res.tau2 + res.se**2)
        assert (res.pi_low, res.pi_high) == pytest.approx((res.mean - half, res.mean + half))
        assert res.pi_low < res.ci_low < res.ci_high < res.pi_high
    two = random_effects([0.1, 0.5], [0.1, 0.2])
    assert np.isnan(two.pi_low) and np.isnan(two.pi_high) and np.isfinite(two.ci_low)


def test_level_and_tau_property(bcg):
    narrow, wide = random_effects(*bcg, level=0.8), random_effects(*bcg, level=0.99)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert narrow.tau == pytest.approx(np.sqrt(narrow.tau2))
    assert narrow.pvalue == pytest.approx(stats.chi2.sf(narrow.statistic, 12))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y": "abc"}, TypeError, "y must be"),
        ({"y": [[1.0, 2.0]]}, ValueError, "y must be one-dimensional"),
        ({"y": [1.0]}, ValueError, "y must have at least 2"),
        ({"y": [1.0, np.nan, 2.0]}, ValueError, "y must be finite"),
        ({"sigma": [1.0, 0.0, 1.0]}, ValueError, "sigma must be strictly positive"),
        ({"sigma": [1.0, 1.0]}, ValueError, "must have the same length"),
        ({"sigma": None}, TypeError, "sigma must be"),
        ({"method": "ml"}, ValueError, "method must be one of"),
        ({"method": 1}, TypeError, "method must be a string"),
        ({"ci": "kh"}, ValueError, "ci must be one of"),
        ({"ci": None}, TypeError, "ci must be a string"),
        ({"level": 1.0}, ValueError, "level must be <"),
        ({"level": 0}, ValueError, "level must be >"),
        ({"level": "0.95"}, TypeError, "level must be a number"),
    ],
)
def test_random_effects_rejects_bad_input(kwargs, error, match):
    args = {"y": [0.1, 0.5, -0.2], "sigma": [0.2, 0.3, 0.25]} | kwargs
    y, sigma = args.pop("y"), args.pop("sigma")
    with pytest.raises(error, match=match):
        random_effects(y, sigma, **args)
