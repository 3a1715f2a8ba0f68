"""Tests for helpers.mixtures and helpers.borrowing.robust_mixture_prior."""

import numpy as np
import pytest
from scipy import integrate, stats

from helpers.borrowing import robust_mixture_prior
from helpers.mixtures import NormalMixture, normal_mixture


def test_pdf_cdf_ppf_of_a_single_normal():
    mix = normal_mixture([1.0], [0.3], [0.5])
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(mix.pdf(x), stats.norm.pdf(x, 0.3, 0.5))
    np.testing.assert_allclose(mix.cdf(x), stats.norm.cdf(x, 0.3, 0.5))
    q = np.array([0.001, 0.025, 0.5, 0.975])
    np.testing.assert_allclose(mix.ppf(q), stats.norm.ppf(q, 0.3, 0.5), atol=1e-9)
    assert isinstance(mix.ppf(0.5), float) and isinstance(mix.cdf(0.0), float)


def test_moments_and_ppf_of_a_two_component_mixture():
    mix = normal_mixture([0.3, 0.7], [-1.0, 2.0], [0.5, 1.5])
    mean, _ = integrate.quad(lambda t: t * mix.pdf(t), -20, 20)
    second, _ = integrate.quad(lambda t: t * t * mix.pdf(t), -20, 20)
    assert mix.mean == pytest.approx(mean)
    assert mix.sd == pytest.approx(np.sqrt(second - mean**2))
    q = np.linspace(0.01, 0.99, 25)
    np.testing.assert_allclose(mix.cdf(mix.ppf(q)), q, atol=1e-10)


def test_update_matches_numerical_bayes():
    prior = robust_mixture_prior(0.4, 0.5, weight=0.8, vague_sd=4.0)
    estimate, sigma = -1.0, 0.3
    post = prior.update(estimate, sigma)
    unnorm = lambda t: prior.pdf(t) * stats.norm.pdf(estimate, t, sigma)  # noqa: E731
    z, _ = integrate.quad(unnorm, -30, 30, points=[estimate, 0.4])
    for t in [-1.5, -1.0, 0.0, 0.5]:
        assert post.pdf(t) == pytest.approx(unnorm(t) / z, rel=1e-7)
    mean, _ = integrate.quad(lambda t: t * unnorm(t) / z, -30, 30, points=[estimate, 0.4])
    assert post.mean == pytest.approx(mean, rel=1e-7)
    assert isinstance(post, NormalMixture)


def test_robust_prior_lets_go_under_conflict():
    prior = robust_mixture_prior(0.4, 0.5, weight=0.8, vague_sd=4.0)
    concordant = prior.update(0.4, 0.3)
    conflicting = prior.update(-3.0, 0.3)
    assert concordant.weights[0] > 0.8  # the informative component gained weight
    assert conflicting.weights[0] < 0.01  # and is dropped under conflict
    assert abs(conflicting.mean - (-3.0)) < 0.1  # the estimate speaks for itself


def test_weight_one_is_the_informative_normal():
    prior = robust_mixture_prior(0.4, 0.5, weight=1.0, vague_sd=4.0)
    post = prior.update(1.0, 0.3)
    v = 1 / (1 / 0.5**2 + 1 / 0.3**2)
    assert post.mean == pytest.approx(v * (0.4 / 0.25 + 1.0 / 0.09))
    assert post.weights[0] == 1.0


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: robust_mixture_prior(0.4, 0.5, weight=1.2, vague_sd=4.0), "weight"),
        (lambda: robust_mixture_prior(0.4, 0.5, weight=-0.1, vague_sd=4.0), "weight"),
        (lambda: robust_mixture_prior(0.4, 0.0, weight=0.5, vague_sd=4.0), "sd"),
        (lambda: robust_mixture_prior(0.4, 0.5, weight=0.5, vague_sd=0.4), "vague_sd"),
        (lambda: robust_mixture_prior(np.inf, 0.5, weight=0.5, vague_sd=4.0), "mean"),
        (lambda: normal_mixture([0.5, 0.4], [0, 1], [1, 1]), "weights"),
        (lambda: normal_mixture([0.5, 0.5], [0, 1], [1, -1]), "sds"),
        (lambda: normal_mixture([0.5, 0.5], [0, 1, 2], [1, 1]), "means"),
        (lambda: normal_mixture([1.0], [0], [1]).ppf(1.0), "q"),
        (lambda: normal_mixture([1.0], [0], [1]).cdf("x"), "x"),
        (lambda: normal_mixture([1.0], [0], [1]).update(0.1, 0.0), "sigma"),
        (lambda: normal_mixture([1.0], [0], [1]).update(np.nan, 1.0), "estimate"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
