"""helpers.borrowing: shrinkage weights, power priors, predictions and conflict checks."""

import numpy as np
import pytest
from scipy import stats

from helpers.borrowing import (
    PlanningPrior,
    PowerPrior,
    Predictive,
    conflict_tail_probability,
    effective_sample_size,
    planning_prior,
    power_prior,
    predictive_draws,
    shrinkage_weights,
)
from helpers.classical import fixed_effect

D = np.array([0.48, 1.0, 1.38, 0.49, 0.44, 0.1, 0.07, 0.0])
SE = np.array([0.42, 0.36, 0.33, 0.3, 0.28, 0.26, 0.21, 0.16])


# ---------------------------------------------------------------- shrinkage weights


def test_shrinkage_weights_formula_and_shape_for_one_tau():
    B = shrinkage_weights(SE, 0.5)
    assert B.shape == SE.shape
    np.testing.assert_allclose(B, SE**2 / (SE**2 + 0.25), rtol=1e-12)


def test_shrinkage_weights_broadcast_to_draws_by_groups(rng):
    tau = np.abs(rng.normal(0.5, 0.3, size=50))
    B = shrinkage_weights(SE, tau)
    assert B.shape == (50, SE.size)
    for s in range(50):
        np.testing.assert_allclose(B[s], shrinkage_weights(SE, tau[s]), rtol=1e-12)


def test_shrinkage_weights_lie_in_unit_interval_grow_with_se_fall_with_tau(rng):
    tau = np.concatenate([[0.0], rng.exponential(0.5, size=200)])
    se = np.sort(rng.uniform(0.05, 2.0, size=12))
    B = shrinkage_weights(se, tau)
    assert np.all((B > 0) & (B <= 1))
    assert np.all(B[0] == 1.0)  # tau = 0: complete pooling
    assert np.all(np.diff(B[1:], axis=1) > 0)  # noisier groups borrow more (tau > 0)
    order = np.argsort(tau)
    assert np.all(np.diff(B[order], axis=0) <= 0)  # more heterogeneity, less borrowing
    assert shrinkage_weights(se, 1e6).max() < 1e-10  # no pooling in the limit


def test_shrinkage_weights_reject_bad_input():
    with pytest.raises(ValueError, match="sigma must be strictly positive"):
        shrinkage_weights([0.3, 0.0], 0.5)
    with pytest.raises(ValueError, match="sigma must be one-dimensional"):
        shrinkage_weights(np.ones((2, 2)), 0.5)
    with pytest.raises(ValueError, match="sigma must have at least 1"):
        shrinkage_weights([], 0.5)
    with pytest.raises(TypeError, match="sigma must be a sequence"):
        shrinkage_weights("0.3", 0.5)
    with pytest.raises(ValueError, match="tau must be non-negative"):
        shrinkage_weights(SE, [0.5, -0.1])
    with pytest.raises(ValueError, match="tau must not contain NaN"):
        shrinkage_weights(SE, np.nan)
    with pytest.raises(ValueError, match="tau must be finite"):
        shrinkage_weights(SE, np.inf)
    with pytest.raises(TypeError, match="tau must be a number or an array"):
        shrinkage_weights(SE, None)


# ---------------------------------------------------------------- power prior


def test_power_prior_at_alpha_one_is_the_fixed_effect_posterior():
    prior = power_prior(D, SE, 1.0)
    fe = fixed_effect(D, SE)
    assert isinstance(prior, PowerPrior)
    assert prior.mean == pytest.approx(fe.mean, rel=1e-12)
    assert prior.sd == pytest.approx(fe.se, rel=1e-12)
    assert prior.alpha == 1.0


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.25, 0.5, 0.75])
def test_power_prior_sd_scales_as_one_over_sqrt_alpha_and_mean_is_fixed(alpha):
    full, discounted = power_prior(D, SE, 1.0), power_prior(D, SE, alpha)
    assert discounted.mean == pytest.approx(full.mean, rel=1e-12)
    assert discounted.sd == pytest.approx(full.sd / np.sqrt(alpha), rel=1e-12)
    # the density is the pooled likelihood to the power alpha, renormalised
    grid = np.linspace(full.mean - 1.5, full.mean + 1.5, 7)
    log_lik = stats.norm.logpdf(D[:, None], grid, SE[:, None]).sum(axis=0)
    log_prior = stats.norm.logpdf(grid, discounted.mean, discounted.sd)
    np.testing.assert_allclose(np.diff(alpha * log_lik), np.diff(log_prior), rtol=1e-9)


