"""Tests of helpers.exact: the exact posterior of the normal hierarchical model."""

import time

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special, stats

from helpers import _mixture, _tau_grid, data, exact

PROBS = [0.025, 0.25, 0.5, 0.75, 0.975]
BOUNDED = {"mu_bounds": (-20.0, 20.0), "tau_max": 50.0}  # the priors of the seed's Stan model


def _half_cauchy(tau):
    return stats.halfcauchy.logpdf(tau, scale=5.0)


@pytest.fixture(scope="module")
def schools():
    df = data.eight_schools()
    return df["y"].to_numpy(), df["sigma"].to_numpy()


# A small data set whose bounded posterior differs clearly from the flat one.
SMALL_Y = np.array([-5.0, 3.0, 8.0, 15.0])
SMALL_SIGMA = np.array([5.0, 4.0, 6.0, 5.0])
SMALL_BOUNDS = {"mu_bounds": (-2.0, 6.0), "tau_max": 10.0}


# --------------------------------------------------------------------------
# The three factors
# --------------------------------------------------------------------------


def test_conditional_mu_is_the_normal_posterior_of_mu(schools):
    # Brute force: p(mu | tau, y) is proportional to prod_j N(y_j | mu, sigma_j^2 + tau^2).
    y, sigma = schools
    grid = np.linspace(-150, 150, 200_001)
    for tau in [0.0, 3.0, 12.0, 40.0]:
        sd = np.sqrt(sigma**2 + tau**2)
        dens = np.exp(stats.norm.logpdf(y[:, None], grid, sd[:, None]).sum(axis=0))
        dens /= np.trapezoid(dens, grid)
        mean = np.trapezoid(grid * dens, grid)
        var = np.trapezoid((grid - mean) ** 2 * dens, grid)
        res = exact.conditional_mu(tau, y, sigma)
        assert res.mean == pytest.approx(mean, abs=1e-6)
        assert res.var == pytest.approx(var, rel=1e-6)


def test_conditional_theta_is_the_normal_posterior_of_theta(schools):
    # Brute force: p(theta_j | mu, tau, y) is proportional to
    # N(y_j | theta_j, sigma_j^2) N(theta_j | mu, tau^2).
    y, sigma = schools
    grid = np.linspace(-100, 120, 100_001)
    mu, tau = 4.0, 7.0
    res = exact.conditional_theta(mu, tau, y, sigma)
    for j in range(len(y)):
        dens = stats.norm.pdf(y[j], grid, sigma[j]) * stats.norm.pdf(grid, mu, tau)
        dens /= np.trapezoid(dens, grid)
        mean = np.trapezoid(grid * dens, grid)
        assert res.mean[j] == pytest.approx(mean, abs=1e-6)
        assert res.var[j] == pytest.approx(np.trapezoid((grid - mean) ** 2 * dens, grid), rel=1e-6)
    assert res.shrinkage == pytest.approx(sigma**2 / (sigma**2 + tau**2))


def test_conditional_theta_broadcasts_mu_and_tau(schools):
    y, sigma = schools
    res = exact.conditional_theta(np.zeros((3, 1)), np.array([0.0, 1.0, 5.0, np.inf]), y, sigma)
    assert res.mean.shape == res.var.shape == res.shrinkage.shape == (3, 4, 8)
    assert exact.conditional_mu(np.ones((2, 5)), y, sigma).mean.shape == (2, 5)
    assert np.ndim(exact.conditional_mu(3.0, y, sigma).var) == 0


def test_tau_to_zero_is_complete_pooling(schools):
    y, sigma = schools
    pooled = np.average(y, weights=sigma**-2.0)
    mu = exact.conditional_mu(0.0, y, sigma)
    assert mu.mean == pytest.approx(pooled, rel=1e-12)
    assert mu.var == pytest.approx(1 / np.sum(sigma**-2.0), rel=1e-12)
    theta = exact.conditional_theta(mu.mean, 0.0, y, sigma)
    assert np.all(np.isfinite(theta.mean)) and np.all(np.isfinite(theta.var))
    np.testing.assert_allclose(theta.mean, pooled, rtol=1e-12)
    np.testing.assert_array_equal(theta.var, 0.0)
    np.testing.assert_array_equal(theta.shrinkage, 1.0)
    # ... and the limit is continuous: a tiny tau gives the same answer.
    tiny = exact.conditional_theta(exact.conditional_mu(1e-9, y, sigma).mean, 1e-9, y, sigma)
    np.testing.assert_allclose(tiny.mean, pooled, rtol=1e-9)
    assert pooled == pytest.approx(7.6856, abs=1e-4)  # the "about 7.7" of the chapter


