r"""Summary-level (meta-analytic) analyses of group estimates and standard errors.

Each function takes one estimate ``y`` and its standard error ``sigma`` per
group (the notation of the hierarchical model,
:math:`y_k \sim N(\theta_k, \sigma_k^2)`): :func:`fixed_effect`,
:func:`cochran_q`, :func:`i_squared` and :func:`dersimonian_laird`;
:func:`cochran_q_batch` computes Cochran's :math:`Q` of many sets of estimates
at once (replicated data in a predictive check).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from helpers._validation import estimate_batches, estimates

__all__ = [
    "CochranQResult",
    "DerSimonianLairdResult",
    "FixedEffectResult",
    "cochran_q",
    "cochran_q_batch",
    "dersimonian_laird",
    "fixed_effect",
    "i_squared",
]


class FixedEffectResult(NamedTuple):
    """Inverse-variance pooled (common-effect) estimate and its standard error."""

    mean: float
    se: float


class CochranQResult(NamedTuple):
    """Cochran's homogeneity statistic :math:`Q`, its degrees of freedom and chi-square p-value."""

    statistic: float
    df: int
    pvalue: float


class DerSimonianLairdResult(NamedTuple):
    """Random-effects summary by DerSimonian and Laird's method of moments.

    ``mean`` and ``se`` are the random-effects pooled mean and its standard
    error, ``tau2`` the between-group variance estimate (``tau`` its square
    root), ``statistic`` (Cochran's :math:`Q`), ``df`` and ``pvalue``
    Cochran's test, ``I2`` Higgins and Thompson's :math:`I^2`.
    """

    mean: float
    se: float
    tau2: float
    statistic: float
    df: int
    pvalue: float
    I2: float

    @property
    def tau(self) -> float:
        r"""Between-group standard deviation, :math:`\hat\tau = \sqrt{\hat\tau^2}`."""
        return float(np.sqrt(self.tau2))


