"""Classical (frequentist) reference computations.

These are the numbers a classical analysis reports; chapters compute them here
by hand and then show that statsmodels agrees.

Two families live here. Unit-level analyses take a DataFrame with one row per
unit, a numeric outcome, a binary treatment (0 = control, 1 = treated) and a
grouping column: :func:`joint_f_test`, :func:`two_way_anova` and
:func:`group_effects`. Summary-level (meta-analytic) analyses take one effect
estimate ``d`` and its standard error ``se`` per group:
:func:`fixed_effect`, :func:`cochran_q`, :func:`i_squared` and
:func:`dersimonian_laird`. :func:`log_odds_ratio` turns two-arm conversion
counts into such ``(d, se)`` pairs on the log-odds scale.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from helpers._validation import (
    as_float_vector,
    as_positive_vector,
    as_scalar,
    binary_column,
    numeric_column,
    require_columns,
    same_length,
    two_arm_counts,
)

__all__ = [
    "CochranQResult",
    "DerSimonianLairdResult",
    "FTestResult",
    "FixedEffectResult",
    "LogOddsRatioResult",
    "cochran_q",
    "dersimonian_laird",
    "fixed_effect",
    "group_effects",
    "i_squared",
    "joint_f_test",
    "log_odds_ratio",
    "two_way_anova",
]


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
    counts = pd.crosstab(labels, t).reindex(columns=[0, 1], fill_value=0)
    short = []
    for g, row in counts.iterrows():
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
        ``F``, ``df_num`` (:math:`q`, the number of groups), ``df_denom``
        (:math:`n - p`) and ``p_value``.
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
        \hat d_k = \bar y_{k1} - \bar y_{k0}, \qquad
        s_k = \sqrt{\frac{v_{k1}}{n_{k1}} + \frac{v_{k0}}{n_{k0}}},

    where :math:`\bar y_{ka}`, :math:`v_{ka}` and :math:`n_{ka}` are the mean,
    sample variance (divisor :math:`n - 1`) and size of arm :math:`a` in group
    :math:`k`. These ``(d, se)`` pairs are the input of the meta-analytic
    functions of this module and of :func:`helpers.models.hierarchical_normal`.

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
        Categorical column) with columns ``d``, ``se``, ``n_control`` and
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
        se = np.sqrt(treated.var(ddof=1) / treated.size + control.var(ddof=1) / control.size)
        if not se > 0:
            raise ValueError(
                f"df[{outcome!r}] is constant within both arms of group {name!r}: "
                "its standard error would be 0"
            )
        rows[name] = (treated.mean() - control.mean(), se, control.size, treated.size)
    out = pd.DataFrame.from_dict(
        rows, orient="index", columns=["d", "se", "n_control", "n_treated"]
    )
    out.index.name = group
    return out


class FixedEffectResult(NamedTuple):
    """Inverse-variance pooled (common-effect) estimate and its standard error."""

    mean: float
    se: float


class CochranQResult(NamedTuple):
    """Cochran's homogeneity statistic, its degrees of freedom and chi-square p-value."""

    Q: float
    df: int
    p_value: float


class DerSimonianLairdResult(NamedTuple):
    """Random-effects summary by DerSimonian and Laird's method of moments.

    ``mean`` and ``se`` are the random-effects pooled mean and its standard
    error, ``tau2`` the between-group variance estimate (``tau`` its square
    root), ``Q``, ``df`` and ``p_value`` Cochran's test, ``I2`` Higgins and
    Thompson's :math:`I^2`.
    """

    mean: float
    se: float
    tau2: float
    Q: float
    df: int
    p_value: float
    I2: float

    @property
    def tau(self) -> float:
        r"""Between-group standard deviation, :math:`\hat\tau = \sqrt{\hat\tau^2}`."""
        return float(np.sqrt(self.tau2))


def _effects(d, se) -> tuple[np.ndarray, np.ndarray]:
    """Check per-group estimates and standard errors (K >= 2, same length, se > 0)."""
    d = as_float_vector(d, "d", min_length=2)
    se = as_positive_vector(se, "se", min_length=2)
    same_length(d=d, se=se)
    return d, se


