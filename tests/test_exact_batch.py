"""Tests of helpers.exact.posterior_quantiles_batch: many data sets at once."""

import time

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from helpers import _mixture, data, exact

PROBS = [0.05, 0.5, 0.95]


def _half_normal(tau):
    return stats.halfnorm.logpdf(tau, scale=1.0)


@pytest.fixture(scope="module")
def markets():
    """Twelve data sets of eight groups with the standard errors of chapter 5's markets."""
    rng = np.random.default_rng(5)
    sigma = 4.0 * np.sqrt(2.0 / np.array([200, 250, 300, 350, 400, 500, 700, 1200]))
    theta = rng.normal(0.4, 0.5, size=(12, 8))
    return rng.normal(theta, sigma), sigma


def _single(y, sigma, **options):
    """posterior_quantiles on one data set, as arrays (mu, tau, theta)."""
    q = exact.posterior_quantiles(y, sigma, PROBS, **options)
    return q.loc["mu"].to_numpy(), q.loc["tau"].to_numpy(), q.iloc[2:].to_numpy()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"log_tau_prior": _half_normal},
        {"tau_max": 3.0},
        {"mu_bounds": (-5.0, 5.0), "log_tau_prior": _half_normal},
        {"mu_bounds": (0.0, 0.6), "tau_max": 2.0},  # bounds that bind
    ],
)
def test_batch_matches_posterior_quantiles_row_by_row(markets, options):
    y, sigma = markets
    batch = exact.posterior_quantiles_batch(y[:4], sigma, PROBS, **options)
    for r in range(4):
        mu_q, tau_q, theta_q = _single(y[r], sigma, **options)
        np.testing.assert_allclose(batch["mu"][r], mu_q, atol=1e-7)
        np.testing.assert_allclose(batch["tau"][r], tau_q, atol=1e-7)
        np.testing.assert_allclose(batch["theta"][r], theta_q, atol=1e-7)


def test_binding_bounds_change_the_answer(markets):
    y, sigma = markets
    free = exact.posterior_quantiles_batch(y[:2], sigma, PROBS, tau_max=2.0)
    bound = exact.posterior_quantiles_batch(y[:2], sigma, PROBS, mu_bounds=(0.0, 0.6), tau_max=2.0)
    assert np.all(bound["mu"] >= 0.0) and np.all(bound["mu"] <= 0.6)
    assert float(abs(bound["theta"] - free["theta"]).max()) > 0.01


def test_output_structure(markets):
    y, sigma = markets
    out = exact.posterior_quantiles_batch(y, sigma, PROBS, log_tau_prior=_half_normal)
    assert isinstance(out, xr.Dataset)
    assert out["mu"].dims == ("dataset", "prob") and out["tau"].dims == ("dataset", "prob")
    assert out["theta"].dims == ("dataset", "group", "prob")
    assert out.sizes == {"dataset": 12, "group": 8, "prob": 3}
    assert out["group"].values.tolist() == [str(j) for j in range(8)]
    named = exact.posterior_quantiles_batch(
        y, sigma, PROBS, names=list("ABCDEFGH"), dim="market", log_tau_prior=_half_normal
    )
    assert named["theta"].dims == ("dataset", "market", "prob")
    np.testing.assert_array_equal(named["theta"].to_numpy(), out["theta"].to_numpy())
    assert out["prob"].values.tolist() == PROBS
    assert np.all(out["theta"].diff("prob") > 0) and np.all(out["tau"] > 0)


def test_shared_sigma_row_equals_full_sigma_matrix(markets):
    y, sigma = markets
    shared = exact.posterior_quantiles_batch(y[:3], sigma, 0.9)
    full = exact.posterior_quantiles_batch(y[:3], np.tile(sigma, (3, 1)), 0.9)
    xr.testing.assert_identical(shared, full)