def test_tau_to_infinity_is_no_pooling(schools):
    y, sigma = schools
    for tau in [1e8, np.inf]:
        mu = exact.conditional_mu(tau, y, sigma)
        assert mu.mean == pytest.approx(y.mean(), rel=1e-9)
        theta = exact.conditional_theta(mu.mean, tau, y, sigma)
        np.testing.assert_allclose(theta.mean, y, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(theta.var, sigma**2, rtol=1e-9)
    assert exact.conditional_mu(np.inf, y, sigma).var == np.inf


def test_log_tau_posterior_matches_brute_force_marginalisation(schools):
    # p(tau | y) is proportional to the integral over mu of p(mu, tau | y).
    y, sigma = schools
    mu_grid = np.linspace(-200, 200, 40_001)
    for options, (low, high) in [({}, (-200, 200)), (BOUNDED, BOUNDED["mu_bounds"])]:
        taus = np.array([0.0, 1.0, 5.0, 10.0, 25.0, 45.0])
        brute = []
        for tau in taus:
            sd = np.sqrt(sigma**2 + tau**2)
            inside = (mu_grid >= low) & (mu_grid <= high)
            logp = stats.norm.logpdf(y[:, None], mu_grid[inside], sd[:, None]).sum(axis=0)
            brute.append(np.log(np.trapezoid(np.exp(logp), mu_grid[inside])))
        ours = exact.log_tau_posterior(taus, y, sigma, **options)
        diff = ours - np.array(brute)
        np.testing.assert_allclose(diff, diff[0], atol=1e-6)


def test_log_tau_posterior_respects_tau_max_and_prior(schools):
    y, sigma = schools
    taus = np.array([1.0, 10.0, 49.0, 51.0])
    lp = exact.log_tau_posterior(taus, y, sigma, tau_max=50)
    assert np.all(np.isfinite(lp[:3])) and lp[3] == -np.inf
    flat = exact.log_tau_posterior(taus, y, sigma)
    cauchy = exact.log_tau_posterior(taus, y, sigma, log_tau_prior=_half_cauchy)
    np.testing.assert_allclose(cauchy - flat, _half_cauchy(taus))


# --------------------------------------------------------------------------
# The discretised density
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{}, BOUNDED, {"log_tau_prior": _half_cauchy}, {"mu_bounds": (0.0, 10.0)}],
    ids=["flat", "bounded", "half-cauchy", "mu-bounds"],
)
def test_normalised_density_integrates_to_one(schools, options):
    y, sigma = schools
    upper = options.get("tau_max", np.inf)

    def density(tau):
        return np.exp(exact.log_tau_posterior(tau, y, sigma, normalize=True, **options))

    total, _ = integrate.quad(density, 0, upper, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)
    # The density on a plain grid (what the chapter plots) integrates to 1 as well.
    grid = np.linspace(0, min(upper, 400.0), 40_001)
    assert np.trapezoid(density(grid), grid) == pytest.approx(1.0, abs=1e-4)


def test_heavy_tailed_posterior_keeps_its_tail():
    # J = 3 under the flat prior: p(tau | y) ~ tau^-2, proper but with an infinite mean.
    y, sigma = np.array([28.0, 8.0, -3.0]), np.array([15.0, 10.0, 16.0])
    total, _ = integrate.quad(
        lambda t: np.exp(exact.log_tau_posterior(t, y, sigma, normalize=True)), 0, np.inf
    )
    assert total == pytest.approx(1.0, abs=1e-5)
    q = exact.posterior_quantiles(y, sigma, [0.5, 0.975])
    tail = integrate.quad(
        lambda t: np.exp(exact.log_tau_posterior(t, y, sigma, normalize=True)),
        q.loc["tau", 0.975],
        np.inf,
    )[0]
    assert tail == pytest.approx(0.025, abs=1e-5)


