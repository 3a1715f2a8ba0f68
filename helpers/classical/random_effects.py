r"""Random-effects meta-analysis for few groups: REML, Paule-Mandel, HKSJ, Q-profile.

The model is the course's normal hierarchical model read classically,

.. math::
    y_k \mid \theta_k \sim N(\theta_k, \sigma_k^2), \qquad
    \theta_k \sim N(\mu, \tau^2), \qquad k = 1, \dots, K,

with known :math:`\sigma_k`. :func:`random_effects` estimates the
between-group variance :math:`\tau^2` by DerSimonian-Laird, Paule-Mandel or
restricted maximum likelihood, gives a Wald or Hartung-Knapp-Sidik-Jonkman
interval for :math:`\mu`, a Q-profile interval for :math:`\tau^2` and a
prediction interval for the true effect of a new group: the set of methods
recommended for small :math:`K` (IntHout et al. 2014; Veroniki et al. 2016).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import optimize, special

from helpers._validation import as_scalar, estimates, one_of
from helpers.classical.meta import _pool, _q, dersimonian_laird

__all__ = ["RandomEffectsResult", "random_effects"]

_METHODS = ("dl", "pm", "reml")
_CIS = ("wald", "hksj")


class RandomEffectsResult(NamedTuple):
    r"""A random-effects meta-analysis (see :func:`random_effects`).

    ``mean`` and ``se`` are :math:`\hat\mu` and its standard error (the
    Hartung-Knapp one when ``ci="hksj"``), ``ci_low``/``ci_high`` the
    interval for :math:`\mu`; ``tau2`` is
    :math:`\hat\tau^2` with its Q-profile interval ``tau2_low``/``tau2_high``;
    ``I2`` (with ``I2_low``/``I2_high`` from the same interval) the share of
    total variance due to heterogeneity; ``pi_low``/``pi_high`` the prediction
    interval for a new group's true effect; ``statistic`` (Cochran's
    :math:`Q`), ``df`` (:math:`K - 1`) and ``pvalue`` the test of homogeneity
    (as in :class:`DerSimonianLairdResult`); ``method`` and ``ci`` echo the
    options used.
    """

    mean: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    tau2_low: float
    tau2_high: float
    I2: float
    I2_low: float
    I2_high: float
    pi_low: float
    pi_high: float
    statistic: float
    df: int
    pvalue: float
    method: str
    ci: str

    @property
    def tau(self) -> float:
        r"""Between-group standard deviation, :math:`\hat\tau = \sqrt{\hat\tau^2}`."""
        return float(np.sqrt(self.tau2))


def _generalised_q(tau2: float, y: np.ndarray, sigma: np.ndarray) -> float:
    r"""Generalised Cochran statistic :math:`Q(\tau^2)=\sum_k w_k(\tau^2)\,(y_k-\hat\mu(\tau^2))^2`.

    With :math:`w_k(\tau^2) = 1/(\sigma_k^2 + \tau^2)` and :math:`\hat\mu(\tau^2)`
    the mean weighted by them; :math:`Q(0)` is Cochran's :math:`Q`. It decreases
    in :math:`\tau^2`, and at the true :math:`\tau^2` it is
    :math:`\chi^2_{K-1}` distributed (Viechtbauer 2007).
    """
    return _q(y, np.sqrt(sigma**2 + tau2))


def _root_from_zero(f, y: np.ndarray, sigma: np.ndarray) -> float:
    r"""Root of a function of :math:`\tau^2` that is positive at 0 and eventually negative.

    Returns 0 when ``f(0) <= 0`` (the truncation at zero); otherwise brackets
    the root by quadrupling a starting value of the scale of the data.
    """
    if f(0.0) <= 0.0:
        return 0.0
    high = max(float(np.var(y, ddof=1)), float(np.max(sigma**2)), 1e-12)
    while f(high) > 0.0:
        high *= 4.0
    return float(optimize.brentq(f, 0.0, high, xtol=1e-14, rtol=1e-12))


def _solve_q(target: float, y: np.ndarray, sigma: np.ndarray) -> float:
    r"""Return the :math:`\tau^2 \ge 0` at which :math:`Q(\tau^2)` equals ``target`` (or 0)."""
    return _root_from_zero(lambda t2: _generalised_q(t2, y, sigma) - target, y, sigma)


def _reml_score(tau2: float, y: np.ndarray, sigma: np.ndarray) -> float:
    r"""Return the derivative of the restricted log-likelihood with respect to :math:`\tau^2`."""
    w = 1.0 / (sigma**2 + tau2)
    mu, _ = _pool(y, w)
    return 0.5 * float(np.sum(w**2 * (y - mu) ** 2) - np.sum(w) + np.sum(w**2) / np.sum(w))


def _i2(tau2: float, sigma: np.ndarray) -> float:
    r"""Share of total variance due to heterogeneity, :math:`\tau^2/(\tau^2+\tilde s^2)`."""
    w = sigma**-2
    typical = (len(sigma) - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2))
    return float(tau2 / (tau2 + typical))


def random_effects(y, sigma, *, method="reml", ci="wald", level=0.95) -> RandomEffectsResult:
    r"""Random-effects meta-analysis with small-:math:`K` inference.

    Model: :math:`y_k \sim N(\theta_k, \sigma_k^2)`, :math:`\theta_k \sim N(\mu,
    \tau^2)`, :math:`\sigma_k` known, :math:`k = 1, \dots, K`. Write
    :math:`w_k(\tau^2) = 1/(\sigma_k^2 + \tau^2)`,
    :math:`\hat\mu(\tau^2) = \sum_k w_k y_k / \sum_k w_k` and the generalised
    Cochran statistic :math:`Q(\tau^2) = \sum_k w_k (y_k - \hat\mu(\tau^2))^2`.

    **Between-group variance** (``method``), each truncated at 0:

    - ``"dl"``, DerSimonian and Laird (1986):
      :math:`\hat\tau^2 = (Q(0) - (K-1)) / (\sum w_k - \sum w_k^2 / \sum w_k)`
      with :math:`w_k = \sigma_k^{-2}`;
    - ``"pm"``, Paule and Mandel (1982): the root of :math:`Q(\tau^2) = K - 1`;
    - ``"reml"``, restricted maximum likelihood: the maximiser of
      :math:`\ell_R(\tau^2) = -\tfrac12 \sum_k \log(\sigma_k^2 + \tau^2)
      - \tfrac12 \log \sum_k w_k - \tfrac12 Q(\tau^2)`, found as the root of
      its score :math:`\sum_k w_k^2 (y_k - \hat\mu)^2 - \sum_k w_k
      + \sum_k w_k^2 / \sum_k w_k = 0` (Viechtbauer 2005).

    **Mean.** :math:`\hat\mu = \hat\mu(\hat\tau^2)`. With ``ci="wald"``
    (DerSimonian and Laird's original interval),
    :math:`\mathrm{se} = (\sum_k \hat w_k)^{-1/2}` and the interval is
    :math:`\hat\mu \pm z_{1-\alpha/2}\,\mathrm{se}`. With ``ci="hksj"``
    (Hartung and Knapp 2001; Sidik and Jonkman 2002),

    .. math::
        \mathrm{se}_{HK}^2 = \frac{\sum_k \hat w_k (y_k - \hat\mu)^2}{(K-1) \sum_k \hat w_k},
        \qquad \hat\mu \pm t_{K-1,\,1-\alpha/2}\, \mathrm{se}_{HK},

    without the ad hoc truncation :math:`\mathrm{se}_{HK} \ge \mathrm{se}`
    (as metafor's ``test="knha"`` and statsmodels' ``combine_effects``).

    **Interval for** :math:`\tau^2`, the Q-profile method (Viechtbauer 2007):
    :math:`\{\tau^2 \ge 0 : \chi^2_{K-1,\,\alpha/2} \le Q(\tau^2) \le
    \chi^2_{K-1,\,1-\alpha/2}\}`, truncated at 0 (both bounds are 0 when
    :math:`Q(0)` is below the lower quantile).

    **Heterogeneity share**, as metafor reports it (Higgins and Thompson 2002):
    :math:`I^2 = \hat\tau^2 / (\hat\tau^2 + \tilde s^2)` with the typical
    within-group variance :math:`\tilde s^2 = (K-1) \sum w_k / ((\sum w_k)^2 -
    \sum w_k^2)`, :math:`w_k = \sigma_k^{-2}`; for ``"dl"`` it equals
    :math:`(Q - (K-1))/Q`. ``I2_low`` and ``I2_high`` map the Q-profile bounds.

    **Prediction interval** for the true effect of a new group (Higgins,
    Thompson and Spiegelhalter 2009):
    :math:`\hat\mu \pm t_{K-2,\,1-\alpha/2} \sqrt{\hat\tau^2 + \mathrm{se}^2}`,
    with the ``se`` of the chosen ``ci``; NaN when :math:`K = 2`.

    Parameters
    ----------
    y : array_like, shape (K,)
        Group effect estimates, :math:`K \ge 2`.
    sigma : array_like, shape (K,)
        Their standard errors (finite, strictly positive), treated as known.
    method : {"reml", "pm", "dl"}, default "reml"
        Estimator of :math:`\tau^2`.
    ci : {"wald", "hksj"}, default "wald"
        Interval for :math:`\mu`: normal quantile with the
        inverse-variance standard error, or Hartung-Knapp-Sidik-Jonkman.
    level : float, default 0.95
        Coverage of every interval, in (0, 1).

    Returns
    -------
    RandomEffectsResult
        ``mean``, ``se``, ``ci_low``, ``ci_high``, ``tau2``, ``tau2_low``,
        ``tau2_high``, ``I2``, ``I2_low``, ``I2_high``, ``pi_low``, ``pi_high``,
        ``statistic`` (Cochran's :math:`Q`), ``df``, ``pvalue``, ``method`` and
        ``ci`` (and the property ``tau``).

    Raises
    ------
    TypeError
        If ``y`` or ``sigma`` is not numeric, or ``method``, ``ci`` or
        ``level`` has the wrong type.
    ValueError
        If ``y`` and ``sigma`` differ in length, have fewer than two values or
        non-finite ones, a ``sigma`` is not positive, ``method`` or ``ci`` is
        not one of the options, or ``level`` is not in (0, 1).

    References
    ----------
    DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials.
    *Controlled Clinical Trials* 7, 177-188.
    Paule, R. C. and Mandel, J. (1982). Consensus values and weighting factors.
    *Journal of Research of the National Bureau of Standards* 87, 377-385.
    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance
    estimators in the random-effects model. *Journal of Educational and
    Behavioral Statistics* 30, 261-293.
    Viechtbauer, W. (2007). Confidence intervals for the amount of
    heterogeneity in meta-analysis. *Statistics in Medicine* 26, 37-52.
    Hartung, J. and Knapp, G. (2001). On tests of the overall treatment effect
    in meta-analysis with normally distributed responses. *Statistics in
    Medicine* 20, 1771-1782.
    Sidik, K. and Jonkman, J. N. (2002). A simple confidence interval for
    meta-analysis. *Statistics in Medicine* 21, 3153-3159.
    Higgins, J. P. T. and Thompson, S. G. (2002). Quantifying heterogeneity in
    a meta-analysis. *Statistics in Medicine* 21, 1539-1558.
    Higgins, J. P. T., Thompson, S. G. and Spiegelhalter, D. J. (2009). A
    re-evaluation of random-effects meta-analysis. *Journal of the Royal
    Statistical Society A* 172, 137-159.
    IntHout, J., Ioannidis, J. P. A. and Borm, G. F. (2014). The
    Hartung-Knapp-Sidik-Jonkman method for random effects meta-analysis is
    straightforward and considerably outperforms the standard DerSimonian-Laird
    method. *BMC Medical Research Methodology* 14, 25.
    """
    y, sigma = estimates(y, sigma)
    method = one_of(method, "method", _METHODS)
    ci = one_of(ci, "ci", _CIS)
    level = as_scalar(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)

    K = len(y)
    nu = K - 1
    alpha = 1.0 - level
    if method == "dl":
        tau2 = dersimonian_laird(y, sigma).tau2
    elif method == "pm":
        tau2 = _solve_q(nu, y, sigma)
    else:
        tau2 = _root_from_zero(lambda t2: _reml_score(t2, y, sigma), y, sigma)
    w = 1.0 / (sigma**2 + tau2)
    mean, se = _pool(y, w)
    # Quantiles from scipy.special, the functions scipy.stats calls, bit for bit
    # the same values without building a distribution object on every call (a
    # frozen stats.t costs milliseconds; a simulation study calls this thousands
    # of times). chi2.ppf(q, nu) is 2 * gammaincinv(nu / 2, q).
    if ci == "wald":
        quantile = special.ndtri(1.0 - alpha / 2)
    else:
        se = float(np.sqrt(np.sum(w * (y - mean) ** 2) / (nu * np.sum(w))))
        quantile = special.stdtrit(nu, 1.0 - alpha / 2)
    half = float(quantile) * se

    tau2_low = _solve_q(2.0 * special.gammaincinv(nu / 2, 1.0 - alpha / 2), y, sigma)
    tau2_high = _solve_q(2.0 * special.gammaincinv(nu / 2, alpha / 2), y, sigma)
    if K > 2:
        pi_half = float(special.stdtrit(K - 2, 1.0 - alpha / 2)) * np.sqrt(tau2 + se**2)
    else:
        pi_half = np.nan
    Q = _q(y, sigma)
    return RandomEffectsResult(
        mean=mean,
        se=se,
        ci_low=mean - half,
        ci_high=mean + half,
        tau2=float(tau2),
        tau2_low=tau2_low,
        tau2_high=tau2_high,
        I2=_i2(tau2, sigma),
        I2_low=_i2(tau2_low, sigma),
        I2_high=_i2(tau2_high, sigma),
        pi_low=float(mean - pi_half),
        pi_high=float(mean + pi_half),
        statistic=Q,
        df=nu,
        pvalue=float(special.chdtrc(nu, Q)),
        method=method,
        ci=ci,
    )
