"""nutpie's C-callable wrappers of a PyMC model, cached on disk (private).

``nutpie.compile_pymc_model`` has PyTensor compile a model's log density (with
its gradient) and the function that expands a draw to every model variable
with numba; PyTensor caches both on disk. nutpie then wraps each in a numba
``cfunc``, the C entry point its Rust sampler calls. It builds the wrappers as
closures, which numba cannot cache from one process to the next, so every
kernel compiled them again: about 1.5 s of CPU for the first model of a kernel
and 0.8 s for each further one, most of the compile time of a warm chapter.

:func:`install` has nutpie build the same wrappers from source code with no
closure: the model's sizes and the layout of its shared data are written into
the source as literals, and PyTensor's compiled function is a global. numba
caches them in PyTensor's numba cache folder, under a key made of that source
and PyTensor's own cache key of the function they call, so the next kernel that
compiles the same model loads them. The wrappers do what nutpie's do (the same
checks, copies and return codes) around the same compiled functions, so the
draws do not change, whether the wrappers are new or come from the cache. They
read the log density out of its 0-d array with ``[()]`` and copy and check the
gradient in a loop, rather than with numba's casts and array expressions
(``out[...] = grad``, ``np.all(np.isfinite(out))``): a new model's wrappers
compile in about half the time.

The old wrappers are used when nutpie's internals are not what this module
expects (another nutpie version: :func:`install` does nothing), when PyTensor
did not cache the function (a graph it cannot key, or ``numba__cache`` off),
when the shared data has a layout this module does not write, or when the
caller passes numba options of its own to ``compile_pymc_model``.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect

import numpy as np

__all__ = ["install"]

#: Changes whenever the generated source changes meaning: part of every key.
_VERSION = "3"

_LOGP_PARAMETERS = ["n_dim", "logp_fn", "user_data", "shared_keys", "shared_data"]
_EXPAND_PARAMETERS = [
    "n_dim",
    "n_expanded",
    "expand_fn",
    "user_data",
    "shared_var_keys",
    "shared_data",
]
_COMPILE_PARAMETERS = ("model", "pymc_initial_point_fn", "var_names")

_LOGP_SOURCE = """\
def nutpie_logp(dim, x_, out_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_dim},))
{shared}        logp_array, grad = inner(x{arguments})
        logp_val = as_scalar(logp_array)
        if grad.shape[0] != {n_dim}:
            return 1
        logp_[0] = logp_val
        finite = True
        for i in range({n_dim}):
            out[i] = grad[i]
            finite = finite and np.isfinite(grad[i])
        if not finite:
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0
"""

_EXPAND_SOURCE = """\
def nutpie_expand(dim, expanded, x_, out_, user_data_):
    if dim != {n_dim}:
        return -1
    if expanded != {n_expanded}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_expanded},))
{shared}        (values,) = inner(x{arguments})
        if values.shape[0] != {n_expanded}:
            return -2
        for i in range({n_expanded}):
            out[i] = values[i]
    except Exception:
        return -2
    return 0