def test_default_grid_density_integrates_to_one_and_matches_quad(schools):
    y, sigma = schools
    prior = _tau_grid._check_prior(None, None, None)
    grid = _tau_grid._default_grid(y, sigma, prior)
    assert np.trapezoid(grid.density, grid.x) == pytest.approx(1.0, rel=1e-12)
    assert grid.cdf[0] == 0.0 and grid.cdf[-1] == pytest.approx(1.0)
    assert np.all(np.diff(grid.cdf) >= 0)
    for tau in [1.0, 5.0, 20.0]:
        x = np.interp(tau, grid.tau, grid.x)
        ref = integrate.quad(
            lambda t: np.exp(exact.log_tau_posterior(t, y, sigma, normalize=True)), 0, tau
        )[0]
        assert np.interp(x, grid.x, grid.cdf) == pytest.approx(ref, abs=2e-5)


def test_user_grid_density_integrates_to_one(schools):
    y, sigma = schools
    grid = _tau_grid._user_grid(
        np.linspace(0, 30, 61), y, sigma, _tau_grid._check_prior(None, None, None)
    )
    assert np.trapezoid(grid.density, grid.tau) == pytest.approx(1.0, rel=1e-12)


# --------------------------------------------------------------------------
# Quantiles: exact, against brute force and against the sampler
# --------------------------------------------------------------------------


def _brute_force_quantiles(y, sigma, probs, tau_range, mu_range, n=200, log_tau_prior=None):
    """Quantiles from p(mu, tau | y) on an n x n midpoint grid (no factorisation used).

    p(mu, tau | y) is proportional to p(tau) prod_j N(y_j | mu, sigma_j^2 + tau^2) on the
    box tau_range x mu_range; theta_j | mu, tau, y is the textbook conjugate normal.
    """
    dt = (tau_range[1] - tau_range[0]) / n
    dm = (mu_range[1] - mu_range[0]) / n
    tau = tau_range[0] + (np.arange(n) + 0.5) * dt
    mu = mu_range[0] + (np.arange(n) + 0.5) * dm
    T, M = np.meshgrid(tau, mu, indexing="ij")
    var = sigma**2 + T[..., None] ** 2
    logp = (-0.5 * np.log(var) - 0.5 * (y - M[..., None]) ** 2 / var).sum(axis=-1)
    if log_tau_prior is not None:
        logp += log_tau_prior(T)
    w = np.exp(logp - logp.max())
    w /= w.sum()

    def grid_quantiles(mass, x, h):
        cdf = np.concatenate([[0.0], np.cumsum(mass)])
        return np.interp(probs, cdf, np.concatenate([x - h / 2, [x[-1] + h / 2]]))

    out = {
        "mu": grid_quantiles(w.sum(axis=0), mu, dm),
        "tau": grid_quantiles(w.sum(axis=1), tau, dt),
    }
    w, T, M = w.ravel(), T.ravel(), M.ravel()
    for j in range(len(y)):
        precision = 1 / sigma[j] ** 2 + 1 / T**2
        mean = (y[j] / sigma[j] ** 2 + M / T**2) / precision
        sd = precision**-0.5

        def cdf(t, mean=mean, sd=sd):
            return w @ special.ndtr((t - mean) / sd)

        out[f"theta[{j}]"] = [
            optimize.brentq(lambda t, p=p: cdf(t) - p, -300, 300, xtol=1e-5) for p in probs
        ]
    return pd.DataFrame(out, index=probs).T


def test_quantiles_match_brute_force_2d_integration(schools):
    y, sigma = schools
    brute = _brute_force_quantiles(y, sigma, PROBS, (0, 100), (-50, 70))
    ours = exact.posterior_quantiles(y, sigma, PROBS)
    assert list(ours.index) == ["mu", "tau", *(f"theta[{j}]" for j in range(8))]
    assert list(ours.columns) == PROBS
    np.testing.assert_allclose(ours.loc[brute.index].to_numpy(), brute.to_numpy(), atol=0.05)


