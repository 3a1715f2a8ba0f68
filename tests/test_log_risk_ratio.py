"""helpers.classical.log_risk_ratio: by hand, metafor's BCG values, statsmodels, zero cells."""

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import Table2x2

from helpers import data
from helpers.classical import LogRiskRatioResult, log_odds_ratio, log_risk_ratio


def test_log_risk_ratio_by_hand():
    # BCG trial 1 (Aronson 1948): 4 of 123 vaccinated and 11 of 139 controls got TB;
    # metafor's escalc(measure="RR") gives yi = -0.8893, vi = 0.3256.
    res = log_risk_ratio([139], [11], [123], [4])
    assert isinstance(res, LogRiskRatioResult)
    assert res.y[0] == pytest.approx(np.log((4 / 123) / (11 / 139)), rel=1e-12)
    assert res.sigma[0] ** 2 == pytest.approx(1 / 4 - 1 / 123 + 1 / 11 - 1 / 139, rel=1e-12)
    assert (round(res.y[0], 4), round(res.sigma[0] ** 2, 4)) == (-0.8893, 0.3256)
    assert res.corrected.tolist() == [False]


def test_bcg_trials_match_statsmodels():
    df = data.bcg()
    res = log_risk_ratio(df.cpos + df.cneg, df.cpos, df.tpos + df.tneg, df.tpos)
    for k, row in df.iterrows():
        table = Table2x2(np.array([[row.tpos, row.tneg], [row.cpos, row.cneg]]))
        assert res.y[k] == pytest.approx(table.log_riskratio, rel=1e-12)
        assert res.sigma[k] == pytest.approx(table.log_riskratio_se, rel=1e-12)
    assert not res.corrected.any()


def test_zero_cells_are_corrected_like_log_odds_ratio():
    n_c, y_c, n_t, y_t = [120, 50, 50, 80], [10, 0, 50, 7], [120, 50, 50, 80], [0, 0, 50, 9]
    res = log_risk_ratio(n_c, y_c, n_t, y_t)
    lor = log_odds_ratio(n_c, y_c, n_t, y_t)
    assert res.corrected.tolist() == lor.corrected.tolist() == [True, True, True, False]
    # no treated event: 1/2 added to all four cells, each arm grows by 1
    assert res.y[0] == pytest.approx(np.log((0.5 / 121) / (10.5 / 121)), rel=1e-12)
    assert res.sigma[0] ** 2 == pytest.approx(1 / 0.5 - 1 / 121 + 1 / 10.5 - 1 / 121)
    # no event (or every unit an event) in both arms: risk ratio 1
    assert res.y[1] == pytest.approx(0.0, abs=1e-12)
    assert res.y[2] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.isfinite(res.sigma)) and np.all(res.sigma > 0)
    bigger = log_risk_ratio(n_c, y_c, n_t, y_t, correction=1.0)
    assert bigger.y[0] == pytest.approx(np.log((1 / 122) / (11 / 122)), rel=1e-12)
    assert bigger.y[3] == res.y[3]  # a table without a zero cell is not touched


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([10], [-1], [10], [2]), {}, ValueError, "y_control must be at least 0"),
        (([10], [11], [10], [2]), {}, ValueError, "y_control must not exceed n_control"),
        (([10], [1], [0], [0]), {}, ValueError, "n_treat must be at least 1"),
        (([10, 10], [1, 2], [10], [2]), {}, ValueError, "must have the same length"),
        (([10], [1.5], [10], [2]), {}, ValueError, "y_control must hold whole numbers"),
        (("10", [1], [10], [2]), {}, TypeError, "n_control must be"),
        (([10], [1], [10], [2]), {"correction": 0.0}, ValueError, "correction must be >"),
        (([10], [1], [10], [2]), {"correction": "half"}, TypeError, "correction must be a number"),
    ],
)
def test_log_risk_ratio_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        log_risk_ratio(*args, **kwargs)
