"""Effect sizes of two-arm count data, as ``(y, sigma)`` pairs for the meta-analysis.

:func:`log_odds_ratio` turns each group's conversion counts into an
estimate on the log-odds scale and its standard error.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from helpers._validation import as_scalar, two_arm_counts

__all__ = ["LogOddsRatioResult", "log_odds_ratio"]


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
    n_control, y_control, n_treat, y_treat = two_arm_counts(n_control, y_control, n_treat, y_treat)
    correction = as_scalar(correction, "correction", low=0.0, low_open=True)
    cells = np.column_stack([y_treat, n_treat - y_treat, y_control, n_control - y_control]).astype(
        float
    )
    corrected = np.any(cells == 0, axis=1)
    cells[corrected] += correction
    a, b, c, d = cells.T
    log_or = np.log(a) + np.log(d) - np.log(b) - np.log(c)
    sigma = np.sqrt(np.sum(1.0 / cells, axis=1))
    return LogOddsRatioResult(log_or, sigma, corrected)