def test_quantiles_match_brute_force_under_bounded_priors():
    low, high = SMALL_BOUNDS["mu_bounds"]
    brute = _brute_force_quantiles(
        SMALL_Y, SMALL_SIGMA, PROBS, (0, SMALL_BOUNDS["tau_max"]), (low, high)
    )
    ours = exact.posterior_quantiles(SMALL_Y, SMALL_SIGMA, PROBS, **SMALL_BOUNDS)
    np.testing.assert_allclose(ours.loc[brute.index].to_numpy(), brute.to_numpy(), atol=0.05)
    # The bounds bind here: the flat-prior answer is far away, so the check has teeth.
    flat = exact.posterior_quantiles(SMALL_Y, SMALL_SIGMA, PROBS)
    assert (flat - ours).abs().to_numpy().max() > 5


def test_seed_bounds_barely_change_the_eight_schools(schools):
    y, sigma = schools
    flat = exact.posterior_quantiles(y, sigma, PROBS)
    bounded = exact.posterior_quantiles(y, sigma, PROBS, **BOUNDED)
    assert 0 < (flat - bounded).abs().to_numpy().max() < 1.5
    assert (flat - bounded)[0.5].abs().max() < 0.15


def test_wide_bounds_reproduce_the_flat_prior(schools):
    y, sigma = schools
    flat = exact.posterior_quantiles(y, sigma, PROBS)
    wide = exact.posterior_quantiles(y, sigma, PROBS, mu_bounds=(-1e4, 1e4), tau_max=1e5)
    np.testing.assert_allclose(wide.to_numpy(), flat.to_numpy(), atol=0.01)


def test_quantiles_match_brute_force_under_a_half_cauchy_prior(schools):
    y, sigma = schools
    brute = _brute_force_quantiles(y, sigma, PROBS, (0, 100), (-50, 70), log_tau_prior=_half_cauchy)
    ours = exact.posterior_quantiles(y, sigma, PROBS, log_tau_prior=_half_cauchy)
    np.testing.assert_allclose(ours.loc[brute.index].to_numpy(), brute.to_numpy(), atol=0.05)
    flat = exact.posterior_quantiles(y, sigma, PROBS)
    assert ours.loc["tau", 0.975] < flat.loc["tau", 0.975] - 1  # the prior pulls tau down


def test_quantiles_are_accurate_to_far_better_than_the_requirement(schools, monkeypatch):
    # Refining the grid changes no quantile by more than 0.01.
    y, sigma = schools
    coarse = exact.posterior_quantiles(y, sigma, PROBS, **BOUNDED)
    monkeypatch.setattr(_tau_grid, "_N_GRID", 8001)
    monkeypatch.setattr(_mixture, "_STRIDE", 20)
    fine = exact.posterior_quantiles(y, sigma, PROBS, **BOUNDED)
    np.testing.assert_allclose(coarse.to_numpy(), fine.to_numpy(), atol=0.01)


def test_scalar_probability_gives_one_column(schools):
    y, sigma = schools
    q = exact.posterior_quantiles(y, sigma, 0.5)
    assert q.shape == (10, 1) and list(q.columns) == [0.5]


@pytest.mark.parametrize(
    "options", [{}, BOUNDED, {"log_tau_prior": _half_cauchy}], ids=["flat", "bounded", "cauchy"]
)
def test_sampler_agrees_with_exact_quantiles_within_monte_carlo_error(schools, options):
    # At the exact p-quantile q, the share of draws below q is Binomial(n, p) / n.
    y, sigma = schools
    n = 40_000
    draws = exact.sample_posterior(y, sigma, n, np.random.default_rng(7), **options)
    exact_q = exact.posterior_quantiles(y, sigma, PROBS, **options)
    columns = {"mu": draws["mu"].values, "tau": draws["tau"].values}
    columns |= {f"theta[{j}]": draws["theta"].values[:, j] for j in range(len(y))}
    for row, values in columns.items():
        for p in PROBS:
            share = np.mean(values <= exact_q.loc[row, p])
            assert abs(share - p) < 4.5 * np.sqrt(p * (1 - p) / n), (row, p, share)


