"""Classical (frequentist) reference computations.

These are the numbers a classical analysis reports; chapters compute them here
by hand and then show that statsmodels agrees. One submodule per family, every
public name re-exported here (``helpers.classical.fixed_effect``):

- :mod:`helpers.classical.anova` -- unit-level analyses of a two-arm
  experiment in several groups: :func:`joint_f_test`, :func:`two_way_anova`,
  :func:`group_effects`.
- :mod:`helpers.classical.meta` -- summary-level analyses of group estimates
  ``y`` and standard errors ``sigma``: :func:`fixed_effect`,
  :func:`cochran_q`, :func:`i_squared`, :func:`dersimonian_laird`.
- :mod:`helpers.classical.effect_sizes` -- :func:`log_odds_ratio`, two-arm
  counts turned into ``(y, sigma)`` pairs on the log-odds scale.

Results with several parts are NamedTuples with scipy's field names
(``statistic``, ``pvalue``, ``df``).
"""

from helpers.classical.anova import FTestResult, group_effects, joint_f_test, two_way_anova
from helpers.classical.effect_sizes import LogOddsRatioResult, log_odds_ratio
from helpers.classical.meta import (
    CochranQResult,
    DerSimonianLairdResult,
    FixedEffectResult,
    cochran_q,
    dersimonian_laird,
    fixed_effect,
    i_squared,
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