def test_data_sets_are_analysed_independently(markets):
    y, sigma = markets
    together = exact.posterior_quantiles_batch(y, sigma, PROBS)
    alone = exact.posterior_quantiles_batch(y[5:6], sigma, PROBS)
    xr.testing.assert_allclose(
        together.isel(dataset=[5]).drop_vars("dataset"), alone.drop_vars("dataset")
    )


def test_blocks_give_the_same_answer_as_one_pass(markets, monkeypatch):
    y, sigma = markets
    one_pass = exact.posterior_quantiles_batch(y, sigma, PROBS)
    monkeypatch.setattr(exact, "_BATCH", 5)  # 12 data sets in blocks of 5, 5 and 2
    xr.testing.assert_identical(exact.posterior_quantiles_batch(y, sigma, PROBS), one_pass)


def test_eight_schools_row_reproduces_posterior_quantiles():
    schools = data.eight_schools()
    y, sigma = schools["y"].to_numpy(), schools["sigma"].to_numpy()
    batch = exact.posterior_quantiles_batch(
        np.vstack([y, y[::-1]]), np.vstack([sigma, sigma[::-1]]), PROBS
    )
    mu_q, tau_q, theta_q = _single(y, sigma)
    np.testing.assert_allclose(batch["theta"][0], theta_q, atol=1e-7)
    # reversing the groups reverses the thetas and leaves mu and tau alone
    np.testing.assert_allclose(batch["theta"][1], theta_q[::-1], atol=1e-6)
    np.testing.assert_allclose(batch["mu"][1], mu_q, atol=1e-6)
    np.testing.assert_allclose(batch["tau"][1], tau_q, atol=1e-6)


def test_intervals_are_calibrated_when_the_prior_generates_the_data():
    # Bayesian intervals have their nominal coverage on average over the prior that
    # generated the parameters: a test of the whole computation, not of one formula.
    rng = np.random.default_rng(11)
    n_sets, sigma = 300, np.array([0.5, 0.8, 1.0, 1.5])
    mu = rng.uniform(-1.0, 1.0, size=n_sets)
    tau = np.abs(rng.normal(0.0, 1.0, size=n_sets))
    theta = rng.normal(mu[:, None], tau[:, None], size=(n_sets, sigma.size))
    y = rng.normal(theta, sigma)
    q = exact.posterior_quantiles_batch(
        y, sigma, [0.1, 0.9], mu_bounds=(-1.0, 1.0), log_tau_prior=_half_normal
    )
    lo, hi = q["theta"].sel(prob=0.1).values, q["theta"].sel(prob=0.9).values
    per_set = ((lo <= theta) & (theta <= hi)).mean(axis=1)
    mcse = per_set.std(ddof=1) / np.sqrt(n_sets)
    assert abs(per_set.mean() - 0.8) < 4 * mcse
    mu_covered = (q["mu"].sel(prob=0.1).values <= mu) & (mu <= q["mu"].sel(prob=0.9).values)
    assert abs(mu_covered.mean() - 0.8) < 4 * np.sqrt(0.16 / n_sets)


