r"""The exact posterior of the normal hierarchical model (the eight schools).

The model, for groups :math:`j = 1, \dots, J` with known standard errors
:math:`\sigma_j`, is

.. math::

    y_j \mid \theta_j \sim N(\theta_j, \sigma_j^2), \qquad
    \theta_j \mid \mu, \tau \sim N(\mu, \tau^2), \qquad
    p(\mu, \tau) \propto p(\tau)\, \mathbf{1}\{L < \mu < H\},

by default with :math:`p(\tau) \propto 1` on :math:`\tau \ge 0` and no bounds
on :math:`\mu` (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §5.4). Its
posterior factorises as

.. math::

    p(\theta, \mu, \tau \mid y)
    = p(\theta \mid \mu, \tau, y)\, p(\mu \mid \tau, y)\, p(\tau \mid y),

where the first two factors are (truncated) normal distributions in closed
form and the last is one-dimensional. This module evaluates the three factors
(:func:`conditional_theta`, :func:`conditional_mu`, :func:`log_tau_posterior`),
draws from the joint posterior by the inverse-CDF method on a grid of
:math:`\tau` (:func:`sample_posterior`), and computes posterior quantiles by
numerical integration over :math:`\tau`, with no Monte Carlo error
(:func:`posterior_quantiles`, and :func:`posterior_quantiles_batch` for many
data sets at once, as in a simulation study).

Prior options, keyword-only and shared by the functions that depend on the
prior:

``mu_bounds=(low, high)``
    a uniform prior on :math:`\mu` over that interval instead of the flat
    prior on the whole line (PyMC's ``pm.Uniform("mu", low, high)``);
``tau_max``
    a uniform prior on :math:`\tau` over :math:`(0, \tau_{\max})` instead of
    the whole half-line (``pm.Uniform("tau", 0, tau_max)``);
``log_tau_prior``
    a callable returning :math:`\log p(\tau)` up to a constant, e.g.
    ``lambda tau: scipy.stats.halfcauchy.logpdf(tau, scale=5)``; it is
    multiplied with the indicator of ``tau_max`` if both are given.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from scipy import special, stats

from helpers._validation import (
    as_float_array,
    as_float_vector,
    as_positive_vector,
    as_scalar,
    same_length,
)

__all__ = [
    "MuConditional",
    "ThetaConditional",
    "conditional_mu",
    "conditional_theta",
    "log_tau_posterior",
    "loo_log_predictive",
    "posterior_quantiles",
    "posterior_quantiles_batch",
    "sample_posterior",
]

#: Number of nodes of the default grid over tau (see :func:`_default_grid`).
_N_GRID = 2001
#: posterior_quantiles mixes over every _STRIDE-th node of that grid (201 nodes).
_STRIDE = 10
#: posterior_quantiles_batch works through the data sets in blocks of this many.
_BATCH = 128
#: Nodes whose share of the posterior mass is below this are skipped when
#: mixing over tau; the mass they hold is far below the accuracy reported.
_NEGLIGIBLE = 1e-14


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


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _check_data(y, sigma) -> tuple[np.ndarray, np.ndarray]:
    """Validate the estimates and their standard errors."""
    y = as_float_vector(y, "y", min_length=2)
    sigma = as_positive_vector(sigma, "sigma", min_length=2)
    same_length(y=y, sigma=sigma)
    return y, sigma


def _check_batch(y, sigma) -> tuple[np.ndarray, np.ndarray]:
    """Validate R data sets: y of shape (R, J) and sigma of shape (R, J) or (J,)."""
    y = as_float_array(y, "y")
    sigma = as_float_array(sigma, "sigma")
    if y.ndim != 2:
        raise ValueError(f"y must be two-dimensional (data sets x groups), got shape {y.shape}")
    if y.shape[0] < 1 or y.shape[1] < 2:
        raise ValueError(f"y must hold at least one data set of at least 2 groups, got {y.shape}")
    if sigma.ndim == 1:
        sigma = np.broadcast_to(sigma, y.shape) if sigma.shape == y.shape[1:] else sigma
    if sigma.shape != y.shape:
        raise ValueError(
            f"sigma must have the shape of y {y.shape} or one row of {y.shape[1]} values, "
            f"got shape {sigma.shape}"
        )
    if np.any(sigma <= 0):
        raise ValueError("sigma must be strictly positive")
    return y, sigma


def _check_probs(probs) -> np.ndarray:
    """Validate probabilities strictly between 0 and 1 (a number or a vector)."""
    probs = as_float_vector([probs] if isinstance(probs, numbers.Real) else probs, "probs")
    if np.any((probs <= 0) | (probs >= 1)):
        raise ValueError("probs must lie strictly between 0 and 1")
    return probs


def _check_tau(tau, *, allow_inf: bool) -> np.ndarray:
    """Validate values of tau: numbers >= 0 of any shape (infinity if allowed)."""
    tau = as_float_array(tau, "tau", allow_inf=allow_inf)
    if np.any(tau < 0):
        raise ValueError("tau must be non-negative (it is a standard deviation)")
    return tau


def _check_prior(mu_bounds, tau_max, log_tau_prior) -> _Prior:
    """Validate the keyword-only prior options."""
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
            "log_tau_prior must be a callable tau -> log p(tau), "
            f"got {type(log_tau_prior).__name__}"
        )
    return _Prior(mu_bounds, tau_max, log_tau_prior)


def _check_proper(J: int, prior: _Prior) -> None:
    """Raise if the flat prior makes p(tau | y) improper.

    With p(tau) flat on the half-line and mu unbounded, p(tau | y) decays like
    tau^(1 - J) and integrates only for J >= 3.
    """
    flat = prior.log_tau_prior is None and prior.tau_max is None
    if flat and prior.mu_bounds is None and J < 3:
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


# --------------------------------------------------------------------------
# Closed-form pieces
# --------------------------------------------------------------------------


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


def _mu_moments(tau: np.ndarray, y: np.ndarray, sigma: np.ndarray) -> MuConditional:
    """Unvalidated core of :func:`conditional_mu`; tau may hold +inf."""
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
    mean, var = _mu_moments(tau, y, sigma)
    total = sigma**2 + np.asarray(tau, float)[..., None] ** 2
    out = (
        0.5 * np.log(var)
        - 0.5 * np.log(total).sum(axis=-1)
        - 0.5 * ((y - mean[..., None]) ** 2 / total).sum(axis=-1)
    )
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


def _simpson_nodes(grid: _Grid, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and Simpson's-rule weights (summing to 1) on every ``stride``-th grid point.

    The grid must be uniform in x with ``(len(x) - 1) / stride`` even.
    """
    x, f, tau = grid.x[::stride], grid.density[::stride], grid.tau[::stride]
    rule = np.ones_like(x)
    rule[1:-1:2], rule[2:-1:2] = 4.0, 2.0
    weight = f * rule
    return tau, weight / weight.sum()


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