def test_sampler_output_structure_and_reproducibility(schools):
    y, sigma = schools
    a = exact.sample_posterior(y, sigma, 50, np.random.default_rng(1))
    b = exact.sample_posterior(y, sigma, 50, np.random.default_rng(1))
    assert set(a.data_vars) == {"tau", "mu", "theta"}
    assert a["theta"].dims == ("draw", "group") and a["theta"].shape == (50, 8)
    assert list(a["group"].values) == [str(j) for j in range(8)]
    assert a.equals(b)
    named = exact.sample_posterior(
        y, sigma, 50, np.random.default_rng(1), names=list("ABCDEFGH"), dim="school"
    )
    assert named["theta"].dims == ("draw", "school")
    assert list(named["school"].values) == list("ABCDEFGH")
    np.testing.assert_array_equal(named["theta"].to_numpy(), a["theta"].to_numpy())
    one = exact.sample_posterior(y, sigma, 1, np.random.default_rng(1))
    assert one["tau"].shape == (1,)


def test_sampler_respects_bounds_and_grid(schools):
    y, sigma = schools
    rng = np.random.default_rng(3)
    draws = exact.sample_posterior(y, sigma, 5000, rng, mu_bounds=(0.0, 10.0), tau_max=8.0)
    assert draws["mu"].min() > 0 and draws["mu"].max() < 10 and draws["tau"].max() <= 8
    grid = np.linspace(2.0, 12.0, 11)
    draws = exact.sample_posterior(y, sigma, 5000, rng, tau_grid=grid)
    assert draws["tau"].min() >= 2.0 and draws["tau"].max() <= 12.0
    # Draws are spread within grid cells, not stuck on the grid points.
    assert np.mean(np.isin(draws["tau"].values, grid)) < 0.01


def test_coarse_user_grid_still_approximates_the_posterior(schools):
    y, sigma = schools
    draws = exact.sample_posterior(
        y, sigma, 40_000, np.random.default_rng(5), tau_grid=np.linspace(0, 40, 41)
    )
    exact_median = exact.posterior_quantiles(y, sigma, [0.5]).loc["tau", 0.5]
    assert np.median(draws["tau"].values) == pytest.approx(exact_median, abs=0.15)


# --------------------------------------------------------------------------
# Numerical building blocks
# --------------------------------------------------------------------------


def test_bivariate_normal_cdf_matches_scipy(rng):
    h = rng.normal(scale=2, size=40)
    k = rng.normal(scale=2, size=40)
    rho = np.concatenate([rng.uniform(-0.99, 0.99, size=30), [0.999999] * 5, [-0.9999] * 5])
    h[:3], k[3:6] = 0.0, 0.0
    ours = _mixture._bvn_cdf(h, k, rho, np.sqrt(1 - rho**2))
    ref = [
        stats.multivariate_normal.cdf(
            [a, b], cov=[[1, r], [r, 1]], abseps=1e-10, releps=1e-10, maxpts=100_000
        )
        for a, b, r in zip(h, k, rho, strict=True)
    ]
    np.testing.assert_allclose(ours, ref, atol=1e-7)


def test_log_normal_mass_is_stable_in_both_tails():
    a = np.array([-1.0, 30.0, -30.0, 2.0, -50.0])
    b = np.array([1.0, 31.0, -29.0, 2.5, -49.0])
    ours = _tau_grid._log_normal_mass(a, b)
    ref = [
        np.log(stats.norm.cdf(b[0]) - stats.norm.cdf(a[0])),
        np.log(stats.norm.sf(a[1]) - stats.norm.sf(b[1])),
        np.log(stats.norm.cdf(b[2]) - stats.norm.cdf(a[2])),
        np.log(stats.norm.cdf(b[3]) - stats.norm.cdf(a[3])),
    ]
    np.testing.assert_allclose(ours[:4], ref, rtol=1e-10)
    # Phi(-49) underflows to 0, but its log is about -b^2/2 - log(-b sqrt(2 pi)).
    assert ours[4] == pytest.approx(-(49.0**2) / 2 - np.log(49.0 * np.sqrt(2 * np.pi)), rel=1e-3)


# --------------------------------------------------------------------------
# Performance, as ratios of timings taken in the same run (a shared machine is
# slower some minutes than others; absolute wall times belong to make bench)
# --------------------------------------------------------------------------


