"""Unit-level analyses of a two-arm experiment run in several groups.

Each function takes a DataFrame with one row per unit, a numeric outcome, a
binary treatment (0 = control, 1 = treated) and a grouping column:
:func:`joint_f_test` (is the effect zero in every group?), :func:`two_way_anova`
(does it differ between groups?) and :func:`group_effects` (each group's
estimate ``y`` and standard error ``sigma``, the input of the summary-level
analyses in :mod:`helpers.classical.meta`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from helpers._validation import binary_column, numeric_column, require_columns

__all__ = ["FTestResult", "group_effects", "joint_f_test", "two_way_anova"]


class FTestResult(NamedTuple):
    """An F-test: statistic, numerator and denominator degrees of freedom, p-value."""

    statistic: float
    df_num: int
    df_denom: int
    pvalue: float


def _rss(X: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Residual sum of squares and rank of the least-squares fit of ``y`` on ``X``."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    return float(resid @ resid), int(np.linalg.matrix_rank(X))


def _two_arm_design(
    df: pd.DataFrame,
    outcome: str,
    treatment: str,
    group: str,
    *,
    group_arg: str = "group",
    min_per_arm: int = 1,
) -> tuple[np.ndarray, np.ndarray, pd.Categorical]:
    """Check a unit-level two-arm design and return outcome, treatment and group labels.

    Every group must hold at least ``min_per_arm`` control and ``min_per_arm``
    treated units. The labels come back as a Categorical without unused
    categories, in category order (sorted labels unless the column already is
    a Categorical, whose order is kept).
    """
    names = {"outcome": outcome, "treatment": treatment, group_arg: group}
    for arg, value in names.items():
        if not isinstance(value, str):
            raise TypeError(f"{arg} must be a column name (str), got {type(value).__name__}")
    if len(set(names.values())) < len(names):
        raise ValueError(f"{', '.join(names)} must name three different columns, got {names}")
    require_columns(df, [outcome, treatment, group])
    y = numeric_column(df, outcome)
    t = binary_column(df, treatment)
    if df[group].isna().any():
        raise ValueError(f"df[{group!r}] must not contain missing values")
    labels = pd.Categorical(df[group]).remove_unused_categories()
    if len(labels.categories) < 1:
        raise ValueError("df must contain at least one group")
    # units per (group, arm): column 0 control, 1 treated
    counts = np.zeros((len(labels.categories), 2), dtype=int)
    np.add.at(counts, (labels.codes, t), 1)
    short = []
    for g, row in zip(labels.categories, counts, strict=True):
        for arm, label in ((0, "control"), (1, "treated")):
            if row[arm] == 0:
                short.append(f"{g} (no {label} unit)")
            elif row[arm] < min_per_arm:
                short.append(f"{g} (only {row[arm]} {label} unit)")
    if short:
        need = (
            "treated and control units"
            if min_per_arm == 1
            else (f"at least {min_per_arm} treated and {min_per_arm} control units")
        )
        raise ValueError(f"df[{group!r}]: every group needs {need}: {short}")
    return y, t, labels


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
        ``statistic`` (:math:`F`), ``df_num`` (:math:`q`, the number of
        groups), ``df_denom`` (:math:`n - p`) and ``pvalue``.
    """
    y, t, labels = _two_arm_design(df, outcome, treatment, group)
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