# --------------------------------------------------------------------------
# Mixture CDFs and their inversion
# --------------------------------------------------------------------------


def _bvn_cdf(h, k, rho, sqrt_1m_rho2):
    r"""Bivariate standard normal CDF :math:`P(X \le h, Y \le k)`, corr(X, Y) = rho.

    Owen's (1956) formula in terms of his T function,
    :math:`\Phi_2 = \tfrac12\Phi(h) + \tfrac12\Phi(k) - T(h, a_h) - T(k, a_k) - \beta`
    with :math:`a_h = (k - \rho h) / (h \sqrt{1 - \rho^2})`, :math:`a_k` likewise
    and :math:`\beta = \tfrac12` when :math:`h k < 0`, else 0. ``sqrt_1m_rho2``
    is passed in so it keeps full precision as rho -> 1. A zero h or k is
    moved to +1e-300: the formula is continuous there, but not defined.
    """
    h = np.where(h == 0, 1e-300, h)
    k = np.where(k == 0, 1e-300, k)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        a_h = (k - rho * h) / (h * sqrt_1m_rho2)
        a_k = (h - rho * k) / (k * sqrt_1m_rho2)
    a_h = np.nan_to_num(a_h, nan=0.0)
    a_k = np.nan_to_num(a_k, nan=0.0)
    beta = np.where(h * k < 0, 0.5, 0.0)
    out = (
        0.5 * special.ndtr(h)
        + 0.5 * special.ndtr(k)
        - special.owens_t(h, a_h)
        - special.owens_t(k, a_k)
        - beta
    )
    return np.clip(out, 0.0, 1.0)


def _normal_mixture(mean, sd, weight):
    """CDF and density of sum_k weight_k N(mean_k, sd_k^2); arrays (R, K).

    ``weight`` has shape (K,) (shared by every row) or (R, K).
    """
    weight = np.broadcast_to(weight, mean.shape)[:, None, :]
    mean, sd = mean[:, None, :], sd[:, None, :]

    def cdf_pdf(t, rows):
        w, mean_, sd_ = weight[rows], mean[rows], sd[rows]
        z = (t[..., None] - mean_) / sd_
        cdf = (w * special.ndtr(z)).sum(axis=-1)
        pdf = (w * np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sd_)).sum(axis=-1)
        return cdf, pdf

    return cdf_pdf


def _truncated_mixture(mean, sd, weight, low, high):
    """CDF and density of a mixture of normals N(mean_k, sd_k^2) truncated to (low, high).

    Arrays (R, K); ``weight`` has shape (K,) or (R, K).
    """
    weight = np.broadcast_to(weight, mean.shape)[:, None, :]
    mean, sd = mean[:, None, :], sd[:, None, :]
    a, b = (low - mean) / sd, (high - mean) / sd
    mass = _normal_mass(a, b)

    def cdf_pdf(t, rows):
        w, mean_, sd_, a_, mass_ = weight[rows], mean[rows], sd[rows], a[rows], mass[rows]
        z = np.clip((t[..., None] - mean_) / sd_, a_, b[rows])
        inside = (t[..., None] > low) & (t[..., None] < high)
        cdf = (w * _normal_mass(a_, z) / mass_).sum(axis=-1)
        dens = np.where(inside, np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sd_ * mass_), 0.0)
        return cdf, (w * dens).sum(axis=-1)

    return cdf_pdf