def _best_time(fn, repeats):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_quantiles_cost_about_as_much_as_drawing_from_the_grid(schools):
    # Both build the same grid over tau; the quantiles then invert ~200-component
    # mixtures, which must stay within a small multiple of drawing 10,000 values.
    y, sigma = schools
    rng = np.random.default_rng(0)
    draws = _best_time(lambda: exact.sample_posterior(y, sigma, 10_000, rng), 5)
    assert _best_time(lambda: exact.posterior_quantiles(y, sigma, PROBS), 3) < 20 * draws
    bounded = _best_time(lambda: exact.posterior_quantiles(y, sigma, PROBS, **BOUNDED), 3)
    assert bounded < 100 * draws


def test_draws_are_cheap_once_the_grid_is_built(schools):
    y, sigma = schools
    rng = np.random.default_rng(0)
    few = _best_time(lambda: exact.sample_posterior(y, sigma, 100, rng), 5)
    # 100 times the draws cost far less than 100 times the time: the grid is shared
    assert _best_time(lambda: exact.sample_posterior(y, sigma, 10_000, rng), 5) < 30 * few


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

Y, SIGMA = [28.0, 8.0, -3.0], [15.0, 10.0, 16.0]


def _calls(y=Y, sigma=SIGMA):
    """Every public function applied to (y, sigma)."""
    rng = np.random.default_rng(0)
    return [
        lambda: exact.log_tau_posterior(1.0, y, sigma),
        lambda: exact.conditional_mu(1.0, y, sigma),
        lambda: exact.conditional_theta(0.0, 1.0, y, sigma),
        lambda: exact.sample_posterior(y, sigma, 10, rng),
        lambda: exact.posterior_quantiles(y, sigma, [0.5]),
    ]


@pytest.mark.parametrize(
    ("y", "sigma", "error", "match"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0], ValueError, "same length"),
        ([1.0], [1.0], ValueError, "y must have at least 2"),
        ([1.0, np.nan, 3.0], SIGMA, ValueError, "y must be finite"),
        ([1.0, np.inf, 3.0], SIGMA, ValueError, "y must be finite"),
        ("abc", SIGMA, TypeError, "y must be a sequence"),
        ([[1.0, 2.0, 3.0]], SIGMA, ValueError, "y must be one-dimensional"),
        (Y, [1.0, 0.0, 2.0], ValueError, "sigma must be strictly positive"),
        (Y, [1.0, -1.0, 2.0], ValueError, "sigma must be strictly positive"),
        (Y, [1.0, np.inf, 2.0], ValueError, "sigma must be finite"),
        (Y, [1.0, np.nan, 2.0], ValueError, "sigma must be finite"),
        (Y, ["a", "b", "c"], TypeError, "sigma must contain only numbers"),
    ],
)
def test_bad_data_is_rejected_by_every_function(y, sigma, error, match):
    for call in _calls(y, sigma):
        with pytest.raises(error, match=match):
            call()


@pytest.mark.parametrize(
    ("tau", "error", "match"),
    [
        (-1.0, ValueError, "tau must be non-negative"),
        ([1.0, -0.5], ValueError, "tau must be non-negative"),
        (np.nan, ValueError, "tau must not contain NaN"),
        ("1.0", TypeError, "tau must be a number"),
        (None, TypeError, "tau must be a number"),
        (["a"], TypeError, "tau must contain only numbers"),
    ],
)
def test_bad_tau_is_rejected(tau, error, match):
    for call in [
        lambda: exact.log_tau_posterior(tau, Y, SIGMA),
        lambda: exact.conditional_mu(tau, Y, SIGMA),
        lambda: exact.conditional_theta(0.0, tau, Y, SIGMA),
    ]:
        with pytest.raises(error, match=match):
            call()


def test_infinite_tau_is_rejected_by_the_density_only():
    with pytest.raises(ValueError, match="tau must be finite"):
        exact.log_tau_posterior(np.inf, Y, SIGMA)
    assert np.isfinite(exact.conditional_mu(np.inf, Y, SIGMA).mean)


@pytest.mark.parametrize(
    ("mu", "error", "match"),
    [
        (np.inf, ValueError, "mu must be finite"),
        (np.nan, ValueError, "mu must not contain NaN"),
        ("0", TypeError, "mu must be a number"),
    ],
)
def test_bad_mu_is_rejected(mu, error, match):
    with pytest.raises(error, match=match):
        exact.conditional_theta(mu, 1.0, Y, SIGMA)


