"""PyTensor's shape check compiled without string formatting (private).

PyMC models carry ``SpecifyShape`` nodes: a group dimension fixed by a
coordinate is checked wherever PyTensor cannot infer it, for instance on the
slice of nutpie's flat parameter vector that holds ``theta``. PyTensor's numba
backend writes each check as

.. code-block:: python

    assert x.shape[0] == shape_0, f"... has shape {x.shape[0]}, expected {shape_0.item()}."

and numba compiles that message's formatting (integers to strings, string
joins) into the code of the model, although it runs only when a check fails.
With an empty cache that formatting is a large part of what a new model with
such checks costs to compile: the meta-regression of chapter 10 compiles in
about 6 s instead of 9.5, the eight-schools model about 0.4 s faster, with the
same draws to the last bit. The cause is in PyTensor, where the fix belongs;
this module stands in for it in the course's kernels until then.

:func:`install` registers a version of the same check with a fixed message
that names the dimension (``SpecifyShape: dim 0 of the input does not have the
specified length``): the same comparisons, the same ``AssertionError`` when one
fails, only without the two numbers in its text. Its cache key carries
:data:`_CACHE_VERSION`, so that code compiled by PyTensor's own version is
never loaded in its place. With a PyTensor whose numba backend is not laid out
as this module expects, :func:`install` does nothing.
"""

from __future__ import annotations

from textwrap import dedent

__all__ = ["install"]

#: Part of the cache key of every check compiled by this module.
_CACHE_VERSION = 20261202
_installed = False


def _check_source(node) -> str:
    """Source of the check for ``node``: one ``assert`` per specified dimension."""
    from pytensor.tensor.type_other import NoneTypeT

    names = [f"shape_{i}" for i in range(len(node.inputs) - 1)]
    checks = [
        f"assert x.shape[{i}] == {name}, "
        f"'SpecifyShape: dim {i} of the input does not have the specified length'"
        for i, (shape, name) in enumerate(zip(node.inputs[1:], names, strict=True))
        if not isinstance(shape.type, NoneTypeT)
    ]
    return dedent(
        f"""
        def specify_shape(x, {", ".join(names)}):
            {"; ".join(checks) or "pass"}
            return x
        """
    )


def install() -> bool:
    """Register the check for PyTensor's numba backend; True if it is in use."""
    global _installed
    if _installed:
        return True
    try:
        # shape: PyTensor's own registration first, so that ours replaces it
        from pytensor.link.numba.dispatch import basic
        from pytensor.link.numba.dispatch import shape as _pytensor_shape  # noqa: F401
        from pytensor.link.utils import compile_function_src
        from pytensor.tensor.shape import SpecifyShape

        register = basic.register_funcify_default_op_cache_key
        njit = basic.numba_njit
    except (ImportError, AttributeError):
        return False

    @register(SpecifyShape)
    def numba_funcify_SpecifyShape(op, node, **kwargs):
        check = compile_function_src(_check_source(node), "specify_shape", {})
        return njit(check), _CACHE_VERSION

    _installed = True
    return True