def test_power_prior_reject_bad_input():
    for bad in [0.0, -0.5, 1.5]:
        with pytest.raises(ValueError, match="alpha must be"):
            power_prior(D, SE, bad)
    with pytest.raises(ValueError, match="alpha must be finite"):
        power_prior(D, SE, np.nan)
    with pytest.raises(TypeError, match="alpha must be a number"):
        power_prior(D, SE, "0.5")
    with pytest.raises(TypeError, match="alpha must be a number"):
        power_prior(D, SE, True)
    with pytest.raises(ValueError, match="sigma must be strictly positive"):
        power_prior(D, np.r_[SE[:-1], -0.1], 0.5)
    with pytest.raises(ValueError, match="y and sigma must have the same length"):
        power_prior(D[:-1], SE, 0.5)
    with pytest.raises(ValueError, match="y must have at least 2"):
        power_prior([0.3], [0.1], 0.5)
    with pytest.raises(ValueError, match="y must be finite"):
        power_prior(np.r_[D[:-1], np.nan], SE, 0.5)


# ---------------------------------------------------------------- effective sample size


def test_effective_sample_size_counts_observations():
    # n observations of variance 2 sigma^2 estimate the effect with sd sqrt(2 sigma^2 / n)
    sigma, n = 4.0, 3900
    unit_sd = np.sqrt(2) * sigma
    assert effective_sample_size(unit_sd / np.sqrt(n), unit_sd) == pytest.approx(n, rel=1e-12)
    assert isinstance(effective_sample_size(0.1, unit_sd), float)
    sds = np.array([0.1, 0.2, 0.4])
    np.testing.assert_allclose(effective_sample_size(sds, unit_sd), 32 / sds**2, rtol=1e-12)


def test_effective_sample_size_of_the_power_prior_is_alpha_times_n0():
    # past groups with sizes n_k and exact standard errors sqrt(2 sigma^2 / n_k)
    sigma, n_k = 4.0, np.array([200, 250, 300, 350, 400, 500, 700, 1200])
    se = np.sqrt(2 * sigma**2 / n_k)
    for alpha in [0.1, 0.5, 1.0]:
        prior = power_prior(np.zeros_like(se), se, alpha)
        n_eff = effective_sample_size(prior.sd, np.sqrt(2) * sigma)
        assert n_eff == pytest.approx(alpha * n_k.sum(), rel=1e-12)


def test_effective_sample_size_reject_bad_input():
    with pytest.raises(ValueError, match="sd must be strictly positive"):
        effective_sample_size([0.1, 0.0], 1.0)
    with pytest.raises(ValueError, match="sd must be finite"):
        effective_sample_size(np.inf, 1.0)
    with pytest.raises(TypeError, match="sd must be a number or an array"):
        effective_sample_size("0.1", 1.0)
    with pytest.raises(ValueError, match="unit_sd must be >"):
        effective_sample_size(0.1, 0.0)
    with pytest.raises(TypeError, match="unit_sd must be a number"):
        effective_sample_size(0.1, [1.0])


# ---------------------------------------------------------------- predictive draws


