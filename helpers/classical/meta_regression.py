r"""Mixed-effects meta-regression: group effects explained by group-level covariates.

The model adds moderators to the random-effects model of
:mod:`helpers.classical.random_effects`,

.. math::
    y_k \mid \theta_k \sim N(\theta_k, \sigma_k^2), \qquad
    \theta_k \sim N(\beta_0 + x_k^\top \beta, \tau^2), \qquad k = 1, \dots, K,

so :math:`\tau^2` is now the *residual* heterogeneity, what the covariates
leave unexplained (Thompson and Higgins 2002).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from helpers._validation import as_scalar, estimates, one_of
from helpers.classical.random_effects import _root_from_zero, random_effects

__all__ = ["MetaRegressionResult", "meta_regression"]

_METHODS = ("dl", "pm", "reml")


class MetaRegressionResult(NamedTuple):
    r"""A mixed-effects meta-regression (see :func:`meta_regression`).

    ``coef``, ``se``, ``statistic`` (:math:`z`), ``pvalue``, ``ci_low`` and
    ``ci_high`` are arrays with the intercept first; ``cov`` is the
    covariance matrix of ``coef``. ``tau2`` is the residual between-group
    variance, ``tau2_total`` that of the model without moderators (same
    method), ``R2`` the share of it explained; ``I2`` is the residual
    heterogeneity share; ``QE`` (on ``df_resid`` = :math:`K - p - 1` degrees
    of freedom, p-value ``QE_pvalue``) tests residual heterogeneity and ``QM``
    (on ``df_mods`` = :math:`p`, ``QM_pvalue``) that every slope is zero.
    """

    coef: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    cov: np.ndarray
    tau2: float
    tau2_total: float
    R2: float
    I2: float
    QE: float
    df_resid: int
    QE_pvalue: float
    QM: float
    df_mods: int
    QM_pvalue: float
    method: str

    @property
    def tau(self) -> float:
        r"""Residual between-group standard deviation, :math:`\sqrt{\hat\tau^2}`."""
        return float(np.sqrt(self.tau2))


def _design(X, K: int) -> np.ndarray:
    """Check the moderators and return the design matrix with an intercept column first."""
    if isinstance(X, str | bytes) or X is None:
        raise TypeError(f"X must be an array of numbers, got {type(X).__name__}")
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError("X must contain only numbers") from err
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must be one- or two-dimensional, got shape {X.shape}")
    if X.shape[0] != K:
        raise ValueError(f"X must have one row per group ({K}), got {X.shape[0]}")
    if X.shape[1] < 1:
        raise ValueError("X must have at least one column (the intercept is added)")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite (no NaN or infinity)")
    Z = np.column_stack([np.ones(K), X])
    if K - Z.shape[1] < 1:
        raise ValueError(
            f"X has too many columns: {Z.shape[1]} coefficients need more than {K} groups"
        )
    if np.linalg.matrix_rank(Z) < Z.shape[1]:
        raise ValueError(
            "X must have full column rank together with the intercept "
            "(no constant or collinear columns)"
        )
    return Z


def _fit(tau2: float, y, sigma, Z):
    """Weighted least squares at fixed tau2: coef, its covariance, residual Q and P matrix."""
    w = 1.0 / (sigma**2 + tau2)
    ZtW = Z.T * w
    cov = np.linalg.inv(ZtW @ Z)
    coef = cov @ (ZtW @ y)
    resid = y - Z @ coef
    P = np.diag(w) - ZtW.T @ cov @ ZtW
    return coef, cov, float(np.sum(w * resid**2)), P


def _residual_tau2(y, sigma, Z, method: str) -> float:
    """Residual between-group variance by ``method``, truncated at 0."""
    nu = len(y) - Z.shape[1]
    if method == "dl":
        _, _, QE, P0 = _fit(0.0, y, sigma, Z)
        return max(0.0, (QE - nu) / float(np.trace(P0)))
    if method == "pm":
        return _root_from_zero(lambda t2: _fit(t2, y, sigma, Z)[2] - nu, y, sigma)

    def score(t2: float) -> float:
        P = _fit(t2, y, sigma, Z)[3]
        Py = P @ y
        return 0.5 * float(Py @ Py - np.trace(P))

    return _root_from_zero(score, y, sigma)


def meta_regression(y, sigma, X, *, method="reml", level=0.95) -> MetaRegressionResult:
    r"""Mixed-effects meta-regression of group effects on group-level moderators.

    Model: :math:`y_k \sim N(\theta_k, \sigma_k^2)` with known
    :math:`\sigma_k`, :math:`\theta_k \sim N(z_k^\top b, \tau^2)`, where
    :math:`z_k = (1, x_k^\top)^\top` prepends an intercept to the row
    :math:`x_k` of ``X``. Write :math:`W = \mathrm{diag}(1/(\sigma_k^2 +
    \tau^2))` and :math:`P = W - W Z (Z^\top W Z)^{-1} Z^\top W`.

    **Residual heterogeneity** (``method``), truncated at 0: ``"reml"``
    maximises the restricted likelihood
    :math:`-\tfrac12 \log|W^{-1}| - \tfrac12 \log|Z^\top W Z| - \tfrac12 y^\top P y`,
    i.e. solves :math:`y^\top P^2 y = \mathrm{tr}(P)`; ``"pm"`` solves
    :math:`Q_E(\tau^2) = y^\top P y = K - p - 1`; ``"dl"`` is the method of
    moments of Raudenbush (2009),
    :math:`\hat\tau^2 = (Q_E(0) - (K - p - 1)) / \mathrm{tr}(P_0)` with
    :math:`P_0 = P` at :math:`\tau^2 = 0`, from
    :math:`E\,Q_E(0) = K - p - 1 + \tau^2\,\mathrm{tr}(P_0)`.

    **Coefficients** by weighted least squares at :math:`\hat\tau^2`,

    .. math::
        \hat b = (Z^\top \hat W Z)^{-1} Z^\top \hat W y, \qquad
        \mathrm{Cov}(\hat b) = (Z^\top \hat W Z)^{-1},

    with Wald :math:`z` tests and intervals :math:`\hat b_j \pm
    z_{1-\alpha/2}\,\mathrm{se}_j`. :math:`Q_M = \hat b_{1:}^\top
    \mathrm{Cov}(\hat b)_{1:,1:}^{-1} \hat b_{1:} \sim \chi^2_p` tests the
    slopes, :math:`Q_E = y^\top P_0 y \sim \chi^2_{K-p-1}` residual
    heterogeneity (both as in metafor).

    **Heterogeneity explained** (Raudenbush 2009; metafor's :math:`R^2`):
    :math:`R^2 = \max\{0, (\hat\tau^2_{RE} - \hat\tau^2) / \hat\tau^2_{RE}\}`,
    where :math:`\hat\tau^2_{RE}` is the estimate without moderators
    (:func:`helpers.classical.random_effects`, same ``method``). The residual
    :math:`I^2 = \hat\tau^2 / (\hat\tau^2 + \tilde s^2)` uses
    :math:`\tilde s^2 = (K - p - 1) / \mathrm{tr}(P_0)`.

    Parameters
    ----------
    y : array_like, shape (K,)
        Group effect estimates.
    sigma : array_like, shape (K,)
        Their standard errors (finite, strictly positive), treated as known.
    X : array_like, shape (K,) or (K, p)
        Moderators, one row per group, *without* an intercept column (it is
        added); with the intercept it must have full column rank and
        :math:`K > p + 1`.
    method : {"reml", "pm", "dl"}, default "reml"
        Estimator of the residual :math:`\tau^2`.
    level : float, default 0.95
        Coverage of the coefficient intervals, in (0, 1).

    Returns
    -------
    MetaRegressionResult
        ``coef`` (intercept first), ``se``, ``statistic``, ``pvalue``,
        ``ci_low``, ``ci_high``, ``cov``, ``tau2``, ``tau2_total``, ``R2``,
        ``I2``, ``QE``, ``df_resid``, ``QE_pvalue``, ``QM``, ``df_mods``,
        ``QM_pvalue``, ``method`` (and the property ``tau``).

    Raises
    ------
    TypeError
        If ``y``, ``sigma`` or ``X`` is not numeric, or ``method`` or
        ``level`` has the wrong type.
    ValueError
        If the lengths disagree, values are not finite, a ``sigma`` is not
        positive, ``X`` is rank-deficient with the intercept or has too many
        columns for :math:`K`, ``method`` is not an option or ``level`` is not
        in (0, 1).

    References
    ----------
    Thompson, S. G. and Higgins, J. P. T. (2002). How should meta-regression
    analyses be undertaken and interpreted? *Statistics in Medicine* 21,
    1559-1573.
    Raudenbush, S. W. (2009). Analyzing effect sizes: random-effects models.
    In Cooper, Hedges and Valentine (eds.), *The Handbook of Research Synthesis
    and Meta-Analysis*, 2nd ed., 295-315. Russell Sage Foundation.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor
    package. *Journal of Statistical Software* 36(3), 1-48.
    """
    y, sigma = estimates(y, sigma, min_length=3)
    method = one_of(method, "method", _METHODS)
    level = as_scalar(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    Z = _design(X, len(y))
    K, n_coef = Z.shape

    tau2 = _residual_tau2(y, sigma, Z, method)
    coef, cov, _, _ = _fit(tau2, y, sigma, Z)
    se = np.sqrt(np.diag(cov))
    statistic = coef / se
    half = stats.norm.ppf(0.5 + level / 2) * se
    slopes = coef[1:]
    QM = float(slopes @ np.linalg.solve(cov[1:, 1:], slopes))
    _, _, QE, P0 = _fit(0.0, y, sigma, Z)
    df_resid = K - n_coef
    tau2_total = random_effects(y, sigma, method=method).tau2
    R2 = max(0.0, (tau2_total - tau2) / tau2_total) if tau2_total > 0 else 0.0
    typical = df_resid / float(np.trace(P0))
    return MetaRegressionResult(
        coef=coef,
        se=se,
        statistic=statistic,
        pvalue=2.0 * stats.norm.sf(np.abs(statistic)),
        ci_low=coef - half,
        ci_high=coef + half,
        cov=cov,
        tau2=tau2,
        tau2_total=float(tau2_total),
        R2=float(R2),
        I2=float(tau2 / (tau2 + typical)),
        QE=QE,
        df_resid=df_resid,
        QE_pvalue=float(stats.chi2.sf(QE, df_resid)),
        QM=QM,
        df_mods=n_coef - 1,
        QM_pvalue=float(stats.chi2.sf(QM, n_coef - 1)),
        method=method,
    )
