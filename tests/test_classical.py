import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from helpers import data
from helpers.classical import joint_f_test


def _statsmodels_joint_f(df):
    fit = smf.ols("y ~ C(g) + C(g):t", df).fit()
    names = [n for n in fit.params.index if n.endswith(":t")]
    res = fit.f_test(", ".join(f"{n} = 0" for n in names))
    return float(np.squeeze(res.fvalue)), float(res.pvalue), int(res.df_num), int(res.df_denom)


@pytest.mark.parametrize("n_groups", [2, 3, 5])
def test_joint_f_matches_statsmodels(rng, n_groups):
    n = 12 * n_groups
    df = pd.DataFrame(
        {
            "g": np.repeat([f"g{i}" for i in range(n_groups)], 12),
            "t": np.tile([0, 1], n // 2),
        }
    )
    df["y"] = rng.normal(size=n) + 0.4 * df["t"] * (df["g"] == "g0")
    ours = joint_f_test(df, "y", "t", "g")
    F, p, df_num, df_denom = _statsmodels_joint_f(df)
    assert pytest.approx(F, rel=1e-9) == ours.statistic
    assert ours.pvalue == pytest.approx(p, rel=1e-7)
    assert (ours.df_num, ours.df_denom) == (df_num, df_denom) == (n_groups, n - 2 * n_groups)


def test_joint_f_on_two_schools():
    res = joint_f_test(data.two_schools(), "test_score", "treatment", "school")
    assert (res.df_num, res.df_denom) == (2, 6)
    assert pytest.approx(412.5) == res.statistic
    assert res.pvalue < 1e-6


def test_joint_f_null_pvalues_are_uniform(rng):
    # Under H0 the p-value is uniform: about 5% fall below 0.05.
    pvals = []
    for _ in range(400):
        df = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 10), "t": np.tile([0, 1], 15)})
        df["y"] = rng.normal(size=30) + (df["g"] == "b") * 2.0
        pvals.append(joint_f_test(df, "y", "t", "g").pvalue)
    assert 0.02 < np.mean(np.array(pvals) < 0.05) < 0.09


@pytest.fixture
def toy():
    return data.two_schools()


def test_rejects_non_dataframe(toy):
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        joint_f_test(toy.to_dict(), "test_score", "treatment", "school")


def test_rejects_missing_column(toy):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['score'\]"):
        joint_f_test(toy, "score", "treatment", "school")


def test_rejects_non_string_column_name(toy):
    with pytest.raises(TypeError, match="outcome must be a column name"):
        joint_f_test(toy, 0, "treatment", "school")


def test_rejects_non_binary_treatment(toy):
    bad = toy.assign(treatment=toy["treatment"] * 2)
    with pytest.raises(ValueError, match=r"'treatment'.*must be binary"):
        joint_f_test(bad, "test_score", "treatment", "school")


def test_rejects_nan_outcome(toy):
    bad = toy.assign(test_score=toy["test_score"].where(toy.index != 3))
    with pytest.raises(ValueError, match=r"'test_score'.*NaN"):
        joint_f_test(bad, "test_score", "treatment", "school")


def test_rejects_non_numeric_outcome(toy):
    bad = toy.assign(test_score=toy["test_score"].astype(str))
    with pytest.raises(TypeError, match=r"'test_score'.*must be numeric"):
        joint_f_test(bad, "test_score", "treatment", "school")


def test_rejects_missing_group_label(toy):
    bad = toy.assign(school=toy["school"].where(toy.index != 0))
    with pytest.raises(ValueError, match=r"'school'.*missing values"):
        joint_f_test(bad, "test_score", "treatment", "school")


def test_rejects_group_without_control(toy):
    bad = toy[~((toy["school"] == "B") & (toy["treatment"] == 0))]
    with pytest.raises(ValueError, match=r"B \(no control unit\)"):
        joint_f_test(bad, "test_score", "treatment", "school")


def test_rejects_group_without_treated(toy):
    bad = toy[~((toy["school"] == "A") & (toy["treatment"] == 1))]
    with pytest.raises(ValueError, match=r"A \(no treated unit\)"):
        joint_f_test(bad, "test_score", "treatment", "school")


def test_rejects_saturated_design():
    df = pd.DataFrame({"y": [1.0, 2.0], "t": [0, 1], "g": ["a", "a"]})
    with pytest.raises(ValueError, match="no residual degrees of freedom"):
        joint_f_test(df, "y", "t", "g")