def test_predictive_draws_have_the_right_mean_and_variance(rng):
    n = 200_000
    mu = rng.normal(0.4, 0.15, size=n)
    tau = np.abs(rng.normal(0.5, 0.2, size=n))
    pred = predictive_draws(mu, tau, 0.3, rng)
    assert isinstance(pred, Predictive)
    assert pred.theta_new.shape == pred.y_new.shape == (n,)
    var_theta = np.var(mu) + np.mean(tau**2)  # law of total variance
    assert np.mean(pred.theta_new) == pytest.approx(np.mean(mu), abs=4 * np.sqrt(var_theta / n))
    assert np.var(pred.theta_new) == pytest.approx(var_theta, rel=0.02)
    assert np.var(pred.y_new) == pytest.approx(var_theta + 0.09, rel=0.02)
    noise = pred.y_new - pred.theta_new
    assert np.std(noise) == pytest.approx(0.3, rel=0.01)
    assert abs(np.corrcoef(noise, pred.theta_new)[0, 1]) < 0.01


def test_predictive_draws_follow_each_draw_and_are_reproducible():
    mu, tau = np.array([-5.0, 0.0, 5.0]), np.array([0.0, 0.0, 0.0])
    pred = predictive_draws(mu, tau, 1e-9, np.random.default_rng(1))
    np.testing.assert_allclose(pred.theta_new, mu)  # tau = 0: theta_new = mu exactly
    np.testing.assert_allclose(pred.y_new, mu, atol=1e-7)
    a = predictive_draws(D, SE, 0.2, np.random.default_rng(3))
    b = predictive_draws(D, SE, 0.2, np.random.default_rng(3))
    np.testing.assert_array_equal(a.y_new, b.y_new)


def test_predictive_draws_reject_bad_input(rng):
    mu, tau = np.zeros(5), np.ones(5)
    with pytest.raises(ValueError, match="tau must be non-negative"):
        predictive_draws(mu, -tau, 0.3, rng)
    with pytest.raises(ValueError, match="mu and tau must have the same length"):
        predictive_draws(mu[:4], tau, 0.3, rng)
    with pytest.raises(ValueError, match="mu must have at least 1"):
        predictive_draws([], [], 0.3, rng)
    with pytest.raises(ValueError, match="mu must be finite"):
        predictive_draws(np.r_[mu[:4], np.nan], tau, 0.3, rng)
    with pytest.raises(ValueError, match="tau must be finite"):
        predictive_draws(mu, np.r_[tau[:4], np.inf], 0.3, rng)
    with pytest.raises(ValueError, match="mu must be one-dimensional"):
        predictive_draws(np.zeros((5, 1)), tau, 0.3, rng)
    with pytest.raises(ValueError, match="sigma_new must be >"):
        predictive_draws(mu, tau, 0.0, rng)
    with pytest.raises(TypeError, match="sigma_new must be a number"):
        predictive_draws(mu, tau, [0.3], rng)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        predictive_draws(mu, tau, 0.3, 42)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        predictive_draws(mu, tau, 0.3, np.random.RandomState(1))


# ---------------------------------------------------------------- conflict check


def test_conflict_tail_probability_counts_both_tails():
    draws = np.arange(1.0, 100.0)  # S = 99: 1, 2, ..., 99
    assert conflict_tail_probability(50.0, draws) == pytest.approx(1.0)
    # d = 10: L = 10 draws <= d, U = 90 draws >= d; p = 2 * 11 / 100
    assert conflict_tail_probability(10.0, draws) == pytest.approx(0.22)
    assert conflict_tail_probability(90.0, draws) == pytest.approx(0.22)  # symmetric
    # beyond every draw: the smallest value the check can report, 2 / (S + 1)
    assert conflict_tail_probability(-1e6, draws) == pytest.approx(0.02)
    assert conflict_tail_probability(1e6, draws) == pytest.approx(0.02)
    assert isinstance(conflict_tail_probability(10.0, draws), float)
    both = conflict_tail_probability([10.0, 50.0], draws)
    np.testing.assert_allclose(both, [0.22, 1.0])


def test_conflict_tail_probability_matches_the_normal_tail(rng):
    draws = rng.normal(0.4, 0.6, size=100_000)
    for d in [-1.0, 0.0, 0.28, 1.5]:
        exact = 2 * stats.norm.sf(abs(d - 0.4) / 0.6)
        assert conflict_tail_probability(d, draws) == pytest.approx(exact, abs=0.01)


