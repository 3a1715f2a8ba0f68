"""PyTensor's shape checks as ``helpers._specify_shape`` compiles them for numba."""

import subprocess
import sys

import numpy as np
import pymc  # noqa: F401  (setup installs the checks in a kernel that uses PyMC)
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.link.numba.dispatch import basic
from pytensor.tensor.shape import SpecifyShape

from helpers import _specify_shape, style

MESSAGE = "SpecifyShape: dim {} of the input does not have the specified length"


@pytest.fixture(scope="module", autouse=True)
def installed():
    style.setup()


def compiled(x, shape):
    return pytensor.function([x], pt.specify_shape(x, shape) * 2.0, mode="NUMBA")


def test_setup_installs_the_checks_for_a_chapter_that_uses_pymc():
    script = (
        "import sys\n"
        "from helpers import _specify_shape, style\n"
        "style.setup()\n"
        "assert not _specify_shape._installed\n"  # a chapter without PyMC
        "assert 'pytensor.link.numba.dispatch' not in sys.modules\n"
        "import pymc\n"
        "style.setup()\n"
        "assert _specify_shape._installed\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_the_checks_have_a_cache_key_of_their_own():
    assert _specify_shape.install() is True  # already in place: nothing registered twice
    x = pt.vector("x")
    node = pt.specify_shape(x, (3,)).owner
    _, key = basic.numba_funcify_and_cache_key(node.op, node=node)
    pytensors_key = basic.default_hash_key_from_props(node.op, cache_version="None")
    assert key == basic.default_hash_key_from_props(
        node.op, cache_version=str(_specify_shape._CACHE_VERSION)
    )
    assert key != pytensors_key  # code compiled by PyTensor's own version is never loaded


def test_a_vector_of_the_specified_length_passes_unchanged():
    f = compiled(pt.vector("x"), (3,))
    np.testing.assert_array_equal(f(np.array([1.0, -2.0, 0.5])), [2.0, -4.0, 1.0])


def test_a_wrong_length_raises_naming_the_dimension():
    f = compiled(pt.vector("x"), (3,))
    with pytest.raises(AssertionError, match=MESSAGE.format(0)):
        f(np.zeros(4))


def test_only_the_specified_dimensions_are_checked():
    f = compiled(pt.matrix("x"), (None, 2))
    assert f(np.ones((5, 2))).shape == (5, 2)  # any number of rows
    with pytest.raises(AssertionError, match=MESSAGE.format(1)):
        f(np.ones((5, 3)))
    with pytest.raises(AssertionError, match=MESSAGE.format(0)):
        compiled(pt.matrix("x"), (4, 2))(np.ones((5, 2)))


def test_the_checks_agree_with_pytensors_python_implementation():
    x = pt.matrix("x")
    out = pt.specify_shape(x, (2, 3)).sum(axis=0)
    value = np.arange(6.0).reshape(2, 3)
    numba_f = pytensor.function([x], out, mode="NUMBA")
    python_f = pytensor.function([x], out, mode="FAST_COMPILE")
    np.testing.assert_array_equal(numba_f(value), python_f(value))
    for f in (numba_f, python_f):
        with pytest.raises(AssertionError):
            f(value.T)


def test_install_does_nothing_with_a_pytensor_laid_out_otherwise():
    script = (
        "from pytensor.link.numba.dispatch import basic\n"
        "del basic.register_funcify_default_op_cache_key\n"
        "from helpers import _specify_shape\n"
        "assert _specify_shape.install() is False\n"
        "assert _specify_shape._installed is False\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_the_source_of_a_check_of_two_dimensions():
    x = pt.tensor3("x")
    node = pt.specify_shape(x, (None, 4, 5)).owner
    assert isinstance(node.op, SpecifyShape)
    source = _specify_shape._check_source(node)
    assert "x.shape[0]" not in source
    assert "assert x.shape[1] == shape_1" in source and "assert x.shape[2] == shape_2" in source
    assert "{" not in source  # no formatted message left for numba to compile
