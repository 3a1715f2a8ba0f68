r"""PyMC models shared by the chapters.

:func:`hierarchical_normal` is the normal-normal hierarchical model of
Rubin's eight schools and of every meta-analysis in the course,

.. math::

    y_j \mid \theta_j \sim \mathcal{N}(\theta_j, \sigma_j^2), \qquad
    \theta_j \mid \mu, \tau \sim \mathcal{N}(\mu, \tau^2),

with known standard errors :math:`\sigma_j` and priors on :math:`\mu` and
:math:`\tau` chosen by the caller. :func:`hierarchical_binomial` puts the same
population model on the log odds ratios of two-arm conversion experiments and
replaces the normal likelihood by the exact binomial one of the counts.
:func:`sample_draws` refits a compiled model many times (a simulation study,
simulation-based calibration) and keeps only the draws it is asked for.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pymc as pm

from helpers._validation import estimates, group_coords, positive_int, two_arm_counts
from helpers.priors import TauPrior

__all__ = [
    "ALPHA_PRIORS",
    "MU_PRIORS",
    "TAU_PRIORS",
    "SampledDraws",
    "hierarchical_binomial",
    "hierarchical_normal",
    "sample_draws",
]

#: Distributions accepted for the prior on the population mean ``mu``.
MU_PRIORS = ("Normal", "StudentT", "Cauchy", "Uniform", "Flat")
#: Distributions accepted for the prior on the population sd ``tau`` (all on tau >= 0).
TAU_PRIORS = ("HalfNormal", "HalfCauchy", "HalfStudentT", "Exponential", "Uniform", "HalfFlat")
#: Distributions accepted for the prior on each group's baseline log-odds ``alpha``.
ALPHA_PRIORS = MU_PRIORS


def _prior(spec, name: str, allowed: Sequence[str], dims: str | None = None):
    """Create the PyMC random variable ``name`` from a ``(distribution, params)`` spec.

    With ``dims``, one independent draw per coordinate of that dimension. A
    prior object of :mod:`helpers.priors` stands for its ``spec``.
    """
    if isinstance(spec, TauPrior):
        spec = spec.spec
    if (
        not isinstance(spec, tuple)
        or len(spec) != 2
        or not isinstance(spec[0], str)
        or not isinstance(spec[1], Mapping)
    ):
        raise TypeError(
            f"{name}_prior must be a (distribution name, parameters dict) pair such as "
            f"('Normal', {{'mu': 0, 'sigma': 5}}), got {spec!r}"
        )
    dist, params = spec
    if dist not in allowed:
        raise ValueError(f"{name}_prior distribution must be one of {list(allowed)}, got {dist!r}")
    if name == "tau" and dist == "Uniform" and params.get("lower", 0) < 0:
        raise ValueError("tau_prior: a Uniform prior on tau needs lower >= 0")
    # Python ints become small integer constants (int8) in PyTensor, and a rewrite of the
    # Uniform log-density then overflows: pm.Uniform("mu", -100, 100) has a NaN logp in
    # PyMC 6.4 / PyTensor 3.3. Passing every number as a float avoids it.
    params = {
        key: float(value)
        if isinstance(value, numbers.Real) and not isinstance(value, bool)
        else value
        for key, value in params.items()
    }
    try:
        return getattr(pm, dist)(name, **params, dims=dims)
    except TypeError as err:
        raise TypeError(f"{name}_prior parameters {dict(params)} do not fit {dist}: {err}") from err


def hierarchical_normal(
    y,
    sigma,
    *,
    mu_prior: tuple,
    tau_prior: tuple,
    names: Sequence[str] | None = None,
    dim: str = "group",
    centered: bool = False,
    refit: bool = False,
) -> pm.Model:
    r"""Build the normal-normal hierarchical model for group estimates.

    Centered parameterisation: ``theta ~ Normal(mu, tau)`` directly.
    Non-centered: ``theta_tilde ~ Normal(0, 1)`` and the deterministic
    ``theta = mu + tau * theta_tilde``, the same joint model for
    :math:`(\mu, \tau, \theta)` written so that the sampler sees a geometry
    that does not narrow into a funnel as :math:`\tau \to 0`
    (Betancourt and Girolami 2015).

    Parameters
    ----------
    y : array_like, shape (J,)
        Group effect estimates.
    sigma : array_like, shape (J,)
        Their standard errors (known, strictly positive).
    mu_prior, tau_prior : tuple or helpers.priors.TauPrior
        ``(distribution, parameters)``, e.g. ``("Uniform", {"lower": -20, "upper": 20})``
        or ``("HalfNormal", {"sigma": 1})``; the distribution is a PyMC class name from
        :data:`MU_PRIORS` / :data:`TAU_PRIORS`. ``tau_prior`` may also be a prior
        object such as ``helpers.priors.HalfNormal(1.0)``, the one the exact
        posterior (:mod:`helpers.exact`) takes as ``log_tau_prior``.
    names : sequence of str, optional
        Group labels for the coordinate; default ``"0", "1", ...``.
    dim : str, default "group"
        Name of the group dimension (``"school"``, ``"segment"``, ``"market"``).
    centered : bool, default False
        Use the centered parameterisation.
    refit : bool, default False
        Hold the estimates in a data container ``pm.Data("y_obs", y)``, so that
        one compiled model serves many data sets of the same size:
        ``nutpie.compile_pymc_model(model).with_data(y_obs=new_y)``.

    Returns
    -------
    pymc.Model
        Free variables ``mu``, ``tau`` and ``theta`` (centered) or ``theta_tilde``
        (non-centered, with ``theta`` deterministic); observed ``y``.
    """
    y, sigma = estimates(y, sigma)
    coords = _coords(names, dim, len(y), centered)
    if not isinstance(refit, bool):
        raise TypeError(f"refit must be True or False, got {refit!r}")
    with pm.Model(coords=coords) as model:
        theta = _population(mu_prior, tau_prior, dim, centered)
        observed = pm.Data("y_obs", y, dims=dim) if refit else y
        pm.Normal("y", mu=theta, sigma=sigma, observed=observed, dims=dim)
    return model


def _coords(names, dim, n_groups: int, centered) -> dict:
    """Check the shared model options; return the coords ``{dim: names}``."""
    if not isinstance(centered, bool):
        raise TypeError(f"centered must be True or False, got {centered!r}")
    return group_coords(names, dim, n_groups)


def _population(mu_prior, tau_prior, dim: str, centered: bool):
    """Inside a model: ``mu``, ``tau`` and the group effects ``theta ~ N(mu, tau^2)``."""
    mu = _prior(mu_prior, "mu", MU_PRIORS)
    tau = _prior(tau_prior, "tau", TAU_PRIORS)
    if centered:
        return pm.Normal("theta", mu=mu, sigma=tau, dims=dim)
    theta_tilde = pm.Normal("theta_tilde", mu=0.0, sigma=1.0, dims=dim)
    return pm.Deterministic("theta", mu + tau * theta_tilde, dims=dim)


def hierarchical_binomial(
    n_control,
    y_control,
    n_treat,
    y_treat,
    *,
    mu_prior: tuple,
    tau_prior: tuple,
    alpha_prior: tuple,
    names: Sequence[str] | None = None,
    dim: str = "group",
    centered: bool = False,
) -> pm.Model:
    r"""Build the hierarchical model of log odds ratios for two-arm binomial counts.

    Group :math:`k` has :math:`n^C_k` control units of whom :math:`y^C_k`
    converted and :math:`n^T_k` treated units of whom :math:`y^T_k` converted.
    With baseline log-odds :math:`\alpha_k` and treatment effect
    :math:`\theta_k` on the log-odds scale (the group's log odds ratio),

    .. math::
        y^C_k \sim \mathrm{Binomial}\big(n^C_k, \operatorname{logit}^{-1}(\alpha_k)\big),
        \qquad
        y^T_k \sim \mathrm{Binomial}\big(n^T_k,
        \operatorname{logit}^{-1}(\alpha_k + \theta_k)\big),

    .. math::
        \theta_k \mid \mu, \tau \sim \mathcal{N}(\mu, \tau^2), \qquad
        \alpha_k \sim p(\alpha) \text{ independently}.

    The baselines are not pooled: each has its own prior and is informed by
    its own control arm, so the population model concerns the effects alone
    (as in the normal model of estimated log odds ratios, which it replaces
    by the exact likelihood). Non-centered, ``theta_tilde ~ Normal(0, 1)`` and
    ``theta = mu + tau * theta_tilde`` (see :func:`hierarchical_normal`).

    Parameters
    ----------
    n_control, y_control, n_treat, y_treat : array_like of int, shape (K,)
        Units and conversions in each arm of each group, :math:`K \ge 2`,
        :math:`n \ge 1` and :math:`0 \le y \le n`.
    mu_prior, tau_prior : tuple
        ``(distribution, parameters)`` priors of the population mean and sd of
        the log odds ratios, as in :func:`hierarchical_normal`.
    alpha_prior : tuple
        ``(distribution, parameters)`` prior of every baseline log-odds
        :math:`\alpha_k`, a distribution from :data:`ALPHA_PRIORS`, e.g.
        ``("Normal", {"mu": -2, "sigma": 1})``.
    names : sequence of str, optional
        Group labels for the coordinate; default ``"0", "1", ...``.
    dim : str, default "group"
        Name of the group dimension (e.g. ``"market"``).
    centered : bool, default False
        Use the centered parameterisation of :math:`\theta`.

    Returns
    -------
    pymc.Model
        Free variables ``alpha``, ``mu``, ``tau`` and ``theta_tilde``
        (non-centered; ``theta`` is deterministic) or ``theta`` (centered);
        deterministic conversion probabilities ``p_control`` and ``p_treat``;
        observed ``y_control`` and ``y_treat``.
    """
    n_control, y_control, n_treat, y_treat = two_arm_counts(
        n_control, y_control, n_treat, y_treat, min_length=2
    )
    coords = _coords(names, dim, len(n_control), centered)
    with pm.Model(coords=coords) as model:
        alpha = _prior(alpha_prior, "alpha", ALPHA_PRIORS, dims=dim)
        theta = _population(mu_prior, tau_prior, dim, centered)
        pm.Deterministic("p_control", pm.math.invlogit(alpha), dims=dim)
        pm.Deterministic("p_treat", pm.math.invlogit(alpha + theta), dims=dim)
        pm.Binomial("y_control", n=n_control, logit_p=alpha, observed=y_control, dims=dim)
        pm.Binomial("y_treat", n=n_treat, logit_p=alpha + theta, observed=y_treat, dims=dim)
    return model


class SampledDraws(NamedTuple):
    """Draws of a fit as NumPy arrays, and its number of divergent transitions.

    ``draws`` maps each requested variable to an array of shape
    ``(chains, draws, *variable shape)``; ``divergences`` counts the divergent
    transitions after tuning, over all chains.
    """

    draws: dict
    divergences: int


def sample_draws(
    compiled, var_names: Sequence[str], *, draws: int, tune: int, chains: int, seed: int
) -> SampledDraws:
    """Sample a compiled model with nutpie and return the kept draws as NumPy arrays.

    The same fit as ``nutpie.sample(compiled, draws=draws, tune=tune,
    chains=chains, seed=seed, progress_bar=False)``, draw for draw, without
    building its ``DataTree`` (tens of milliseconds, most of a small model's
    fit): for studies that refit one model hundreds of times and keep a few
    numbers of each fit. A fit a chapter reports is sampled with
    ``nutpie.sample`` and checked with :func:`helpers.diagnostics.check_sampling`.

    Parameters
    ----------
    compiled : nutpie compiled model
        From ``nutpie.compile_pymc_model``, e.g. with new data from ``with_data``.
    var_names : sequence of str
        Variables to keep (free or deterministic), e.g. ``["mu", "tau"]``.
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    seed : int
        Seed of the sampler.

    Returns
    -------
    SampledDraws
        ``draws`` (``{name: array (chains, draws, ...)}``) and ``divergences``.
    """
    import nutpie
    import pyarrow as pa

    if isinstance(var_names, str) or not isinstance(var_names, Sequence) or not var_names:
        raise TypeError(f"var_names must be a non-empty list of variable names, got {var_names!r}")
    draws, chains = positive_int(draws, "draws"), positive_int(chains, "chains")
    tune = positive_int(tune, "tune", minimum=0)
    seed = positive_int(seed, "seed", minimum=0)
    if not callable(getattr(compiled, "with_data", None)):
        raise TypeError(
            "compiled must be a model compiled by nutpie.compile_pymc_model, "
            f"got {type(compiled).__name__}"
        )
    trace = nutpie.sample(
        compiled,
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        progress_bar=False,
        return_raw_trace=True,
    )
    draw_batches, stat_batches = trace.get_arrow_trace()  # one record batch per chain
    available = draw_batches[0].schema.names
    unknown = [name for name in var_names if name not in available]
    if unknown:
        raise ValueError(f"var_names {unknown} are not variables of the model: {available}")
    kept = {}
    for name in var_names:
        per_chain = []
        for batch in draw_batches:
            column = pa.array(batch.column(name))
            values = column.flatten() if pa.types.is_large_list(column.type) else column
            per_chain.append(values.to_numpy().reshape(len(column), -1)[tune:])
        shape = tuple(compiled.shapes.get(name, ()))  # (chains, draws, *shape)
        kept[name] = np.stack(per_chain).reshape(chains, draws, *shape)
    divergences = sum(
        int(np.sum(np.asarray(stats.column("diverging"))[tune:])) for stats in stat_batches
    )
    return SampledDraws(kept, divergences)
