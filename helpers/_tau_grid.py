r"""The closed-form pieces of the normal hierarchical model and its grid over tau.

Private numerics behind :mod:`helpers.exact`: the conditional moments of
:math:`\mu \mid \tau, y` and :math:`\theta_j \mid \mu, \tau, y`, the log
marginal density of :math:`\tau`, the validated prior options, and the
discretisation of :math:`p(\tau \mid y)` on a grid. The formulas are stated in
the docstrings of the public functions of :mod:`helpers.exact`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np
from scipy import special

from helpers._validation import as_float_vector, as_scalar
from helpers.priors import Uniform

#: Number of nodes of the default grid over tau (see :func:`_default_grid`).
_N_GRID = 2001


class MuConditional(NamedTuple):
    r"""Mean and variance of :math:`\mu \mid \tau, y` (before any truncation)."""

    mean: np.ndarray
    var: np.ndarray


class ThetaConditional(NamedTuple):
    r"""Means, variances and shrinkage factors of :math:`\theta_j \mid \mu, \tau, y`."""

    mean: np.ndarray
    var: np.ndarray
    shrinkage: np.ndarray


class _Prior(NamedTuple):
    """Validated prior options."""

    mu_bounds: tuple[float, float] | None
    tau_max: float | None
    log_tau_prior: Callable | None
    #: (mean, sd) of a normal prior on mu; None for a flat (or bounded uniform) prior
    mu_normal: tuple[float, float] | None = None


class _Grid(NamedTuple):
    """A discretised p(tau | y) on nodes ``x`` of an integration variable.

    ``tau`` holds the matching tau values and ``to_tau`` maps x to tau;
    ``density`` is the normalised density with respect to x at the nodes,
    ``cdf`` its cumulative trapezoid-rule integral and ``log_norm`` the log of
    the integral of the unnormalised density.
    """

    x: np.ndarray
    tau: np.ndarray
    to_tau: Callable
    density: np.ndarray
    cdf: np.ndarray
    log_norm: float


def _check_mu_prior(mu_prior):
    """Validate ``mu_prior``; return ``(mu_bounds, mu_normal)`` it stands for.

    It is the ``(distribution, parameters)`` pair that
    :func:`helpers.models.hierarchical_normal` takes: ``("Flat", {})``,
    ``("Normal", {"mu": m, "sigma": s})`` or ``("Uniform", {"lower": L, "upper": H})``.
    """
    if (
        not isinstance(mu_prior, tuple)
        or len(mu_prior) != 2
        or not isinstance(mu_prior[0], str)
        or not isinstance(mu_prior[1], Mapping)
    ):
        raise TypeError(
            "mu_prior must be a (distribution name, parameters dict) pair such as "
            f"('Normal', {{'mu': 0.0, 'sigma': 1.0}}), got {mu_prior!r}"
        )
    dist, params = mu_prior
    expected = {"Flat": set(), "Normal": {"mu", "sigma"}, "Uniform": {"lower", "upper"}}
    if dist not in expected:
        raise ValueError(
            f"mu_prior distribution must be one of {list(expected)} for the exact posterior, "
            f"got {dist!r}"
        )
    if set(params) != expected[dist]:
        raise ValueError(
            f"mu_prior {dist} needs the parameters {sorted(expected[dist])}, got {sorted(params)}"
        )
    if dist == "Normal":
        mean = as_scalar(params["mu"], "mu_prior mu")
        sd = as_scalar(params["sigma"], "mu_prior sigma", low=0.0, low_open=True)
        return None, (mean, sd)
    if dist == "Uniform":
        return (params["lower"], params["upper"]), None
    return None, None


def _check_prior(mu_bounds, tau_max, log_tau_prior, mu_prior=None) -> _Prior:
    """Validate the keyword-only prior options."""
    mu_normal = None
    if mu_prior is not None:
        implied_bounds, mu_normal = _check_mu_prior(mu_prior)
        if implied_bounds is not None or mu_normal is not None:
            if mu_bounds is not None:
                raise ValueError(
                    "give either mu_bounds or mu_prior (a Normal or Uniform prior on mu), not both"
                )
            mu_bounds = implied_bounds
    if mu_bounds is not None:
        if isinstance(mu_bounds, str | bytes) or not hasattr(mu_bounds, "__len__"):
            raise TypeError(
                f"mu_bounds must be a (low, high) pair of numbers, got {type(mu_bounds).__name__}"
            )
        if len(mu_bounds) != 2:
            raise ValueError(f"mu_bounds must have exactly two values, got {len(mu_bounds)}")
        low = as_scalar(mu_bounds[0], "mu_bounds[0]")
        high = as_scalar(mu_bounds[1], "mu_bounds[1]")
        if not low < high:
            raise ValueError(f"mu_bounds must satisfy low < high, got ({low}, {high})")
        mu_bounds = (low, high)
    if tau_max is not None:
        tau_max = as_scalar(tau_max, "tau_max", low=0.0, low_open=True)
    if log_tau_prior is not None and not callable(log_tau_prior):
        raise TypeError(
            "log_tau_prior must be a helpers.priors object or a callable tau -> log p(tau), "
            f"got {type(log_tau_prior).__name__}"
        )
    if isinstance(log_tau_prior, Uniform):
        # flat on (0, upper): the grid ends at upper exactly, as with tau_max
        tau_max = log_tau_prior.upper if tau_max is None else min(tau_max, log_tau_prior.upper)
        log_tau_prior = None
    return _Prior(mu_bounds, tau_max, log_tau_prior, mu_normal)


def _check_proper(J: int, prior: _Prior) -> None:
    """Raise if the flat prior makes p(tau | y) improper.

    With p(tau) flat on the half-line and mu unbounded, p(tau | y) decays like
    tau^(1 - J) and integrates only for J >= 3.
    """
    flat = prior.log_tau_prior is None and prior.tau_max is None
    if flat and prior.mu_bounds is None and prior.mu_normal is None and J < 3:
        raise ValueError(
            f"with a flat prior on tau over (0, inf) and on mu, p(tau | y) is improper for "
            f"J = {J} groups (it needs J >= 3): give tau_max, mu_bounds or log_tau_prior"
        )


def _evaluate_log_prior(prior: _Prior, tau: np.ndarray) -> np.ndarray:
    """Log prior density of tau (up to a constant), checked, -inf outside (0, tau_max)."""
    if prior.log_tau_prior is None:
        out = np.zeros_like(tau)
    else:
        raw = prior.log_tau_prior(tau)
        try:
            out = np.broadcast_to(np.asarray(raw, dtype=float), tau.shape).copy()
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"log_tau_prior must return numbers of the same shape as tau {tau.shape}"
            ) from err
        if np.any(np.isnan(out)) or np.any(out == np.inf):
            raise ValueError("log_tau_prior returned NaN or +inf; it must return log densities")
    if prior.tau_max is not None:
        out[tau > prior.tau_max] = -np.inf
    return out


def _normal_mass(a, b):
    """Phi(b) - Phi(a) for a <= b, computed in the tail that keeps precision."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    upper = a > 0
    return np.where(upper, special.ndtr(-a) - special.ndtr(-b), special.ndtr(b) - special.ndtr(a))


