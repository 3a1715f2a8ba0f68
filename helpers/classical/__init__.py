r"""Classical (frequentist) reference computations.

These are the numbers a classical analysis reports; chapters compute them here
by hand and then show that statsmodels agrees. One submodule per family, every
public name re-exported here (``helpers.classical.fixed_effect``):

- :mod:`helpers.classical.anova` -- unit-level analyses of a two-arm
  experiment in several groups: :func:`joint_f_test`, :func:`two_way_anova`,
  :func:`group_effects`.
- :mod:`helpers.classical.meta` -- summary-level analyses of group estimates
  ``y`` and standard errors ``sigma``: :func:`fixed_effect`,
  :func:`cochran_q` (and :func:`cochran_q_batch` for many sets at once),
  :func:`i_squared`, :func:`dersimonian_laird`.
- :mod:`helpers.classical.effect_sizes` -- :func:`log_odds_ratio` and
  :func:`log_risk_ratio`, two-arm counts turned into ``(y, sigma)`` pairs on
  the log-odds or log-risk scale.
- :mod:`helpers.classical.random_effects` -- :func:`random_effects`: REML,
  Paule-Mandel or DerSimonian-Laird :math:`\tau^2`, Wald or
  Hartung-Knapp-Sidik-Jonkman intervals for the mean, Q-profile intervals for
  :math:`\tau^2` and a prediction interval.
- :mod:`helpers.classical.meta_regression` -- :func:`meta_regression`,
  group effects explained by group-level moderators.
- :mod:`helpers.classical.publication_bias` -- small-study effects:
  :func:`egger_test`, :func:`pet_peese` and :func:`trim_and_fill`.

Results with several parts are NamedTuples with scipy's field names
(``statistic``, ``pvalue``, ``df``).
"""

from helpers.classical.anova import FTestResult, group_effects, joint_f_test, two_way_anova
from helpers.classical.effect_sizes import (
    LogOddsRatioResult,
    LogRiskRatioResult,
    log_odds_ratio,
    log_risk_ratio,
)
from helpers.classical.meta import (
    CochranQResult,
    DerSimonianLairdResult,
    FixedEffectResult,
    cochran_q,
    cochran_q_batch,
    dersimonian_laird,
    fixed_effect,
    i_squared,
)
from helpers.classical.meta_regression import MetaRegressionResult, meta_regression
from helpers.classical.publication_bias import (
    EggerResult,
    PetPeeseResult,
    TrimAndFillResult,
    egger_test,
    pet_peese,
    trim_and_fill,
)
from helpers.classical.random_effects import RandomEffectsResult, random_effects

__all__ = [
    "CochranQResult",
    "DerSimonianLairdResult",
    "EggerResult",
    "FTestResult",
    "FixedEffectResult",
    "LogOddsRatioResult",
    "LogRiskRatioResult",
    "MetaRegressionResult",
    "PetPeeseResult",
    "RandomEffectsResult",
    "TrimAndFillResult",
    "cochran_q",
    "cochran_q_batch",
    "dersimonian_laird",
    "egger_test",
    "fixed_effect",
    "group_effects",
    "i_squared",
    "joint_f_test",
    "log_odds_ratio",
    "log_risk_ratio",
    "meta_regression",
    "pet_peese",
    "random_effects",
    "trim_and_fill",
    "two_way_anova",
]