def _shifted_truncated_mixture(centre, shrink, v, m, s, weight, low, high):
    r"""CDF and density of theta_j when mu | tau, y is a truncated normal.

    Given tau, :math:`\theta_j = a + B\mu + \sqrt{V} Z` with
    :math:`\mu \sim N(m, s^2)` truncated to :math:`(L, H)` and Z standard
    normal; :math:`(\theta_j, \mu)` are jointly normal before truncation with
    :math:`\operatorname{var}\theta_j = B^2 s^2 + V` and correlation
    :math:`\rho = B s / \sqrt{B^2 s^2 + V}`, so
    :math:`P(\theta_j \le t \mid \tau, y) = [\Phi_2(h_t, h_H; \rho) - \Phi_2(h_t, h_L; \rho)]
    / [\Phi(h_H) - \Phi(h_L)]` in standardised units.

    Every argument but the bounds is an array (R, K), one row per
    :math:`\theta_j` and one column per node: ``centre`` is
    :math:`a + Bm` (the conditional mean at :math:`\mu = m`), ``shrink`` is
    :math:`B`, ``v`` is :math:`V`, and ``m``, ``s`` are the mean and sd of
    :math:`\mu \mid \tau, y`; ``weight`` may also have shape (K,).
    """
    weight = np.broadcast_to(weight, centre.shape)[:, None, :]
    centre, shrink, v = centre[:, None, :], shrink[:, None, :], v[:, None, :]
    m, s = m[:, None, :], s[:, None, :]
    var_x = shrink**2 * s**2 + v
    sd_x = np.sqrt(var_x)
    rho = shrink * s / sd_x
    sqrt_1m = np.sqrt(v / var_x)
    h_low, h_high = (low - m) / s, (high - m) / s
    mass = _normal_mass(h_low, h_high)

    def cdf_pdf(t, rows):
        rho_, sq_, hl_, hh_, mass_ = rho[rows], sqrt_1m[rows], h_low[rows], h_high[rows], mass[rows]
        h = (t[..., None] - centre[rows]) / sd_x[rows]
        joint = _bvn_cdf(h, hh_, rho_, sq_) - _bvn_cdf(h, hl_, rho_, sq_)
        cdf = (weight[rows] * np.clip(joint, 0.0, None) / mass_).sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = _normal_mass((hl_ - rho_ * h) / sq_, (hh_ - rho_ * h) / sq_)
        cond = np.nan_to_num(cond, nan=0.0)
        dens = np.exp(-0.5 * h**2) / (np.sqrt(2 * np.pi) * sd_x[rows]) * cond / mass_
        return cdf, (weight[rows] * dens).sum(axis=-1)

    return cdf_pdf


def _invert(cdf_pdf, p, lo, hi, x0, *, tol=1e-8, max_iter=200):
    """Solve cdf(x) = p elementwise by Newton steps kept inside a bracket.

    ``p`` has shape (P,); ``lo``, ``hi`` and ``x0`` have shape (R, P) with
    cdf(lo) <= p <= cdf(hi). ``cdf_pdf(t, rows)`` evaluates the CDFs and
    densities of the rows ``rows`` (an index array) at ``t`` of shape
    (len(rows), P). Every evaluation shrinks the bracket; a Newton step that
    would leave it is replaced by a false-position step between the bracket
    ends (once the CDF is known at both) or by bisection, so the iteration
    always converges, and fast even where Newton overshoots. A row leaves the
    iteration once all its P roots have converged.
    """
    lo, hi = np.array(lo, float), np.array(hi, float)
    g_lo, g_hi = np.full(lo.shape, np.nan), np.full(hi.shape, np.nan)  # cdf - p at the ends
    x = np.clip(x0, lo, hi)
    rows = np.arange(x.shape[0])
    for _ in range(max_iter):
        x_, lo_, hi_, gl_, gh_ = x[rows], lo[rows], hi[rows], g_lo[rows], g_hi[rows]
        cdf, pdf = cdf_pdf(x_, rows)
        g = cdf - p
        below = g < 0
        lo_, gl_ = np.where(below, x_, lo_), np.where(below, g, gl_)
        hi_, gh_ = np.where(below, hi_, x_), np.where(below, gh_, g)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = x_ - g / pdf
            secant = lo_ - gl_ * (hi_ - lo_) / (gh_ - gl_)
        fallback = np.where(
            np.isfinite(secant) & (secant > lo_) & (secant < hi_), secant, 0.5 * (lo_ + hi_)
        )
        bad = ~np.isfinite(step) | (step < lo_) | (step > hi_)
        new = np.where(bad, fallback, step)
        scale = tol * (1.0 + np.abs(x_))
        done = (np.abs(new - x_) <= scale) | (hi_ - lo_ <= scale)
        x[rows], lo[rows], hi[rows], g_lo[rows], g_hi[rows] = new, lo_, hi_, gl_, gh_
        rows = rows[~done.all(axis=1)]
        if rows.size == 0:
            return x
    raise RuntimeError("the root-finder did not converge")  # pragma: no cover


# --------------------------------------------------------------------------
# Quantiles by mixing over tau, for a batch of data sets
# --------------------------------------------------------------------------


