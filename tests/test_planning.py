"""Tests for helpers.planning: power, assurance, Bayesian assurance, sample size."""

import numpy as np
import pytest
from scipy import integrate, stats

from helpers.planning import assurance, bayesian_assurance, power, sample_size

M, S = 0.425, 0.526  # a design prior of the size the markets chapters produce


def test_power_matches_the_z_test_definition():
    sigma = 0.2
    z = stats.norm.ppf(0.975)
    assert power(0.5, sigma) == pytest.approx(stats.norm.sf(z - 0.5 / sigma))
    assert power(0.0, sigma) == pytest.approx(0.025)  # the level at the null boundary
    assert power(0.0, sigma, alpha=0.05) == pytest.approx(0.05)
    assert power(np.array([0.1, 0.3]), sigma).shape == (2,)


def test_assurance_is_power_averaged_over_the_prior():
    for sigma in [0.05, 0.2, 1.0]:
        value, _ = integrate.quad(lambda t, s=sigma: power(t, s) * stats.norm.pdf(t, M, S), -10, 10)
        assert assurance(M, S, sigma) == pytest.approx(value, abs=1e-8)


def test_assurance_by_simulation():
    rng = np.random.default_rng(1)
    sigma = 0.3
    theta = rng.normal(M, S, 400_000)
    y = rng.normal(theta, sigma)
    simulated = np.mean(y > stats.norm.ppf(0.975) * sigma)
    assert abs(simulated - assurance(M, S, sigma)) < 4 * np.sqrt(0.25 / theta.size)


def test_assurance_rises_to_the_ceiling():
    sigmas = np.geomspace(2.0, 1e-6, 50)
    values = assurance(M, S, sigmas)
    assert np.all(np.diff(values) > 0)
    assert values[-1] == pytest.approx(stats.norm.cdf(M / S), abs=1e-5)
    assert np.all(values < stats.norm.cdf(M / S))


def test_bayesian_assurance_flat_prior_is_classical():
    for sigma in [0.1, 0.4]:
        assert bayesian_assurance(M, S, sigma) == pytest.approx(assurance(M, S, sigma, alpha=0.05))


def test_bayesian_assurance_by_simulation_with_a_sceptical_prior():
    rng = np.random.default_rng(2)
    sigma, a, b, gamma = 0.25, 0.0, 0.2, 0.95
    theta = rng.normal(M, S, 400_000)
    y = rng.normal(theta, sigma)
    precision = 1 / b**2 + 1 / sigma**2
    post_mean = (a / b**2 + y / sigma**2) / precision
    success = stats.norm.sf(0, post_mean, 1 / np.sqrt(precision)) > gamma
    expected = bayesian_assurance(M, S, sigma, analysis_mean=a, analysis_sd=b, threshold=gamma)
    assert abs(success.mean() - expected) < 4 * np.sqrt(0.25 / theta.size)
    # a sceptical analysis prior makes success harder than a flat one
    assert expected < bayesian_assurance(M, S, sigma, threshold=gamma)


def test_sample_size_reaches_the_target_and_no_smaller_size_does():
    unit_sd = np.sqrt(2) * 4.0
    result = sample_size(M, S, unit_sd, 0.7)
    assert result.reason == ""
    assert result.assurance >= 0.7
    assert assurance(M, S, unit_sd / np.sqrt(result.n - 1)) < 0.7
    assert result.ceiling == pytest.approx(stats.norm.cdf(M / S))


def test_sample_size_reports_an_unreachable_target():
    result = sample_size(M, S, np.sqrt(2) * 4.0, 0.8)
    assert result.n is None
    assert "ceiling" in result.reason
    assert result.assurance == result.ceiling < 0.8


def test_sample_size_with_a_non_positive_prior_mean():
    result = sample_size(-0.1, S, 5.0, 0.3)
    assert result.n is None and "<= 0" in result.reason


def test_sample_size_beyond_max_n():
    result = sample_size(M, S, 5.0, stats.norm.cdf(M / S) - 1e-9, max_n=1000)
    assert result.n is None and "max_n" in result.reason


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: power(0.1, 0.0), "sigma"),
        (lambda: power("a", 0.1), "effect"),
        (lambda: power(0.1, 0.1, alpha=0.6), "alpha"),
        (lambda: assurance(np.nan, S, 0.1), "prior_mean"),
        (lambda: assurance(M, -1.0, 0.1), "prior_sd"),
        (lambda: assurance(M, S, [0.1, -0.1]), "sigma"),
        (lambda: bayesian_assurance(M, S, 0.1, analysis_sd=0.0), "analysis_sd"),
        (lambda: bayesian_assurance(M, S, 0.1, analysis_sd="wide"), "analysis_sd"),
        (lambda: bayesian_assurance(M, S, 0.1, threshold=1.0), "threshold"),
        (lambda: bayesian_assurance(M, S, 0.1, analysis_mean=None), "analysis_mean"),
        (lambda: sample_size(M, S, 5.0, 1.2), "target"),
        (lambda: sample_size(M, S, 5.0, 0.0), "target"),
        (lambda: sample_size(M, S, 0.0, 0.5), "unit_sd"),
        (lambda: sample_size(M, S, 5.0, 0.5, max_n=0), "max_n"),
        (lambda: sample_size(M, -0.1, 5.0, 0.5), "prior_sd"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_a_point_design_prior_gives_power_and_the_classical_sample_size():
    unit_sd = np.sqrt(2) * 4.0
    assert assurance(M, 0.0, 0.2) == pytest.approx(power(M, 0.2))
    z_a, z_b = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    closed_form = (unit_sd * (z_a + z_b) / M) ** 2  # n = sigma_u^2 (z_a + z_b)^2 / theta^2
    result = sample_size(M, 0.0, unit_sd, 0.8)
    assert result.n == int(np.ceil(closed_form)) and result.ceiling == 1.0