def test_conflict_tail_probability_is_calibrated_under_the_predictive(rng):
    # Estimates drawn from the predictive itself give Uniform(0, 1) tail probabilities;
    # a skewed, heavy-tailed predictive (a scale mixture) makes the check non-trivial.
    mu = rng.normal(0.4, 0.15, size=4000)
    tau = rng.gamma(2.0, 0.25, size=4000)
    draws = predictive_draws(mu, tau, 0.3, rng).y_new
    replicates = predictive_draws(mu, tau, 0.3, rng).y_new[:2000]
    p = conflict_tail_probability(replicates, draws)
    assert stats.kstest(p, "uniform").pvalue > 0.001
    counts = np.histogram(p, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts - 200) < 4 * np.sqrt(2000 * 0.1 * 0.9))
    assert np.mean(p <= 0.05) == pytest.approx(0.05, abs=0.015)


def test_conflict_tail_probability_detects_a_shifted_estimate(rng):
    draws = predictive_draws(rng.normal(0.4, 0.1, 4000), np.full(4000, 0.3), 0.2, rng).y_new
    assert conflict_tail_probability(-2.0, draws) < 0.001
    # estimates from a population shifted by 4 predictive sds are flagged most of the time
    shifted = draws[:500] - 4 * np.std(draws)
    assert np.mean(conflict_tail_probability(shifted, draws) < 0.05) > 0.8


def test_conflict_tail_probability_reject_bad_input():
    draws = np.linspace(-1, 1, 11)
    with pytest.raises(ValueError, match="y_new must not contain NaN"):
        conflict_tail_probability(np.nan, draws)
    with pytest.raises(ValueError, match="y_new must be finite"):
        conflict_tail_probability(np.inf, draws)
    with pytest.raises(TypeError, match="y_new must be a number or an array"):
        conflict_tail_probability("0.2", draws)
    with pytest.raises(ValueError, match="predictive_draws must have at least 1"):
        conflict_tail_probability(0.2, [])
    with pytest.raises(ValueError, match="predictive_draws must be finite"):
        conflict_tail_probability(0.2, np.r_[draws, np.nan])
    with pytest.raises(ValueError, match="predictive_draws must be one-dimensional"):
        conflict_tail_probability(0.2, draws.reshape(1, -1))


# ---------------------------------------------------------------- planning prior


def test_planning_prior_matches_the_draws(rng):
    theta_new = rng.normal(0.4, 0.55, size=50_000)
    prior = planning_prior(theta_new)
    assert isinstance(prior, PlanningPrior)
    assert prior.mean == pytest.approx(np.mean(theta_new), rel=1e-12)
    assert prior.sd == pytest.approx(np.std(theta_new, ddof=1), rel=1e-12)
    assert prior.prob_positive == pytest.approx(stats.norm.cdf(prior.mean / prior.sd), rel=1e-12)
    assert prior.prob_positive_draws == pytest.approx(np.mean(theta_new > 0), rel=1e-12)
    # for normal draws the two probabilities agree, and both recover the truth
    assert prior.prob_positive == pytest.approx(prior.prob_positive_draws, abs=0.01)
    assert prior.prob_positive == pytest.approx(stats.norm.cdf(0.4 / 0.55), abs=0.01)


def test_planning_prior_normal_summary_misses_heavy_tails(rng):
    # a scale mixture: same mean and sd as its normal summary, more mass near the centre
    tau = np.where(rng.uniform(size=100_000) < 0.5, 0.1, 1.0)
    theta_new = rng.normal(0.3, tau)
    prior = planning_prior(theta_new)
    assert prior.prob_positive_draws > prior.prob_positive + 0.02


def test_planning_prior_reject_bad_input():
    with pytest.raises(ValueError, match="theta_new must have at least 2"):
        planning_prior([0.4])
    with pytest.raises(ValueError, match="theta_new must not be constant"):
        planning_prior([0.4, 0.4, 0.4])
    with pytest.raises(ValueError, match="theta_new must be finite"):
        planning_prior([0.4, np.nan])
    with pytest.raises(TypeError, match="theta_new must be a sequence"):
        planning_prior(None)