def _mixing_nodes(y, sigma, prior: _Prior, probs):
    """Quantiles of tau, and nodes and weights that mix over tau, for data sets (R, J).

    The grid of :func:`_default_grid` and the Simpson rule of
    :func:`_simpson_nodes`, computed for all data sets at once: returns the
    tau quantiles (R, P), the nodes (R, K) and weights (R, K) summing to 1 in
    every row. Nodes holding a negligible share of the mass get weight 0
    and take the value of the row's heaviest node, so every data set has the
    same number of nodes and no node adds a component that is not finite.
    """
    n_sets, n_groups = y.shape
    _check_proper(n_groups, prior)
    n = _N_GRID
    c = np.sqrt(np.var(y, axis=1) + np.mean(sigma**2, axis=1))[:, None]  # (R, 1)
    if prior.tau_max is None:
        u_max = np.ones(n_sets)
    else:
        u_max = 1.0 / (1.0 + np.sqrt(c[:, 0] / prior.tau_max))
    u = np.linspace(0.0, u_max, n, axis=-1)  # (R, n), uniform in u as in _default_grid

    def to_tau(x):
        with np.errstate(divide="ignore"):
            return c * (x / (1.0 - x)) ** 2

    tau = to_tau(u)
    inner = slice(1, n if prior.tau_max is not None else n - 1)  # dtau/du = 0 at u = 0
    if prior.tau_max is not None:
        tau[:, -1] = prior.tau_max  # exactly, despite rounding
    log_f = np.full((n_sets, n), -np.inf)
    u_in = u[:, inner]
    log_f[:, inner] = (
        _log_tau_density(tau[:, inner], y[:, None, :], sigma[:, None, :], prior)
        + np.log(2.0 * c * u_in)
        - 3.0 * np.log1p(-u_in)
    )
    top = log_f.max(axis=1, keepdims=True)
    if not np.all(np.isfinite(top)):
        raise ValueError("p(tau | y) is zero on every grid point: check the grid and the prior")
    f = np.exp(log_f - top)
    cdf = np.cumsum(0.5 * (f[:, 1:] + f[:, :-1]) * np.diff(u, axis=1), axis=1)
    cdf = np.concatenate([np.zeros((n_sets, 1)), cdf / cdf[:, -1:]], axis=1)
    tau_q = to_tau(
        np.array([np.interp(probs, cdf_r, u_r) for cdf_r, u_r in zip(cdf, u, strict=True)])
    )

    nodes, weight = tau[:, ::_STRIDE], f[:, ::_STRIDE].copy()
    weight[:, 1:-1:2] *= 4.0
    weight[:, 2:-1:2] *= 2.0
    keep = weight > _NEGLIGIBLE * weight.max(axis=1, keepdims=True)
    heaviest = nodes[np.arange(n_sets), weight.argmax(axis=1)][:, None]
    nodes = np.where(keep, nodes, heaviest)
    weight = np.where(keep, weight, 0.0)
    return tau_q, nodes, weight / weight.sum(axis=1, keepdims=True)


