"""Effect sizes of two-arm count data, as ``(y, sigma)`` pairs for the meta-analysis.

:func:`log_odds_ratio` and :func:`log_risk_ratio` turn each group's event
counts into an estimate on the log odds or log risk scale and its standard
error.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from helpers._validation import as_scalar, two_arm_counts

__all__ = ["LogOddsRatioResult", "LogRiskRatioResult", "log_odds_ratio", "log_risk_ratio"]


def _cells(n_control, y_control, n_treat, y_treat, correction):
    """Check two-arm counts; return the 2x2 cells a, b, c, d, zero cells corrected.

    ``a, b`` are treated units with and without the event, ``c, d`` control
    units; every cell of a table with a zero cell gets ``correction`` added
    (``corrected`` flags those tables).
    """
    n_control, y_control, n_treat, y_treat = two_arm_counts(n_control, y_control, n_treat, y_treat)
    correction = as_scalar(correction, "correction", low=0.0, low_open=True)
    cells = np.column_stack([y_treat, n_treat - y_treat, y_control, n_control - y_control]).astype(
        float
    )
    corrected = np.any(cells == 0, axis=1)
    cells[corrected] += correction
    a, b, c, d = cells.T
    return a, b, c, d, corrected


class LogOddsRatioResult(NamedTuple):
    """Empirical log odds ratios, their Woolf standard errors and the corrected groups.

    Each field is a NumPy array with one entry per group: ``y`` (the log odds
    ratio) and ``sigma`` (its standard error), floats, the ``(y, sigma)`` pair
    of the meta-analysis; ``corrected`` (bool, true where a zero cell was
    corrected).
    """

    y: np.ndarray
    sigma: np.ndarray
    corrected: np.ndarray


def log_odds_ratio(n_control, y_control, n_treat, y_treat, *, correction=0.5) -> LogOddsRatioResult:
    r"""Empirical log odds ratio of treated against control, and its Woolf standard error.

    Group :math:`k`'s 2x2 table has :math:`a = y^T_k` converted and
    :math:`b = n^T_k - y^T_k` not converted treated units, and
    :math:`c = y^C_k` and :math:`d = n^C_k - y^C_k` control units. Then

    .. math::
        y_k = \log\frac{a\,d}{b\,c}
        = \operatorname{logit}\frac{a}{n^T_k} - \operatorname{logit}\frac{c}{n^C_k},
        \qquad
        \sigma_k = \sqrt{\frac{1}{a} + \frac{1}{b} + \frac{1}{c} + \frac{1}{d}}

    (Woolf 1955), the delta-method standard error of :math:`y_k`.
    Both are infinite (or undefined) when a cell is empty, so a group with a zero cell gets
    the Haldane-Anscombe correction: ``correction`` (default 1/2) is added to
    *all four* of its cells before either formula is applied; groups without
    a zero cell are left as they are. (statsmodels' ``Table2x2`` with its
    default ``shift_zeros=True`` instead replaces only the zero cells by 1/2,
    a different convention that gives a different estimate.)

    Parameters
    ----------
    n_control, y_control, n_treat, y_treat : array_like of int, shape (K,)
        Units and conversions in each arm of each group, :math:`n \ge 1`
        and :math:`0 \le y \le n` (the argument order of
        :func:`helpers.models.hierarchical_binomial`).
    correction : float, default 0.5
        What is added to every cell of a table with a zero cell (> 0).

    Returns
    -------
    LogOddsRatioResult
        ``y`` (:math:`y_k`), ``sigma`` (:math:`\sigma_k`) and
        ``corrected`` (which groups had a zero cell).

    Raises
    ------
    TypeError
        If counts are not whole numbers or ``correction`` is not a number.
    ValueError
        If a count is negative, a conversion count exceeds its arm size, an
        arm is empty, the arrays differ in length, or ``correction <= 0``.
    """
    a, b, c, d, corrected = _cells(n_control, y_control, n_treat, y_treat, correction)
    log_or = np.log(a) + np.log(d) - np.log(b) - np.log(c)
    sigma = np.sqrt(1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d)
    return LogOddsRatioResult(log_or, sigma, corrected)


class LogRiskRatioResult(NamedTuple):
    """Empirical log risk ratios, their standard errors and the corrected groups.

    Each field is a NumPy array with one entry per group: ``y`` (the log risk
    ratio) and ``sigma`` (its standard error), floats, the ``(y, sigma)`` pair
    of the meta-analysis; ``corrected`` (bool, true where a zero cell was
    corrected).
    """

    y: np.ndarray
    sigma: np.ndarray
    corrected: np.ndarray


def log_risk_ratio(n_control, y_control, n_treat, y_treat, *, correction=0.5) -> LogRiskRatioResult:
    r"""Empirical log risk ratio of treated against control, and its standard error.

    Group :math:`k`'s 2x2 table has :math:`a = y^T_k` events and
    :math:`b = n^T_k - y^T_k` non-events among treated units, and
    :math:`c = y^C_k` and :math:`d = n^C_k - y^C_k` among control units. Then

    .. math::
        y_k = \log\frac{a / (a + b)}{c / (c + d)}, \qquad
        \sigma_k = \sqrt{\frac{1}{a} - \frac{1}{a + b} + \frac{1}{c} - \frac{1}{c + d}},

    the delta-method standard error of :math:`y_k` (Katz et al. 1978). A
    group with a zero cell is corrected as in :func:`log_odds_ratio`:
    ``correction`` (default 1/2) is added to *all four* of its cells, so each
    arm grows by ``2 * correction``, before either formula is applied; groups
    without a zero cell are left as they are (metafor's ``escalc`` default,
    ``add=1/2, to="only0"``). A risk ratio below 1 means fewer events among
    the treated: for a vaccine, :math:`1 - e^{y_k}` is the estimated efficacy.

    Parameters
    ----------
    n_control, y_control, n_treat, y_treat : array_like of int, shape (K,)
        Units and events in each arm of each group, :math:`n \ge 1` and
        :math:`0 \le y \le n` (the argument order of :func:`log_odds_ratio`).
    correction : float, default 0.5
        What is added to every cell of a table with a zero cell (> 0).

    Returns
    -------
    LogRiskRatioResult
        ``y`` (:math:`y_k`), ``sigma`` (:math:`\sigma_k`) and ``corrected``
        (which groups had a zero cell).

    Raises
    ------
    TypeError
        If counts are not whole numbers or ``correction`` is not a number.
    ValueError
        If a count is negative, an event count exceeds its arm size, an arm is
        empty, the arrays differ in length, or ``correction <= 0``.

    References
    ----------
    Katz, D., Baptista, J., Azen, S. P. and Pike, M. C. (1978). Obtaining
    confidence intervals for the risk ratio in cohort studies. *Biometrics*
    34, 469-474.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor
    package. *Journal of Statistical Software* 36(3), 1-48.
    """
    a, b, c, d, corrected = _cells(n_control, y_control, n_treat, y_treat, correction)
    y = np.log(a) - np.log(a + b) - np.log(c) + np.log(c + d)
    sigma = np.sqrt(1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d))
    return LogRiskRatioResult(y, sigma, corrected)
