"""Classical (frequentist) reference computations.

These are the numbers a classical analysis reports; chapters compute them here
by hand and then show that statsmodels agrees.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from helpers._validation import binary_column, numeric_column, require_columns

__all__ = ["FTestResult", "joint_f_test"]


class FTestResult(NamedTuple):
    """An F-test: statistic, numerator and denominator degrees of freedom, p-value."""

    F: float
    df_num: int
    df_denom: int
    p_value: float


def _rss(X: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Residual sum of squares and rank of the least-squares fit of ``y`` on ``X``."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    return float(resid @ resid), int(np.linalg.matrix_rank(X))


def joint_f_test(df: pd.DataFrame, outcome: str, treatment: str, group: str) -> FTestResult:
    r"""Test that the treatment effect is zero in every group at once.

    Two nested least-squares fits are compared. The full model gives each group
    ``g`` its own intercept and its own treatment slope,
    :math:`y_i = \alpha_{g[i]} + \beta_{g[i]} t_i + \varepsilon_i`; the
    restricted model keeps the intercepts and sets every :math:`\beta_g = 0`.
    With residual sums of squares :math:`\mathrm{RSS}_r` and
    :math:`\mathrm{RSS}_f`, :math:`q` restrictions and :math:`n - p` residual
    degrees of freedom in the full model,

    .. math:: F = \frac{(\mathrm{RSS}_r - \mathrm{RSS}_f) / q}{\mathrm{RSS}_f / (n - p)}
              \sim F_{q,\, n-p} \text{ under } H_0: \beta_g = 0 \text{ for all } g.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    treatment : str
        Binary treatment column (0 = control, 1 = treated).
    group : str
        Grouping column; every group needs at least one treated and one control unit.

    Returns
    -------
    FTestResult
        ``F``, ``df_num`` (:math:`q`, the number of groups), ``df_denom``
        (:math:`n - p`) and ``p_value``.
    """
    for arg, value in {"outcome": outcome, "treatment": treatment, "group": group}.items():
        if not isinstance(value, str):
            raise TypeError(f"{arg} must be a column name (str), got {type(value).__name__}")
    require_columns(df, [outcome, treatment, group])
    y = numeric_column(df, outcome)
    t = binary_column(df, treatment)
    if df[group].isna().any():
        raise ValueError(f"df[{group!r}] must not contain missing values")
    labels = pd.Categorical(df[group])
    if len(labels.categories) < 1:
        raise ValueError("df must contain at least one group")
    counts = pd.crosstab(labels, t).reindex(columns=[0, 1], fill_value=0)
    empty = [
        f"{g} (no {'control' if row[0] == 0 else 'treated'} unit)"
        for g, row in counts.iterrows()
        if row.min() == 0
    ]
    if empty:
        raise ValueError(f"df[{group!r}]: every group needs treated and control units: {empty}")

    dummies = pd.get_dummies(labels).to_numpy(dtype=float)  # one intercept per group
    X_full = np.hstack([dummies, dummies * t[:, None]])
    rss_full, p_full = _rss(X_full, y)
    rss_restricted, p_restricted = _rss(dummies, y)
    df_denom = len(y) - p_full
    if df_denom < 1:
        raise ValueError(
            "df has too few rows: the full model leaves no residual degrees of freedom"
        )
    df_num = p_full - p_restricted
    F = ((rss_restricted - rss_full) / df_num) / (rss_full / df_denom)
    return FTestResult(float(F), int(df_num), int(df_denom), float(stats.f.sf(F, df_num, df_denom)))