def _batch_quantiles(y, sigma, probs, prior: _Prior):
    """Quantiles of mu (R, P), tau (R, P) and theta (R, J, P) for data sets y, sigma (R, J)."""
    n_sets, n_groups = y.shape
    tau_q, nodes, weight = _mixing_nodes(y, sigma, prior, probs)  # (R, P), (R, K), (R, K)
    mu = _mu_moments(nodes, y[:, None, :], sigma[:, None, :])  # (R, K)
    theta = _theta_moments(mu.mean, nodes, y[:, None, :], sigma[:, None, :])  # (R, K, J)
    m, v_mu = mu.mean, mu.var
    # theta's moments at mu = mu-hat, as (R, J, K)
    t_mean, t_var, t_shrink = (a.transpose(0, 2, 1) for a in theta)
    n_nodes = weight.shape[1]
    z = special.ndtri(probs)

    def start(mean, var, w):
        """Start (rows, P) at the quantiles of a normal with the mixture's mean and variance."""
        centre = (w * mean).sum(axis=-1)
        spread = np.sqrt((w * (var + (mean - centre[:, None]) ** 2)).sum(axis=-1))
        return centre[:, None] + spread[:, None] * z

    # theta_j's variance given tau, after mu | tau, y is integrated out
    theta_var = t_var + t_shrink**2 * v_mu[:, None, :]
    rows_w = np.repeat(weight, n_groups, axis=0)  # one row per (data set, group)
    rows = (n_sets * n_groups, n_nodes)
    if prior.mu_bounds is None:
        # Given tau, mu and each theta_j are normal; the p-quantile of a mixture lies
        # between the smallest and largest p-quantiles of its components.
        means = np.concatenate([m[:, None, :], t_mean], axis=1).reshape(-1, n_nodes)
        variances = np.concatenate([v_mu[:, None, :], theta_var], axis=1).reshape(-1, n_nodes)
        sds = np.sqrt(variances)
        w_all = np.repeat(weight, 1 + n_groups, axis=0)
        component_q = means[:, None, :] + sds[:, None, :] * z[None, :, None]
        q = _invert(
            _normal_mixture(means, sds, w_all),
            probs,
            component_q.min(axis=-1),
            component_q.max(axis=-1),
            start(means, variances, w_all),
        ).reshape(n_sets, 1 + n_groups, len(probs))
        mu_q, theta_q = q[:, 0], q[:, 1:]
    else:
        low, high = prior.mu_bounds
        edges = np.ones((n_sets, len(probs)))
        mu_q = _invert(
            _truncated_mixture(m, np.sqrt(v_mu), weight, low, high),
            probs,
            low * edges,
            high * edges,
            start(m, v_mu, weight),
        )
        # theta_j = (1 - B) y_j + B mu + sqrt(V) Z with L < mu < H brackets its quantiles.
        shrink = t_shrink.reshape(rows)
        base = ((1.0 - t_shrink) * y[..., None]).reshape(rows)
        spread = np.sqrt(t_var.reshape(rows))[..., None] * z  # (rows, K, P)
        lo = (base + shrink * low)[..., None] + spread
        hi = (base + shrink * high)[..., None] + spread
        m_rows = np.repeat(m, n_groups, axis=0)
        s_rows = np.repeat(np.sqrt(v_mu), n_groups, axis=0)
        theta_q = _invert(
            _shifted_truncated_mixture(
                t_mean.reshape(rows), shrink, t_var.reshape(rows), m_rows, s_rows, rows_w, low, high
            ),
            probs,
            lo.min(axis=1),
            hi.max(axis=1),
            start(t_mean.reshape(rows), theta_var.reshape(rows), rows_w),
        ).reshape(n_sets, n_groups, len(probs))
    return mu_q, tau_q, theta_q


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def conditional_mu(tau, y, sigma) -> MuConditional:
    r"""Mean and variance of :math:`\mu` given :math:`\tau` and the data.

    Integrating the :math:`\theta_j` out leaves
    :math:`y_j \mid \mu, \tau \sim N(\mu, \sigma_j^2 + \tau^2)`, so with a flat
    prior on :math:`\mu`, :math:`\mu \mid \tau, y \sim N(\hat\mu, V_\mu)` with the
    precision-weighted mean and variance

    .. math::

        \hat\mu(\tau) = \frac{\sum_j y_j / (\sigma_j^2 + \tau^2)}
                             {\sum_j 1 / (\sigma_j^2 + \tau^2)},
        \qquad
        V_\mu(\tau) = \Bigl[\sum_j \frac{1}{\sigma_j^2 + \tau^2}\Bigr]^{-1}.

    At :math:`\tau = 0` this is the complete-pooling estimate; as
    :math:`\tau \to \infty` the weights become equal, :math:`\hat\mu \to \bar y`
    and :math:`V_\mu \to \infty`. Under a uniform prior on
    :math:`\mu \in (L, H)` (``mu_bounds`` elsewhere in this module)
    :math:`\mu \mid \tau, y` is this normal truncated to :math:`(L, H)`.

    Parameters
    ----------
    tau : float or array_like
        Values of :math:`\tau \ge 0`, any shape; ``numpy.inf`` gives the limit.
    y : array_like
        The :math:`J \ge 2` estimates :math:`y_j`.
    sigma : array_like
        Their standard errors :math:`\sigma_j > 0`.

    Returns
    -------
    MuConditional
        ``mean`` (:math:`\hat\mu`) and ``var`` (:math:`V_\mu`), each of
        ``tau``'s shape.
    """
    y, sigma = _check_data(y, sigma)
    tau = _check_tau(tau, allow_inf=True)
    return _mu_moments(tau, y, sigma)


def conditional_theta(mu, tau, y, sigma) -> ThetaConditional:
    r"""Means and variances of the :math:`\theta_j` given :math:`\mu`, :math:`\tau` and the data.

    Each :math:`\theta_j` combines its prior :math:`N(\mu, \tau^2)` with its own
    likelihood :math:`N(y_j, \sigma_j^2)`; given :math:`\mu` and :math:`\tau`
    the groups are independent and

    .. math::

        \theta_j \mid \mu, \tau, y \sim N(\hat\theta_j, V_j), \quad
        \hat\theta_j = (1 - B_j)\, y_j + B_j\, \mu, \quad
        V_j = (1 - B_j)\, \sigma_j^2, \quad
        B_j = \frac{\sigma_j^2}{\sigma_j^2 + \tau^2},

    the precision-weighted average of :math:`y_j` (precision
    :math:`1/\sigma_j^2`) and :math:`\mu` (precision :math:`1/\tau^2`).
    :math:`B_j` is the shrinkage factor: 1 at :math:`\tau = 0` (every
    :math:`\theta_j = \mu`, complete pooling) and 0 as
    :math:`\tau \to \infty` (:math:`\theta_j \sim N(y_j, \sigma_j^2)`, no pooling).
    The prior on :math:`(\mu, \tau)` does not enter.

    Averaging over :math:`\mu \mid \tau, y \sim N(\hat\mu, V_\mu)` gives
    :math:`E(\theta_j \mid \tau, y) = (1 - B_j) y_j + B_j \hat\mu` (pass
    ``mu = conditional_mu(tau, y, sigma).mean``) and
    :math:`\operatorname{var}(\theta_j \mid \tau, y) = V_j + B_j^2 V_\mu`.

    Parameters
    ----------
    mu : float or array_like
        Values of :math:`\mu` (finite).
    tau : float or array_like
        Values of :math:`\tau \ge 0` (``numpy.inf`` allowed), broadcastable
        against ``mu``.
    y : array_like
        The :math:`J \ge 2` estimates :math:`y_j`.
    sigma : array_like
        Their standard errors :math:`\sigma_j > 0`.

    Returns
    -------
    ThetaConditional
        ``mean`` (:math:`\hat\theta_j`), ``var`` (:math:`V_j`) and
        ``shrinkage`` (:math:`B_j`), each of shape
        ``broadcast(mu, tau).shape + (J,)``.
    """
    y, sigma = _check_data(y, sigma)
    mu = as_float_array(mu, "mu")
    tau = _check_tau(tau, allow_inf=True)
    try:
        np.broadcast_shapes(mu.shape, tau.shape)
    except ValueError as err:
        raise ValueError(
            f"mu and tau must have broadcastable shapes, got {mu.shape} and {tau.shape}"
        ) from err
    return _theta_moments(mu, tau, y, sigma)


