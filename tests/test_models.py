import numpy as np
import pytest

from helpers.models import hierarchical_binomial, hierarchical_normal, sample_draws

Y = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]
SIGMA = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]
WEAK = {"mu_prior": ("Normal", {"mu": 0, "sigma": 20}), "tau_prior": ("HalfNormal", {"sigma": 10})}


def _names(variables):
    return sorted(v.name for v in variables)


def test_non_centered_variables_and_dims():
    model = hierarchical_normal(Y, SIGMA, names=list("ABCDEFGH"), dim="school", **WEAK)
    assert _names(model.free_RVs) == ["mu", "tau", "theta_tilde"]
    assert _names(model.deterministics) == ["theta"]
    assert _names(model.observed_RVs) == ["y"]
    assert model.named_vars_to_dims["theta"] == ("school",)
    assert model.named_vars_to_dims["theta_tilde"] == ("school",)
    assert list(model.coords["school"]) == list("ABCDEFGH")


def test_centered_variables():
    model = hierarchical_normal(Y, SIGMA, centered=True, **WEAK)
    assert _names(model.free_RVs) == ["mu", "tau", "theta"]
    assert model.deterministics == []
    assert list(model.coords["group"]) == [str(j) for j in range(8)]


def test_seed_uniform_priors_are_bounded():
    model = hierarchical_normal(
        Y,
        SIGMA,
        mu_prior=("Uniform", {"lower": -20, "upper": 20}),
        tau_prior=("Uniform", {"lower": 0, "upper": 50}),
    )
    logp = model.compile_logp()
    point = model.initial_point()
    assert np.isfinite(logp(point))
    assert _names(model.value_vars) == ["mu_interval__", "tau_interval__", "theta_tilde"]


def test_integer_uniform_bounds_give_a_finite_density():
    # pm.Uniform("mu", -100, 100) with Python ints has a NaN logp (int8 overflow in PyTensor).
    model = hierarchical_normal(
        Y,
        SIGMA,
        mu_prior=("Uniform", {"lower": -100, "upper": 100}),
        tau_prior=("Uniform", {"lower": 0, "upper": 100}),
    )
    logps = model.point_logps()
    # interval-transformed density at the midpoint: -log(200) + log(200 / 4) = log(1/4)
    assert logps["mu"] == pytest.approx(np.log(0.25), abs=0.01)
    assert all(np.isfinite(v) for v in logps.values())


def test_centered_and_non_centered_share_the_joint_density(rng):
    centered = hierarchical_normal(Y, SIGMA, centered=True, **WEAK)
    non_centered = hierarchical_normal(Y, SIGMA, **WEAK)
    logp_c = centered.compile_logp(jacobian=False)
    logp_nc = non_centered.compile_logp(jacobian=False)
    for _ in range(5):
        mu, tau = rng.normal(5, 5), rng.uniform(0.5, 20)
        theta = rng.normal(mu, tau, size=8)
        z = (theta - mu) / tau
        lc = logp_c({"mu": mu, "tau_log__": np.log(tau), "theta": theta})
        lnc = logp_nc({"mu": mu, "tau_log__": np.log(tau), "theta_tilde": z})
        # theta = mu + tau * z: densities differ by the Jacobian |d theta / d z| = tau^J
        assert lc == pytest.approx(lnc - 8 * np.log(tau), rel=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y": [1.0]}, ValueError, "y must have at least 2 values"),
        ({"y": [1.0, np.nan]}, ValueError, "y must be finite"),
        ({"y": "abc"}, TypeError, "y must be a sequence"),
        ({"sigma": [1.0, 0.0]}, ValueError, "sigma must be strictly positive"),
        ({"sigma": [1.0, 2.0, 3.0]}, ValueError, "y and sigma must have the same length"),
        ({"names": ["a"]}, ValueError, "names must have one label per group"),
        ({"names": ["a", "a"]}, ValueError, "names must be unique"),
        ({"dim": "two words"}, ValueError, "dim must be a name"),
        ({"centered": "yes"}, TypeError, "centered must be True or False"),
        ({"mu_prior": "Normal"}, TypeError, "mu_prior must be a"),
        ({"mu_prior": ("Gamma", {"alpha": 1})}, ValueError, "mu_prior distribution must be"),
        ({"tau_prior": ("Normal", {"sigma": 1})}, ValueError, "tau_prior distribution must be"),
        (
            {"tau_prior": ("Uniform", {"lower": -1, "upper": 5})},
            ValueError,
            "tau_prior: a Uniform prior on tau needs lower >= 0",
        ),
        ({"tau_prior": ("HalfNormal", {"scale": 1})}, TypeError, "tau_prior parameters"),
    ],
)
def test_rejects_bad_input(kwargs, error, match):
    args = {"y": [1.0, 2.0], "sigma": [1.0, 1.0], **WEAK, **kwargs}
    with pytest.raises(error, match=match):
        hierarchical_normal(args.pop("y"), args.pop("sigma"), **args)


