"""Convergence checks run after every MCMC fit in the course.

nutpie, PyMC's default sampler when it is installed, prints no warning about
divergences, R-hat or effective sample size, so every chapter calls
:func:`check_sampling` right after sampling.
"""

from __future__ import annotations

import numbers

import arviz as az
import numpy as np
import pandas as pd

__all__ = ["SamplingProblem", "check_sampling"]


class SamplingProblem(RuntimeError):
    """Raised when a fit fails a convergence check it was expected to pass."""


def _posterior(idata):
    """Return the posterior group of an InferenceData/DataTree, or raise TypeError."""
    try:
        return idata["posterior"], idata["sample_stats"]
    except (KeyError, TypeError) as err:
        raise TypeError(
            "idata must be the result of pm.sample (with 'posterior' and 'sample_stats' groups), "
            f"got {type(idata).__name__}"
        ) from err


def check_sampling(
    idata,
    var_names=None,
    *,
    rhat_max: float = 1.01,
    ess_min: float = 400.0,
    expect_problems: bool = False,
) -> pd.DataFrame:
    """Summarise and enforce the convergence of an MCMC fit.

    For each chosen variable the table reports the largest rank-normalised
    split R-hat and the smallest bulk and tail effective sample sizes over its
    elements (Vehtari et al. 2021), plus the number of divergent transitions of
    the whole fit. The fit passes when there is no divergence,
    ``max R-hat <= rhat_max`` and ``min ESS >= ess_min`` for every variable.

    Parameters
    ----------
    idata : xarray.DataTree or arviz.InferenceData
        The result of ``pm.sample`` with at least two chains.
    var_names : str or list of str, optional
        Variables to check; default every variable in the posterior.
    rhat_max : float, default 1.01
        Largest acceptable R-hat (must be > 1).
    ess_min : float, default 400
        Smallest acceptable bulk and tail effective sample size (must be > 0).
    expect_problems : bool, default False
        Set to ``True`` for a fit that deliberately demonstrates failure: the
        table is returned without raising.

    Returns
    -------
    pandas.DataFrame
        One row per variable with columns ``divergences``, ``max_r_hat``,
        ``min_ess_bulk``, ``min_ess_tail`` and ``ok``.

    Raises
    ------
    SamplingProblem
        If a threshold is violated and ``expect_problems`` is false.
    """
    posterior, sample_stats = _posterior(idata)
    if not isinstance(rhat_max, numbers.Real) or not rhat_max > 1:
        raise ValueError(f"rhat_max must be a number greater than 1, got {rhat_max!r}")
    if not isinstance(ess_min, numbers.Real) or not ess_min > 0:
        raise ValueError(f"ess_min must be a positive number, got {ess_min!r}")
    if not isinstance(expect_problems, bool):
        raise TypeError(f"expect_problems must be True or False, got {expect_problems!r}")
    available = list(posterior.data_vars)
    if var_names is None:
        var_names = available
    elif isinstance(var_names, str):
        var_names = [var_names]
    unknown = [v for v in var_names if v not in available]
    if unknown or not var_names:
        raise ValueError(f"var_names {unknown or var_names} not in the posterior {available}")
    if posterior.sizes.get("chain", 1) < 2:
        raise ValueError("idata must hold at least 2 chains for R-hat to be defined")

    divergences = int(np.asarray(sample_stats["diverging"]).sum())
    ds = (
        posterior.to_dataset()[var_names]
        if hasattr(posterior, "to_dataset")
        else posterior[var_names]
    )
    rhat = az.rhat(ds)
    ess_bulk = az.ess(ds, method="bulk")
    ess_tail = az.ess(ds, method="tail")
    rows = {
        v: {
            "divergences": divergences,
            "max_r_hat": float(rhat[v].max()),
            "min_ess_bulk": float(ess_bulk[v].min()),
            "min_ess_tail": float(ess_tail[v].min()),
        }
        for v in var_names
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["ok"] = (
        (table["divergences"] == 0)
        & (table["max_r_hat"] <= rhat_max)
        & (table["min_ess_bulk"] >= ess_min)
        & (table["min_ess_tail"] >= ess_min)
    )
    if not expect_problems and not table["ok"].all():
        bad = table.index[~table["ok"]].tolist()
        raise SamplingProblem(
            f"sampling check failed for {bad}: {divergences} divergences; "
            f"need max R-hat <= {rhat_max} and ESS >= {ess_min}.\n{table.round(3)}"
        )
    return table