def log_tau_posterior(
    tau,
    y,
    sigma,
    *,
    mu_bounds=None,
    tau_max=None,
    log_tau_prior=None,
    normalize: bool = False,
) -> np.ndarray:
    r"""Log marginal posterior density of :math:`\tau`.

    Dividing :math:`p(\mu, \tau \mid y)` by the normal density
    :math:`p(\mu \mid \tau, y)` (see :func:`conditional_mu`) and evaluating at
    :math:`\mu = \hat\mu` gives

    .. math::

        p(\tau \mid y) \propto p(\tau)\, V_\mu^{1/2}
        \prod_{j=1}^J (\sigma_j^2 + \tau^2)^{-1/2}
        \exp\Bigl(-\frac{(y_j - \hat\mu)^2}{2(\sigma_j^2 + \tau^2)}\Bigr)
        \times \Bigl[\Phi\Bigl(\frac{H - \hat\mu}{\sqrt{V_\mu}}\Bigr)
                    - \Phi\Bigl(\frac{L - \hat\mu}{\sqrt{V_\mu}}\Bigr)\Bigr],

    where the last factor, the prior probability mass that
    :math:`\mu \mid \tau, y` keeps inside the bounds, appears only with
    ``mu_bounds = (L, H)``.

    Parameters
    ----------
    tau : float or array_like
        Values of :math:`\tau \ge 0`, any shape (finite).
    y : array_like
        The :math:`J \ge 2` estimates :math:`y_j`.
    sigma : array_like
        Their standard errors :math:`\sigma_j > 0`.
    mu_bounds : (float, float), optional
        Uniform prior on :math:`\mu` over ``(low, high)``; default flat on the line.
    tau_max : float, optional
        Uniform prior on :math:`\tau` over ``(0, tau_max)``; density 0 above.
    log_tau_prior : callable, optional
        ``log_tau_prior(tau)`` returns :math:`\log p(\tau)` up to a constant
        for an array of :math:`\tau`; default flat. It should be smooth on
        the support: give a hard upper bound through ``tau_max``, which the
        grids end at exactly, not as a jump to ``-inf``.
    normalize : bool, default False
        If true, subtract the log of the normalising constant
        :math:`\int p(\tau \mid y)\, d\tau`, computed by the trapezoid rule on
        the module's grid over the whole support, so that the density
        integrates to 1.

    Returns
    -------
    numpy.ndarray
        :math:`\log p(\tau \mid y)` (up to a constant unless ``normalize``), of
        ``tau``'s shape; ``-inf`` where the prior is zero.
    """
    y, sigma = _check_data(y, sigma)
    tau = _check_tau(tau, allow_inf=False)
    prior = _check_prior(mu_bounds, tau_max, log_tau_prior)
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be True or False, got {normalize!r}")
    out = _log_tau_density(tau, y, sigma, prior)
    if normalize:
        out = out - _default_grid(y, sigma, prior).log_norm
    return out