def _pool(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean of ``y`` with weights ``w`` and its standard error ``1/sqrt(sum w)``."""
    return float(np.sum(w * y) / np.sum(w)), float(1.0 / np.sqrt(np.sum(w)))


def _chi2_sf(Q: float, nu: int) -> float:
    """Return the chi-square upper tail ``scipy.stats.chi2.sf(Q, nu)``.

    Computed by the function it calls (``scipy.special.chdtrc``) without the
    distribution object's overhead (a predictive check computes thousands).
    """
    return float(special.chdtrc(nu, Q))


def _q(y: np.ndarray, sigma: np.ndarray) -> float:
    """Cochran's Q for checked inputs."""
    w = sigma**-2
    mean, _ = _pool(y, w)
    return float(np.sum(w * (y - mean) ** 2))


def fixed_effect(y, sigma) -> FixedEffectResult:
    r"""Pool group estimates under one common effect (inverse-variance weighting).

    With weights :math:`w_k = 1 / \sigma_k^2`,

    .. math::
        \hat\mu_{FE} = \frac{\sum_k w_k y_k}{\sum_k w_k}, \qquad
        \mathrm{se}(\hat\mu_{FE}) = \Big(\sum_k w_k\Big)^{-1/2}.

    This is complete pooling: it assumes every group has the same true effect
    (Borenstein et al. 2009, ch. 11).

    Parameters
    ----------
    y : array_like, shape (K,)
        Group effect estimates :math:`y_k`, :math:`K \ge 2`.
    sigma : array_like, shape (K,)
        Their standard errors :math:`\sigma_k` (finite, strictly positive).

    Returns
    -------
    FixedEffectResult
        ``mean`` and ``se``.
    """
    y, sigma = estimates(y, sigma)
    return FixedEffectResult(*_pool(y, sigma**-2))


def cochran_q(y, sigma) -> CochranQResult:
    r"""Cochran's (1954) test that all groups share one true effect.

    .. math::
        Q = \sum_k w_k (y_k - \hat\mu_{FE})^2, \qquad w_k = 1 / \sigma_k^2,

    the inverse-variance weighted between-group sum of squares around the
    fixed-effect mean :math:`\hat\mu_{FE}`. Under homogeneity (and known
    :math:`\sigma_k`) :math:`Q \sim \chi^2_{K-1}`; the p-value is
    :math:`P(\chi^2_{K-1} \ge Q)`.

    Parameters
    ----------
    y : array_like, shape (K,)
        Group effect estimates :math:`y_k`, :math:`K \ge 2`.
    sigma : array_like, shape (K,)
        Their standard errors :math:`\sigma_k` (finite, strictly positive).

    Returns
    -------
    CochranQResult
        ``statistic`` (:math:`Q`), ``df`` (:math:`K - 1`) and ``pvalue``.
    """
    y, sigma = estimates(y, sigma)
    Q, nu = _q(y, sigma), len(y) - 1
    return CochranQResult(Q, nu, _chi2_sf(Q, nu))


def cochran_q_batch(y, sigma) -> CochranQResult:
    r"""Cochran's :math:`Q` of each of :math:`R` sets of estimates, at once.

    Row :math:`r` gives :func:`cochran_q` of ``y[r]`` with standard errors
    ``sigma[r]`` (or the one row ``sigma``),

    .. math::
        Q_r = \sum_k w_{rk} (y_{rk} - \hat\mu_{FE,r})^2, \qquad
        w_{rk} = 1 / \sigma_{rk}^2,

    the same numbers as calling :func:`cochran_q` row by row, without a loop:
    a posterior or prior predictive check computes :math:`Q` of thousands of
    replicated data sets.

    Parameters
    ----------
    y : array_like, shape (R, K)
        :math:`R` sets of :math:`K \ge 2` group estimates.
    sigma : array_like, shape (R, K) or (K,)
        Their standard errors (strictly positive), one row per set or one row for all.

    Returns
    -------
    CochranQResult
        ``statistic`` (array of the :math:`R` values of :math:`Q`), ``df``
        (:math:`K - 1`) and ``pvalue`` (array, :math:`P(\chi^2_{K-1} \ge Q_r)`).

    References
    ----------
    Cochran, W. G. (1954). The combination of estimates from different
    experiments. *Biometrics*, 10(1), 101-129.
    """
    y, sigma = estimate_batches(y, sigma)
    w = sigma**-2
    mean = np.sum(w * y, axis=-1, keepdims=True) / np.sum(w, axis=-1, keepdims=True)
    Q, nu = np.sum(w * (y - mean) ** 2, axis=-1), y.shape[1] - 1
    return CochranQResult(Q, nu, special.chdtrc(nu, Q))


def i_squared(y, sigma) -> float:
    r"""Higgins and Thompson's (2002) :math:`I^2`: the share of variation beyond chance.

    .. math:: I^2 = \max\Big(0, \frac{Q - (K - 1)}{Q}\Big),

    with Cochran's :math:`Q` (see :func:`cochran_q`); :math:`I^2 = 0` when
    :math:`Q \le K - 1`, including :math:`Q = 0`.

    Parameters
    ----------
    y : array_like, shape (K,)
        Group effect estimates :math:`y_k`, :math:`K \ge 2`.
    sigma : array_like, shape (K,)
        Their standard errors :math:`\sigma_k` (finite, strictly positive).

    Returns
    -------
    float
        :math:`I^2` in :math:`[0, 1)`.
    """
    y, sigma = estimates(y, sigma)
    return _i2(_q(y, sigma), len(y) - 1)


def _i2(Q: float, nu: int) -> float:
    """I-squared from Q and its degrees of freedom (0 when Q <= df)."""
    return float((Q - nu) / Q) if nu < Q else 0.0


def dersimonian_laird(y, sigma) -> DerSimonianLairdResult:
    r"""Random-effects meta-analysis by DerSimonian and Laird's (1986) method of moments.

    The model is :math:`y_k \sim N(\theta_k, \sigma_k^2)`,
    :math:`\theta_k \sim N(\mu, \tau^2)`. Equating Cochran's :math:`Q` to its
    expectation :math:`E[Q] = (K - 1) + \tau^2 C` gives

    .. math::
        \hat\tau^2 = \max\Big(0, \frac{Q - (K - 1)}{C}\Big), \qquad
        C = \sum_k w_k - \frac{\sum_k w_k^2}{\sum_k w_k}, \qquad w_k = 1 / \sigma_k^2,

    and the pooled mean re-weights each group by :math:`w_k^* = 1 / (\sigma_k^2 + \hat\tau^2)`,

    .. math::
        \hat\mu_{DL} = \frac{\sum_k w_k^* y_k}{\sum_k w_k^*}, \qquad
        \mathrm{se}(\hat\mu_{DL}) = \Big(\sum_k w_k^*\Big)^{-1/2},

    which treats :math:`\hat\tau^2` as known. The truncation at 0 makes
    :math:`\hat\tau^2 = 0` (and the fixed-effect answer) whenever
    :math:`Q \le K - 1`.

    Parameters
    ----------
    y : array_like, shape (K,)
        Group effect estimates :math:`y_k`, :math:`K \ge 2`.
    sigma : array_like, shape (K,)
        Their standard errors :math:`\sigma_k` (finite, strictly positive).

    Returns
    -------
    DerSimonianLairdResult
        ``mean``, ``se``, ``tau2`` (and the property ``tau``), ``statistic``
        (Cochran's :math:`Q`), ``df``, ``pvalue`` and ``I2`` (:func:`i_squared`).
    """
    y, sigma = estimates(y, sigma)
    w = sigma**-2
    Q, nu = _q(y, sigma), len(y) - 1
    C = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (Q - nu) / C)
    mean, se_mean = _pool(y, 1.0 / (sigma**2 + tau2))
    return DerSimonianLairdResult(mean, se_mean, float(tau2), Q, nu, _chi2_sf(Q, nu), _i2(Q, nu))