# One compiled model serves every fit of this module (compiling is most of a
# fit's cost: about 2.5 s of CPU, sampling this model 4 x 2000 draws 0.2 s):
# five groups, bounded uniform priors (whose exact posterior helpers.exact
# computes), the estimates in a data container so that refits take new data.
FIT_Y, FIT_SIGMA = [12.0, -3.0, 6.0, 1.0, 9.0], [6.0, 5.0, 7.0, 4.0, 8.0]
FIT_PRIORS = {
    "mu_prior": ("Uniform", {"lower": -30.0, "upper": 30.0}),
    "tau_prior": ("Uniform", {"lower": 0.0, "upper": 40.0}),
}


@pytest.fixture(scope="module")
def refit_model():
    return hierarchical_normal(FIT_Y, FIT_SIGMA, refit=True, **FIT_PRIORS)


@pytest.fixture(scope="module")
def compiled(refit_model):
    nutpie = pytest.importorskip("nutpie")
    return nutpie.compile_pymc_model(refit_model)


def test_short_fit_recovers_exact_quantiles(compiled):
    import nutpie

    from helpers.diagnostics import compare_with_exact
    from helpers.exact import posterior_quantiles

    idata = nutpie.sample(
        compiled, chains=4, draws=1000, tune=1000, target_accept=0.9, seed=3, progress_bar=False
    )
    exact = posterior_quantiles(
        FIT_Y, FIT_SIGMA, [0.25, 0.5, 0.75], mu_bounds=(-30, 30), tau_max=40
    )
    comparison = compare_with_exact(idata, exact)
    assert comparison.ok, comparison.table


# --------------------------------------------------------------------------
# hierarchical_binomial
# --------------------------------------------------------------------------

N_C = [200, 250, 300]
Y_C = [19, 23, 40]
N_T = [200, 250, 310]
Y_T = [23, 23, 50]
LOGIT_PRIORS = {
    "mu_prior": ("Normal", {"mu": 0, "sigma": 0.5}),
    "tau_prior": ("HalfNormal", {"sigma": 0.5}),
    "alpha_prior": ("Normal", {"mu": -2, "sigma": 1}),
}


def test_binomial_non_centered_variables_dims_and_data():
    model = hierarchical_binomial(
        N_C, Y_C, N_T, Y_T, names=list("ABC"), dim="market", **LOGIT_PRIORS
    )
    assert _names(model.free_RVs) == ["alpha", "mu", "tau", "theta_tilde"]
    assert _names(model.deterministics) == ["p_control", "p_treat", "theta"]
    assert _names(model.observed_RVs) == ["y_control", "y_treat"]
    for name in ["alpha", "theta_tilde", "theta", "p_control", "p_treat", "y_control", "y_treat"]:
        assert model.named_vars_to_dims[name] == ("market",)
    assert list(model.coords["market"]) == list("ABC")
    np.testing.assert_array_equal(model.rvs_to_values[model["y_control"]].data, Y_C)
    np.testing.assert_array_equal(model.rvs_to_values[model["y_treat"]].data, Y_T)
    logps = model.point_logps()
    assert all(np.isfinite(v) for v in logps.values())


