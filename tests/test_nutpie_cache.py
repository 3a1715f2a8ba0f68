"""nutpie's wrappers of a model, cached on disk by ``helpers._nutpie_cache``."""

import subprocess
import sys
import textwrap

import numpy as np
import nutpie
import pytest
from nutpie import compile_pymc

from helpers import _nutpie_cache, style

SIGMA = np.array([15.0, 10.0, 16.0, 11.0])
SETTINGS = {"chains": 4, "draws": 60, "tune": 60, "seed": 20261202, "progress_bar": False}

# The model of the cross-process test, built the same way in both processes.
MODEL_SOURCE = textwrap.dedent(
    """
    import numpy as np
    import pymc as pm

    def build(mu_scale):
        y = np.array([28.0, 8.0, -3.0, 7.0])
        with pm.Model() as model:
            sigma = pm.Data("sigma", np.array([15.0, 10.0, 16.0, 11.0]))
            scale = pm.Data("scale", np.asarray(mu_scale))
            mu = pm.Normal("mu", 0.0, scale)
            tau = pm.HalfNormal("tau", 5.0)
            z = pm.Normal("z", 0.0, 1.0, shape=4)
            theta = pm.Deterministic("theta", mu + tau * z)
            pm.Normal("y", theta, sigma, observed=y)
        return model
    """
)


def build(mu_scale):
    namespace = {}
    exec(MODEL_SOURCE, namespace)
    return namespace["build"](mu_scale)


def draws(compiled):
    posterior = nutpie.sample(compiled, **SETTINGS).posterior
    return np.concatenate([posterior[v].to_numpy().ravel() for v in ("mu", "tau", "theta")])


@pytest.fixture(scope="module", autouse=True)
def installed():
    style.setup()
    assert _nutpie_cache.install() is True


@pytest.fixture(scope="module")
def reference():
    """The model compiled with nutpie's own wrappers (numba options of the caller's)."""
    return nutpie.compile_pymc_model(build(5.0), cache=False)


@pytest.fixture(scope="module")
def expected(reference):
    return draws(reference)


def test_install_is_idempotent_and_replaces_nutpies_wrapper_builders():
    patched = compile_pymc._compile_pymc_model_numba
    assert patched._course_cached is True
    assert _nutpie_cache.install() is True
    assert compile_pymc._compile_pymc_model_numba is patched
    assert compile_pymc._make_c_logp_func.__wrapped__ is not None


def test_the_callers_numba_options_go_to_nutpie_unchanged(reference):
    assert reference.compiled_logp_func.__wrapped__.__name__ == "logp_numba"
    assert reference.compiled_expand_func.__wrapped__.__name__ == "expand_numba"
    assert reference.compiled_logp_func.cache_hits == 0


def test_a_model_compiled_again_loads_its_wrappers_with_the_same_draws(expected):
    first = nutpie.compile_pymc_model(build(5.0))
    again = nutpie.compile_pymc_model(build(5.0))
    assert first.compiled_logp_func.__wrapped__.__name__ == "nutpie_logp"
    assert again.compiled_logp_func.cache_hits == 1
    assert again.compiled_expand_func.cache_hits == 1
    np.testing.assert_array_equal(draws(first), expected)
    np.testing.assert_array_equal(draws(again), expected)


def test_shared_data_of_every_rank_is_read_and_with_data_refits(reference, expected):
    compiled = nutpie.compile_pymc_model(build(5.0))
    for updates in ({"sigma": SIGMA / 3}, {"scale": 0.5}, {"sigma": SIGMA * 2, "scale": 20.0}):
        new = draws(reference.with_data(**updates))
        assert not np.array_equal(new, expected)
        np.testing.assert_array_equal(draws(compiled.with_data(**updates)), new)


def test_uncacheable_function_falls_back_to_nutpies_wrappers(monkeypatch, expected):
    monkeypatch.setattr(_nutpie_cache, "_pytensor_caches", lambda: False)
    compiled = nutpie.compile_pymc_model(build(5.0))
    assert compiled.compiled_logp_func.__wrapped__.__name__ == "logp_numba"
    assert compiled.compiled_expand_func.__wrapped__.__name__ == "expand_numba"
    np.testing.assert_array_equal(draws(compiled), expected)


def test_other_nutpie_internals_leave_nutpie_unchanged(monkeypatch):
    original = compile_pymc._compile_pymc_model_numba.__wrapped__
    monkeypatch.setattr(compile_pymc, "_compile_pymc_model_numba", original)
    monkeypatch.setattr(compile_pymc, "_make_c_logp_func", lambda n_dim, logp_fn: None)
    assert _nutpie_cache.install() is False
    assert compile_pymc._compile_pymc_model_numba is original
    monkeypatch.delattr(compile_pymc, "_make_c_expand_func")
    assert _nutpie_cache.install() is False


def test_a_new_process_reuses_the_wrappers_with_the_same_draws(expected):
    nutpie.compile_pymc_model(build(5.0))  # in the disk cache, whatever ran before
    script = MODEL_SOURCE + textwrap.dedent(
        """
        import nutpie
        from helpers import style

        style.setup()
        compiled = nutpie.compile_pymc_model(build(5.0))
        print(compiled.compiled_logp_func.cache_hits, compiled.compiled_expand_func.cache_hits)
        posterior = nutpie.sample(
            compiled, chains=4, draws=60, tune=60, seed=20261202, progress_bar=False
        ).posterior
        for name in ("mu", "tau", "theta"):
            print(repr(posterior[name].to_numpy().ravel().tolist()))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "1 1"
    there = np.concatenate([np.array(eval(line)) for line in lines[1:4]])
    np.testing.assert_array_equal(there, expected)
    assert "Warning" not in result.stderr