def two_way_anova(df: pd.DataFrame, outcome: str, factor: str, treatment: str) -> pd.DataFrame:
    r"""Type-II two-way analysis of variance of a grouping factor and a binary treatment.

    Four least-squares fits with an intercept are compared: ``A`` (factor
    dummies), ``B`` (treatment), ``A + B`` and the full model
    ``A + B + A:B`` with one treatment effect per factor level. Each term's sum
    of squares is the drop in the residual sum of squares when it is added
    last among the terms that do not contain it (type II),

    .. math::
        SS_A = \mathrm{RSS}_{B} - \mathrm{RSS}_{A+B}, \quad
        SS_B = \mathrm{RSS}_{A} - \mathrm{RSS}_{A+B}, \quad
        SS_{AB} = \mathrm{RSS}_{A+B} - \mathrm{RSS}_{A+B+AB},

    with degrees of freedom equal to the increase in the number of estimated
    coefficients. Every term is tested against the full model's residual mean
    square, :math:`F = (SS / \nu) / (\mathrm{RSS}_{A+B+AB} / (n - p))` on
    :math:`(\nu, n - p)` degrees of freedom. The interaction row tests
    :math:`H_0`: the treatment effect is the same in every level of the factor.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    factor : str
        Grouping column (e.g. user segment) with at least two levels.
    treatment : str
        Binary treatment column (0 = control, 1 = treated).

    Returns
    -------
    pandas.DataFrame
        Shaped like ``statsmodels.stats.anova.anova_lm(fit, typ=2)``: index
        ``C(factor)``, ``C(treatment)``, ``C(factor):C(treatment)``, ``Residual``;
        columns ``sum_sq``, ``df``, ``F`` and ``PR(>F)`` (NaN on the residual row).

    Raises
    ------
    TypeError
        If a column name is not a string or the outcome is not numeric.
    ValueError
        If a column is missing, two arguments name the same column, the
        treatment is not binary, a label or outcome is missing, the factor has
        fewer than two levels, a cell (level by arm) is empty, or the full model
        leaves no residual degrees of freedom.
    """
    y, t, labels = _two_arm_design(df, outcome, treatment, factor, group_arg="factor")
    if len(labels.categories) < 2:
        raise ValueError(
            f"df[{factor!r}] must have at least 2 levels for a two-way ANOVA, "
            f"got {list(labels.categories)}"
        )
    ones = np.ones((len(y), 1))
    A = pd.get_dummies(labels, drop_first=True).to_numpy(dtype=float)
    B = t[:, None].astype(float)
    rss_full, p_full = _rss(np.hstack([ones, A, B, A * B]), y)
    rss_add, p_add = _rss(np.hstack([ones, A, B]), y)
    rss_a, p_a = _rss(np.hstack([ones, A]), y)
    rss_b, p_b = _rss(np.hstack([ones, B]), y)
    df_resid = len(y) - p_full
    if df_resid < 1:
        raise ValueError(
            "df has too few rows: the full model leaves no residual degrees of freedom "
            f"({len(y)} units for {p_full} coefficients)"
        )
    mse = rss_full / df_resid
    terms = {
        f"C({factor})": (rss_b - rss_add, p_add - p_b),
        f"C({treatment})": (rss_a - rss_add, p_add - p_a),
        f"C({factor}):C({treatment})": (rss_add - rss_full, p_full - p_add),
    }
    rows = {}
    for term, (ss, nu) in terms.items():
        F = (ss / nu) / mse
        rows[term] = (ss, float(nu), F, float(stats.f.sf(F, nu, df_resid)))
    rows["Residual"] = (rss_full, float(df_resid), np.nan, np.nan)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["sum_sq", "df", "F", "PR(>F)"])


def group_effects(df: pd.DataFrame, outcome: str, treatment: str, group: str) -> pd.DataFrame:
    r"""Estimate the treatment effect and its standard error in every group.

    Within group :math:`k` the effect estimate is the difference of arm means
    and its standard error the unpooled (Neyman, Welch) one,

    .. math::
        y_k = \bar y_{k1} - \bar y_{k0}, \qquad
        \sigma_k = \sqrt{\frac{v_{k1}}{n_{k1}} + \frac{v_{k0}}{n_{k0}}},

    where :math:`\bar y_{ka}`, :math:`v_{ka}` and :math:`n_{ka}` are the mean,
    sample variance (divisor :math:`n - 1`) and size of arm :math:`a` in group
    :math:`k`. These ``(y, sigma)`` pairs are the input of the meta-analytic
    functions of :mod:`helpers.classical.meta` and of :func:`helpers.models.hierarchical_normal`.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    treatment : str
        Binary treatment column (0 = control, 1 = treated).
    group : str
        Grouping column; every group needs at least two units in each arm.

    Returns
    -------
    pandas.DataFrame
        One row per group (the index is named after the ``group`` column and
        follows its category order: sorted labels, or the order of a
        Categorical column) with columns ``y`` (the estimate), ``sigma`` (its standard
        error), ``n_control`` and
        ``n_treated``.

    Raises
    ------
    TypeError
        If a column name is not a string or the outcome is not numeric.
    ValueError
        If a column is missing, the treatment is not binary, a label or
        outcome is missing, an arm of some group has fewer than two units, or
        the outcome is constant within both arms of a group.
    """
    y, t, labels = _two_arm_design(df, outcome, treatment, group, min_per_arm=2)
    rows = {}
    for code, name in enumerate(labels.categories):
        in_group = labels.codes == code
        treated, control = y[in_group & (t == 1)], y[in_group & (t == 0)]
        sigma = np.sqrt(treated.var(ddof=1) / treated.size + control.var(ddof=1) / control.size)
        if not sigma > 0:
            raise ValueError(
                f"df[{outcome!r}] is constant within both arms of group {name!r}: "
                "its standard error would be 0"
            )
        rows[name] = (treated.mean() - control.mean(), sigma, control.size, treated.size)
    out = pd.DataFrame.from_dict(
        rows, orient="index", columns=["y", "sigma", "n_control", "n_treated"]
    )
    out.index.name = group
    return out
