"""A prior object freezes its SciPy distribution once and stays immutable."""

import numpy as np
import pytest
from scipy import stats

from helpers.priors import Exponential, HalfCauchy, HalfNormal, Uniform


@pytest.mark.parametrize(
    ("prior", "reference"),
    [
        (HalfNormal(0.5), stats.halfnorm(scale=0.5)),
        (HalfCauchy(5.0), stats.halfcauchy(scale=5.0)),
        (Exponential(2.0), stats.expon(scale=0.5)),
        (Uniform(3.0), stats.uniform(0.0, 3.0)),
    ],
)
def test_frozen_distribution_is_made_once_and_gives_the_same_numbers(prior, reference):
    tau = np.linspace(0.0, 4.0, 41)
    first = prior.logpdf(tau)
    assert prior._frozen() is prior._frozen()
    np.testing.assert_array_equal(prior.logpdf(tau), first)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(first, reference.logpdf(tau))
    draws = prior.rvs(5, np.random.default_rng(3))
    np.testing.assert_array_equal(
        draws, reference.rvs(size=5, random_state=np.random.default_rng(3))
    )
    with pytest.raises(AttributeError, match="immutable"):
        prior.sigma = 2.0
    assert prior == type(prior)(**{k: v for k, v in prior.params.items() if k != "lower"})
