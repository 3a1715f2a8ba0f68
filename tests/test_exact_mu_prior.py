"""Tests of helpers.exact under a normal prior on mu (the ``mu_prior`` option)."""

import numpy as np
import pytest
from scipy import optimize, special, stats

from helpers import data, exact
from helpers.priors import HalfNormal

PROBS = [0.025, 0.5, 0.975]
NORMAL = ("Normal", {"mu": 0.0, "sigma": 0.5})


@pytest.fixture(scope="module")
def schools():
    df = data.eight_schools()
    return df["y"].to_numpy(), df["sigma"].to_numpy()


# Log odds ratios of chapter 6's kind: a normal prior on mu of the scale of the data matters.
Y = np.array([0.35, -0.05, 0.6, 0.1, 0.45, 0.2, 0.05, 0.3])
SIGMA = np.array([0.42, 0.38, 0.33, 0.31, 0.29, 0.26, 0.22, 0.17])


def _brute_force(y, sigma, probs, mean, sd, log_tau_prior, tau_max=3.0, n=400):
    """Quantiles and moments from p(mu, tau | y) on a midpoint grid, no factorisation used."""
    tau = (np.arange(n) + 0.5) * tau_max / n
    mu = mean + sd * np.linspace(-8, 8, n)
    T, M = np.meshgrid(tau, mu, indexing="ij")
    var = sigma**2 + T[..., None] ** 2
    logp = (-0.5 * np.log(var) - 0.5 * (y - M[..., None]) ** 2 / var).sum(axis=-1)
    logp += log_tau_prior(T) + stats.norm.logpdf(M, mean, sd)
    w = np.exp(logp - logp.max())
    w /= w.sum()
    out = {}
    for name, x, mass in [("mu", mu, w.sum(axis=0)), ("tau", tau, w.sum(axis=1))]:
        h = x[1] - x[0]
        cdf = np.concatenate([[0.0], np.cumsum(mass)])
        out[name] = np.interp(probs, cdf, np.concatenate([x - h / 2, [x[-1] + h / 2]]))
    w, T, M = w.ravel(), T.ravel(), M.ravel()
    precision = 1 / sigma[0] ** 2 + 1 / T**2
    mean_0 = (y[0] / sigma[0] ** 2 + M / T**2) / precision
    sd_0 = precision**-0.5
    out["theta[0]"] = [
        optimize.brentq(lambda t, p=p: w @ special.ndtr((t - mean_0) / sd_0) - p, -20, 20)
        for p in probs
    ]
    return out


def test_quantiles_match_brute_force_under_a_normal_prior_on_mu():
    prior = HalfNormal(0.5)
    brute = _brute_force(Y, SIGMA, PROBS, 0.0, 0.5, prior)
    ours = exact.posterior_quantiles(Y, SIGMA, PROBS, log_tau_prior=prior, mu_prior=NORMAL)
    for name in ["mu", "tau", "theta[0]"]:
        np.testing.assert_allclose(ours.loc[name].to_numpy(), brute[name], atol=5e-3)
    # the prior matters here, so the check has teeth
    flat = exact.posterior_quantiles(Y, SIGMA, PROBS, log_tau_prior=prior)
    assert abs(flat.loc["mu", 0.5] - ours.loc["mu", 0.5]) > 0.01


def test_log_tau_posterior_matches_brute_force_marginalisation():
    tau = np.array([0.05, 0.2, 0.6, 1.5])
    mu = np.linspace(-6.0, 6.0, 40_001)

    def marginal(t):
        var = SIGMA**2 + t**2
        logp = stats.norm.logpdf(Y, mu[:, None], np.sqrt(var)).sum(axis=1)
        return np.trapezoid(np.exp(logp + stats.norm.logpdf(mu, 0.0, 0.5)), mu)

    brute = np.log([marginal(t) for t in tau])
    ours = exact.log_tau_posterior(tau, Y, SIGMA, mu_prior=NORMAL)
    np.testing.assert_allclose(ours - ours[0], brute - brute[0], atol=1e-8)


def test_conditional_mu_adds_the_prior_as_one_more_observation():
    tau = np.array([0.0, 0.3, np.inf])
    moments = exact.conditional_mu(tau, Y, SIGMA, mu_prior=NORMAL)
    precision = (1 / (SIGMA**2 + tau[:, None] ** 2)).sum(axis=1) + 1 / 0.25
    np.testing.assert_allclose(moments.var, 1 / precision)
    weighted = (Y / (SIGMA**2 + tau[:, None] ** 2)).sum(axis=1)
    np.testing.assert_allclose(moments.mean, weighted / precision)
    assert moments.mean[-1] == 0.0 and moments.var[-1] == 0.25  # tau -> inf: the prior