"""

# Inside a compile that may use the cached wrappers.
_active = contextvars.ContextVar("course_nutpie_cache_active", default=False)


class _Uncacheable(Exception):
    """Raised when a model's wrappers cannot be cached: nutpie's own are used."""


def install() -> bool:
    """Have ``nutpie.compile_pymc_model`` cache its wrappers on disk (see the module notes).

    Idempotent. Returns whether the cached wrappers are in use: ``False`` when
    nutpie or PyTensor lacks an internal this relies on, and nothing changed.
    """
    try:
        import numba
        from nutpie import compile_pymc
        from pytensor.link.numba import cache
    except ImportError:
        return False
    needed = (
        (compile_pymc, "_compile_pymc_model_numba"),
        (compile_pymc, "_make_c_logp_func"),
        (compile_pymc, "_make_c_expand_func"),
        (compile_pymc, "address_as_void_pointer"),
        (cache, "CACHED_SRC_FUNCTIONS"),
        (cache, "compile_numba_function_src"),
    )
    if not all(hasattr(module, name) for module, name in needed):
        return False
    compile_numba = compile_pymc._compile_pymc_model_numba
    if getattr(compile_numba, "_course_cached", False):
        return True
    make_logp, make_expand = compile_pymc._make_c_logp_func, compile_pymc._make_c_expand_func
    if (
        _parameters(make_logp) != _LOGP_PARAMETERS
        or _parameters(make_expand) != _EXPAND_PARAMETERS
        or not set(_COMPILE_PARAMETERS) <= set(_parameters(compile_numba))
    ):
        return False

    def build(template, c_sig, fn, n_dim, n_expanded, user_data, keys, shared_data):
        if not _active.get():
            return None
        key = cache.CACHED_SRC_FUNCTIONS.get(getattr(fn, "py_func", None))
        if key is None or not _pytensor_caches():
            raise _Uncacheable
        shared, arguments = _shared_source(user_data, keys, shared_data)
        source = template.format(
            n_dim=int(n_dim), n_expanded=int(n_expanded), shared=shared, arguments=arguments
        )
        versions = (_VERSION, numba.__version__, _nutpie_version())
        digest = hashlib.sha256(repr((source, key, versions)).encode()).hexdigest()
        name = source[4 : source.index("(")]
        environment = {
            "__name__": __name__,
            "np": np,
            "numba": numba,
            "inner": fn,
            "address_as_void_pointer": compile_pymc.address_as_void_pointer,
            "as_scalar": _as_scalar,
        }
        function = cache.compile_numba_function_src(
            source, name, environment, cache_key=f"course_{name}_{digest}"
        )
        return function, c_sig

    @functools.wraps(make_logp)
    def make_c_logp_func(n_dim, logp_fn, user_data, shared_keys, shared_data):
        nutpie_raw, c_sig = make_logp(n_dim, logp_fn, user_data, shared_keys, shared_data)
        if _active.get() and c_sig != _logp_signature(numba):
            raise _Uncacheable
        built = build(_LOGP_SOURCE, c_sig, logp_fn, n_dim, 0, user_data, shared_keys, shared_data)
        return built or (nutpie_raw, c_sig)

    @functools.wraps(make_expand)
    def make_c_expand_func(n_dim, n_expanded, expand_fn, user_data, shared_var_keys, shared_data):
        nutpie_raw, c_sig = make_expand(
            n_dim, n_expanded, expand_fn, user_data, shared_var_keys, shared_data
        )
        if _active.get() and c_sig != _expand_signature(numba):
            raise _Uncacheable
        built = build(
            _EXPAND_SOURCE,
            c_sig,
            expand_fn,
            n_dim,
            n_expanded,
            user_data,
            shared_var_keys,
            shared_data,
        )
        return built or (nutpie_raw, c_sig)

    @functools.wraps(compile_numba)
    def compile_pymc_model_numba(*args, **kwargs):
        if set(kwargs) - set(_COMPILE_PARAMETERS):  # numba options of the caller's
            return compile_numba(*args, **kwargs)
        token = _active.set(True)
        try:
            return compile_numba(*args, cache=True, **kwargs)
        except _Uncacheable:
            pass
        finally:
            _active.reset(token)
        return compile_numba(*args, **kwargs)

    _register_as_scalar(numba)
    compile_pymc_model_numba._course_cached = True
    compile_pymc._make_c_logp_func = make_c_logp_func
    compile_pymc._make_c_expand_func = make_c_expand_func
    compile_pymc._compile_pymc_model_numba = compile_pymc_model_numba
    return True


def _as_scalar(value):
    """Return the value of a 0-d array, or the scalar itself (numba: see below)."""
    return value[()] if isinstance(value, np.ndarray) else value


def _register_as_scalar(numba) -> None:
    """Compile :func:`_as_scalar` with ``value[()]`` for a 0-d array.

    PyTensor returns the log density as a 0-d array. numba casts one to a
    scalar through ``a.take(0)``, whose compilation took 0.3-0.9 s of CPU in
    every kernel; indexing with ``()`` compiles in a few milliseconds.
    """

    @numba.extending.overload(_as_scalar)
    def _as_scalar_overload(value):
        if isinstance(value, numba.types.Array):
            return lambda value: value[()]
        return lambda value: value


def _parameters(function) -> list[str]:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []


def _pytensor_caches() -> bool:
    import pytensor

    return bool(pytensor.config.numba__cache)


def _nutpie_version() -> str:
    import nutpie

    return str(getattr(nutpie, "__version__", ""))


def _logp_signature(numba):
    t = numba.types
    double = t.CPointer(t.double)
    return t.int64(t.uint64, double, double, double, t.voidptr)


def _expand_signature(numba):
    t = numba.types
    double = t.CPointer(t.double)
    return t.int64(t.uint64, t.uint64, double, double, t.voidptr)


def _shared_source(user_data, keys, shared_data) -> tuple[str, str]:
    """Source lines that read the shared arrays from nutpie's ``user_data`` record.

    The record holds, for each shared array, its data address, its size and its
    shape, all as 8-byte unsigned integers; the lines read them as words at
    fixed offsets, so the source does not name nutpie's random field names.
    """
    if not keys:
        return "", ""
    dtype = user_data.dtype
    if dtype.itemsize % 8:
        raise _Uncacheable
    lines = [f"        words = numba.carray(user_data_, ({dtype.itemsize // 8},), np.uint64)\n"]
    arguments = []
    for i, key in enumerate(keys):
        array = shared_data[key]
        name = array.dtype.name
        if not array.dtype.isnative or np.dtype(getattr(np, name, None) or "V") != array.dtype:
            raise _Uncacheable
        data = _word(dtype, ("shared", "data", key))
        shape_offset, shape_type = _field(dtype, ("shared", "shape", key))
        if shape_type.base != np.dtype(np.uint64) or shape_type.shape != (array.ndim,):
            raise _Uncacheable
        if shape_offset % 8:
            raise _Uncacheable
        shape = "".join(f"int(words[{shape_offset // 8 + k}]), " for k in range(array.ndim))
        lines.append(
            f"        shared_{i} = numba.carray("
            f"address_as_void_pointer(words[{data}]), ({shape}), np.{name})\n"
        )
        arguments.append(f", shared_{i}")
    return "".join(lines), "".join(arguments)


def _field(dtype, path) -> tuple[int, np.dtype]:
    offset = 0
    for name in path:
        if dtype.fields is None or name not in dtype.fields:
            raise _Uncacheable
        dtype, start = dtype.fields[name][:2]
        offset += start
    return offset, dtype


def _word(dtype, path) -> int:
    offset, field = _field(dtype, path)
    if field != np.dtype(np.uintp) or field.itemsize != 8 or offset % 8:
        raise _Uncacheable
    return offset // 8
