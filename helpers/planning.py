r"""Planning the next experiment: power, assurance and sample size.

The next experiment will report an estimate :math:`y_{\text{new}} \sim
N(\theta, \sigma^2)` of the effect :math:`\theta` in a new group, with a
standard error :math:`\sigma` fixed by its size (for a two-arm test with
:math:`n` units per arm and unit-level sd :math:`\sigma_u`,
:math:`\sigma = \sigma_u \sqrt{2 / n}`). Its planner holds a *design prior*
:math:`\theta \sim N(m, s^2)`, for instance the planning prior of a
meta-analysis of past groups.

- :func:`power`: the probability that a one-sided z-test rejects
  :math:`H_0\colon \theta \le 0` at a *fixed* effect.
- :func:`assurance`: that power averaged over the design prior
  (O'Hagan, Stevens and Campbell 2005), in closed form.
- :func:`bayesian_assurance`: the probability of a Bayesian success,
  posterior :math:`P(\theta > 0 \mid y_{\text{new}})` above a threshold under a
  stated *analysis* prior, averaged over the design prior.
- :func:`sample_size`: the smallest :math:`n` per arm reaching a target
  assurance, or the reason why none does.

Nothing here draws figures; the functions return numbers and arrays.

References
----------
O'Hagan, A., Stevens, J. W. and Campbell, M. J. (2005). Assurance in clinical
trial design. *Pharmaceutical Statistics* 4(3), 187-201.
Spiegelhalter, D. J., Abrams, K. R. and Myles, J. P. (2004). *Bayesian
Approaches to Clinical Trials and Health-Care Evaluation*. Wiley, ch. 6.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from helpers._validation import as_float_array, as_scalar

__all__ = ["SampleSize", "assurance", "bayesian_assurance", "power", "sample_size"]


class SampleSize(NamedTuple):
    """The smallest size per arm that reaches a target assurance.

    ``n`` is that size (``None`` when no size reaches the target);
    ``assurance`` the assurance at ``n`` (at ``None``: the ceiling);
    ``ceiling`` the limit of the assurance as the size grows without bound;
    ``reason`` says why no size reaches the target (empty when one does).
    """

    n: int | None
    assurance: float
    ceiling: float
    reason: str


def _positive(x, name: str) -> np.ndarray:
    arr = as_float_array(x, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be strictly positive")
    return arr


def _level(alpha) -> float:
    return as_scalar(alpha, "alpha", low=0.0, high=0.5, low_open=True, high_open=True)


def _out(x):
    return float(x) if np.ndim(x) == 0 else x


def power(effect, sigma, *, alpha=0.025):
    r"""Power of the one-sided z-test of :math:`H_0\colon \theta \le 0` at a fixed effect.

    The test rejects when :math:`y_{\text{new}} / \sigma > z_{1-\alpha}`; at
    the effect :math:`\theta` its power is

    .. math:: \operatorname{pow}(\theta) = \Phi\Bigl(\frac{\theta}{\sigma} - z_{1-\alpha}\Bigr).

    Parameters
    ----------
    effect : float or array_like
        True effect(s) :math:`\theta` (finite).
    sigma : float or array_like
        Standard error(s) :math:`\sigma > 0` of the estimate, broadcastable
        against ``effect``.
    alpha : float, default 0.025
        One-sided level, :math:`0 < \alpha < 0.5`.

    Returns
    -------
    float or numpy.ndarray
        The power, of the broadcast shape of ``effect`` and ``sigma``.

    References
    ----------
    Spiegelhalter, Abrams and Myles (2004), section 6.5.
    """
    effect = as_float_array(effect, "effect")
    sigma = _positive(sigma, "sigma")
    z = stats.norm.isf(_level(alpha))
    return _out(stats.norm.cdf(effect / sigma - z))


def assurance(prior_mean, prior_sd, sigma, *, alpha=0.025):
    r"""Assurance of the one-sided z-test: its power averaged over the design prior.

    With :math:`\theta \sim N(m, s^2)` and :math:`y_{\text{new}} \mid \theta
    \sim N(\theta, \sigma^2)`, the estimate is marginally
    :math:`N(m, s^2 + \sigma^2)`, so

    .. math::
        \int \operatorname{pow}(\theta)\, N(\theta \mid m, s^2)\, d\theta
        = P(y_{\text{new}} > z_{1-\alpha}\,\sigma)
        = \Phi\Bigl(\frac{m - z_{1-\alpha}\,\sigma}{\sqrt{s^2 + \sigma^2}}\Bigr).

    As :math:`\sigma \to 0` it rises to the ceiling
    :math:`\Phi(m / s) = P(\theta > 0)`: no experiment, however large, succeeds
    more often than the effect is positive.

    Parameters
    ----------
    prior_mean : float
        Design prior mean :math:`m` (finite).
    prior_sd : float
        Design prior sd :math:`s \ge 0`; :math:`s = 0` gives the power at
        :math:`\theta = m` (:func:`power`).
    sigma : float or array_like
        Standard error(s) :math:`\sigma > 0` of the next estimate.
    alpha : float, default 0.025
        One-sided level, :math:`0 < \alpha < 0.5`.

    Returns
    -------
    float or numpy.ndarray
        The assurance, of ``sigma``'s shape.

    References
    ----------
    O'Hagan, Stevens and Campbell (2005), equation (2).
    """
    m = as_scalar(prior_mean, "prior_mean")
    s = as_scalar(prior_sd, "prior_sd", low=0.0)
    sigma = _positive(sigma, "sigma")
    z = stats.norm.isf(_level(alpha))
    return _out(stats.norm.cdf((m - z * sigma) / np.sqrt(s**2 + sigma**2)))


def bayesian_assurance(
    prior_mean, prior_sd, sigma, *, analysis_mean=0.0, analysis_sd=np.inf, threshold=0.95
):
    r"""Probability that the next experiment ends in a Bayesian success.

    The analysis combines :math:`y_{\text{new}}` with an *analysis* prior
    :math:`N(a, b^2)` (``analysis_sd = inf``: flat); the posterior is normal
    with precision :math:`1/b^2 + 1/\sigma^2` and mean
    :math:`(a/b^2 + y_{\text{new}}/\sigma^2) / (1/b^2 + 1/\sigma^2)`. Success
    means :math:`P(\theta > 0 \mid y_{\text{new}}) > \gamma`, which holds
    exactly when the estimate passes the critical value

    .. math::
        y_{\text{new}} > c = \sigma^2 \Bigl(z_\gamma \sqrt{\tfrac{1}{b^2} + \tfrac{1}{\sigma^2}}
                             - \frac{a}{b^2}\Bigr).

    Averaged over the *design* prior :math:`\theta \sim N(m, s^2)`, under which
    :math:`y_{\text{new}} \sim N(m, s^2 + \sigma^2)`,

    .. math:: P(\text{success}) = \Phi\Bigl(\frac{m - c}{\sqrt{s^2 + \sigma^2}}\Bigr).

    With a flat analysis prior :math:`c = z_\gamma \sigma` and this is
    :func:`assurance` at :math:`\alpha = 1 - \gamma`.

    Parameters
    ----------
    prior_mean, prior_sd : float
        Design prior :math:`N(m, s^2)`, :math:`s \ge 0` (:math:`s = 0`: the
        probability of success at the fixed effect :math:`\theta = m`).
    sigma : float or array_like
        Standard error(s) :math:`\sigma > 0` of the next estimate.
    analysis_mean : float, default 0
        Analysis prior mean :math:`a`.
    analysis_sd : float, default inf
        Analysis prior sd :math:`b > 0`; ``numpy.inf`` for a flat prior.
    threshold : float, default 0.95
        Posterior probability :math:`\gamma` that counts as success,
        :math:`0.5 \le \gamma < 1`.

    Returns
    -------
    float or numpy.ndarray
        The probability of success, of ``sigma``'s shape.

    References
    ----------
    Spiegelhalter, Abrams and Myles (2004), section 6.5.3.
    """
    m = as_scalar(prior_mean, "prior_mean")
    s = as_scalar(prior_sd, "prior_sd", low=0.0)
    sigma = _positive(sigma, "sigma")
    a = as_scalar(analysis_mean, "analysis_mean")
    if isinstance(analysis_sd, bool) or not isinstance(analysis_sd, int | float | np.number):
        raise TypeError(f"analysis_sd must be a number, got {type(analysis_sd).__name__}")
    b = float(analysis_sd)
    if not b > 0:  # also rejects NaN
        raise ValueError(f"analysis_sd must be > 0 (numpy.inf for a flat prior), got {b}")
    gamma = as_scalar(threshold, "threshold", low=0.5, high=1.0, high_open=True)
    prior_precision = 0.0 if math.isinf(b) else 1.0 / b**2
    critical = sigma**2 * (
        stats.norm.ppf(gamma) * np.sqrt(prior_precision + 1.0 / sigma**2) - a * prior_precision
    )
    return _out(stats.norm.cdf((m - critical) / np.sqrt(s**2 + sigma**2)))


def sample_size(prior_mean, prior_sd, unit_sd, target, *, alpha=0.025, max_n=10**8) -> SampleSize:
    r"""Smallest size per arm whose assurance reaches ``target``.

    With :math:`n` units per arm the estimate's standard error is
    :math:`\sigma_n = \sigma_u / \sqrt{n}`, where :math:`\sigma_u` is the
    standard error of one pair of units (:math:`\sigma_u = \sqrt{2}` times the
    unit-level sd). For a design prior with :math:`m > 0` the assurance
    :math:`\Phi\bigl((m - z_{1-\alpha}\sigma_n) / \sqrt{s^2 + \sigma_n^2}\bigr)`
    (:func:`assurance`) increases with :math:`n` towards the ceiling
    :math:`\Phi(m / s)`; the answer is the smallest whole :math:`n` at or
    above the root of assurance = target, found by bisection. A target at or
    above the ceiling cannot be reached by any size, and the result says so.

    Parameters
    ----------
    prior_mean, prior_sd : float
        Design prior :math:`N(m, s^2)`, :math:`s \ge 0`; with :math:`s = 0`
        the target is a classical power at :math:`\theta = m` (ceiling 1).
    unit_sd : float
        :math:`\sigma_u > 0`, the standard error of the estimate from one
        unit per arm.
    target : float
        Target assurance, :math:`0 < \text{target} < 1`.
    alpha : float, default 0.025
        One-sided level of the z-test.
    max_n : int, default 10**8
        Largest size per arm considered.

    Returns
    -------
    SampleSize
        ``n``, ``assurance`` (at ``n``), ``ceiling`` and ``reason``.

    References
    ----------
    O'Hagan, Stevens and Campbell (2005), section 3.
    """
    m = as_scalar(prior_mean, "prior_mean")
    s = as_scalar(prior_sd, "prior_sd", low=0.0)
    unit_sd = as_scalar(unit_sd, "unit_sd", low=0.0, low_open=True)
    target = as_scalar(target, "target", low=0.0, high=1.0, low_open=True, high_open=True)
    alpha = _level(alpha)
    if isinstance(max_n, bool) or not isinstance(max_n, int | np.integer) or max_n < 1:
        raise ValueError(f"max_n must be a whole number >= 1, got {max_n!r}")
    ceiling = float(stats.norm.cdf(m / s)) if s > 0 else float(m > 0)
    if m <= 0:
        reason = (
            f"the design prior mean is {m:g} <= 0: the assurance cannot exceed "
            f"max(alpha, P(theta > 0)) = {max(alpha, ceiling):.3f} and does not grow with n"
        )
        return SampleSize(None, ceiling, ceiling, reason)
    if target >= ceiling:
        reason = (
            f"the target {target:g} is at or above the ceiling P(theta > 0) = {ceiling:.4f}: "
            "no sample size reaches it"
        )
        return SampleSize(None, ceiling, ceiling, reason)

    def at(n: int) -> float:
        return assurance(m, s, unit_sd / math.sqrt(n), alpha=alpha)

    if at(max_n) < target:
        reason = f"the target {target:g} needs more than max_n = {max_n} per arm"
        return SampleSize(None, at(max_n), ceiling, reason)
    lo, hi = 0, int(max_n)  # assurance(lo) < target <= assurance(hi); lo = 0 is a sentinel
    if at(1) >= target:
        return SampleSize(1, at(1), ceiling, "")
    lo = 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if at(mid) < target else (lo, mid)
    return SampleSize(hi, at(hi), ceiling, "")
