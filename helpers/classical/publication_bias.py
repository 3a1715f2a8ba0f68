r"""Small-study effects and publication bias: Egger's test, PET-PEESE, trim and fill.

When studies with small, non-significant or unwelcome results go unpublished,
the studies that remain show a *small-study effect*: the smaller a study (the
larger its standard error :math:`\sigma_k`), the larger its estimate
:math:`y_k`. A funnel plot (:math:`y_k` against :math:`\sigma_k`) is then
asymmetric. Three classical tools look for, or correct, that asymmetry:

- :func:`egger_test`, the regression of :math:`y_k` on :math:`\sigma_k`
  (Egger et al. 1997), whose slope measures the asymmetry and whose intercept
  is the effect a study with :math:`\sigma = 0` would show;
- :func:`pet_peese`, Stanley and Doucouliagos's (2014) conditional choice
  between that intercept (PET) and the one from a regression on
  :math:`\sigma_k^2` (PEESE);
- :func:`trim_and_fill`, Duval and Tweedie's (2000a, 2000b) nonparametric
  estimate of how many studies are missing from one side of the funnel, and
  the pooled estimate once their mirror images are filled in.

All three describe *asymmetry*; none can tell publication bias from other
causes of small-study effects (true heterogeneity related to study size,
chance, or artefacts of the effect measure; Sterne and Egger 2005).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special, stats

from helpers._validation import as_scalar, estimates, one_of, positive_int
from helpers.classical.meta import fixed_effect
from helpers.classical.meta_regression import meta_regression
from helpers.classical.random_effects import random_effects

__all__ = [
    "EggerResult",
    "PetPeeseResult",
    "TrimAndFillResult",
    "egger_test",
    "pet_peese",
    "trim_and_fill",
]

_ESTIMATORS = ("L0", "R0")
_SIDES = ("left", "right")
_METHODS = ("fixed", "reml", "dl", "pm")


class EggerResult(NamedTuple):
    r"""Egger's regression test (see :func:`egger_test`).

    ``statistic`` is the :math:`t` statistic of the slope on :math:`\sigma`
    (the asymmetry), ``pvalue`` its two-sided p-value on ``df`` =
    :math:`K - 2` degrees of freedom and ``slope`` the slope itself;
    ``estimate``, ``se``, ``low`` and ``high`` are the limit estimate (the
    intercept, the expected effect as :math:`\sigma \to 0`) with its standard
    error and :math:`t` interval.
    """

    statistic: float
    pvalue: float
    df: int
    slope: float
    estimate: float
    se: float
    low: float
    high: float


class PetPeeseResult(NamedTuple):
    r"""The PET-PEESE estimate (see :func:`pet_peese`).

    ``estimate``, ``se``, ``low`` and ``high`` are the chosen model's
    intercept with its standard error and :math:`t` interval; ``model`` is
    ``"PET"`` or ``"PEESE"``; ``pet_pvalue`` is the two-sided p-value of PET's
    test of :math:`H_0: \beta_0 = 0`, which made the choice.
    """

    estimate: float
    se: float
    low: float
    high: float
    model: str
    pet_pvalue: float


class TrimAndFillResult(NamedTuple):
    r"""Duval and Tweedie's trim and fill (see :func:`trim_and_fill`).

    ``k0`` is the estimated number of missing studies, ``k0_se`` its standard
    error, ``pvalue`` the test of no missing studies (``R0`` only; NaN for
    ``L0``), ``side`` the side of the funnel they are missing from;
    ``estimate``, ``se``, ``low`` and ``high`` the pooled estimate of the
    filled data; ``y`` and ``sigma`` the filled data (the observed studies in
    their order, then the ``k0`` imputed ones) and ``filled`` a boolean mask
    of the imputed studies.
    """

    k0: int
    k0_se: float
    pvalue: float
    side: str
    estimate: float
    se: float
    low: float
    high: float
    y: np.ndarray
    sigma: np.ndarray
    filled: np.ndarray


class _Fit(NamedTuple):
    """Intercept and slope of a weighted regression with multiplicative dispersion."""

    coef: np.ndarray
    se: np.ndarray
    df: int


def _wls(y: np.ndarray, sigma: np.ndarray, x: np.ndarray) -> _Fit:
    r"""Regress ``y`` on ``x`` with weights :math:`1/\sigma^2` and estimated dispersion.

    :math:`\hat b = (Z^\top W Z)^{-1} Z^\top W y` with :math:`Z = [1, x]`,
    :math:`W = \mathrm{diag}(\sigma_k^{-2})`, and
    :math:`\mathrm{Cov}(\hat b) = \hat\phi\,(Z^\top W Z)^{-1}`,
    :math:`\hat\phi = \sum_k w_k r_k^2 / (K - 2)` (the residual mean square).
    """
    if np.ptp(x) <= 1e-12 * np.max(np.abs(x)):
        raise ValueError(
            "sigma must not be the same for every study: the regression on the "
            "standard error needs studies of different precision"
        )
    w = sigma**-2
    Z = np.column_stack([np.ones_like(x), x])
    ZtW = Z.T * w
    bread = np.linalg.inv(ZtW @ Z)
    coef = bread @ (ZtW @ y)
    df = len(y) - 2
    phi = float(np.sum(w * (y - Z @ coef) ** 2)) / df
    return _Fit(coef, np.sqrt(phi * np.diag(bread)), df)


def _intercept(fit: _Fit, level: float) -> tuple[float, float, float, float]:
    """Return the intercept, its standard error and t interval (+- t_{df, (1+level)/2} se)."""
    estimate, se = float(fit.coef[0]), float(fit.se[0])
    half = float(special.stdtrit(fit.df, 0.5 + level / 2)) * se
    return estimate, se, estimate - half, estimate + half


def _two_sided_t(statistic: float, df: int) -> float:
    """Two-sided p-value of a t statistic on ``df`` degrees of freedom."""
    return float(2.0 * stats.t.sf(abs(statistic), df))


def egger_test(y, sigma, *, level=0.95) -> EggerResult:
    r"""Egger's regression test for funnel-plot asymmetry, with its limit estimate.

    Weighted least squares of the estimates on their standard errors,

    .. math::
        y_k = \beta_0 + \beta_1 \sigma_k + \varepsilon_k, \qquad
        \mathrm{Var}(\varepsilon_k) = \phi\, \sigma_k^2,

    with weights :math:`w_k = 1/\sigma_k^2` and the multiplicative dispersion
    :math:`\phi` estimated by the residual mean square on :math:`K - 2`
    degrees of freedom (metafor's ``regtest(model="lm")``, Viechtbauer 2010).
    Without small-study effects :math:`\beta_1 = 0`; the test statistic is
    :math:`t = \hat\beta_1 / \mathrm{se}(\hat\beta_1)` on :math:`K - 2`
    degrees of freedom, two-sided. The intercept :math:`\hat\beta_0` is the
    *limit estimate*, the effect expected of a study with :math:`\sigma \to 0`
    (the PET estimate of :func:`pet_peese`), reported with the interval
    :math:`\hat\beta_0 \pm t_{K-2,\,(1+\text{level})/2}\,\mathrm{se}(\hat\beta_0)`.

    **Egger's original form.** Egger et al. (1997) regress the standard normal
    deviate on the precision by ordinary least squares,
    :math:`y_k/\sigma_k = a + b\,(1/\sigma_k) + e_k`. Dividing the model above
    by :math:`\sigma_k` gives exactly this regression with :math:`a = \beta_1`
    and :math:`b = \beta_0`, and its sum of squares
    :math:`\sum_k (y_k/\sigma_k - a - b/\sigma_k)^2 = \sum_k w_k (y_k -
    b - a \sigma_k)^2` is the weighted one above: the two fits have the same
    estimates, residual mean square and :math:`t` statistics. Egger's
    *intercept* :math:`a` is this function's ``slope``.

    Parameters
    ----------
    y : array_like, shape (K,)
        Study estimates, :math:`K \ge 3`.
    sigma : array_like, shape (K,)
        Their standard errors (finite, strictly positive, not all equal).
    level : float, default 0.95
        Coverage of the interval for the limit estimate, in (0, 1).

    Returns
    -------
    EggerResult
        ``statistic``, ``pvalue``, ``df``, ``slope``, ``estimate``, ``se``,
        ``low`` and ``high``.

    Raises
    ------
    TypeError
        If ``y`` or ``sigma`` is not numeric or ``level`` is not a number.
    ValueError
        If ``y`` and ``sigma`` differ in length, have fewer than three values
        or non-finite ones, a ``sigma`` is not positive, every ``sigma`` is the
        same, or ``level`` is not in (0, 1).

    References
    ----------
    Egger, M., Davey Smith, G., Schneider, M. and Minder, C. (1997). Bias in
    meta-analysis detected by a simple, graphical test. *BMJ* 315, 629-634.
    Sterne, J. A. C. and Egger, M. (2005). Regression methods to detect
    publication and other bias in meta-analysis. In Rothstein, Sutton and
    Borenstein (eds.), *Publication Bias in Meta-Analysis: Prevention,
    Assessment and Adjustments*, 99-110. Wiley.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor
    package. *Journal of Statistical Software* 36(3), 1-48.
    """
    y, sigma = estimates(y, sigma, min_length=3)
    level = as_scalar(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    fit = _wls(y, sigma, sigma)
    statistic = float(fit.coef[1] / fit.se[1])
    return EggerResult(
        statistic,
        _two_sided_t(statistic, fit.df),
        fit.df,
        float(fit.coef[1]),
        *_intercept(fit, level),
    )


def pet_peese(y, sigma, *, alpha=0.05, level=0.95) -> PetPeeseResult:
    r"""Stanley and Doucouliagos's (2014) conditional PET-PEESE estimate.

    Two weighted regressions (weights :math:`1/\sigma_k^2`, multiplicative
    dispersion, as in :func:`egger_test`) estimate the effect of a perfectly
    precise study:

    .. math::
        \text{PET:}\quad y_k = \beta_0 + \beta_1 \sigma_k + \varepsilon_k,
        \qquad
        \text{PEESE:}\quad y_k = \gamma_0 + \gamma_1 \sigma_k^2 + \varepsilon_k.

    PET (the precision-effect test) is biased towards zero when there is a
    genuine effect; PEESE (the precision-effect estimate with standard error)
    models selection that weakens as studies grow, which fits better when the
    effect is real. The rule: if PET rejects :math:`H_0: \beta_0 = 0` at level
    ``alpha``, report PEESE's :math:`\hat\gamma_0`, otherwise PET's
    :math:`\hat\beta_0`, with its :math:`t` interval on :math:`K - 2` degrees
    of freedom.

    **Sidedness.** PET's test here is the two-sided :math:`t` test,
    :math:`|\hat\beta_0 / \mathrm{se}(\hat\beta_0)| > t_{K-2,\,1-\alpha/2}`.
    Stanley and Doucouliagos (2014) use PET as a test for a genuine effect
    beyond publication selection, which is often run one-sided, in the
    direction of the published effects; a function given only ``(y, sigma)``
    does not know that direction, and the two-sided test makes the same choice
    for :math:`y` and :math:`-y` (a harmful and a protective coding of the
    same outcome). A one-sided test at level :math:`a` in the direction of
    :math:`\hat\beta_0` is the two-sided test with ``alpha`` :math:`= 2a`.

    Parameters
    ----------
    y : array_like, shape (K,)
        Study estimates, :math:`K \ge 3`.
    sigma : array_like, shape (K,)
        Their standard errors (finite, strictly positive, not all equal).
    alpha : float, default 0.05
        Level of PET's test that chooses between the two, in (0, 1).
    level : float, default 0.95
        Coverage of the interval for the estimate, in (0, 1).

    Returns
    -------
    PetPeeseResult
        ``estimate``, ``se``, ``low``, ``high``, ``model`` (``"PET"`` or
        ``"PEESE"``) and ``pet_pvalue``.

    Raises
    ------
    TypeError
        If ``y`` or ``sigma`` is not numeric or ``alpha`` or ``level`` is not
        a number.
    ValueError
        If ``y`` and ``sigma`` differ in length, have fewer than three values
        or non-finite ones, a ``sigma`` is not positive, every ``sigma`` is the
        same, or ``alpha`` or ``level`` is not in (0, 1).

    References
    ----------
    Stanley, T. D. and Doucouliagos, H. (2014). Meta-regression approximations
    to reduce publication selection bias. *Research Synthesis Methods* 5,
    60-78.
    Egger, M., Davey Smith, G., Schneider, M. and Minder, C. (1997). Bias in
    meta-analysis detected by a simple, graphical test. *BMJ* 315, 629-634.
    """
    y, sigma = estimates(y, sigma, min_length=3)
    alpha = as_scalar(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    level = as_scalar(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    pet = _wls(y, sigma, sigma)
    pet_pvalue = _two_sided_t(float(pet.coef[0] / pet.se[0]), pet.df)
    model, fit = ("PEESE", _wls(y, sigma, sigma**2)) if pet_pvalue < alpha else ("PET", pet)
    return PetPeeseResult(*_intercept(fit, level), model, pet_pvalue)


def _pooled(y: np.ndarray, sigma: np.ndarray, method: str, level: float) -> tuple[float, ...]:
    """Pooled estimate, its standard error and Wald interval under ``method``."""
    if method == "fixed":
        mean, se = fixed_effect(y, sigma)
        half = float(special.ndtri(0.5 + level / 2)) * se
        return mean, se, mean - half, mean + half
    res = random_effects(y, sigma, method=method, level=level)
    return res.mean, res.se, res.ci_low, res.ci_high


def _choose_side(y: np.ndarray, sigma: np.ndarray, method: str) -> str:
    """``"right"`` when the estimates fall as sigma grows (studies missing at the right)."""
    if np.ptp(sigma) <= 1e-12 * np.max(sigma):
        raise ValueError(
            "side must be given ('left' or 'right') when every sigma is the same: "
            "the funnel's slope on sigma, which chooses it, is then undefined"
        )
    if method == "fixed":
        slope = _wls(y, sigma, sigma).coef[1]
    else:
        slope = meta_regression(y, sigma, sigma, method=method).coef[1]
    return "right" if slope < 0 else "left"


def _missing(x: np.ndarray, centre: float, estimator: str) -> tuple[float, float]:
    """One step of the k0 estimator: unrounded k0 and its standard error."""
    k = len(x)
    d = x - centre
    ranks = stats.rankdata(np.abs(d), method="ordinal")
    if estimator == "R0":
        # gamma*: how many of the largest |d| in a row lie above the centre
        above = (d > 0)[np.argsort(-ranks)]
        k0 = (int(np.argmin(above)) if not above.all() else k) - 1.0
        return k0, float(np.sqrt(2.0 * max(0.0, k0) + 2.0))
    t_n = float(np.sum(ranks[d > 0]))
    k0 = (4.0 * t_n - k * (k + 1)) / (2 * k - 1)
    var_t = (
        k * (k + 1) * (2 * k + 1)
        + 10 * k0**3
        + 27 * k0**2
        + 17 * k0
        - 18 * k * k0**2
        - 18 * k * k0
        + 6 * k**2 * k0
    ) / 24.0
    return k0, 4.0 * float(np.sqrt(max(var_t, 0.0))) / (2 * k - 1)


def trim_and_fill(
    y, sigma, *, estimator="L0", side=None, method="fixed", level=0.95, max_iter=100
) -> TrimAndFillResult:
    r"""Duval and Tweedie's trim and fill: estimate missing studies, fill them in, re-pool.

    Orient the data so that the studies are missing on the left (negate
    :math:`y` when ``side`` is ``"right"``): the surplus then shows as too
    many large estimates. With the studies sorted by :math:`y`, repeat from
    :math:`k_0 = 0` until :math:`k_0` no longer changes:

    1. *Trim*: pool the :math:`K - k_0` smallest estimates (the pooled model
       ``method``), giving :math:`\hat\mu`.
    2. *Estimate*: rank :math:`|y_k - \hat\mu|` over all :math:`K` studies
       (ties in data order) and let :math:`T_K` be the sum of the ranks of the
       studies above :math:`\hat\mu`, and :math:`\gamma^*` the length of the
       run of studies above it at the top of the ranking (:math:`K` minus the
       largest rank below :math:`\hat\mu`; studies at :math:`\hat\mu` end
       the run). Then

       .. math::
           L_0 = \frac{4 T_K - K(K+1)}{2K - 1}, \qquad R_0 = \gamma^* - 1,

       rounded to the nearest integer (halves to even) and truncated at 0.

    *Fill*: add the mirror images :math:`2\hat\mu - y_k` of the :math:`k_0`
    largest estimates, with their :math:`\sigma_k`, and pool all
    :math:`K + k_0` studies with ``method`` for the adjusted estimate (Wald
    interval). The standard errors of :math:`k_0` are those of Duval and
    Tweedie (2000a, 2000b), at the last unrounded estimate:
    :math:`\mathrm{se}(R_0) = \sqrt{2 \max(0, R_0) + 2}` and
    :math:`\mathrm{se}(L_0) = 4\sqrt{\mathrm{Var}(T_K)}/(2K - 1)`,
    :math:`\mathrm{Var}(T_K) = \{K(K+1)(2K+1) + 10 k_0^3 + 27 k_0^2 + 17 k_0
    - 18 K k_0^2 - 18 K k_0 + 6 K^2 k_0\}/24`. For :math:`R_0`, the p-value of
    "no studies missing" is :math:`P(R_0 \ge k_0 \mid k_0 = 0) = 2^{-(k_0+1)}`.

    When ``side`` is None it is chosen as metafor does, from the slope of a
    meta-regression of :math:`y` on :math:`\sigma` (same ``method``): a
    negative slope (the less precise studies show smaller estimates) puts the
    missing studies on the right, otherwise on the left. The procedure and
    its defaults reproduce metafor's ``trimfill`` (Viechtbauer 2010).

    Parameters
    ----------
    y : array_like, shape (K,)
        Study estimates, :math:`K \ge 3`.
    sigma : array_like, shape (K,)
        Their standard errors (finite, strictly positive).
    estimator : {"L0", "R0"}, default "L0"
        Estimator of the number of missing studies.
    side : {"left", "right"} or None, default None
        Side of the funnel the missing studies are on; None chooses it from
        the data as above.
    method : {"fixed", "reml", "dl", "pm"}, default "fixed"
        Pooled model used for trimming and for the final estimate:
        :func:`helpers.classical.fixed_effect` or
        :func:`helpers.classical.random_effects` with that ``method``.
    level : float, default 0.95
        Coverage of the interval for the adjusted estimate, in (0, 1).
    max_iter : int, default 100
        Most trim-and-estimate rounds before giving up.

    Returns
    -------
    TrimAndFillResult
        ``k0``, ``k0_se``, ``pvalue`` (NaN for ``L0``), ``side``,
        ``estimate``, ``se``, ``low``, ``high``, the filled data ``y`` and
        ``sigma``, and the mask ``filled``.

    Raises
    ------
    TypeError
        If ``y`` or ``sigma`` is not numeric, ``estimator``, ``side`` or
        ``method`` is not a string, ``level`` not a number or ``max_iter`` not
        an integer.
    ValueError
        If ``y`` and ``sigma`` differ in length, have fewer than three values
        or non-finite ones, a ``sigma`` is not positive, ``estimator``,
        ``side`` or ``method`` is not one of the options, ``side`` is None
        while every ``sigma`` is the same, ``level`` is not in (0, 1) or
        ``max_iter`` is below 1.
    RuntimeError
        If :math:`k_0` has not settled after ``max_iter`` rounds.

    References
    ----------
    Duval, S. and Tweedie, R. (2000a). A nonparametric "trim and fill" method
    of accounting for publication bias in meta-analysis. *Journal of the
    American Statistical Association* 95, 89-98.
    Duval, S. and Tweedie, R. (2000b). Trim and fill: a simple
    funnel-plot-based method of testing and adjusting for publication bias in
    meta-analysis. *Biometrics* 56, 455-463.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor
    package. *Journal of Statistical Software* 36(3), 1-48.
    """
    y, sigma = estimates(y, sigma, min_length=3)
    estimator = one_of(estimator, "estimator", _ESTIMATORS)
    if side is not None:
        side = one_of(side, "side", _SIDES)
    method = one_of(method, "method", _METHODS)
    level = as_scalar(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    max_iter = positive_int(max_iter, "max_iter")
    if side is None:
        side = _choose_side(y, sigma, method)

    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * y, kind="stable")
    x, s = sign * y[order], sigma[order]
    K = len(x)
    k0, previous, rounds = 0, -1, 0
    while k0 != previous:
        rounds += 1
        if rounds > max_iter:
            raise RuntimeError(f"trim and fill did not settle in max_iter={max_iter} rounds")
        previous = k0
        kept = K - k0
        centre = x[0] if kept == 1 else _pooled(x[:kept], s[:kept], method, level)[0]
        k0_raw, k0_se = _missing(x, centre, estimator)
        k0 = max(0, int(np.round(k0_raw)))

    y_fill = sign * (2.0 * centre - x[K - k0 :])
    y_all = np.concatenate([y, y_fill])
    sigma_all = np.concatenate([sigma, s[K - k0 :]])
    estimate, se, low, high = _pooled(y_all, sigma_all, method, level)
    return TrimAndFillResult(
        k0=k0,
        k0_se=max(0.0, k0_se),
        pvalue=0.5 ** (k0 + 1) if estimator == "R0" else float("nan"),
        side=side,
        estimate=float(estimate),
        se=float(se),
        low=float(low),
        high=float(high),
        y=y_all,
        sigma=sigma_all,
        filled=np.arange(K + k0) >= K,
    )
