"""Tests for helpers.exact.loo_log_predictive against independent integration."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from helpers.data import eight_schools
from helpers.exact import loo_log_predictive

SCHOOLS = eight_schools()
Y, SIGMA = SCHOOLS["y"].to_numpy(float), SCHOOLS["sigma"].to_numpy(float)


def _loo_by_quadrature(y, sigma, j, log_prior, tau_hi):
    """log p(y_j | y_-j) by two-dimensional quadrature over (mu, tau), scalar arithmetic."""
    others = [(float(y[k]), float(sigma[k]) ** 2) for k in range(len(y)) if k != j]
    yj, s2j = float(y[j]), float(sigma[j]) ** 2

    def log_normal(x, mu, var):
        return -0.5 * (math.log(2 * math.pi * var) + (x - mu) ** 2 / var)

    def joint(mu, tau):  # p(tau) prod_k N(y_k | mu, tau^2 + sigma_k^2), k != j
        t2 = tau * tau
        return math.exp(log_prior(tau) + sum(log_normal(a, mu, t2 + v) for a, v in others) + 30)

    def with_j(mu, tau):
        return joint(mu, tau) * math.exp(log_normal(yj, mu, tau * tau + s2j))

    lo, hi = float(y.min()) - 60, float(y.max()) + 60
    opts = {"epsabs": 0, "epsrel": 1e-7}
    num, _ = integrate.dblquad(with_j, 0, tau_hi, lo, hi, **opts)
    den, _ = integrate.dblquad(joint, 0, tau_hi, lo, hi, **opts)
    return math.log(num / den)


@pytest.mark.parametrize("j", [0])
def test_matches_quadrature_with_a_half_cauchy_prior(j):
    def log_prior(tau):  # half-Cauchy(5), up to a constant
        return -np.log1p((tau / 5.0) ** 2)

    exact = loo_log_predictive(Y, SIGMA, log_tau_prior=log_prior)
    # beyond tau = 400 the half-Cauchy(5) keeps 0.8% of its mass, the posterior almost none
    reference = _loo_by_quadrature(Y, SIGMA, j, log_prior, tau_hi=400.0)
    assert exact[j] == pytest.approx(reference, abs=1e-6)


def test_matches_quadrature_with_a_bounded_uniform_prior():
    exact = loo_log_predictive(Y, SIGMA, tau_max=40.0)
    reference = _loo_by_quadrature(Y, SIGMA, 2, lambda tau: 0.0, tau_hi=40.0)
    assert exact[2] == pytest.approx(reference, abs=1e-6)
    assert exact.shape == (8,)


def test_large_tau_max_approaches_the_flat_prior():
    flat = loo_log_predictive(Y, SIGMA)
    wide = loo_log_predictive(Y, SIGMA, tau_max=1e5)
    np.testing.assert_allclose(flat, wide, atol=1e-3)


def test_homogeneous_groups_predict_like_complete_pooling():
    # with tau forced near zero the predictive is N(mu_hat_-j, V_-j + sigma_j^2)
    y = np.array([0.1, -0.2, 0.3, 0.0, 0.2])
    sigma = np.array([1.0, 1.2, 0.8, 1.1, 0.9])
    tiny = loo_log_predictive(y, sigma, tau_max=1e-6)
    for j in range(len(y)):
        w = 1 / np.delete(sigma, j) ** 2
        mean, var = np.sum(w * np.delete(y, j)) / w.sum(), 1 / w.sum()
        assert tiny[j] == pytest.approx(stats.norm.logpdf(y[j], mean, np.sqrt(var + sigma[j] ** 2)))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"y": [1.0, 2.0, 3.0], "sigma": [1.0, 1.0, 1.0]}, "y"),
        ({"y": [1.0, 2.0], "sigma": [1.0, 1.0], "tau_max": 5.0}, "y"),
        ({"y": Y, "sigma": -SIGMA}, "sigma"),
        ({"y": Y, "sigma": SIGMA, "tau_max": -1.0}, "tau_max"),
        ({"y": Y, "sigma": SIGMA, "log_tau_prior": "half-normal"}, "log_tau_prior"),
        ({"y": Y[:4], "sigma": SIGMA}, "same length"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        loo_log_predictive(**kwargs)


def test_no_floating_point_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loo_log_predictive(Y, SIGMA, log_tau_prior=lambda tau: -np.log1p((tau / 5.0) ** 2))
        # a posterior of tau whose far tail underflows (it warned of log(0) once)
        y = np.array([6.0, -2.0, 9.0, 3.0, 12.0, 1.0, 5.0])
        sigma = np.array([4.0, 5.0, 6.0, 3.0, 7.0, 4.0, 5.0])
        loo_log_predictive(y, sigma, log_tau_prior=lambda tau: -0.5 * (tau / 5.0) ** 2)
