r"""PyMC models shared by the chapters.

:func:`hierarchical_normal` is the normal-normal hierarchical model of
Rubin's eight schools and of every meta-analysis in the course,

.. math::

    y_j \mid \theta_j \sim \mathcal{N}(\theta_j, \sigma_j^2), \qquad
    \theta_j \mid \mu, \tau \sim \mathcal{N}(\mu, \tau^2),

with known standard errors :math:`\sigma_j` and priors on :math:`\mu` and
:math:`\tau` chosen by the caller.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import pymc as pm

from helpers._validation import as_float_vector, as_positive_vector, same_length

__all__ = ["MU_PRIORS", "TAU_PRIORS", "hierarchical_normal"]

#: Distributions accepted for the prior on the population mean ``mu``.
MU_PRIORS = ("Normal", "StudentT", "Cauchy", "Uniform", "Flat")
#: Distributions accepted for the prior on the population sd ``tau`` (all on tau >= 0).
TAU_PRIORS = ("HalfNormal", "HalfCauchy", "HalfStudentT", "Exponential", "Uniform", "HalfFlat")


def _prior(spec, name: str, allowed: Sequence[str]):
    """Create the PyMC random variable ``name`` from a ``(distribution, params)`` spec."""
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
        return getattr(pm, dist)(name, **params)
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
    mu_prior, tau_prior : tuple
        ``(distribution, parameters)``, e.g. ``("Uniform", {"lower": -20, "upper": 20})``
        or ``("HalfNormal", {"sigma": 1})``; the distribution is a PyMC class name from
        :data:`MU_PRIORS` / :data:`TAU_PRIORS`.
    names : sequence of str, optional
        Group labels for the coordinate; default ``"0", "1", ...``.
    dim : str, default "group"
        Name of the group dimension (``"school"``, ``"segment"``, ``"market"``).
    centered : bool, default False
        Use the centered parameterisation.

    Returns
    -------
    pymc.Model
        Free variables ``mu``, ``tau`` and ``theta`` (centered) or ``theta_tilde``
        (non-centered, with ``theta`` deterministic); observed ``y``.
    """
    y = as_float_vector(y, "y", min_length=2)
    sigma = as_positive_vector(sigma, "sigma", min_length=2)
    same_length(y=y, sigma=sigma)
    if not isinstance(centered, bool):
        raise TypeError(f"centered must be True or False, got {centered!r}")
    if not isinstance(dim, str) or not dim.isidentifier():
        raise ValueError(f"dim must be a name such as 'school', got {dim!r}")
    if names is None:
        names = [str(j) for j in range(len(y))]
    names = list(names)
    if len(names) != len(y):
        raise ValueError(f"names must have one label per group ({len(y)}), got {len(names)}")
    if len(set(names)) != len(names):
        raise ValueError("names must be unique")

    with pm.Model(coords={dim: names}) as model:
        mu = _prior(mu_prior, "mu", MU_PRIORS)
        tau = _prior(tau_prior, "tau", TAU_PRIORS)
        if centered:
            theta = pm.Normal("theta", mu=mu, sigma=tau, dims=dim)
        else:
            theta_tilde = pm.Normal("theta_tilde", mu=0.0, sigma=1.0, dims=dim)
            theta = pm.Deterministic("theta", mu + tau * theta_tilde, dims=dim)
        pm.Normal("y", mu=theta, sigma=sigma, observed=y, dims=dim)
    return model