def test_cost_grows_no_faster_than_the_number_of_data_sets(markets):
    # Measured against a quarter of the data sets in the same run, alternately
    # (a shared machine is slower some seconds than others): 200 data sets
    # cost about four times as much as 50, far from the eight times allowed.
    y, sigma = markets
    rng = np.random.default_rng(1)
    many = rng.normal(0.4, np.sqrt(0.25 + sigma**2), size=(200, 8))
    small, large = [], []
    for _ in range(2):
        small.append(
            _timed(lambda: exact.posterior_quantiles_batch(many[:50], sigma, [0.05, 0.95]))
        )
        large.append(_timed(lambda: exact.posterior_quantiles_batch(many, sigma, [0.05, 0.95])))
    assert min(large) < 8 * min(small)
    assert y.shape == (12, 8)


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@pytest.mark.parametrize(
    ("y", "sigma", "error", "match"),
    [
        ([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], ValueError, "y must be two-dimensional"),
        ([[1.0], [2.0]], [1.0], ValueError, "at least one data set of at least 2 groups"),
        (np.empty((0, 3)), [1.0, 1.0, 1.0], ValueError, "at least one data set"),
        ([[1.0, np.nan, 3.0]], [1.0, 1.0, 1.0], ValueError, "y must not contain NaN"),
        ([[1.0, np.inf, 3.0]], [1.0, 1.0, 1.0], ValueError, "y must be finite"),
        ("abc", [1.0, 1.0, 1.0], TypeError, "y must be a number or an array"),
        ([[1.0, 2.0, 3.0]], [1.0, 1.0], ValueError, "sigma must have the shape of y"),
        ([[1.0, 2.0, 3.0]], [[1.0, 1.0, 1.0]] * 2, ValueError, "sigma must have the shape of y"),
        ([[1.0, 2.0, 3.0]], [1.0, 0.0, 1.0], ValueError, "sigma must be strictly positive"),
        ([[1.0, 2.0, 3.0]], [1.0, np.inf, 1.0], ValueError, "sigma must be finite"),
        ([[1.0, 2.0, 3.0]], ["a", "b", "c"], TypeError, "sigma must contain only numbers"),
    ],
)
def test_bad_data_is_rejected(y, sigma, error, match):
    with pytest.raises(error, match=match):
        exact.posterior_quantiles_batch(y, sigma, [0.5])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"probs": [0.0, 0.5]}, ValueError, "probs must lie strictly between 0 and 1"),
        ({"probs": "0.5"}, TypeError, "probs must be a sequence"),
        ({"probs": [0.5], "mu_bounds": (1.0, -1.0)}, ValueError, "mu_bounds must satisfy"),
        ({"probs": [0.5], "tau_max": 0.0}, ValueError, "tau_max must be > 0"),
        ({"probs": [0.5], "log_tau_prior": 1.0}, TypeError, "log_tau_prior must be a helpers"),
    ],
)
def test_bad_probs_and_priors_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        exact.posterior_quantiles_batch([[28.0, 8.0, -3.0]], [15.0, 10.0, 16.0], **kwargs)


def test_improper_flat_posterior_is_rejected_for_two_groups():
    with pytest.raises(ValueError, match="improper for J = 2"):
        exact.posterior_quantiles_batch([[28.0, 8.0]], [15.0, 10.0], [0.5])
    q = exact.posterior_quantiles_batch([[28.0, 8.0]], [15.0, 10.0], [0.5], tau_max=50.0)
    assert np.all(np.isfinite(q["theta"]))


def test_root_finder_is_accurate_and_fast_where_newton_overshoots():
    # Left-tail quantiles of skewed normal mixtures: the CDF is convex there, so plain
    # Newton steps overshoot the bracket; the safeguarded steps must still converge fast.
    rng = np.random.default_rng(3)
    mean = rng.normal(0.0, 1.0, size=(50, 30))
    sd = rng.uniform(0.05, 2.0, size=(50, 30))
    weight = rng.dirichlet(np.ones(30), size=50)
    probs = np.array([0.001, 0.05, 0.5, 0.95])
    mixture = _mixture._normal_mixture(mean, sd, weight)
    calls = []

    def counted(t, rows):
        calls.append(len(rows))
        return mixture(t, rows)

    z = stats.norm.ppf(probs)
    component_q = mean[:, None, :] + sd[:, None, :] * z[None, :, None]
    q = _mixture._invert(
        counted, probs, component_q.min(-1), component_q.max(-1), np.zeros((50, 4))
    )
    for r in range(0, 50, 7):
        for i, p in enumerate(probs):
            cdf = (weight[r] * stats.norm.cdf(q[r, i], mean[r], sd[r])).sum()
            assert cdf == pytest.approx(p, abs=1e-9)
    assert len(calls) <= 15, len(calls)