def _pool(d: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean of ``d`` with weights ``w`` and its standard error ``1/sqrt(sum w)``."""
    return float(np.sum(w * d) / np.sum(w)), float(1.0 / np.sqrt(np.sum(w)))


def _q(d: np.ndarray, se: np.ndarray) -> float:
    """Cochran's Q for checked inputs."""
    w = se**-2
    mean, _ = _pool(d, w)
    return float(np.sum(w * (d - mean) ** 2))


def fixed_effect(d, se) -> FixedEffectResult:
    r"""Pool group estimates under one common effect (inverse-variance weighting).

    With weights :math:`w_k = 1 / s_k^2`,

    .. math::
        \hat\mu_{FE} = \frac{\sum_k w_k \hat d_k}{\sum_k w_k}, \qquad
        \mathrm{se}(\hat\mu_{FE}) = \Big(\sum_k w_k\Big)^{-1/2}.

    This is complete pooling: it assumes every group has the same true effect
    (Borenstein et al. 2009, ch. 11).

    Parameters
    ----------
    d : array_like, shape (K,)
        Group effect estimates, :math:`K \ge 2`.
    se : array_like, shape (K,)
        Their standard errors (finite, strictly positive).

    Returns
    -------
    FixedEffectResult
        ``mean`` and ``se``.
    """
    d, se = _effects(d, se)
    return FixedEffectResult(*_pool(d, se**-2))


def cochran_q(d, se) -> CochranQResult:
    r"""Cochran's (1954) test that all groups share one true effect.

    .. math::
        Q = \sum_k w_k (\hat d_k - \hat\mu_{FE})^2, \qquad w_k = 1 / s_k^2,

    the inverse-variance weighted between-group sum of squares around the
    fixed-effect mean :math:`\hat\mu_{FE}`. Under homogeneity (and known
    :math:`s_k`) :math:`Q \sim \chi^2_{K-1}`; the p-value is
    :math:`P(\chi^2_{K-1} \ge Q)`.

    Parameters
    ----------
    d : array_like, shape (K,)
        Group effect estimates, :math:`K \ge 2`.
    se : array_like, shape (K,)
        Their standard errors (finite, strictly positive).

    Returns
    -------
    CochranQResult
        ``Q``, ``df`` (:math:`K - 1`) and ``p_value``.
    """
    d, se = _effects(d, se)
    Q, nu = _q(d, se), len(d) - 1
    return CochranQResult(Q, nu, float(stats.chi2.sf(Q, nu)))


def i_squared(d, se) -> float:
    r"""Higgins and Thompson's (2002) :math:`I^2`: the share of variation beyond chance.

    .. math:: I^2 = \max\Big(0, \frac{Q - (K - 1)}{Q}\Big),

    with Cochran's :math:`Q` (see :func:`cochran_q`); :math:`I^2 = 0` when
    :math:`Q \le K - 1`, including :math:`Q = 0`.

    Parameters
    ----------
    d : array_like, shape (K,)
        Group effect estimates, :math:`K \ge 2`.
    se : array_like, shape (K,)
        Their standard errors (finite, strictly positive).

    Returns
    -------
    float
        :math:`I^2` in :math:`[0, 1)`.
    """
    d, se = _effects(d, se)
    return _i2(_q(d, se), len(d) - 1)


def _i2(Q: float, nu: int) -> float:
    """I-squared from Q and its degrees of freedom (0 when Q <= df)."""
    return float((Q - nu) / Q) if nu < Q else 0.0


def dersimonian_laird(d, se) -> DerSimonianLairdResult:
    r"""Random-effects meta-analysis by DerSimonian and Laird's (1986) method of moments.

    The model is :math:`\hat d_k \sim N(\theta_k, s_k^2)`,
    :math:`\theta_k \sim N(\mu, \tau^2)`. Equating Cochran's :math:`Q` to its
    expectation :math:`E[Q] = (K - 1) + \tau^2 C` gives

    .. math::
        \hat\tau^2 = \max\Big(0, \frac{Q - (K - 1)}{C}\Big), \qquad
        C = \sum_k w_k - \frac{\sum_k w_k^2}{\sum_k w_k}, \qquad w_k = 1 / s_k^2,

    and the pooled mean re-weights each group by :math:`w_k^* = 1 / (s_k^2 + \hat\tau^2)`,

    .. math::
        \hat\mu_{DL} = \frac{\sum_k w_k^* \hat d_k}{\sum_k w_k^*}, \qquad
        \mathrm{se}(\hat\mu_{DL}) = \Big(\sum_k w_k^*\Big)^{-1/2},

    which treats :math:`\hat\tau^2` as known. The truncation at 0 makes
    :math:`\hat\tau^2 = 0` (and the fixed-effect answer) whenever
    :math:`Q \le K - 1`.

    Parameters
    ----------
    d : array_like, shape (K,)
        Group effect estimates, :math:`K \ge 2`.
    se : array_like, shape (K,)
        Their standard errors (finite, strictly positive).

    Returns
    -------
    DerSimonianLairdResult
        ``mean``, ``se``, ``tau2`` (and the property ``tau``), ``Q``, ``df``,
        ``p_value`` and ``I2`` (:func:`i_squared`).
    """
    d, se = _effects(d, se)
    w = se**-2
    Q, nu = _q(d, se), len(d) - 1
    C = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (Q - nu) / C)
    mean, se_mean = _pool(d, 1.0 / (se**2 + tau2))
    return DerSimonianLairdResult(
        mean, se_mean, float(tau2), Q, nu, float(stats.chi2.sf(Q, nu)), _i2(Q, nu)
    )


class LogOddsRatioResult(NamedTuple):
    """Empirical log odds ratios, their Woolf standard errors and the corrected groups.

    Each field is a NumPy array with one entry per group: ``log_or`` and ``se``
    (floats), ``corrected`` (bool, true where a zero cell was corrected).
    """

    log_or: np.ndarray
    se: np.ndarray
    corrected: np.ndarray


def log_odds_ratio(n_control, y_control, n_treat, y_treat, *, correction=0.5) -> LogOddsRatioResult:
    r"""Empirical log odds ratio of treated against control, and its Woolf standard error.

    Group :math:`k`'s 2x2 table has :math:`a = y^T_k` converted and
    :math:`b = n^T_k - y^T_k` not converted treated units, and
    :math:`c = y^C_k` and :math:`d = n^C_k - y^C_k` control units. Then

    .. math::
        \hat d_k = \log\frac{a\,d}{b\,c}
        = \operatorname{logit}\frac{a}{n^T_k} - \operatorname{logit}\frac{c}{n^C_k},
        \qquad
        s_k = \sqrt{\frac{1}{a} + \frac{1}{b} + \frac{1}{c} + \frac{1}{d}}

    (Woolf 1955), the delta-method standard error of :math:`\hat d_k`.
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
        ``log_or`` (:math:`\hat d_k`), ``se`` (:math:`s_k`) and
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
    se = np.sqrt(np.sum(1.0 / cells, axis=1))
    return LogOddsRatioResult(log_or, se, corrected)
