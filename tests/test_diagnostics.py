import arviz as az
import numpy as np
import pytest

from helpers.diagnostics import SamplingProblem, check_sampling


def _fake_fit(rng, *, chains=4, draws=1000, shift=0.0, divergences=0, sticky=False):
    """An idata of independent normal draws (a perfect sampler), optionally broken."""
    mu = rng.normal(size=(chains, draws))
    theta = rng.normal(size=(chains, draws, 3))
    if shift:
        mu[0] += shift  # one chain stuck elsewhere: R-hat blows up
    if sticky:
        mu = np.repeat(mu[:, ::50], 50, axis=1)  # highly autocorrelated: low ESS
    diverging = np.zeros((chains, draws), dtype=bool)
    diverging.flat[:divergences] = True
    return az.from_dict(
        {
            "posterior": {"mu": mu, "theta": theta},
            "sample_stats": {"diverging": diverging},
        },
        dims={"theta": ["school"]},
    )


def test_clean_fit_passes(rng):
    table = check_sampling(_fake_fit(rng))
    assert list(table.index) == ["mu", "theta"]
    assert table["ok"].all()
    assert (table["divergences"] == 0).all()
    assert table["max_r_hat"].max() < 1.01
    assert table["min_ess_bulk"].min() > 2000


def test_var_names_selects_rows(rng):
    assert list(check_sampling(_fake_fit(rng), var_names="mu").index) == ["mu"]


def test_divergences_raise(rng):
    with pytest.raises(SamplingProblem, match="3 divergences"):
        check_sampling(_fake_fit(rng, divergences=3))


def test_bad_rhat_raises(rng):
    with pytest.raises(SamplingProblem, match=r"\['mu'\]"):
        check_sampling(_fake_fit(rng, shift=5.0))


def test_low_ess_raises(rng):
    with pytest.raises(SamplingProblem, match="ESS >= 400"):
        check_sampling(_fake_fit(rng, sticky=True), var_names=["mu"])


def test_expect_problems_returns_table(rng):
    table = check_sampling(_fake_fit(rng, divergences=7, shift=5.0), expect_problems=True)
    assert not table.loc["mu", "ok"]
    assert table.loc["mu", "divergences"] == 7
    assert table.loc["mu", "max_r_hat"] > 1.1


def test_rejects_non_idata():
    with pytest.raises(TypeError, match=r"idata must be the result of pm.sample"):
        check_sampling({"mu": [1, 2, 3]})


def test_rejects_unknown_variable(rng):
    with pytest.raises(ValueError, match=r"var_names \['tau'\] not in the posterior"):
        check_sampling(_fake_fit(rng), var_names=["tau"])


def test_rejects_empty_var_names(rng):
    with pytest.raises(ValueError, match="var_names"):
        check_sampling(_fake_fit(rng), var_names=[])


def test_rejects_single_chain(rng):
    with pytest.raises(ValueError, match="at least 2 chains"):
        check_sampling(_fake_fit(rng, chains=1))


@pytest.mark.parametrize("value", [1.0, 0.5, "1.05"])
def test_rejects_bad_rhat_max(rng, value):
    with pytest.raises(ValueError, match="rhat_max must be a number greater than 1"):
        check_sampling(_fake_fit(rng), rhat_max=value)


@pytest.mark.parametrize("value", [0, -10, None])
def test_rejects_bad_ess_min(rng, value):
    with pytest.raises(ValueError, match="ess_min must be a positive number"):
        check_sampling(_fake_fit(rng), ess_min=value)


def test_rejects_non_bool_expect_problems(rng):
    with pytest.raises(TypeError, match="expect_problems must be True or False"):
        check_sampling(_fake_fit(rng), expect_problems="yes")
