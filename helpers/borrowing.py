r"""How much a new group borrows from past ones: weights, priors, predictions, checks.

Every function here works on the normal scale of the meta-analysis chapters:
past groups report estimates :math:`y_k` with standard errors
:math:`\sigma_k`, and the hierarchical model
:math:`y_k \sim N(\theta_k, \sigma_k^2)`, :math:`\theta_k \sim N(\mu, \tau^2)`
has been fitted, so posterior draws of :math:`(\mu, \tau)` are available.

- :func:`shrinkage_weights`: how far each group's estimate is pulled toward
  :math:`\mu`, for one :math:`\tau` or for every posterior draw of it.
- :func:`power_prior`: the static alternative, the pooled likelihood of the
  past groups raised to a discount :math:`\alpha` (Ibrahim and Chen 2000),
  and :func:`effective_sample_size`, the number of observations a normal
  prior is worth.
- :func:`predictive_draws`: the hierarchical predictive of a new group, its
  true effect :math:`\theta_{\text{new}}` and the estimate
  :math:`y_{\text{new}}` its experiment will report.
- :func:`conflict_tail_probability`: a prior-data conflict check of a new
  estimate against that predictive (Evans and Moshonov 2006).
- :func:`planning_prior`: the normal summary of :math:`\theta_{\text{new}}`
  handed to the next experiment.
- :func:`robust_mixture_prior`: borrowing that reacts to conflict, the
  planning prior mixed with a vague component (Schmidli et al. 2014).

Nothing here draws figures; the functions return numbers and arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from helpers._validation import (
    as_float_array,
    as_float_vector,
    as_positive_vector,
    as_scalar,
    generator,
    non_negative,
    same_length,
)
from helpers.classical import fixed_effect
from helpers.mixtures import NormalMixture, normal_mixture

__all__ = [
    "PlanningPrior",
    "PowerPrior",
    "Predictive",
    "conflict_tail_probability",
    "effective_sample_size",
    "planning_prior",
    "power_prior",
    "predictive_draws",
    "robust_mixture_prior",
    "shrinkage_weights",
]


class PowerPrior(NamedTuple):
    """The normal power prior: its mean and sd, and the discount ``alpha`` it used."""

    mean: float
    sd: float
    alpha: float


class Predictive(NamedTuple):
    r"""Draws of a new group's true effect and of the estimate its experiment will report.

    ``theta_new`` and ``y_new`` are arrays of the same length, one value per
    posterior draw of :math:`(\mu, \tau)`.
    """

    theta_new: np.ndarray
    y_new: np.ndarray


class PlanningPrior(NamedTuple):
    r"""Normal summary of the :math:`\theta_{\text{new}}` predictive.

    ``mean`` and ``sd`` define the normal prior; ``prob_positive`` is
    :math:`P(\theta_{\text{new}} > 0)` under that normal and
    ``prob_positive_draws`` the share of the draws above zero, which the normal
    approximates.
    """

    mean: float
    sd: float
    prob_positive: float
    prob_positive_draws: float


def shrinkage_weights(sigma, tau) -> np.ndarray:
    r"""Shrinkage factors of the groups toward the population mean.

    Given :math:`\mu` and :math:`\tau`, the posterior mean of group
    :math:`k`'s effect is :math:`(1 - B_k)\,y_k + B_k\,\mu` with

    .. math:: B_k = \frac{\sigma_k^2}{\sigma_k^2 + \tau^2},

    the weight on the population mean: 1 at :math:`\tau = 0` (complete
    pooling), near 0 when :math:`\tau \gg \sigma_k` (no pooling), and larger for
    noisier groups. Passing every posterior draw of :math:`\tau` gives the
    posterior distribution of each :math:`B_k`, whose mean is not
    :math:`B_k` at the posterior mean of :math:`\tau`.

    Parameters
    ----------
    sigma : array_like, shape (K,)
        Standard errors :math:`\sigma_k` of the group estimates (finite, > 0).
    tau : float or array_like
        One value of :math:`\tau \ge 0` or an array of them (e.g. the
        posterior draws, shape ``(S,)``), finite.

    Returns
    -------
    numpy.ndarray
        :math:`B_k`, of shape ``tau.shape + (K,)``: ``(K,)`` for a scalar
        :math:`\tau`, ``(S, K)`` for ``S`` draws. Every value lies in
        :math:`(0, 1]`.
    """
    sigma = as_positive_vector(sigma, "sigma")
    tau = non_negative(tau, "tau")
    s2 = sigma**2
    return s2 / (s2 + tau[..., None] ** 2)


def power_prior(y, sigma, alpha) -> PowerPrior:
    r"""Build the normal power prior from past groups' pooled (fixed-effect) likelihood.

    The past groups' likelihood for one common effect :math:`\theta`,
    :math:`L(\theta) = \prod_k N(y_k \mid \theta, \sigma_k^2)`, is
    proportional to a normal density in :math:`\theta` centred on the
    fixed-effect mean. Raised to the power :math:`\alpha \in (0, 1]` and
    combined with a flat initial prior it gives the power prior
    (Ibrahim and Chen 2000)

    .. math::
        \pi_\alpha(\theta) \propto L(\theta)^\alpha
        = N\!\Big(\theta \;\Big|\; \frac{\sum_k w_k y_k}{\sum_k w_k},\;
          \frac{1}{\alpha \sum_k w_k}\Big), \qquad w_k = \frac{1}{\sigma_k^2},

    so the mean is the fixed-effect mean (:func:`helpers.classical.fixed_effect`)
    whatever :math:`\alpha`, and the sd is the fixed-effect standard error
    divided by :math:`\sqrt{\alpha}`. At :math:`\alpha = 1` it is the
    complete-pooling posterior; :math:`\alpha` is the fraction of the past
    information carried forward.

    Parameters
    ----------
    y : array_like, shape (K,)
        Past group estimates :math:`y_k`, :math:`K \ge 2`.
    sigma : array_like, shape (K,)
        Their standard errors :math:`\sigma_k` (finite, > 0).
    alpha : float
        The discount, :math:`0 < \alpha \le 1`.

    Returns
    -------
    PowerPrior
        ``mean``, ``sd`` and ``alpha``.
    """
    alpha = as_scalar(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    pooled = fixed_effect(y, sigma)
    return PowerPrior(pooled.mean, pooled.se / np.sqrt(alpha), alpha)


def effective_sample_size(sd, unit_sd):
    r"""Count the observations a normal prior's information is worth.

    If one observation of the effect has sampling variance
    :math:`\sigma_1^2` (for a two-arm experiment with visitor-level sd
    :math:`\sigma`, one pair of visitors, one per arm, has
    :math:`\sigma_1^2 = 2\sigma^2`), then :math:`n` observations estimate the
    effect with variance :math:`\sigma_1^2 / n`. A normal prior with sd
    :math:`v^{1/2}` therefore carries the information of

    .. math:: n_{\text{eff}} = \frac{\sigma_1^2}{v}

    observations, the prior effective sample size of a conjugate normal
    prior (Morita, Thall and Müller 2008). It is a real number, not
    necessarily a whole one.

    Parameters
    ----------
    sd : float or array_like
        Prior standard deviation(s) :math:`v^{1/2}` (finite, > 0).
    unit_sd : float
        Standard deviation :math:`\sigma_1` of one observation's estimate of
        the effect (finite, > 0).

    Returns
    -------
    float or numpy.ndarray
        :math:`n_{\text{eff}}`, a float for a scalar ``sd``, else an array of its shape.
    """
    sd = as_float_array(sd, "sd")
    if np.any(sd <= 0):
        raise ValueError("sd must be strictly positive")
    unit_sd = as_scalar(unit_sd, "unit_sd", low=0.0, low_open=True)
    n_eff = unit_sd**2 / sd**2
    return float(n_eff) if n_eff.ndim == 0 else n_eff


def predictive_draws(mu, tau, sigma_new, rng) -> Predictive:
    r"""Draw a new group's true effect and the estimate its experiment will report.

    For each posterior draw :math:`(\mu^{(s)}, \tau^{(s)})`, in this order,

    .. math::
        \theta_{\text{new}}^{(s)} \sim N\big(\mu^{(s)}, (\tau^{(s)})^2\big), \qquad
        y_{\text{new}}^{(s)} = \theta_{\text{new}}^{(s)} + \varepsilon^{(s)}, \quad
        \varepsilon^{(s)} \sim N(0, \sigma_{\text{new}}^2),

    so :math:`\theta_{\text{new}}` follows the hierarchical predictive of a
    group not yet observed and :math:`y_{\text{new}}` the predictive of
    its estimate, with :math:`\operatorname{var}(y_{\text{new}}) =
    \operatorname{var}(\theta_{\text{new}}) + \sigma_{\text{new}}^2`.

    Parameters
    ----------
    mu, tau : array_like, shape (S,)
        Posterior draws of :math:`\mu` and :math:`\tau \ge 0` (finite, paired,
        at least one).
    sigma_new : float
        Standard error :math:`\sigma_{\text{new}} > 0` of the new group's estimate,
        e.g. that of its planned sample size.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(seed)``.

    Returns
    -------
    Predictive
        ``theta_new`` and ``y_new``, arrays of shape ``(S,)``.
    """
    mu = as_float_vector(mu, "mu")
    tau = as_float_vector(tau, "tau")
    same_length(mu=mu, tau=tau)
    tau = non_negative(tau, "tau")
    sigma_new = as_scalar(sigma_new, "sigma_new", low=0.0, low_open=True)
    rng = generator(rng, "rng")
    theta_new = mu + tau * rng.standard_normal(mu.size)
    y_new = theta_new + sigma_new * rng.standard_normal(mu.size)
    return Predictive(theta_new, y_new)


def conflict_tail_probability(y_new, predictive_draws):
    r"""Two-sided tail probability of an observed estimate under its predictive.

    A prior-data conflict check (Evans and Moshonov 2006) asks whether an
    observed estimate :math:`y` is surprising under the distribution the
    borrowed prior predicts for it. With :math:`S` draws
    :math:`D_1, \dots, D_S` of that predictive (``y_new`` of
    :func:`predictive_draws`), let :math:`L = \#\{D_s \le y\}` and
    :math:`U = \#\{D_s \ge y\}`. The equal-tailed two-sided tail probability is

    .. math::
        p(y) = \min\Big\{1,\; \frac{2 \min(L + 1,\, U + 1)}{S + 1}\Big\},

    the Monte Carlo estimate of :math:`2 \min\{F(y), 1 - F(y)\}` with
    :math:`F` the predictive CDF. The :math:`+1` counts the observed value
    among the draws: if :math:`y` comes from the same predictive as the
    draws, its rank among the :math:`S + 1` values is uniform, so
    :math:`P(p(y) \le a) \le a` for every :math:`a` and :math:`p(y)` is
    Uniform(0, 1) up to steps of :math:`2/(S + 1)`; it is calibrated. The
    smallest value it can return is :math:`2/(S + 1)`: :math:`S` draws cannot
    certify a smaller tail. For a symmetric unimodal predictive it equals
    Evans and Moshonov's density-based :math:`P\{m(D) \le m(y)\}`, with
    :math:`m` the predictive density.

    Parameters
    ----------
    y_new : float or array_like
        Observed estimate(s) of new groups (finite).
    predictive_draws : array_like, shape (S,)
        Draws of the predictive distribution of such an estimate (finite, at
        least one), e.g. ``predictive_draws(...).y_new``.

    Returns
    -------
    float or numpy.ndarray
        :math:`p(y)` in :math:`(0, 1]`, a float for a scalar ``y_new``, else an
        array of its shape. Small values signal conflict.
    """
    y_new = as_float_array(y_new, "y_new")
    draws = np.sort(as_float_vector(predictive_draws, "predictive_draws"))
    n = draws.size
    below = np.searchsorted(draws, y_new, side="right")  # L = #{D_s <= y}
    above = n - np.searchsorted(draws, y_new, side="left")  # U = #{D_s >= y}
    p = np.minimum(1.0, 2.0 * (np.minimum(below, above) + 1) / (n + 1))
    return float(p) if p.ndim == 0 else p


def planning_prior(theta_new) -> PlanningPrior:
    r"""Summarise the :math:`\theta_{\text{new}}` predictive by a normal, for the next experiment.

    With draws :math:`\theta^{(1)}, \dots, \theta^{(S)}` of a new group's
    true effect (``theta_new`` of :func:`predictive_draws`), the planning
    prior is :math:`N(m, v)` with the sample mean and variance

    .. math::
        m = \frac{1}{S} \sum_s \theta^{(s)}, \qquad
        v = \frac{1}{S - 1} \sum_s (\theta^{(s)} - m)^2,

    and its probability of a positive effect is
    :math:`P(\theta_{\text{new}} > 0) = \Phi(m / \sqrt{v})`. The predictive
    itself is a location-scale mixture of normals, :math:`N(\mu, \tau^2)`
    mixed over the posterior of :math:`(\mu, \tau)`, in which both the centre
    and the spread vary; it has heavier tails than the normal that matches its
    mean and sd; ``prob_positive_draws``, the share
    of draws above zero, shows how much that approximation moves the answer.

    Parameters
    ----------
    theta_new : array_like, shape (S,)
        Draws of the new group's true effect (finite, at least two, not all equal).

    Returns
    -------
    PlanningPrior
        ``mean``, ``sd``, ``prob_positive`` (under the normal) and
        ``prob_positive_draws`` (share of the draws).
    """
    theta_new = as_float_vector(theta_new, "theta_new", min_length=2)
    if np.all(theta_new == theta_new[0]):
        raise ValueError("theta_new must not be constant: its sd would be 0")
    mean = float(np.mean(theta_new))
    sd = float(np.std(theta_new, ddof=1))
    return PlanningPrior(
        mean, sd, float(stats.norm.sf(0.0, mean, sd)), float(np.mean(theta_new > 0))
    )


def robust_mixture_prior(mean, sd, *, weight, vague_sd) -> NormalMixture:
    r"""Build a robust mixture prior: an informative normal mixed with a vague one.

    .. math::
        \pi(\theta) = w\, N(\theta \mid m, s^2) + (1 - w)\, N(\theta \mid m, s_v^2),
        \qquad s_v > s,

    the robust meta-analytic-predictive prior of Schmidli et al. (2014): with
    probability :math:`w` the new group is like the past ones (the
    informative component, e.g. the planning prior :math:`N(m, s^2)`), and
    with probability :math:`1 - w` it is not, in which case little is
    assumed about it. Both components are centred at :math:`m`. After an
    estimate :math:`y_{\text{new}}` (``.update(estimate, sigma)``, see
    :mod:`helpers.mixtures`), the informative component keeps its weight
    when it predicted :math:`y_{\text{new}}` well and loses it under
    prior-data conflict, so the posterior "lets go" of the past data, which a
    power prior with a fixed discount never does.

    Parameters
    ----------
    mean : float
        Common centre :math:`m` of both components (finite).
    sd : float
        Sd :math:`s > 0` of the informative component.
    weight : float
        Prior weight :math:`w \in [0, 1]` of the informative component.
    vague_sd : float
        Sd :math:`s_v` of the vague component, larger than ``sd``.

    Returns
    -------
    NormalMixture
        Weights ``(w, 1 - w)``, means ``(m, m)`` and sds ``(s, s_v)``:
        the informative component first. It has ``pdf``, ``cdf``, ``ppf``,
        ``mean`` and ``update``.

    References
    ----------
    Schmidli, H. et al. (2014). Robust meta-analytic-predictive priors in
    clinical trials with historical control information. *Biometrics* 70(4),
    1023-1032.
    """
    mean = as_scalar(mean, "mean")
    sd = as_scalar(sd, "sd", low=0.0, low_open=True)
    weight = as_scalar(weight, "weight", low=0.0, high=1.0)
    vague_sd = as_scalar(vague_sd, "vague_sd", low=0.0, low_open=True)
    if vague_sd <= sd:
        raise ValueError(f"vague_sd must be larger than sd ({sd:g}), got {vague_sd:g}")
    return normal_mixture([weight, 1.0 - weight], [mean, mean], [sd, vague_sd])