def test_binomial_centered_variables():
    model = hierarchical_binomial(N_C, Y_C, N_T, Y_T, centered=True, **LOGIT_PRIORS)
    assert _names(model.free_RVs) == ["alpha", "mu", "tau", "theta"]
    assert _names(model.deterministics) == ["p_control", "p_treat"]
    assert list(model.coords["group"]) == ["0", "1", "2"]


def test_binomial_density_is_the_stated_model(rng):
    # The joint log density equals the formula of the docstring, term by term.
    from scipy import stats
    from scipy.special import expit

    model = hierarchical_binomial(N_C, Y_C, N_T, Y_T, centered=True, **LOGIT_PRIORS)
    logp = model.compile_logp(jacobian=False)
    for _ in range(3):
        alpha, mu, tau = rng.normal(-2, 0.5, size=3), rng.normal(0.2, 0.3), rng.uniform(0.1, 1)
        theta = rng.normal(mu, tau, size=3)
        expected = (
            stats.norm.logpdf(alpha, -2, 1).sum()
            + stats.norm.logpdf(mu, 0, 0.5)
            + stats.halfnorm.logpdf(tau, scale=0.5)
            + stats.norm.logpdf(theta, mu, tau).sum()
            + stats.binom.logpmf(Y_C, N_C, expit(alpha)).sum()
            + stats.binom.logpmf(Y_T, N_T, expit(alpha + theta)).sum()
        )
        point = {"alpha": alpha, "mu": mu, "tau_log__": np.log(tau), "theta": theta}
        assert logp(point) == pytest.approx(expected, rel=1e-9)


def test_binomial_probabilities_are_the_inverse_logits():
    from scipy.special import expit

    model = hierarchical_binomial(N_C, Y_C, N_T, Y_T, **LOGIT_PRIORS)
    outputs = model.replace_rvs_by_values([model["p_control"], model["p_treat"]])
    f = model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore")
    point = {
        "alpha": np.array([-2.0, -1.5, -3.0]),
        "mu": 0.3,
        "tau_log__": np.log(0.5),
        "theta_tilde": np.array([1.0, -1.0, 0.0]),
    }
    p_control, p_treat = f(point)
    theta = 0.3 + 0.5 * point["theta_tilde"]
    np.testing.assert_allclose(p_control, expit(point["alpha"]))
    np.testing.assert_allclose(p_treat, expit(point["alpha"] + theta))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"y_control": [19, 23, 301]},
            ValueError,
            r"y_control must not exceed n_control \(group 2",
        ),
        ({"y_treat": [201, 23, 50]}, ValueError, r"y_treat must not exceed n_treat \(group 0"),
        ({"y_control": [19, -1, 40]}, ValueError, "y_control must be at least 0"),
        ({"n_treat": [200, 0, 310]}, ValueError, "n_treat must be at least 1"),
        ({"n_control": [200, 250.5, 300]}, ValueError, "n_control must hold whole numbers"),
        ({"y_treat": [23, np.nan, 50]}, ValueError, "y_treat must hold whole numbers"),
        ({"y_treat": [True, False, True]}, TypeError, "y_treat must hold whole numbers"),
        ({"n_control": "200"}, TypeError, "n_control must be a sequence of whole numbers"),
        ({"y_control": [[19, 23, 40]]}, ValueError, "y_control must be one-dimensional"),
        ({"n_treat": [200, 250]}, ValueError, "n_control and y_control and n_treat and y_treat"),
        (
            {"n_control": [200], "y_control": [19], "n_treat": [200], "y_treat": [23]},
            ValueError,
            "n_control must have at least 2 values",
        ),
        ({"names": ["a", "b"]}, ValueError, "names must have one label per group"),
        ({"names": ["a", "a", "b"]}, ValueError, "names must be unique"),
        ({"dim": "market 1"}, ValueError, "dim must be a name"),
        ({"centered": 1}, TypeError, "centered must be True or False"),
        ({"alpha_prior": "Normal"}, TypeError, "alpha_prior must be a"),
        (
            {"alpha_prior": ("Beta", {"alpha": 1, "beta": 1})},
            ValueError,
            "alpha_prior distribution",
        ),
        ({"alpha_prior": ("Normal", {"scale": 1})}, TypeError, "alpha_prior parameters"),
        ({"mu_prior": ("HalfNormal", {"sigma": 1})}, ValueError, "mu_prior distribution"),
        ({"tau_prior": ("Normal", {"sigma": 1})}, ValueError, "tau_prior distribution"),
    ],
)
def test_binomial_rejects_bad_input(kwargs, error, match):
    args = {"n_control": N_C, "y_control": Y_C, "n_treat": N_T, "y_treat": Y_T}
    args.update(LOGIT_PRIORS)
    args.update(kwargs)
    counts = [args.pop(k) for k in ("n_control", "y_control", "n_treat", "y_treat")]
    with pytest.raises(error, match=match):
        hierarchical_binomial(*counts, **args)


