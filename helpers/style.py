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
"""

from __future__ import annotations

import arviz as az
import matplotlib as mpl
import pytensor
from scipy import stats

__all__ = ["CI_KIND", "CI_PROB", "Z_95", "setup"]

#: Kind of credible interval used throughout the course: equal-tailed.
CI_KIND = "eti"
#: Probability of every credible interval in the course.
CI_PROB = 0.95
#: The normal quantile of the ``CI_PROB`` central interval,
#: :math:`z = \Phi^{-1}((1 + \mathrm{CI\_PROB}) / 2) = 1.96` (also the
#: critical value of a two-sided 5% z-test): the one z of the course.
Z_95 = float(stats.norm.ppf((1 + CI_PROB) / 2))

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
    the same draws whether its compiled code is new or comes from the cache.

    Returns
    -------
    dict
        The ArviZ interval settings now in force, ``{"ci_kind": ..., "ci_prob": ...}``.
    """
    mpl.rcParams.update(_RC)
    az.rcParams["stats.ci_kind"] = CI_KIND
    az.rcParams["stats.ci_prob"] = CI_PROB
    pytensor.config.numba__fastmath = False
    return {"ci_kind": CI_KIND, "ci_prob": CI_PROB}
