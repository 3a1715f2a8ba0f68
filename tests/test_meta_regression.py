"""helpers.classical.meta_regression: metafor's BCG numbers, statsmodels WLS, the REML optimum."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from helpers import data
from helpers.classical import MetaRegressionResult, log_risk_ratio, meta_regression, random_effects


@pytest.fixture(scope="module")
def bcg():
    """Log risk ratios, standard errors and absolute latitude of the 13 BCG trials."""
    df = data.bcg()
    lrr = log_risk_ratio(df.cpos + df.cneg, df.cpos, df.tpos + df.tneg, df.tpos)
    return lrr.y, lrr.sigma, df["ablat"].to_numpy(dtype=float), df["alloc"]


def _datasets(rng, n, p=1):
    out = []
    for _ in range(n):
        K = int(rng.integers(p + 4, 20))
        sigma = rng.uniform(0.1, 1.0, size=K)
        X = rng.normal(size=(K, p))
        y = 0.2 + X @ rng.normal(0, 0.5, size=p) + rng.normal(0, 0.4, size=K) + rng.normal(0, sigma)
        out.append((y, sigma, X))
    return out


def test_bcg_latitude_reproduces_metafor(bcg):
    # rma(yi, vi, mods = ~ ablat, data = dat) as printed in metafor's README and tests:
    # intercept 0.2515 (se 0.2491), slope -0.0291 (se 0.0072) per degree, residual
    # tau^2 0.0764, I^2 68.39%, R^2 75.62%, QE(11) = 30.7331; predict() at the first three
    # trials -1.029, -1.3491, -0.9708 (se 0.1404, 0.2011, 0.1315). metafor stops its Fisher
    # scoring when tau^2 changes by less than 1e-5; we solve the REML equation exactly, so
    # tau^2 (0.07635) and R^2 (75.627%) differ from the printed values in the last digit.
    y, sigma, ablat, _ = bcg
    res = meta_regression(y, sigma, ablat)
    assert isinstance(res, MetaRegressionResult)
    assert (round(res.coef[0], 4), round(res.coef[1], 4)) == (0.2515, -0.0291)
    assert (round(res.se[0], 4), round(res.se[1], 4)) == (0.2491, 0.0072)
    assert res.tau2 == pytest.approx(0.0764, abs=1e-4)
    assert round(100 * res.I2, 2) == 68.39
    assert abs(100 * res.R2 - 75.62) < 0.01
    assert round(res.QE, 4) == 30.7331 and res.df_resid == 11
    Z = np.column_stack([np.ones(3), ablat[:3]])
    pred, pred_se = Z @ res.coef, np.sqrt(np.einsum("ij,jk,ik->i", Z, res.cov, Z))
    np.testing.assert_array_equal(np.round(pred, 4), [-1.029, -1.3491, -0.9708])
    np.testing.assert_array_equal(np.round(pred_se, 4), [0.1404, 0.2011, 0.1315])
    assert res.tau2_total == pytest.approx(random_effects(y, sigma).tau2)
    assert np.isclose(res.R2, (res.tau2_total - res.tau2) / res.tau2_total)
    assert 0.7 < res.R2 < 0.8
    assert (res.df_resid, res.df_mods) == (11, 1)
    assert np.isclose(res.QM, res.statistic[1] ** 2)  # one slope: QM = z^2


def test_coefficients_are_wls_at_the_estimated_tau2(bcg, rng):
    y, sigma, ablat, _ = bcg
    for yy, ss, X in [(y, sigma, ablat[:, None]), *_datasets(rng, 10, p=2)]:
        res = meta_regression(yy, ss, X)
        Z = sm.add_constant(X, has_constant="add")
        fit = sm.WLS(yy, Z, weights=1 / (ss**2 + res.tau2)).fit(cov_type="fixed scale")
        np.testing.assert_allclose(res.coef, fit.params, rtol=1e-9)
        np.testing.assert_allclose(res.se, fit.bse, rtol=1e-9)
        np.testing.assert_allclose(res.pvalue, fit.pvalues, rtol=1e-7)
        np.testing.assert_allclose(np.column_stack([res.ci_low, res.ci_high]), fit.conf_int())
        # QE is the weighted residual sum of squares at tau2 = 0
        fe = sm.WLS(yy, Z, weights=1 / ss**2).fit()
        assert np.isclose(res.QE, fe.ssr, rtol=1e-9)


def _neg_restricted_loglik(tau2, y, sigma, Z):
    w = 1 / (sigma**2 + tau2)
    ZtW = Z.T * w
    b = np.linalg.solve(ZtW @ Z, ZtW @ y)
    r = y - Z @ b
    return 0.5 * (-np.sum(np.log(w)) + np.linalg.slogdet(ZtW @ Z)[1] + np.sum(w * r**2))


def test_reml_maximises_the_restricted_likelihood(bcg, rng):
    y, sigma, ablat, _ = bcg
    for yy, ss, X in [(y, sigma, ablat[:, None]), *_datasets(rng, 10), *_datasets(rng, 5, 3)]:
        Z = np.column_stack([np.ones(len(yy)), X])
        upper = 10 * max(np.var(yy), np.max(ss**2))
        direct = optimize.minimize_scalar(
            _neg_restricted_loglik,
            bounds=(0, upper),
            args=(yy, ss, Z),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert meta_regression(yy, ss, X).tau2 == pytest.approx(direct.x, rel=1e-5, abs=1e-7)


def test_paule_mandel_solves_the_residual_q_equation(bcg):
    y, sigma, ablat, _ = bcg
    res = meta_regression(y, sigma, ablat, method="pm")
    Z = sm.add_constant(ablat)
    fit = sm.WLS(y, Z, weights=1 / (sigma**2 + res.tau2)).fit()
    assert fit.ssr == pytest.approx(len(y) - 2, rel=1e-9)


def test_moment_equation_behind_dl(rng):
    # E Q_E(0) = K - p - 1 + tau2 tr(P0): the identity the DL estimator inverts.
    K, tau2 = 12, 0.3
    sigma = rng.uniform(0.2, 0.8, size=K)
    X = rng.normal(size=(K, 1))
    Z = np.column_stack([np.ones(K), X])
    W = np.diag(sigma**-2)
    P0 = W - W @ Z @ np.linalg.solve(Z.T @ W @ Z, Z.T @ W)
    Y = 0.1 + 0.5 * X[:, 0] + rng.normal(0, np.sqrt(tau2 + sigma**2), size=(4000, K))
    QE = np.einsum("ij,jk,ik->i", Y, P0, Y)
    assert QE.mean() == pytest.approx(K - 2 + tau2 * np.trace(P0), rel=0.03)
    est = meta_regression(Y[0], sigma, X, method="dl")
    expected = max(0.0, (QE[0] - (K - 2)) / np.trace(P0))
    assert est.tau2 == pytest.approx(expected, rel=1e-10)


def test_r2_is_zero_when_the_moderator_explains_nothing(rng):
    K = 10
    sigma = np.full(K, 0.3)
    y = rng.normal(0, 0.6, size=K)
    noise = rng.normal(size=K)
    res = meta_regression(y, sigma, noise)
    assert 0.0 <= res.R2 <= 1.0
    res = meta_regression(np.zeros(K) + 0.01 * np.arange(K), sigma, np.arange(K, dtype=float))
    assert res.tau2 == 0.0 and res.R2 == 0.0


def test_categorical_moderator_by_dummies(bcg):
    y, sigma, _, alloc = bcg
    X = np.column_stack([(alloc == level).to_numpy(float) for level in ("alternate", "systematic")])
    res = meta_regression(y, sigma, X)
    assert res.coef.shape == (3,) and res.df_mods == 2
    wald = res.coef[1:] @ np.linalg.solve(res.cov[1:, 1:], res.coef[1:])
    assert np.isclose(res.QM, wald, rtol=1e-12)
    assert res.QM_pvalue == pytest.approx(stats.chi2.sf(res.QM, 2))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"X": "abc"}, TypeError, "X must be"),
        ({"X": [["a"], ["b"], ["c"], ["d"], ["e"]]}, TypeError, "X must contain only numbers"),
        ({"X": np.zeros((5, 1, 1))}, ValueError, "X must be one- or two-dimensional"),
        ({"X": [1.0, 2.0, 3.0]}, ValueError, "X must have one row per group"),
        ({"X": np.zeros((5, 0))}, ValueError, "X must have at least one column"),
        ({"X": [1.0, 2.0, np.nan, 4.0, 5.0]}, ValueError, "X must be finite"),
        ({"X": [3.0, 3.0, 3.0, 3.0, 3.0]}, ValueError, "X must have full column rank"),
        ({"X": np.arange(20.0).reshape(5, 4) ** [1, 2, 3, 0.5]}, ValueError, "too many columns"),
        ({"y": [0.1, 0.2]}, ValueError, "y must have at least 3"),
        ({"sigma": [0.1, 0.2, -0.1, 0.2, 0.3]}, ValueError, "sigma must be strictly positive"),
        ({"sigma": [0.1, 0.2, 0.3]}, ValueError, "must have the same length"),
        ({"method": "ml"}, ValueError, "method must be one of"),
        ({"method": None}, TypeError, "method must be a string"),
        ({"level": 2.0}, ValueError, "level must be <"),
    ],
)
def test_meta_regression_rejects_bad_input(kwargs, error, match):
    args = {
        "y": [0.1, 0.5, -0.2, 0.3, 0.0],
        "sigma": [0.2, 0.3, 0.25, 0.2, 0.4],
        "X": [10.0, 20.0, 30.0, 40.0, 55.0],
    } | kwargs
    y, sigma, X = args.pop("y"), args.pop("sigma"), args.pop("X")
    with pytest.raises(error, match=match):
        meta_regression(y, sigma, X, **args)
