import arviz as az
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.diagnostics import (
    ExactComparison,
    SamplingProblem,
    check_sampling,
    compare_with_exact,
    compare_with_exact_draws,
)


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


# --------------------------------------------------------------------------
# compare_with_exact, compare_with_exact_draws
# --------------------------------------------------------------------------


def _fake_named(rng, shift=0.0):
    mu = rng.normal(size=(4, 1000)) + shift
    theta = rng.normal(size=(4, 1000, 2))
    return az.from_dict(
        {"posterior": {"mu": mu, "theta": theta}, "sample_stats": {"diverging": mu < -99}},
        dims={"theta": ["school"]},
        coords={"school": ["A", "B"]},
    )


def _exact_table(rows, probs=(0.1, 0.5, 0.9)):
    q = stats.norm.ppf(probs)
    return pd.DataFrame([q] * len(rows), index=rows, columns=list(probs))


def test_compare_with_exact_passes_a_correct_sampler(rng):
    idata = _fake_named(rng)
    result = compare_with_exact(idata, _exact_table(["mu", "A", "B"]))
    assert isinstance(result, ExactComparison)
    assert list(result.table.columns) == ["quantity", "prob", "exact", "mcmc", "mcse", "z"]
    assert result.table["quantity"].tolist() == ["mu"] * 3 + ["A"] * 3 + ["B"] * 3
    assert result.ok and result.max_abs_z == result.table["z"].abs().max() < 4
    # the same numbers as computing them by hand, element by element, in every row
    for row in result.table.itertuples():
        post = idata.posterior
        draws = post["mu"] if row.quantity == "mu" else post["theta"].sel(school=row.quantity)
        mcse = az.mcse(draws.to_dataset(name="x"), method="quantile", prob=row.prob)["x"]
        assert row.mcse == float(mcse)
        assert row.mcmc == float(draws.quantile(row.prob, dim=("chain", "draw")))


def test_compare_with_exact_accepts_indexed_rows_and_flags_a_bias(rng):
    by_index = compare_with_exact(_fake_named(rng), _exact_table(["theta[0]", "theta[1]"]))
    assert by_index.ok
    biased = compare_with_exact(_fake_named(rng, shift=0.2), _exact_table(["mu"]))
    assert not biased.ok and biased.max_abs_z > 4


@pytest.mark.parametrize(
    ("exact", "kwargs", "error", "match"),
    [
        (np.zeros((2, 2)), {}, TypeError, "exact must be a non-empty DataFrame"),
        (_exact_table(["C"]), {}, ValueError, "exact row 'C' is neither"),
        (_exact_table(["mu"]), {"group_var": "beta"}, ValueError, None),
        (_exact_table(["sigma"]), {"group_var": "beta"}, ValueError, "not a scalar variable"),
        (_exact_table(["mu"], probs=(0.5, 1.5)), {}, ValueError, "probabilities in"),
        (_exact_table(["mu"]), {"z_max": 0}, ValueError, "z_max must be a positive number"),
        (_exact_table(["mu"]), {"group_var": 3}, TypeError, "group_var must be a variable"),
    ],
)
def test_compare_with_exact_rejects_bad_input(rng, exact, kwargs, error, match):
    if match is None:  # a scalar row needs no group variable
        assert compare_with_exact(_fake_named(rng), exact, **kwargs).ok
        return
    with pytest.raises(error, match=match):
        compare_with_exact(_fake_named(rng), exact, **kwargs)


def test_compare_with_exact_rejects_what_is_not_a_fit():
    with pytest.raises(TypeError, match=r"idata must be the result of pm\.sample"):
        compare_with_exact({"x": 1}, _exact_table(["mu"]))


def test_compare_with_exact_draws(rng):
    mcmc = _fake_named(rng).posterior["theta"]
    exact = rng.normal(size=(20_000, 2))
    result = compare_with_exact_draws(mcmc, exact)
    assert result.table["quantity"].tolist() == ["A", "B"] and result.ok
    assert result.table["prob"].isna().all()
    mcse = az.mcse(mcmc.to_dataset(name="x"))["x"].to_numpy()
    np.testing.assert_allclose(result.table["mcse"], np.sqrt(mcse**2 + exact.var(axis=0) / 20_000))
    shifted = compare_with_exact_draws(mcmc, exact + 0.3)
    assert not shifted.ok
    scalar = compare_with_exact_draws(_fake_named(rng).posterior["mu"], exact[:, 0])
    assert scalar.table["quantity"].tolist() == ["mu"] and scalar.ok


@pytest.mark.parametrize(
    ("mcmc", "exact", "kwargs", "error", "match"),
    [
        (np.zeros((4, 10)), np.zeros(10), {}, TypeError, "mcmc must be an xarray.DataArray"),
        (
            None,
            np.zeros((10, 3)),
            {},
            ValueError,
            r"exact_draws must have shape \(n,\) or \(n, 2\)",
        ),
        (None, np.zeros((1, 2)), {}, ValueError, "exact_draws must hold at least 2"),
        (None, [[np.nan, 0.0]] * 3, {}, ValueError, "exact_draws must not contain NaN"),
        (None, np.zeros((10, 2)), {"z_max": -1}, ValueError, "z_max must be"),
    ],
)
def test_compare_with_exact_draws_rejects_bad_input(rng, mcmc, exact, kwargs, error, match):
    mcmc = _fake_named(rng).posterior["theta"] if mcmc is None else mcmc
    with pytest.raises(error, match=match):
        compare_with_exact_draws(mcmc, exact, **kwargs)
