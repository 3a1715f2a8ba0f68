"""Two-way ANOVA, per-group effects and the meta-analytic summaries of helpers.classical."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.meta_analysis import combine_effects

from helpers.classical import (
    cochran_q,
    cochran_q_batch,
    dersimonian_laird,
    fixed_effect,
    group_effects,
    i_squared,
    two_way_anova,
)

# ---------------------------------------------------------------- unit-level data


def _design(rng, n_levels, *, balanced, interaction):
    """A random unit-level frame with string levels, unequal cells and a level effect."""
    sizes = np.full(n_levels, 40) if balanced else rng.integers(12, 60, size=n_levels)
    g = np.repeat([f"lvl{i}" for i in range(n_levels)], sizes)
    t = rng.integers(0, 2, size=g.size)
    t[::7] = 1  # make sure both arms are present in every level
    t[3::7] = 0
    level = pd.Categorical(g).codes
    y = 2.0 + 0.3 * level + 0.5 * t + interaction * t * (level % 3) + rng.normal(size=g.size)
    return pd.DataFrame({"g": g, "t": t, "y": y})


@pytest.mark.parametrize(
    ("n_levels", "balanced", "interaction"),
    [(2, True, 0.0), (3, False, 0.8), (4, False, 0.0), (6, False, 0.4), (5, True, 1.5)],
)
def test_two_way_anova_matches_statsmodels_typ2(rng, n_levels, balanced, interaction):
    df = _design(rng, n_levels, balanced=balanced, interaction=interaction)
    ours = two_way_anova(df, "y", "g", "t")
    theirs = anova_lm(smf.ols("y ~ C(g) * C(t)", df).fit(), typ=2)
    assert list(ours.index) == ["C(g)", "C(t)", "C(g):C(t)", "Residual"]
    assert list(ours.columns) == list(theirs.columns) == ["sum_sq", "df", "F", "PR(>F)"]
    pd.testing.assert_frame_equal(ours, theirs.loc[ours.index], rtol=1e-8, atol=1e-12)


def test_two_way_anova_accepts_bool_treatment_and_categorical_factor(rng):
    df = _design(rng, 3, balanced=False, interaction=0.5)
    ours = two_way_anova(df, "y", "g", "t")
    other = df.assign(t=df["t"].astype(bool), g=pd.Categorical(df["g"], ["lvl2", "lvl0", "lvl1"]))
    pd.testing.assert_frame_equal(two_way_anova(other, "y", "g", "t"), ours, rtol=1e-10)


def test_two_way_anova_interaction_f_is_calibrated(rng):
    # With one common treatment effect the interaction p-value is uniform.
    pvals = [
        two_way_anova(_design(rng, 3, balanced=False, interaction=0.0), "y", "g", "t").loc[
            "C(g):C(t)", "PR(>F)"
        ]
        for _ in range(300)
    ]
    assert 0.02 < np.mean(np.array(pvals) < 0.05) < 0.09


def test_two_way_anova_sums_of_squares_add_up_when_balanced(rng):
    # Balanced cells make the factors orthogonal: type II SS add to the total SS.
    df = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 20), "t": np.tile([0, 1], 30)})
    df["y"] = rng.normal(size=60) + df["t"] * (df["g"] == "b")
    table = two_way_anova(df, "y", "g", "t")
    total = float(((df["y"] - df["y"].mean()) ** 2).sum())
    assert table["sum_sq"].sum() == pytest.approx(total, rel=1e-10)


def test_group_effects_difference_of_means_and_welch_se(rng):
    df = _design(rng, 4, balanced=False, interaction=0.7)
    est = group_effects(df, "y", "t", "g")
    assert list(est.columns) == ["y", "sigma", "n_control", "n_treated"]
    assert est.index.name == "g"
    assert list(est.index) == ["lvl0", "lvl1", "lvl2", "lvl3"]
    for name, row in est.iterrows():
        treated = df.loc[(df["g"] == name) & (df["t"] == 1), "y"]
        control = df.loc[(df["g"] == name) & (df["t"] == 0), "y"]
        welch = stats.ttest_ind(treated, control, equal_var=False)
        assert row["y"] == pytest.approx(treated.mean() - control.mean(), rel=1e-12)
        assert row["y"] / row["sigma"] == pytest.approx(welch.statistic, rel=1e-10)
        assert (row["n_control"], row["n_treated"]) == (len(control), len(treated))


def test_group_effects_keeps_categorical_order(rng):
    df = _design(rng, 3, balanced=True, interaction=0.0)
    df["g"] = pd.Categorical(df["g"], categories=["lvl2", "lvl0", "lvl1", "unused"])
    assert list(group_effects(df, "y", "t", "g").index) == ["lvl2", "lvl0", "lvl1"]


# ---------------------------------------------------------------- meta-analysis


def _meta_data(rng, k, tau):
    se = rng.uniform(0.1, 1.0, size=k)
    return rng.normal(rng.normal(0.3, tau, size=k), se), se


# statsmodels' own HKSJ variance (unused here) can be negative: its sqrt warns.
@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.parametrize(("k", "tau"), [(2, 0.5), (3, 0.0), (6, 0.8), (8, 0.2), (20, 1.0)])
@pytest.mark.parametrize("seed_offset", [0, 1, 2])
def test_meta_summaries_match_statsmodels_combine_effects(rng, k, tau, seed_offset):
    rng = np.random.default_rng(rng.integers(1 << 32) + seed_offset)
    d, se = _meta_data(rng, k, tau)
    sm = combine_effects(d, se**2, method_re="dl")
    fe, q, dl = fixed_effect(d, se), cochran_q(d, se), dersimonian_laird(d, se)
    assert fe.mean == pytest.approx(sm.mean_effect_fe, rel=1e-10, abs=1e-14)
    assert fe.se == pytest.approx(sm.sd_eff_w_fe, rel=1e-10)
    assert pytest.approx(sm.q, rel=1e-10) == q.statistic
    assert q.df == dl.df == sm.df_resid == k - 1
    # statsmodels reports (Q - df) / Q untruncated; Higgins and Thompson truncate at 0.
    assert i_squared(d, se) == pytest.approx(max(0.0, sm.i2), rel=1e-10, abs=1e-14)
    assert i_squared(d, se) == dl.I2
    if sm.tau2 > 0:
        assert dl.tau2 == pytest.approx(sm.tau2, rel=1e-9)
        assert dl.mean == pytest.approx(sm.mean_effect_re, rel=1e-10, abs=1e-14)
        assert dl.se == pytest.approx(sm.sd_eff_w_re, rel=1e-10)
    else:
        # statsmodels keeps the negative moment estimate (and uses it in the weights);
        # DerSimonian and Laird truncate at 0, which is the fixed-effect answer.
        assert dl.tau2 == 0.0
        assert (dl.mean, dl.se) == pytest.approx((sm.mean_effect_fe, sm.sd_eff_w_fe), rel=1e-10)
    assert q.pvalue == pytest.approx(sm.test_homogeneity().pvalue, rel=1e-8)
    assert dl.statistic == q.statistic and dl.pvalue == q.pvalue
    assert dl.tau == pytest.approx(np.sqrt(max(0.0, sm.tau2)), rel=1e-9)


def test_statsmodels_cases_cover_both_sides_of_the_truncation(rng):
    # Guard for the test above: the random data sets must exercise tau2 > 0 and tau2 = 0.
    signs, base = set(), rng.integers(1 << 32)  # the same draw as in the test above
    for k, tau in [(2, 0.5), (3, 0.0), (6, 0.8), (8, 0.2), (20, 1.0)]:
        for offset in range(3):
            d, se = _meta_data(np.random.default_rng(base + offset), k, tau)
            signs.add(dersimonian_laird(d, se).tau2 > 0)
    assert signs == {True, False}


def test_hand_computed_two_groups():
    # d = (0, 3), se = (1, 1): Q = 4.5 on 1 df, C = 2 - 2/2 = 1, tau^2 = 3.5.
    dl = dersimonian_laird([0.0, 3.0], [1.0, 1.0])
    assert pytest.approx(4.5) == dl.statistic
    assert dl.df == 1
    assert pytest.approx(3.5 / 4.5) == dl.I2
    assert dl.tau2 == pytest.approx(3.5)
    assert dl.mean == pytest.approx(1.5)
    assert dl.se == pytest.approx(np.sqrt(4.5 / 2))
    assert dl.pvalue == pytest.approx(stats.chi2.sf(4.5, 1))
    assert fixed_effect([0.0, 3.0], [1.0, 1.0]) == pytest.approx((1.5, np.sqrt(0.5)))


@pytest.mark.parametrize("k", [2, 5])
def test_identical_estimates_give_no_heterogeneity(k):
    d, se = np.full(k, 0.7), np.linspace(0.2, 0.9, k)
    q = cochran_q(d, se)
    assert pytest.approx(0.0, abs=1e-24) == q.statistic
    assert q.pvalue == pytest.approx(1.0)
    assert i_squared(d, se) == 0.0
    dl = dersimonian_laird(d, se)
    assert dl.tau2 == 0.0 and dl.I2 == 0.0
    assert dl.mean == pytest.approx(0.7) == fixed_effect(d, se).mean
    assert dl.se == pytest.approx(fixed_effect(d, se).se)


def test_small_q_truncates_tau2_to_zero():
    # Q below its degrees of freedom: DL gives the fixed-effect answer exactly.
    d, se = [0.1, -0.1, 0.05], [1.0, 1.0, 1.0]
    dl = dersimonian_laird(d, se)
    assert dl.df > dl.statistic
    assert dl.tau2 == 0.0 and dl.I2 == 0.0
    assert (dl.mean, dl.se) == pytest.approx(tuple(fixed_effect(d, se)))
    sm = combine_effects(np.array(d), np.array(se) ** 2, method_re="dl")
    assert sm.tau2 < 0  # statsmodels 0.15 does not truncate
    assert dl.tau2 == pytest.approx(max(0.0, sm.tau2))


def test_shift_and_scale_behaviour(rng):
    d, se = _meta_data(rng, 7, 0.6)
    base = dersimonian_laird(d, se)
    shifted = dersimonian_laird(d + 5.0, se)
    assert shifted.mean == pytest.approx(base.mean + 5.0)
    assert pytest.approx(base.statistic) == shifted.statistic and shifted.tau2 == pytest.approx(
        base.tau2
    )
    scaled = dersimonian_laird(3.0 * d, 3.0 * se)  # a change of units
    assert pytest.approx(base.statistic) == scaled.statistic
    assert scaled.tau2 == pytest.approx(9.0 * base.tau2)
    assert scaled.se == pytest.approx(3.0 * base.se)


def test_q_p_value_is_calibrated_under_homogeneity(rng):
    pvals = np.array([cochran_q(*_meta_data(rng, 6, 0.0)).pvalue for _ in range(2000)])
    assert 0.035 < np.mean(pvals < 0.05) < 0.065


def test_accepts_pandas_series(rng):
    d, se = _meta_data(rng, 4, 0.3)
    assert dersimonian_laird(pd.Series(d), pd.Series(se)) == dersimonian_laird(d, se)


# ---------------------------------------------------------------- bad input


@pytest.fixture
def units():
    return pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 5.0, 1.0, 2.5, 4.5, 3.5, 0.5],
            "t": [0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1],
            "g": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
        }
    )


@pytest.mark.parametrize("func", [two_way_anova, group_effects])
def test_unit_level_rejects_bad_frames(units, func):
    # two_way_anova(df, outcome, factor, treatment); group_effects(df, outcome, treatment, group)
    def call(df, y="y", t="t", g="g"):
        return func(df, y, g, t) if func is two_way_anova else func(df, y, t, g)

    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        call(units.to_dict())
    with pytest.raises(ValueError, match=r"missing column\(s\) \['revenue'\]"):
        call(units, y="revenue")
    with pytest.raises(TypeError, match="outcome must be a column name"):
        call(units, y=0)
    with pytest.raises(TypeError, match="treatment must be a column name"):
        call(units, t=None)
    with pytest.raises(ValueError, match="must name three different columns"):
        call(units, t="g")
    with pytest.raises(ValueError, match=r"'t'.*must be binary"):
        call(units.assign(t=units["t"] + 1))
    with pytest.raises(ValueError, match=r"'t'.*must be binary"):
        call(units.assign(t=np.where(units["t"] == 1, "B", "A")))
    with pytest.raises(ValueError, match=r"'t'.*missing values"):
        call(units.assign(t=units["t"].where(units.index != 2)))
    with pytest.raises(ValueError, match=r"'y'.*NaN"):
        call(units.assign(y=units["y"].where(units.index != 5)))
    with pytest.raises(TypeError, match=r"'y'.*must be numeric"):
        call(units.assign(y=units["y"].astype(str)))
    with pytest.raises(ValueError, match=r"'g'.*missing values"):
        call(units.assign(g=units["g"].where(units.index != 0)))
    no_control = units[~((units["g"] == "b") & (units["t"] == 0))]
    with pytest.raises(ValueError, match=r"b \(no control unit\)"):
        call(no_control)
    no_treated = units[~((units["g"] == "c") & (units["t"] == 1))]
    with pytest.raises(ValueError, match=r"c \(no treated unit\)"):
        call(no_treated)


def test_two_way_anova_factor_name_in_messages(units):
    with pytest.raises(TypeError, match="factor must be a column name"):
        two_way_anova(units, "y", 3, "t")


def test_two_way_anova_needs_two_levels(units):
    with pytest.raises(ValueError, match=r"'g'.*at least 2 levels"):
        two_way_anova(units[units["g"] == "a"], "y", "g", "t")


def test_two_way_anova_needs_residual_degrees_of_freedom():
    saturated = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "t": [0, 1, 0, 1], "g": list("aabb")})
    with pytest.raises(ValueError, match="no residual degrees of freedom"):
        two_way_anova(saturated, "y", "g", "t")


def test_group_effects_needs_two_units_per_arm(units):
    thin = units.drop(index=[0])  # group a keeps one control unit
    with pytest.raises(ValueError, match=r"at least 2 treated and 2 control.*a \(only 1 control"):
        group_effects(thin, "y", "t", "g")


def test_group_effects_rejects_zero_standard_error(units):
    flat = units.assign(y=np.where(units["g"] == "b", 1.0, units["y"]))
    with pytest.raises(ValueError, match=r"constant within both arms of group 'b'"):
        group_effects(flat, "y", "t", "g")


@pytest.mark.parametrize("func", [fixed_effect, cochran_q, i_squared, dersimonian_laird])
@pytest.mark.parametrize(
    ("d", "se", "error", "match"),
    [
        ([0.5], [0.1], ValueError, "y must have at least 2 values, got 1"),
        ([], [], ValueError, "y must have at least 2 values, got 0"),
        ([0.5, 0.2], [0.1], ValueError, "sigma must have at least 2 values"),
        ([0.5, 0.2, 0.1], [0.1, 0.2], ValueError, "y and sigma must have the same length"),
        ([0.5, 0.2], [0.1, 0.0], ValueError, "sigma must be strictly positive"),
        ([0.5, 0.2], [0.1, -0.2], ValueError, "sigma must be strictly positive"),
        ([0.5, 0.2], [0.1, np.inf], ValueError, "sigma must be finite"),
        ([0.5, 0.2], [0.1, np.nan], ValueError, "sigma must be finite"),
        ([0.5, np.nan], [0.1, 0.2], ValueError, "y must be finite"),
        ("0.5", [0.1, 0.2], TypeError, "y must be a sequence of numbers"),
        (["a", "b"], [0.1, 0.2], TypeError, "y must contain only numbers"),
        ([[0.5, 0.2]], [0.1, 0.2], ValueError, "y must be one-dimensional"),
        ([0.5, 0.2], None, TypeError, "sigma must be a sequence of numbers"),
    ],
)
def test_meta_rejects_bad_input(func, d, se, error, match):
    with pytest.raises(error, match=match):
        func(d, se)


# ---------------------------------------------------------------- Q of many data sets


def test_cochran_q_batch_matches_cochran_q_row_by_row():
    rng = np.random.default_rng(19)
    sigma = rng.uniform(0.5, 2.0, size=6)
    y = rng.normal(0.3, 1.0, size=(50, 6))
    batch = cochran_q_batch(y, sigma)
    rows = [cochran_q(row, sigma) for row in y]
    np.testing.assert_allclose(batch.statistic, [r.statistic for r in rows], rtol=1e-13)
    np.testing.assert_allclose(batch.pvalue, [r.pvalue for r in rows], rtol=1e-12)
    assert batch.df == 5 and batch.statistic.shape == (50,)
    per_row_sigma = np.tile(sigma, (50, 1))
    np.testing.assert_allclose(cochran_q_batch(y, per_row_sigma).statistic, batch.statistic)


@pytest.mark.parametrize(
    ("y", "sigma", "error", "match"),
    [
        ([0.5, 0.2], [0.1, 0.2], ValueError, "y must be two-dimensional"),
        ([[0.5]], [0.1], ValueError, "y must hold at least one data set of at least 2 groups"),
        ([[0.5, 0.2]], [0.1, 0.2, 0.3], ValueError, "sigma must have the shape of y"),
        ([[0.5, 0.2]], [0.1, 0.0], ValueError, "sigma must be strictly positive"),
        ([[0.5, np.nan]], [0.1, 0.2], ValueError, "y must not contain NaN"),
        ([[0.5, np.inf]], [0.1, 0.2], ValueError, "y must be finite"),
        ("0.5", [0.1, 0.2], TypeError, "y must be a number or an array of numbers"),
        ([[0.5, 0.2]], None, TypeError, "sigma must be a number or an array of numbers"),
    ],
)
def test_cochran_q_batch_rejects_bad_input(y, sigma, error, match):
    with pytest.raises(error, match=match):
        cochran_q_batch(y, sigma)


def test_q_pvalues_are_scipy_chi2_sf_exactly():
    rng = np.random.default_rng(8)
    sigma = rng.uniform(0.5, 2.0, size=5)
    y = rng.normal(0.0, 1.5, size=(20, 5))
    batch = cochran_q_batch(y, sigma)
    np.testing.assert_array_equal(batch.pvalue, stats.chi2.sf(batch.statistic, 4))
    for row, q in zip(y, batch.statistic, strict=True):
        assert cochran_q(row, sigma).pvalue == stats.chi2.sf(cochran_q(row, sigma).statistic, 4)
        assert dersimonian_laird(row, sigma).pvalue == stats.chi2.sf(q, 4)