def test_mu_and_tau_must_broadcast():
    with pytest.raises(ValueError, match="mu and tau must have broadcastable shapes"):
        exact.conditional_theta(np.zeros(3), np.ones(4), Y, SIGMA)


@pytest.mark.parametrize(
    ("draws", "error", "match"),
    [
        (0, ValueError, "draws must be at least 1"),
        (-5, ValueError, "draws must be at least 1"),
        (2.5, TypeError, "draws must be an integer"),
        (10.0, TypeError, "draws must be an integer"),
        (True, TypeError, "draws must be an integer"),
        ("10", TypeError, "draws must be an integer"),
    ],
)
def test_bad_draws_are_rejected(draws, error, match):
    with pytest.raises(error, match=match):
        exact.sample_posterior(Y, SIGMA, draws, np.random.default_rng(0))


@pytest.mark.parametrize("rng", [None, 42, np.random.RandomState(0), "seed"])
def test_rng_must_be_a_generator(rng):
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        exact.sample_posterior(Y, SIGMA, 10, rng)


@pytest.mark.parametrize(
    ("grid", "error", "match"),
    [
        ([0.0, 2.0, 1.0], ValueError, "tau_grid must be strictly increasing"),
        ([0.0, 1.0, 1.0, 2.0], ValueError, "tau_grid must be strictly increasing"),
        ([-1.0, 0.0, 1.0], ValueError, "tau_grid must be non-negative"),
        ([1.0], ValueError, "tau_grid must have at least 2"),
        ([0.0, np.nan, 1.0], ValueError, "tau_grid must be finite"),
        ([0.0, 1.0, np.inf], ValueError, "tau_grid must be finite"),
        ([[0.0, 1.0]], ValueError, "tau_grid must be one-dimensional"),
        ("0,1,2", TypeError, "tau_grid must be a sequence"),
    ],
)
def test_bad_tau_grid_is_rejected(grid, error, match):
    with pytest.raises(error, match=match):
        exact.sample_posterior(Y, SIGMA, 10, np.random.default_rng(0), tau_grid=grid)


def test_tau_grid_must_lie_below_tau_max():
    with pytest.raises(ValueError, match=r"tau_grid must lie within \[0, tau_max\]"):
        exact.sample_posterior(
            Y, SIGMA, 10, np.random.default_rng(0), tau_grid=[0.0, 10.0, 60.0], tau_max=50.0
        )


@pytest.mark.parametrize(
    ("probs", "error", "match"),
    [
        ([0.0, 0.5], ValueError, "probs must lie strictly between 0 and 1"),
        ([0.5, 1.0], ValueError, "probs must lie strictly between 0 and 1"),
        ([-0.1], ValueError, "probs must lie strictly between 0 and 1"),
        (1.5, ValueError, "probs must lie strictly between 0 and 1"),
        ([np.nan], ValueError, "probs must be finite"),
        ([], ValueError, "probs must have at least 1"),
        ("0.5", TypeError, "probs must be a sequence"),
        ([[0.5]], ValueError, "probs must be one-dimensional"),
    ],
)
def test_bad_probs_are_rejected(probs, error, match):
    with pytest.raises(error, match=match):
        exact.posterior_quantiles(Y, SIGMA, probs)


