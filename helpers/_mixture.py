r"""Posterior quantiles as roots of mixtures over tau of closed-form CDFs.

Private numerics behind :func:`helpers.exact.posterior_quantiles` and
:func:`helpers.exact.posterior_quantiles_batch`: given :math:`\tau`, the
marginal posterior of :math:`\mu` and of each :math:`\theta_j` is a normal
(or, under bounds on :math:`\mu`, a truncated or bivariate-normal expression),
so the marginal CDF is a finite mixture of them over Simpson nodes of
:math:`p(\tau \mid y)`, inverted by safeguarded Newton steps.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from helpers import _tau_grid
from helpers._tau_grid import (
    _check_proper,
    _log_tau_density,
    _mu_moments,
    _normal_mass,
    _Prior,
    _theta_moments,
)

#: posterior_quantiles mixes over every _STRIDE-th node of that grid (201 nodes).
_STRIDE = 10
#: Nodes whose share of the posterior mass is below this are skipped when
#: mixing over tau; the mass they hold is far below the accuracy reported.
_NEGLIGIBLE = 1e-14


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


def _mixing_nodes(y, sigma, prior: _Prior, probs):
    """Quantiles of tau, and nodes and weights that mix over tau, for data sets (R, J).

    The grid of :func:`helpers._tau_grid._default_grid`, computed for all data
    sets at once, and Simpson's rule on every ``_STRIDE``-th node: returns the
    tau quantiles (R, P), the nodes (R, K) and weights (R, K) summing to 1 in
    every row. Nodes holding a negligible share of the mass get weight 0
    and take the value of the row's heaviest node, so every data set has the
    same number of nodes and no node adds a component that is not finite.
    """
    n_sets, n_groups = y.shape
    _check_proper(n_groups, prior)
    n = _tau_grid._N_GRID
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
    mu = _mu_moments(nodes, y[:, None, :], sigma[:, None, :], prior.mu_normal)  # (R, K)
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
