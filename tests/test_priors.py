"""Tests of helpers.priors: one prior specification for PyMC and the exact grid."""

import numpy as np
import pymc as pm
import pytest
from scipy import integrate, stats

from helpers import data, exact, models
from helpers.priors import Exponential, HalfCauchy, HalfNormal, TauPrior, Uniform

PRIORS = [HalfNormal(1.5), HalfCauchy(5.0), Exponential(0.5), Uniform(20.0)]
SCIPY = [
    stats.halfnorm(scale=1.5),
    stats.halfcauchy(scale=5.0),
    stats.expon(scale=2.0),
    stats.uniform(0.0, 20.0),
]


@pytest.mark.parametrize(("prior", "ref"), list(zip(PRIORS, SCIPY, strict=True)))
def test_logpdf_matches_scipy_and_integrates_to_one(prior, ref):
    tau = np.array([0.0, 0.3, 1.0, 4.0, 19.0])
    np.testing.assert_allclose(prior.logpdf(tau), ref.logpdf(tau), rtol=1e-12)
    np.testing.assert_allclose(prior(tau), prior.logpdf(tau))  # callable, for helpers.exact
    upper = prior.upper if np.isfinite(prior.upper) else np.inf
    total = integrate.quad(lambda t: np.exp(prior.logpdf(t)), 0, upper)[0]
    assert total == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("prior", PRIORS)
def test_logpdf_is_minus_infinity_outside_the_support(prior):
    assert prior.logpdf(-1.0) == -np.inf
    assert prior.logpdf(np.array([[1.0, 2.0]])).shape == (1, 2)


@pytest.mark.parametrize(("prior", "ref"), list(zip(PRIORS, SCIPY, strict=True)))
def test_pymc_variable_has_the_same_density(prior, ref):
    with pm.Model():
        rv = prior.rv("tau")
    tau = np.array([0.2, 1.0, 3.0])
    np.testing.assert_allclose(pm.logp(rv, tau).eval(), ref.logpdf(tau), rtol=1e-6)


def test_spec_and_repr():
    assert HalfNormal(1.0).spec == ("HalfNormal", {"sigma": 1.0})
    assert HalfCauchy(5).spec == ("HalfCauchy", {"beta": 5.0})
    assert Exponential(2).spec == ("Exponential", {"lam": 2.0})
    assert Uniform(50).spec == ("Uniform", {"lower": 0.0, "upper": 50.0})
    assert repr(HalfCauchy(5.0)) == "HalfCauchy(beta=5.0)"
    assert repr(Uniform(50.0)) == "Uniform(upper=50.0)"
    assert HalfNormal(1.0) == HalfNormal(1) and HalfNormal(1.0) != HalfCauchy(1.0)
    assert len({HalfNormal(1.0), HalfNormal(1.0)}) == 1
    assert isinstance(HalfNormal(), TauPrior)


def test_priors_are_immutable():
    prior = HalfNormal(1.0)
    with pytest.raises(AttributeError, match="immutable"):
        prior.upper = 3.0


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: HalfNormal(0.0), ValueError, "sigma must be > 0"),
        (lambda: HalfNormal(-1.0), ValueError, "sigma must be > 0"),
        (lambda: HalfNormal("1"), TypeError, "sigma must be a number"),
        (lambda: HalfCauchy(np.inf), ValueError, "beta must be finite"),
        (lambda: HalfCauchy(None), TypeError, "beta must be a number"),
        (lambda: Exponential(0), ValueError, "lam must be > 0"),
        (lambda: Uniform(0.0), ValueError, "upper must be > 0"),
        (lambda: Uniform(True), TypeError, "upper must be a number"),
        (lambda: HalfNormal(1.0).logpdf("a"), TypeError, "tau must be a number"),
        (lambda: HalfNormal(1.0).logpdf([np.nan]), ValueError, "tau must not contain NaN"),
        (lambda: HalfNormal(1.0).rv(""), TypeError, "name must be a non-empty string"),
    ],
)
def test_bad_input_is_rejected(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.fixture(scope="module")
def schools():
    df = data.eight_schools()
    return df["y"].to_numpy(), df["sigma"].to_numpy()


def test_exact_takes_a_prior_object_as_log_tau_prior(schools):
    y, sigma = schools
    ours = exact.posterior_quantiles(y, sigma, [0.1, 0.5, 0.9], log_tau_prior=HalfCauchy(5.0))
    ref = exact.posterior_quantiles(
        y, sigma, [0.1, 0.5, 0.9], log_tau_prior=lambda t: stats.halfcauchy.logpdf(t, scale=5.0)
    )
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=1e-12)


def test_uniform_prior_is_the_same_as_tau_max(schools):
    y, sigma = schools
    ours = exact.posterior_quantiles(y, sigma, [0.1, 0.9], log_tau_prior=Uniform(20.0))
    ref = exact.posterior_quantiles(y, sigma, [0.1, 0.9], tau_max=20.0)
    np.testing.assert_array_equal(ours.to_numpy(), ref.to_numpy())
    both = exact.posterior_quantiles(y, sigma, [0.9], tau_max=10.0, log_tau_prior=Uniform(20.0))
    assert (
        both.loc["tau", 0.9]
        == exact.posterior_quantiles(y, sigma, [0.9], tau_max=10.0).loc["tau", 0.9]
    )


def test_models_take_a_prior_object_as_tau_prior(schools):
    y, sigma = schools
    model = models.hierarchical_normal(
        y, sigma, mu_prior=("Normal", {"mu": 0, "sigma": 5}), tau_prior=HalfCauchy(5.0)
    )
    ref = models.hierarchical_normal(
        y, sigma, mu_prior=("Normal", {"mu": 0, "sigma": 5}), tau_prior=("HalfCauchy", {"beta": 5})
    )
    point = ref.initial_point()
    assert model.compile_logp()(point) == pytest.approx(ref.compile_logp()(point))


@pytest.mark.parametrize(("prior", "ref"), list(zip(PRIORS, SCIPY, strict=True)))
def test_rvs_follow_the_prior(prior, ref):
    draws = prior.rvs(5_000, np.random.default_rng(3))
    assert draws.shape == (5_000,) and np.all(draws >= 0) and np.all(draws <= prior.upper)
    assert stats.kstest(draws, ref.cdf).pvalue > 0.001


@pytest.mark.parametrize(
    ("size", "rng", "name"),
    [(0, np.random.default_rng(1), "size"), (2.5, np.random.default_rng(1), "size"), (5, 1, "rng")],
)
def test_rvs_bad_input_names_the_argument(size, rng, name):
    with pytest.raises((TypeError, ValueError), match=name):
        HalfNormal(1.0).rvs(size, rng)
