"""Exact leave-one-group-out predictive densities of the normal hierarchical model.

Public through :mod:`helpers.exact` (``helpers.exact.loo_log_predictive``); it
lives here so that no module grows past one sitting's reading.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from helpers._tau_grid import _N_GRID, _check_prior, _default_grid, _mu_moments
from helpers._validation import estimates

#: Simpson's rule on the default grid's nodes (an even number of intervals).
_SIMPSON = np.ones(_N_GRID)
_SIMPSON[1:-1:2], _SIMPSON[2:-1:2] = 4.0, 2.0


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
    y, sigma = estimates(y, sigma)
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
        weight = grid.density * _SIMPSON  # nodes uniform in the grid's variable
        keep = weight > 0
        tau = grid.tau[keep]
        log_weight = np.log(weight[keep]) - np.log(weight[keep].sum())  # no underflow to 0
        mean, var = _mu_moments(tau, y[rest], sigma[rest])
        scale = np.sqrt(var + tau**2 + sigma[j] ** 2)
        out[j] = special.logsumexp(log_weight + stats.norm.logpdf(y[j], mean, scale))
    return out
