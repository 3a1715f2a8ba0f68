"""Checks run after every MCMC fit in the course.

nutpie, PyMC's default sampler when it is installed, prints no warning about
divergences, R-hat or effective sample size, so every chapter calls
:func:`check_sampling` right after sampling. Where the exact posterior is
known (:mod:`helpers.exact`), :func:`compare_with_exact` (quantiles) and
:func:`compare_with_exact_draws` (means against independent exact draws) set
the MCMC estimates against it in Monte Carlo standard errors.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from helpers._validation import as_float_array

__all__ = [
    "ExactComparison",
    "SamplingProblem",
    "check_sampling",
    "compare_with_exact",
    "compare_with_exact_draws",
]


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


class ExactComparison(NamedTuple):
    r"""MCMC estimates set against exact values, in Monte Carlo standard errors.

    ``table`` has one row per compared number, with columns ``quantity``,
    ``prob`` (NaN for a mean), ``exact``, ``mcmc``, ``mcse`` and
    ``z = (mcmc - exact) / mcse``; ``max_abs_z`` is the largest :math:`|z|`
    and ``ok`` says whether it is below the threshold ``z_max``.
    """

    table: pd.DataFrame
    max_abs_z: float
    ok: bool


def _result(rows: list[dict], z_max: float) -> ExactComparison:
    """Add the z column and summarise it."""
    table = pd.DataFrame(rows, columns=["quantity", "prob", "exact", "mcmc", "mcse"])
    table["z"] = (table["mcmc"] - table["exact"]) / table["mcse"]
    max_abs_z = float(table["z"].abs().max())
    return ExactComparison(table, max_abs_z, bool(max_abs_z < z_max))


def _z_max(z_max) -> float:
    """Check the threshold on |z|."""
    if isinstance(z_max, bool) or not isinstance(z_max, numbers.Real) or not z_max > 0:
        raise ValueError(f"z_max must be a positive number, got {z_max!r}")
    return float(z_max)


def _element(posterior, label, group_var: str):
    """Return the posterior draws behind one row label of an exact quantile table."""
    if label in posterior.data_vars and posterior[label].ndim == 2:
        return posterior[label]
    if group_var not in posterior.data_vars:
        raise ValueError(f"exact row {label!r} is not a scalar variable of the posterior")
    values = posterior[group_var]
    (dim,) = [d for d in values.dims if d not in ("chain", "draw")]
    if label in values.coords[dim].to_index():
        return values.sel({dim: label})
    prefix = f"{group_var}["
    if isinstance(label, str) and label.startswith(prefix) and label.endswith("]"):
        return values.isel({dim: int(label[len(prefix) : -1])})
    raise ValueError(
        f"exact row {label!r} is neither a scalar variable of the posterior nor a "
        f"{dim!r} of {group_var!r} ({list(values.coords[dim].values)})"
    )


def compare_with_exact(
    idata, exact: pd.DataFrame, *, group_var: str = "theta", z_max: float = 4.0
) -> ExactComparison:
    r"""Check MCMC posterior quantiles against exact ones, in Monte Carlo standard errors.

    For every row of ``exact`` (a table of :func:`helpers.exact.posterior_quantiles`:
    one row per quantity, one column per probability :math:`p`) the MCMC
    estimate :math:`\hat q_p` of the same quantile, its Monte Carlo standard
    error (the quantile MCSE of Vehtari et al. 2021, which accounts for the
    autocorrelation of the chains) and the standardised discrepancy

    .. math:: z = \frac{\hat q_p - q_p}{\operatorname{MCSE}(\hat q_p)}

    are computed. A sampler that explores the posterior correctly gives
    :math:`z` roughly standard normal, so :math:`|z| \ge 4` in any of a few dozen
    comparisons is a strong sign of a biased fit (Talts et al. 2018 use the
    same idea for simulation-based calibration).

    Parameters
    ----------
    idata : xarray.DataTree or arviz.InferenceData
        The result of ``pm.sample``.
    exact : pandas.DataFrame
        Exact quantiles: rows named after scalar posterior variables
        (``"mu"``, ``"tau"``) or after the groups of ``group_var`` (its
        coordinate labels, as ``posterior_quantiles(..., names=...)`` gives,
        or ``"theta[j]"``); columns the probabilities.
    group_var : str, default "theta"
        The posterior variable with one value per group.
    z_max : float, default 4.0
        Threshold on :math:`|z|` for ``ok``.

    Returns
    -------
    ExactComparison
        ``table`` (``quantity``, ``prob``, ``exact``, ``mcmc``, ``mcse``,
        ``z``, one row per quantity and probability, in the order of
        ``exact``), ``max_abs_z`` and ``ok``.

    References
    ----------
    Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C.
    (2021). Rank-normalization, folding, and localization: an improved
    :math:`\widehat{R}` for assessing convergence of MCMC. *Bayesian Analysis*
    16(2), 667-718.

    Talts, S., Betancourt, M., Simpson, D., Vehtari, A. and Gelman, A. (2018).
    Validating Bayesian inference algorithms with simulation-based
    calibration. arXiv:1804.06788.
    """
    posterior, _ = _posterior(idata)
    posterior = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    if not isinstance(exact, pd.DataFrame) or exact.empty:
        raise TypeError(
            "exact must be a non-empty DataFrame of exact quantiles (rows: quantities, "
            f"columns: probabilities), got {type(exact).__name__}"
        )
    if not isinstance(group_var, str):
        raise TypeError(f"group_var must be a variable name (str), got {group_var!r}")
    z_max = _z_max(z_max)
    probs = [float(p) for p in exact.columns]
    if not all(0 < p < 1 for p in probs):
        raise ValueError(f"exact's columns must be probabilities in (0, 1), got {probs}")
    # every row's draws side by side, so that each probability takes one quantile
    # and one MCSE computation for all rows (the same numbers, row by row)
    draws = xr.concat(
        [
            xr.DataArray(_element(posterior, label, group_var).transpose("chain", "draw").values)
            for label in exact.index
        ],
        dim="row",
    ).rename({"dim_0": "chain", "dim_1": "draw"})
    mcmc = {p: draws.quantile(p, dim=("chain", "draw")).values for p in probs}
    mcse = {
        p: az.mcse(draws.to_dataset(name="x"), method="quantile", prob=p)["x"].values for p in probs
    }
    rows = [
        {
            "quantity": label,
            "prob": p,
            "exact": float(exact.loc[label, column]),
            "mcmc": float(mcmc[p][row]),
            "mcse": float(mcse[p][row]),
        }
        for row, label in enumerate(exact.index)
        for column, p in zip(exact.columns, probs, strict=True)
    ]
    return _result(rows, z_max)


def compare_with_exact_draws(mcmc, exact_draws, *, z_max: float = 4.0) -> ExactComparison:
    r"""Check MCMC posterior means against the means of independent exact draws.

    For a quantity whose exact posterior is known through independent draws
    :math:`x_1, \dots, x_n` (e.g. from :func:`helpers.exact.sample_posterior`)
    rather than in closed form, both means carry Monte Carlo error: the MCMC
    mean :math:`\bar x_{\text{MCMC}}` its MCSE (Vehtari et al. 2021) and the
    exact mean :math:`\bar x` the standard error :math:`\sqrt{s^2 / n}` of
    independent draws. Their difference in combined standard errors,

    .. math::
        z = \frac{\bar x_{\text{MCMC}} - \bar x}
                 {\sqrt{\operatorname{MCSE}(\bar x_{\text{MCMC}})^2 + s^2 / n}},

    is roughly standard normal when the sampler is right (:math:`s^2` with
    divisor :math:`n`).

    Parameters
    ----------
    mcmc : xarray.DataArray
        MCMC draws with dims ``chain``, ``draw`` and at most one more (one
        quantity per coordinate).
    exact_draws : array_like, shape (n,) or (n, K)
        Independent exact draws of the same quantities (``K`` = the size of
        the extra dimension), at least two.
    z_max : float, default 4.0
        Threshold on :math:`|z|` for ``ok``.

    Returns
    -------
    ExactComparison
        ``table`` (``quantity``, ``prob`` = NaN, ``exact``, ``mcmc``,
        ``mcse`` = the combined standard error, ``z``), ``max_abs_z`` and ``ok``.

    References
    ----------
    Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C.
    (2021). Rank-normalization, folding, and localization: an improved
    :math:`\widehat{R}` for assessing convergence of MCMC. *Bayesian Analysis*
    16(2), 667-718.
    """
    if not isinstance(mcmc, xr.DataArray) or not {"chain", "draw"} <= set(mcmc.dims):
        raise TypeError(
            "mcmc must be an xarray.DataArray with dims 'chain' and 'draw', "
            f"got {type(mcmc).__name__}"
        )
    extra = [d for d in mcmc.dims if d not in ("chain", "draw")]
    if len(extra) > 1:
        raise ValueError(f"mcmc must have at most one dim besides chain and draw, got {extra}")
    z_max = _z_max(z_max)
    mcmc = mcmc.transpose("chain", "draw", *extra)
    labels = list(mcmc.coords[extra[0]].values) if extra else [mcmc.name or "x"]
    exact_draws = as_float_array(exact_draws, "exact_draws")
    exact_draws = exact_draws.reshape(len(exact_draws), -1) if exact_draws.ndim else exact_draws
    if exact_draws.ndim != 2 or exact_draws.shape != (exact_draws.shape[0], len(labels)):
        raise ValueError(
            f"exact_draws must have shape (n,) or (n, {len(labels)}), got {exact_draws.shape}"
        )
    if exact_draws.shape[0] < 2:
        raise ValueError("exact_draws must hold at least 2 draws")
    mcse = np.atleast_1d(az.mcse(mcmc.to_dataset(name="x"))["x"].to_numpy())
    combined = np.sqrt(mcse**2 + exact_draws.var(axis=0) / len(exact_draws))
    means = np.atleast_1d(mcmc.to_numpy().mean(axis=(0, 1)))
    rows = [
        {"quantity": label, "prob": np.nan, "exact": e, "mcmc": m, "mcse": c}
        for label, e, m, c in zip(labels, exact_draws.mean(axis=0), means, combined, strict=True)
    ]
    return _result(rows, z_max)