def _prior_calls(**options):
    """The functions that take prior options, applied with ``options``."""
    return [
        lambda: exact.log_tau_posterior([0.0, 1.0], Y, SIGMA, **options),
        lambda: exact.sample_posterior(Y, SIGMA, 10, np.random.default_rng(0), **options),
        lambda: exact.posterior_quantiles(Y, SIGMA, [0.5], **options),
    ]


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"mu_bounds": (5.0, 5.0)}, ValueError, "mu_bounds must satisfy low < high"),
        ({"mu_bounds": (5.0, -5.0)}, ValueError, "mu_bounds must satisfy low < high"),
        ({"mu_bounds": (1.0, 2.0, 3.0)}, ValueError, "mu_bounds must have exactly two"),
        ({"mu_bounds": 3.0}, TypeError, "mu_bounds must be a"),
        ({"mu_bounds": "ab"}, TypeError, "mu_bounds must be a"),
        ({"mu_bounds": (np.nan, 1.0)}, ValueError, r"mu_bounds\[0\] must be finite"),
        ({"mu_bounds": (-np.inf, 1.0)}, ValueError, r"mu_bounds\[0\] must be finite"),
        ({"mu_bounds": (0.0, "1")}, TypeError, r"mu_bounds\[1\] must be a number"),
        ({"tau_max": 0.0}, ValueError, "tau_max must be > 0"),
        ({"tau_max": -1.0}, ValueError, "tau_max must be > 0"),
        ({"tau_max": np.inf}, ValueError, "tau_max must be finite"),
        ({"tau_max": "50"}, TypeError, "tau_max must be a number"),
        ({"log_tau_prior": 3.0}, TypeError, "log_tau_prior must be a helpers.priors object"),
        ({"log_tau_prior": lambda t: np.full_like(t, np.nan)}, ValueError, "returned NaN"),
        (
            {"log_tau_prior": lambda t: np.full_like(t, np.inf)},
            ValueError,
            r"returned NaN or \+inf",
        ),
        ({"log_tau_prior": lambda t: np.zeros(7)}, TypeError, "log_tau_prior must return"),
        ({"log_tau_prior": lambda t: "flat"}, TypeError, "log_tau_prior must return"),
    ],
)
def test_bad_prior_options_are_rejected(options, error, match):
    for call in _prior_calls(**options):
        with pytest.raises(error, match=match):
            call()


def test_prior_that_is_zero_everywhere_is_rejected():
    def nowhere(tau):
        return np.full_like(tau, -np.inf)

    for call in _prior_calls(log_tau_prior=nowhere)[1:]:
        with pytest.raises(ValueError, match="p\\(tau \\| y\\) is zero on every grid point"):
            call()


def test_normalize_must_be_bool():
    with pytest.raises(TypeError, match="normalize must be True or False"):
        exact.log_tau_posterior(1.0, Y, SIGMA, normalize=1)


def test_improper_flat_posterior_is_rejected_for_two_groups():
    y, sigma = [28.0, 8.0], [15.0, 10.0]
    rng = np.random.default_rng(0)
    for call in [
        lambda: exact.log_tau_posterior(1.0, y, sigma, normalize=True),
        lambda: exact.sample_posterior(y, sigma, 10, rng),
        lambda: exact.posterior_quantiles(y, sigma, [0.5]),
    ]:
        with pytest.raises(ValueError, match="improper for J = 2"):
            call()
    # Unnormalised evaluation is fine, and any proper prior makes J = 2 work.
    assert np.isfinite(exact.log_tau_posterior(1.0, y, sigma))
    for options in [
        {"tau_max": 50.0},
        {"mu_bounds": (-20.0, 20.0)},
        {"log_tau_prior": _half_cauchy},
    ]:
        q = exact.posterior_quantiles(y, sigma, [0.5], **options)
        assert np.all(np.isfinite(q.to_numpy()))


def test_quantile_rows_are_named_after_the_groups(schools):
    y, sigma = schools
    plain = exact.posterior_quantiles(y, sigma, [0.5])
    named = exact.posterior_quantiles(y, sigma, [0.5], names=list("ABCDEFGH"))
    assert list(plain.index) == ["mu", "tau", *(f"theta[{j}]" for j in range(8))]
    assert list(named.index) == ["mu", "tau", *"ABCDEFGH"]
    np.testing.assert_array_equal(named.to_numpy(), plain.to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"names": list("ABC")}, ValueError, "names must have one label per group"),
        ({"names": ["mu", *"BCDEFGH"]}, ValueError, "names must not contain 'mu' or 'tau'"),
        ({"names": list("AACDEFGH")}, ValueError, "names must be unique"),
        ({"names": "ABCDEFGH"}, TypeError, "names must be a sequence of labels"),
    ],
)
def test_quantile_names_are_checked(schools, kwargs, error, match):
    y, sigma = schools
    with pytest.raises(error, match=match):
        exact.posterior_quantiles(y, sigma, [0.5], **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dim": "two words"}, ValueError, "dim must be a name"),
        ({"names": list("ABC")}, ValueError, "names must have one label per group"),
    ],
)
def test_sampler_names_and_dim_are_checked(schools, kwargs, error, match):
    y, sigma = schools
    with pytest.raises(error, match=match):
        exact.sample_posterior(y, sigma, 10, np.random.default_rng(0), **kwargs)