def _log_normal_mass(a, b):
    """log(Phi(b) - Phi(a)) for a <= b, stable in both tails."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    flip = a > 0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    log_hi = special.log_ndtr(hi)
    with np.errstate(divide="ignore"):
        return log_hi + np.log1p(-np.exp(special.log_ndtr(lo) - log_hi))


def _mu_moments(tau: np.ndarray, y: np.ndarray, sigma: np.ndarray, mu_normal=None) -> MuConditional:
    """Unvalidated core of :func:`conditional_mu`; tau may hold +inf.

    With ``mu_normal = (m, s)``, the normal prior on mu enters as one more
    observation ``m`` whose variance ``s**2`` does not grow with tau.
    """
    if mu_normal is not None:
        m0, s0 = mu_normal
        t2 = np.asarray(tau, float)[..., None] ** 2
        w = 1.0 / (sigma**2 + t2)  # 0 at tau = inf
        total = w.sum(axis=-1) + s0**-2
        mean = ((w * y).sum(axis=-1) + m0 * s0**-2) / total
        return MuConditional(mean, 1.0 / total)
    s2 = sigma**2
    s2_min = s2.min(axis=-1, keepdims=True)  # per data set when y, sigma are (R, 1, J)
    t2 = np.asarray(tau, float)[..., None] ** 2
    # Weights relative to the most precise group: 1 at tau = inf, s2_min / s2 at tau = 0.
    with np.errstate(over="ignore"):
        rel = 1.0 / (1.0 + (s2 - s2_min) / (s2_min + t2))
        total = rel.sum(axis=-1)
        mean = (rel * y).sum(axis=-1) / total
        var = (s2_min[..., 0] + t2[..., 0]) / total
    return MuConditional(mean, var)


def _theta_moments(mu, tau, y, sigma) -> ThetaConditional:
    """Unvalidated core of :func:`conditional_theta`; tau may hold +inf."""
    s2 = sigma**2
    t2 = np.asarray(tau, float)[..., None] ** 2
    mu = np.asarray(mu, float)[..., None]
    with np.errstate(divide="ignore", over="ignore"):
        shrink = 1.0 / (1.0 + t2 / s2)  # B_j = sigma_j^2 / (sigma_j^2 + tau^2)
        keep = 1.0 / (1.0 + s2 / t2)  # 1 - B_j, accurate at both ends
    mean = y + shrink * (mu - y)
    var = s2 * keep
    mean, var, shrink = np.broadcast_arrays(mean, var, shrink)
    return ThetaConditional(mean, var.copy(), shrink.copy())


def _log_tau_density(tau: np.ndarray, y, sigma, prior: _Prior) -> np.ndarray:
    """Unvalidated core of :func:`log_tau_posterior` (finite tau >= 0)."""
    mean, var = _mu_moments(tau, y, sigma, prior.mu_normal)
    total = sigma**2 + np.asarray(tau, float)[..., None] ** 2
    out = (
        0.5 * np.log(var)
        - 0.5 * np.log(total).sum(axis=-1)
        - 0.5 * ((y - mean[..., None]) ** 2 / total).sum(axis=-1)
    )
    if prior.mu_normal is not None:  # the prior's own residual: one more observation
        m0, s0 = prior.mu_normal
        out = out - 0.5 * (m0 - mean) ** 2 / s0**2
    if prior.mu_bounds is not None:
        low, high = prior.mu_bounds
        sd = np.sqrt(var)
        out = out + _log_normal_mass((low - mean) / sd, (high - mean) / sd)
    return out + _evaluate_log_prior(prior, np.asarray(tau, float))


# --------------------------------------------------------------------------
# Discretising p(tau | y)
# --------------------------------------------------------------------------


def _discretise(x, tau, to_tau, log_f) -> _Grid:
    """Normalise a density known at nodes ``x`` by the trapezoid rule.

    ``log_f`` is the log density with respect to the integration variable
    ``x`` (tau itself, or a transform of it).
    """
    top = np.max(log_f)
    if not np.isfinite(top):
        raise ValueError("p(tau | y) is zero on every grid point: check the grid and the prior")
    f = np.exp(log_f - top)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(x))])
    total = cdf[-1]
    return _Grid(x, tau, to_tau, f / total, cdf / total, float(top + np.log(total)))


def _default_grid(y, sigma, prior: _Prior, n: int | None = None) -> _Grid:
    r"""Discretise p(tau | y) on a transformed grid covering its whole support.

    With the scale :math:`c = \sqrt{\operatorname{var}(y) + \overline{\sigma^2}}`,
    :math:`\tau = c\,[u / (1 - u)]^2` maps :math:`u \in [0, 1]` onto
    :math:`[0, \infty]`. The grid is uniform in :math:`u` from 0 to 1 (or to
    the :math:`u` of ``tau_max``), where the density of :math:`u` is
    :math:`p(\tau \mid y)\, d\tau/du` with
    :math:`d\tau/du = 2c\, u / (1 - u)^3`. Whenever p(tau | y) is proper with
    a tail no heavier than :math:`\tau^{-2}` (any J >= 3 under the flat
    prior), that density vanishes at :math:`u = 1`, so the grid holds the
    whole posterior mass, however heavy its tail in :math:`\tau`.
    """
    _check_proper(len(y), prior)
    n = _N_GRID if n is None else n
    c = np.sqrt(np.var(y) + np.mean(sigma**2))

    def to_tau(u):
        with np.errstate(divide="ignore"):
            return c * (u / (1.0 - u)) ** 2

    u_max = 1.0 if prior.tau_max is None else 1.0 / (1.0 + np.sqrt(c / prior.tau_max))
    u = np.linspace(0.0, u_max, n)
    tau = to_tau(u)
    log_f = np.full(n, -np.inf)
    inner = slice(1, n if prior.tau_max is not None else n - 1)  # dtau/du = 0 at u = 0
    if prior.tau_max is not None:
        tau[-1] = prior.tau_max  # exactly, despite rounding
    log_f[inner] = (
        _log_tau_density(tau[inner], y, sigma, prior)
        + np.log(2.0 * c * u[inner])
        - 3.0 * np.log1p(-u[inner])
    )
    return _discretise(u, tau, to_tau, log_f)


def _user_grid(tau_grid, y, sigma, prior: _Prior) -> _Grid:
    """Validate a user's grid over tau and discretise p(tau | y) on it."""
    tau_grid = as_float_vector(tau_grid, "tau_grid", min_length=2)
    if np.any(tau_grid < 0):
        raise ValueError("tau_grid must be non-negative")
    if np.any(np.diff(tau_grid) <= 0):
        raise ValueError("tau_grid must be strictly increasing")
    if prior.tau_max is not None and tau_grid[-1] > prior.tau_max:
        raise ValueError(
            f"tau_grid must lie within [0, tau_max] = [0, {prior.tau_max}], "
            f"got a largest value of {tau_grid[-1]}"
        )
    log_f = _log_tau_density(tau_grid, y, sigma, prior)
    return _discretise(tau_grid, tau_grid, lambda x: x, log_f)