def test_refit_model_serves_new_data_without_recompiling(refit_model, compiled):
    import nutpie

    assert "y_obs" in refit_model.named_vars
    np.testing.assert_array_equal(refit_model["y_obs"].get_value(), FIT_Y)
    shifted = nutpie.sample(
        compiled.with_data(y_obs=np.asarray(FIT_Y) + 100.0),
        chains=2,
        draws=300,
        tune=300,
        seed=1,
        progress_bar=False,
    )
    # the data moved the posterior of mu far from where FIT_Y puts it (median 3.9),
    # to the prior's upper bound of 30
    assert float(shifted.posterior["mu"].mean()) > 25.0


def test_refit_must_be_boolean():
    with pytest.raises(TypeError, match="refit"):
        hierarchical_normal(
            [1.0, 2.0],
            [1.0, 1.0],
            mu_prior=("Flat", {}),
            tau_prior=("HalfNormal", {"sigma": 1}),
            refit="yes",
        )


# ---------------------------------------------------------------- sample_draws


def test_sample_draws_is_nutpie_sample_draw_for_draw(compiled):
    import nutpie

    # five tuning steps: divergences both in the warm-up (which sample_draws
    # leaves out) and among the kept draws (which it counts)
    fit = nutpie.sample(compiled, draws=60, tune=5, chains=2, seed=5, progress_bar=False)
    names = ["mu", "tau", "theta_tilde", "theta"]
    sampled = sample_draws(compiled, names, draws=60, tune=5, chains=2, seed=5)
    for name in names:
        np.testing.assert_array_equal(sampled.draws[name], fit.posterior[name].to_numpy())
    # free variables (mu, tau, theta_tilde) and a deterministic one (theta)
    assert sampled.draws["theta_tilde"].shape == sampled.draws["theta"].shape == (2, 60, 5)
    assert int(fit.warmup_sample_stats["diverging"].sum()) > 0
    assert sampled.divergences == int(fit.sample_stats["diverging"].sum()) > 0


def test_sample_draws_refits_new_data(compiled):
    new_y = np.asarray(FIT_Y) + 100.0
    sampled = sample_draws(
        compiled.with_data(y_obs=new_y), ["mu"], draws=50, tune=50, chains=2, seed=1
    )
    assert sampled.draws["mu"].mean() > 25  # at the prior's bound of 30, not near 3.9


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"var_names": "mu"}, TypeError, "var_names must be a non-empty list"),
        ({"var_names": []}, TypeError, "var_names must be a non-empty list"),
        ({"var_names": ["nope"]}, ValueError, r"var_names \['nope'\] are not variables"),
        ({"draws": 0}, ValueError, "draws must be at least 1"),
        ({"draws": 10.0}, TypeError, "draws must be an integer"),
        ({"tune": -1}, ValueError, "tune must be at least 0"),
        ({"chains": 0}, ValueError, "chains must be at least 1"),
        ({"seed": "1"}, TypeError, "seed must be an integer"),
        ({"compiled": "model"}, TypeError, "compiled must be a model compiled by nutpie"),
    ],
)
def test_sample_draws_rejects_bad_input(compiled, kwargs, error, match):
    args = {
        "compiled": compiled,
        "var_names": ["mu"],
        "draws": 10,
        "tune": 10,
        "chains": 2,
        "seed": 1,
    }
    args.update(kwargs)
    compiled = args.pop("compiled")
    var_names = args.pop("var_names")
    with pytest.raises(error, match=match):
        sample_draws(compiled, var_names, **args)
