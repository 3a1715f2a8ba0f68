"""The course's one style entry point.

Every chapter calls :func:`setup` once, in its preamble. It fixes the
matplotlib look and, more importantly, the kind and probability of the
credible intervals ArviZ reports, so that prose, tables and figures agree.
ArviZ 1.x defaults to an 89% equal-tailed interval; the course uses
:data:`CI_PROB` (95%) equal-tailed intervals throughout, the Bayesian
counterpart of the classical 95% confidence intervals it compares against.

It also makes every MCMC fit reproducible from build to build. nutpie samples
PyMC models through functions that PyTensor compiles with numba, by default
with ``fastmath``, and keeps the compiled code in a cache under
``~/.pytensor``. With ``fastmath`` the code compiled afresh and the code loaded
from that cache need not round identically, and a chaotic sampler turns a
last-bit difference into a different chain: the centered eight schools of
chapter 3 gave 103 divergences on a machine with an empty cache and 25 on the
next build, with the same seed. Without ``fastmath`` both give the same draws.

Finally it lets the next kernel reuse more of that compiled code. PyTensor
caches the numba code of each model's log density on disk, keyed on the graph,
but nutpie compiles a small C-callable wrapper around it in every kernel (it
cannot be cached), and compiling that wrapper also compiles numba's own error
message for an array assignment of the wrong shape, about 1.5 s of CPU each
time. :func:`setup` has numba cache that helper on disk too, in PyTensor's
cache folder (``PYTENSOR_FLAGS=base_compiledir=DIR`` moves both), so that
only the first kernel on a machine pays for it. It is error-path code only:
no number changes. And it has LLVM optimise numba code at level 1 instead of
3 (``NUMBA_OPT``, unless that is set): compiling each model takes about a fifth
less time and the small models of the course sample as fast. Without
``fastmath`` LLVM may not change a floating-point result at any level, so the
draws are the same.

It also spares each kernel a C compilation that nothing uses. PyMC computes a
model's starting point with a small function in PyTensor's ``FAST_COMPILE``
mode, which runs in Python; but building it imports PyTensor's C virtual
machine, and with an empty cache g++ first compiles that extension (0.4-0.8 s
of every chapter that fits a model). :func:`setup` imports the virtual
machine's module once with ``pytensor.config.cxx`` empty, PyTensor's
documented switch that leaves the C machine out, and then restores ``cxx``:
the starting points are computed by the same Python code, and every other
compilation (numba, which the models use, and the graph rewrites, some of
which read ``cxx``) is untouched.

Last, it lets the next kernel reuse that wrapper too: :func:`setup` has nutpie
build it from generated source code that numba can cache on disk, next to
PyTensor's code of the log density and keyed on it (``helpers._nutpie_cache``
says how, and when nutpie's own wrapper is used instead). A model compiled
before in any kernel then compiles in a third of the time, with the same draws.
And it has PyTensor's shape checks compiled without the formatting of their
error messages, which numba otherwise compiles into every new model although
it runs only when a check fails (``helpers._specify_shape``): with an empty
cache chapter 10's meta-regression compiles in about 6 s instead of 9.5, with
the same draws.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import arviz as az
import matplotlib as mpl
import pytensor
from scipy import stats

from helpers import _nutpie_cache, _specify_shape

__all__ = ["CI_KIND", "CI_PROB", "PALETTE", "Z_95", "setup"]

#: Kind of credible interval used throughout the course: equal-tailed.
CI_KIND = "eti"
#: Probability of every credible interval in the course.
CI_PROB = 0.95
#: The normal quantile of the ``CI_PROB`` central interval,
#: :math:`z = \Phi^{-1}((1 + \mathrm{CI\_PROB}) / 2) = 1.96` (also the
#: critical value of a two-sided 5% z-test): the one z of the course.
Z_95 = float(stats.norm.ppf((1 + CI_PROB) / 2))

#: The colour cycle of every figure: Okabe and Ito's palette, told apart with
#: any common colour-vision deficiency (black last). Colour is never the only
#: cue: ``helpers.plots`` pairs each colour with its own marker or line style.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

_RC = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "legend.frameon": False,
    "font.size": 10,
}


def setup() -> dict:
    """Apply the course plotting style and ArviZ interval settings.

    Also switches off PyTensor's numba ``fastmath``, so that a seeded fit gives
    the same draws whether its compiled code is new or comes from the cache,
    and makes numba compile faster (optimisation level 1, a compiled helper
    and nutpie's wrappers of each model cached on disk, shape checks without
    formatted messages; see the module notes),
    and leaves out PyTensor's C virtual machine, which no model uses.
    Call it before compiling any model.

    Returns
    -------
    dict
        The ArviZ interval settings now in force, ``{"ci_kind": ..., "ci_prob": ...}``.
    """
    mpl.rcParams.update(_RC)
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=list(PALETTE))
    az.rcParams["stats.ci_kind"] = CI_KIND
    az.rcParams["stats.ci_prob"] = CI_PROB
    pytensor.config.numba__fastmath = False
    _without_c_virtual_machine()
    _numba_opt_level(1)
    _cache_numba_helpers()
    _cache_nutpie_wrappers()
    _shape_checks_without_formatted_messages()
    return {"ci_kind": CI_KIND, "ci_prob": CI_PROB}


def _without_c_virtual_machine() -> None:
    """Import PyTensor's virtual machines without the C one (see the module notes).

    With ``pytensor.config.cxx`` empty, ``pytensor.link.c.cvm`` imports without
    defining ``CVM``, and PyTensor then builds every function that would have
    used it with its Python machine. Nothing changes if the module was already
    imported.
    """
    if "pytensor.link.c.cvm" in sys.modules:
        return
    compiler = pytensor.config.cxx
    pytensor.config.cxx = ""
    try:
        importlib.import_module("pytensor.link.c.cvm")
    finally:
        pytensor.config.cxx = compiler


def _numba_opt_level(level: int) -> None:
    """Set numba's LLVM optimisation level, unless ``NUMBA_OPT`` chose one.

    It takes effect if numba has not compiled anything yet in this process (its
    code generator reads the level once); :func:`setup` runs before any model.
    """
    import numba

    if "NUMBA_OPT" not in os.environ:
        numba.config.OPT = type(numba.config.OPT)(level)


def _cache_nutpie_wrappers() -> None:
    """Have nutpie's wrappers of each model cached on disk, if PyMC is in use.

    See :mod:`helpers._nutpie_cache`. A chapter imports PyMC (or nutpie) before
    it calls :func:`setup`; one without either does not import nutpie for it
    (0.2 s).
    """
    if _pymc_in_use():
        _nutpie_cache.install()


def _shape_checks_without_formatted_messages() -> None:
    """Compile PyTensor's shape checks with fixed messages, if PyMC is in use.

    See :mod:`helpers._specify_shape`; like :func:`_cache_nutpie_wrappers`, it
    imports nothing for a chapter without PyMC or nutpie.
    """
    if _pymc_in_use():
        _specify_shape.install()


def _pymc_in_use() -> bool:
    """Tell whether this kernel imported PyMC or nutpie (before calling :func:`setup`)."""
    return "pymc" in sys.modules or "nutpie" in sys.modules


def _cache_numba_helpers() -> None:
    """Have numba cache its shape-mismatch error helper on disk (see the module notes).

    numba compiles the helper from an ``@overload`` whose jit options do not
    ask for caching; setting ``cache=True`` on its template makes the compiled
    helper persist under ``numba.config.CACHE_DIR``, which is set to a folder
    in PyTensor's ``base_compiledir`` unless ``NUMBA_CACHE_DIR`` chose one.
    Without that numba internal (another numba version) this does nothing.
    """
    import numba
    from numba.core.registry import cpu_target
    from numba.np import arrayobj

    stub = getattr(arrayobj, "raise_with_shape_context", None)
    if stub is None:
        return
    if not numba.config.CACHE_DIR:
        numba.config.CACHE_DIR = str(Path(pytensor.config.base_compiledir) / "numba-helpers")
    typing_context = cpu_target.typing_context
    typing_context.refresh()
    for template in getattr(typing_context.resolve_value_type(stub), "templates", ()):
        options = getattr(template, "_jit_options", None)
        if isinstance(options, dict) and not options.get("cache"):
            template._jit_options = {**options, "cache": True}
