import os

import arviz as az
import matplotlib as mpl
import pytensor

from helpers import style


def test_setup_sets_interval_kind_and_probability():
    az.rcParams["stats.ci_prob"] = 0.89
    settings = style.setup()
    assert settings == {"ci_kind": "eti", "ci_prob": 0.95}
    assert az.rcParams["stats.ci_kind"] == style.CI_KIND == "eti"
    assert az.rcParams["stats.ci_prob"] == style.CI_PROB == 0.95
    assert mpl.rcParams["axes.spines.top"] is False


def test_setup_uses_the_colour_blind_safe_palette():
    style.setup()
    colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.upper() for c in colours] == [c.upper() for c in style.PALETTE]
    assert style.PALETTE[:4] == ("#0072B2", "#E69F00", "#009E73", "#D55E00")  # Okabe-Ito


def test_setup_turns_off_numba_fastmath_for_reproducible_fits():
    pytensor.config.numba__fastmath = True
    try:
        style.setup()
        assert pytensor.config.numba__fastmath is False
    finally:
        pytensor.config.numba__fastmath = True


def test_setup_leaves_out_pytensors_c_virtual_machine_and_keeps_its_compiler(tmp_path):
    import subprocess
    import sys

    # PyMC's starting point of a model: a FAST_COMPILE function, run in Python,
    # whose virtual machine imported (and, with an empty cache, compiled)
    # PyTensor's C extension before setup()
    script = (
        "import math, sys\n"
        "import pymc as pm, pytensor\n"
        "from helpers import style\n"
        "compiler = pytensor.config.cxx\n"
        "style.setup()\n"
        "assert compiler and pytensor.config.cxx == compiler\n"
        "with pm.Model() as model:\n"
        "    pm.HalfNormal('tau', sigma=2.0)\n"
        "point = model.initial_point()\n"
        "assert abs(point['tau_log__'] - math.log(2.0)) < 1e-12, point\n"
        "assert 'pytensor.link.c.lazylinker_c' not in sys.modules\n"
    )
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={tmp_path}"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    assert not list(tmp_path.rglob("lazylinker_ext"))


def test_z_95_is_the_quantile_of_the_course_interval():
    from scipy import stats

    from helpers import style

    assert style.Z_95 == stats.norm.ppf((1 + style.CI_PROB) / 2) == stats.norm.ppf(0.975)
    assert isinstance(style.Z_95, float)


def test_setup_has_numba_cache_its_shape_error_helper_with_pytensors_cache():
    import numba
    from numba.core.registry import cpu_target
    from numba.np import arrayobj

    style.setup()
    templates = cpu_target.typing_context.resolve_value_type(
        arrayobj.raise_with_shape_context
    ).templates
    assert templates and all(t._jit_options.get("cache") is True for t in templates)
    assert numba.config.CACHE_DIR
    if "NUMBA_CACHE_DIR" not in os.environ:
        assert numba.config.CACHE_DIR.startswith(str(pytensor.config.base_compiledir))


def test_setup_lowers_numba_optimisation_unless_numba_opt_is_set(monkeypatch):
    import numba

    saved = numba.config.OPT
    try:
        monkeypatch.delenv("NUMBA_OPT", raising=False)
        style.setup()
        assert numba.config.OPT == 1
        numba.config.OPT = saved
        monkeypatch.setenv("NUMBA_OPT", "2")
        style.setup()
        assert saved == numba.config.OPT
    finally:
        numba.config.OPT = saved


def test_setup_imports_nutpie_only_for_a_chapter_that_uses_pymc():
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from helpers import style\n"
        "style.setup()\n"
        "assert 'nutpie' not in sys.modules\n"
        "import pymc\n"
        "style.setup()\n"
        "from nutpie import compile_pymc\n"
        "assert compile_pymc._compile_pymc_model_numba._course_cached\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