def sample_posterior(
    y,
    sigma,
    draws,
    rng,
    tau_grid=None,
    *,
    mu_bounds=None,
    tau_max=None,
    log_tau_prior=None,
) -> xr.Dataset:
    r"""Independent draws from :math:`p(\theta, \mu, \tau \mid y)`, no MCMC.

    Follows the factorisation :math:`p(\tau \mid y)\, p(\mu \mid \tau, y)\,
    p(\theta \mid \mu, \tau, y)`:

    1. :math:`\tau` by the inverse-CDF method on the grid: the CDF at the grid
       points is the cumulative trapezoid rule applied to
       :math:`p(\tau \mid y)` (:func:`log_tau_posterior`), and a uniform draw
       :math:`U` is mapped to :math:`\tau = F^{-1}(U)` by linear interpolation
       between grid points (so draws are not stuck on the grid);
    2. :math:`\mu \mid \tau, y` from :math:`N(\hat\mu, V_\mu)`
       (:func:`conditional_mu`), truncated to ``mu_bounds`` if given;
    3. each :math:`\theta_j \mid \mu, \tau, y` from :math:`N(\hat\theta_j, V_j)`
       (:func:`conditional_theta`).

    Parameters
    ----------
    y : array_like
        The :math:`J \ge 2` estimates :math:`y_j`.
    sigma : array_like
        Their standard errors :math:`\sigma_j > 0`.
    draws : int
        Number of draws, at least 1.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(seed)``.
    tau_grid : array_like, optional
        Strictly increasing, non-negative grid of :math:`\tau` values (at least
        two); the draws lie in ``[tau_grid[0], tau_grid[-1]]``. Default: a
        grid of 2001 points, uniform in :math:`u` where
        :math:`\tau = c\,[u / (1 - u)]^2`, :math:`0 \le u \le 1`, with scale
        :math:`c^2 = \operatorname{var}(y) + \overline{\sigma^2}`: dense near 0
        and reaching the whole tail of :math:`p(\tau \mid y)` (or up to ``tau_max``).
    mu_bounds, tau_max, log_tau_prior
        Prior options, as in :func:`log_tau_posterior`.

    Returns
    -------
    xarray.Dataset
        Variables ``tau`` and ``mu`` (dim ``draw``) and ``theta`` (dims
        ``draw``, ``school``; ``school`` = 0, ..., J - 1).
    """
    y, sigma = _check_data(y, sigma)
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral):
        raise TypeError(f"draws must be an integer, got {type(draws).__name__}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    prior = _check_prior(mu_bounds, tau_max, log_tau_prior)
    if tau_grid is None:
        grid = _default_grid(y, sigma, prior)
    else:
        grid = _user_grid(tau_grid, y, sigma, prior)

    tau = grid.to_tau(np.interp(rng.uniform(size=draws), grid.cdf, grid.x))
    mu_mean, mu_var = _mu_moments(tau, y, sigma)
    mu_sd = np.sqrt(mu_var)
    if prior.mu_bounds is None:
        mu = mu_mean + mu_sd * rng.standard_normal(draws)
    else:
        low, high = prior.mu_bounds
        a, b = (low - mu_mean) / mu_sd, (high - mu_mean) / mu_sd
        mu = stats.truncnorm.ppf(rng.uniform(size=draws), a, b, loc=mu_mean, scale=mu_sd)
    theta_mean, theta_var, _ = _theta_moments(mu, tau, y, sigma)
    theta = theta_mean + np.sqrt(theta_var) * rng.standard_normal(theta_mean.shape)
    return xr.Dataset(
        {
            "tau": ("draw", tau),
            "mu": ("draw", mu),
            "theta": (("draw", "school"), theta),
        },
        coords={"draw": np.arange(draws), "school": np.arange(len(y))},
    )


def posterior_quantiles(
    y,
    sigma,
    probs,
    *,
    mu_bounds=None,
    tau_max=None,
    log_tau_prior=None,
) -> pd.DataFrame:
    r"""Posterior quantiles of :math:`\mu`, :math:`\tau` and every :math:`\theta_j`.

    No Monte Carlo: the marginal CDFs are integrals over :math:`\tau` of
    closed-form conditional CDFs,

    .. math::

        P(\mu \le t \mid y) = \int P(\mu \le t \mid \tau, y)\, p(\tau \mid y)\, d\tau,
        \qquad
        P(\theta_j \le t \mid y) = \int P(\theta_j \le t \mid \tau, y)\,
        p(\tau \mid y)\, d\tau,

    with :math:`\mu \mid \tau, y \sim N(\hat\mu, V_\mu)` and
    :math:`\theta_j \mid \tau, y \sim N\bigl((1 - B_j) y_j + B_j \hat\mu,\;
    V_j + B_j^2 V_\mu\bigr)` under the flat prior on :math:`\mu` (with
    ``mu_bounds``, a truncated normal and a bivariate-normal expression). The
    integral over :math:`\tau` is Simpson's rule on every tenth point of the
    grid described in :func:`sample_posterior` (201 points covering the whole
    support), so each CDF is a mixture of about 200 closed-form CDFs; each
    quantile is the root of its mixture CDF, found by Newton steps safeguarded
    by bisection. The quantiles of :math:`\tau` invert the trapezoid-rule CDF
    of :math:`p(\tau \mid y)` on the full grid. On the eight schools the
    error is below 0.001 on the scale of the data, far inside the 0.05 the
    course needs.

    Parameters
    ----------
    y : array_like
        The :math:`J \ge 2` estimates :math:`y_j`.
    sigma : array_like
        Their standard errors :math:`\sigma_j > 0`.
    probs : float or array_like
        Probabilities strictly between 0 and 1.
    mu_bounds, tau_max, log_tau_prior
        Prior options, as in :func:`log_tau_posterior`.

    Returns
    -------
    pandas.DataFrame
        Rows ``mu``, ``tau``, ``theta[0]``, ..., ``theta[J-1]``; one column
        per probability, labelled by it.
    """
    y, sigma = _check_data(y, sigma)
    probs = _check_probs(probs)
    prior = _check_prior(mu_bounds, tau_max, log_tau_prior)
    mu_q, tau_q, theta_q = _batch_quantiles(y[None], sigma[None], probs, prior)
    rows = ["mu", "tau", *(f"theta[{j}]" for j in range(len(y)))]
    table = np.vstack([mu_q[0], tau_q[0], theta_q[0]])
    columns = [float(p) for p in probs]
    return pd.DataFrame(table, index=pd.Index(rows, name="parameter"), columns=columns)


def posterior_quantiles_batch(
    y,
    sigma,
    probs,
    *,
    mu_bounds=None,
    tau_max=None,
    log_tau_prior=None,
) -> xr.Dataset:
    r"""Posterior quantiles of :math:`\mu`, :math:`\tau` and every :math:`\theta_j`, many data sets.

    The same computation as :func:`posterior_quantiles` (the marginal CDFs
    are mixtures over :math:`\tau` of closed-form conditional CDFs, inverted
    without Monte Carlo), applied to :math:`R` data sets of :math:`J` groups
    at once: row :math:`r` of ``y`` and ``sigma`` is one data set, analysed
    on its own under the same prior. The root-finding runs on all data sets
    together, which is what makes a simulation study of hundreds of data
    sets take about a second; results agree with :func:`posterior_quantiles`
    called row by row. Under ``mu_bounds`` the conditional CDFs of the
    :math:`\theta_j` need bivariate normal probabilities and the call is
    about ten times slower.

    Parameters
    ----------
    y : array_like, shape (R, J)
        Estimates: one data set of :math:`J \ge 2` groups per row.
    sigma : array_like, shape (R, J) or (J,)
        Their standard errors (strictly positive); a single row is used for
        every data set.
    probs : float or array_like
        Probabilities strictly between 0 and 1.
    mu_bounds, tau_max, log_tau_prior
        Prior options, as in :func:`log_tau_posterior`.

    Returns
    -------
    xarray.Dataset
        ``mu`` and ``tau`` with dims (``dataset``, ``prob``) and ``theta``
        with dims (``dataset``, ``group``, ``prob``); coordinates
        ``dataset`` = 0, ..., R - 1, ``group`` = 0, ..., J - 1 and ``prob``.
    """
    y, sigma = _check_batch(y, sigma)
    probs = _check_probs(probs)
    prior = _check_prior(mu_bounds, tau_max, log_tau_prior)
    n_sets, n_groups = y.shape
    mu_q = np.empty((n_sets, len(probs)))
    tau_q = np.empty_like(mu_q)
    theta_q = np.empty((n_sets, n_groups, len(probs)))
    for first in range(0, n_sets, _BATCH):
        block = slice(first, first + _BATCH)
        mu_q[block], tau_q[block], theta_q[block] = _batch_quantiles(
            y[block], sigma[block], probs, prior
        )
    return xr.Dataset(
        {
            "mu": (("dataset", "prob"), mu_q),
            "tau": (("dataset", "prob"), tau_q),
            "theta": (("dataset", "group", "prob"), theta_q),
        },
        coords={
            "dataset": np.arange(n_sets),
            "group": np.arange(n_groups),
            "prob": probs,
        },
    )


def loo_log_predictive(y, sigma, *, tau_max=None, log_tau_prior=None) -> np.ndarray:
    r"""Exact leave-one-group-out log predictive densities :math:`\log p(y_j \mid y_{-j})`.

    Leaving group :math:`j` out, the other groups' posterior of
    :math:`(\mu, \tau)` predicts its estimate. Given :math:`\tau`, under the
    flat prior on :math:`\mu`, :math:`\mu \mid \tau, y_{-j} \sim
    N(\hat\mu_{-j}, V_{-j})` (:func:`conditional_mu` on the other groups) and
    :math:`y_j = \mu + (\theta_j - \mu) + \varepsilon_j`, so

    .. math::
        p(y_j \mid y_{-j}) = \int N\bigl(y_j \mid \hat\mu_{-j}(\tau),\;
        V_{-j}(\tau) + \tau^2 + \sigma_j^2\bigr)\, p(\tau \mid y_{-j})\, d\tau,

    a one-dimensional integral, computed by Simpson's rule on the default
    grid of :func:`sample_posterior` for :math:`p(\tau \mid y_{-j})`. The sum
    over :math:`j` is the exact leave-one-group-out expected log predictive
    density that PSIS-LOO estimates from posterior draws (Vehtari, Gelman and
    Gabry 2017).

    Parameters
    ----------
    y : array_like
        The estimates :math:`y_j`: at least 3, and at least 4 under the
        default flat prior on :math:`\tau` (each fit leaves one group out, and
        that prior needs three groups for a proper posterior).
    sigma : array_like
        Their standard errors :math:`\sigma_j > 0`.
    tau_max, log_tau_prior
        Prior on :math:`\tau`, as in :func:`log_tau_posterior`; default flat on
        :math:`(0, \infty)`. The prior on :math:`\mu` is flat (``mu_bounds`` is
        not offered here).

    Returns
    -------
    numpy.ndarray
        :math:`\log p(y_j \mid y_{-j})`, shape ``(J,)``.

    References
    ----------
    Vehtari, A., Gelman, A. and Gabry, J. (2017). Practical Bayesian model
    evaluation using leave-one-out cross-validation and WAIC. *Statistics and
    Computing* 27(5), 1413-1432.
    """
    y, sigma = _check_data(y, sigma)
    if len(y) < 3:
        raise ValueError(f"y must have at least 3 groups to leave one out, got {len(y)}")
    prior = _check_prior(None, tau_max, log_tau_prior)
    if len(y) < 4 and tau_max is None and log_tau_prior is None:
        raise ValueError(
            f"y must have at least 4 groups under the flat prior on tau, got {len(y)}: "
            "give tau_max or log_tau_prior"
        )
    out = np.empty(len(y))
    for j in range(len(y)):
        rest = np.arange(len(y)) != j
        grid = _default_grid(y[rest], sigma[rest], prior)
        tau, weight = _simpson_nodes(grid, 1)
        keep = weight > 0
        mean, var = _mu_moments(tau[keep], y[rest], sigma[rest])
        scale = np.sqrt(var + tau[keep] ** 2 + sigma[j] ** 2)
        out[j] = special.logsumexp(np.log(weight[keep]) + stats.norm.logpdf(y[j], mean, scale))
    return out