def test_a_wide_normal_prior_reproduces_the_flat_prior(schools):
    y, sigma = schools
    wide = ("Normal", {"mu": 0.0, "sigma": 1e5})
    flat = exact.posterior_quantiles(y, sigma, PROBS, log_tau_prior=HalfNormal(10.0))
    ours = exact.posterior_quantiles(y, sigma, PROBS, log_tau_prior=HalfNormal(10.0), mu_prior=wide)
    np.testing.assert_allclose(ours.to_numpy(), flat.to_numpy(), atol=1e-4)


def test_flat_and_uniform_specs_are_the_other_options(schools):
    y, sigma = schools
    np.testing.assert_array_equal(
        exact.posterior_quantiles(y, sigma, PROBS, mu_prior=("Flat", {})),
        exact.posterior_quantiles(y, sigma, PROBS),
    )
    uniform = ("Uniform", {"lower": -20.0, "upper": 20.0})
    np.testing.assert_array_equal(
        exact.posterior_quantiles(y, sigma, PROBS, mu_prior=uniform, tau_max=50.0),
        exact.posterior_quantiles(y, sigma, PROBS, mu_bounds=(-20.0, 20.0), tau_max=50.0),
    )


def test_draws_and_batch_agree_with_the_quantiles():
    prior = {"log_tau_prior": HalfNormal(0.5), "mu_prior": NORMAL}
    q = exact.posterior_quantiles(Y, SIGMA, PROBS, **prior)
    draws = exact.sample_posterior(Y, SIGMA, 40_000, np.random.default_rng(1), **prior)
    for name, x in [("mu", draws["mu"]), ("tau", draws["tau"]), ("theta[0]", draws["theta"][:, 0])]:
        x = x.to_numpy()
        mcse = np.sqrt(0.5 * 0.5 / len(x)) / stats.gaussian_kde(x)(q.loc[name, 0.5])[0]
        assert abs(np.median(x) - q.loc[name, 0.5]) < 5 * mcse
    batch = exact.posterior_quantiles_batch(np.vstack([Y, Y[::-1]]), SIGMA, PROBS, **prior)
    np.testing.assert_allclose(batch["mu"][0], q.loc["mu"], atol=1e-7)
    np.testing.assert_allclose(batch["theta"][0], q.iloc[2:], atol=1e-7)


def test_two_groups_are_proper_under_a_normal_prior_on_mu():
    q = exact.posterior_quantiles(
        [0.1, 0.5], [0.2, 0.3], PROBS, mu_prior=("Normal", {"mu": 0.0, "sigma": 1.0}), tau_max=5.0
    )
    assert np.isfinite(q.to_numpy()).all()
    q = exact.posterior_quantiles(
        [0.1, 0.5],
        [0.2, 0.3],
        PROBS,
        mu_prior=("Normal", {"mu": 0.0, "sigma": 1.0}),
        log_tau_prior=HalfNormal(1.0),
    )
    assert np.isfinite(q.to_numpy()).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"mu_prior": "Normal"}, TypeError, "mu_prior must be a"),
        ({"mu_prior": ("Normal", 0.5)}, TypeError, "mu_prior must be a"),
        ({"mu_prior": ("StudentT", {"nu": 3})}, ValueError, "mu_prior distribution"),
        ({"mu_prior": ("Normal", {"mu": 0.0})}, ValueError, "mu_prior Normal needs"),
        ({"mu_prior": ("Flat", {"mu": 0.0})}, ValueError, "mu_prior Flat needs"),
        ({"mu_prior": ("Normal", {"mu": 0.0, "sigma": 0.0})}, ValueError, "mu_prior sigma"),
        ({"mu_prior": ("Normal", {"mu": "0", "sigma": 1.0})}, TypeError, "mu_prior mu"),
        ({"mu_prior": ("Normal", {"mu": np.nan, "sigma": 1.0})}, ValueError, "mu_prior mu"),
        ({"mu_prior": NORMAL, "mu_bounds": (-1.0, 1.0)}, ValueError, "either mu_bounds"),
        ({"mu_prior": ("Uniform", {"lower": 1.0, "upper": -1.0})}, ValueError, "low < high"),
    ],
)
def test_bad_mu_prior_is_rejected_by_every_function(kwargs, error, match):
    calls = [
        lambda: exact.posterior_quantiles(Y, SIGMA, PROBS, **kwargs),
        lambda: exact.posterior_quantiles_batch(Y[None], SIGMA, PROBS, **kwargs),
        lambda: exact.sample_posterior(Y, SIGMA, 10, np.random.default_rng(0), **kwargs),
        lambda: exact.log_tau_posterior(0.5, Y, SIGMA, **kwargs),
    ]
    for call in calls:
        with pytest.raises(error, match=match):
            call()


def test_conditional_mu_rejects_a_bad_mu_prior():
    with pytest.raises(ValueError, match="mu_prior distribution"):
        exact.conditional_mu(0.5, Y, SIGMA, mu_prior=("Cauchy", {"alpha": 0.0, "beta": 1.0}))
