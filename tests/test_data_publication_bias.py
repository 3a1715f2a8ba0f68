"""helpers.data.magnesium and passive_smoking: the published tables (chapter 11)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import data
from helpers.classical import cochran_q, random_effects

MAGNESIUM = ["trial", "study", "year", "deaths_treated", "n_treated", "deaths_control", "n_control"]
SMOKING = [
    "study",
    "author",
    "year",
    "country",
    "design",
    "cases",
    "odds_ratio",
    "ci_low",
    "ci_high",
]


def test_magnesium_shape_types_and_values():
    df = data.magnesium()
    assert list(df.columns) == MAGNESIUM
    assert len(df) == 16 and list(df["trial"]) == list(range(1, 17))
    for column in MAGNESIUM[2:]:
        assert pd.api.types.is_integer_dtype(df[column]), column
    # spot checks against Table 18.2 of Egger, Davey Smith and Altman (2001) / dat.egger2001
    assert df.iloc[0][MAGNESIUM[1:]].tolist() == ["Morton", 1984, 1, 40, 2, 36]
    limit2 = df.loc[df["study"] == "LIMIT-2"].iloc[0]
    assert (limit2.year, limit2.deaths_treated, limit2.n_treated) == (1992, 90, 1159)
    isis4 = df.iloc[-1]
    assert (isis4.study, isis4.deaths_treated, isis4.n_treated) == ("ISIS-4", 2216, 29011)
    assert (isis4.deaths_control, isis4.n_control) == (2103, 29039)
    assert isis4.n_treated + isis4.n_control == 58_050  # the trial's 58,050 patients
    assert int(df[MAGNESIUM[3:]].to_numpy().sum()) == 67_303
    assert (df["deaths_treated"] == 0).sum() == 1  # Bertschat: the one zero cell


def test_magnesium_loader_rejects_a_corrupted_file(monkeypatch):
    good = data._load("magnesium.csv")
    monkeypatch.setattr(data, "_load", lambda filename: good.assign(n_control=-good["n_control"]))
    with pytest.raises(ValueError, match="non-negative"):
        data.magnesium()
    monkeypatch.setattr(data, "_load", lambda filename: good.assign(deaths_treated=1000))
    with pytest.raises(ValueError, match="exceed"):
        data.magnesium()


def test_passive_smoking_shape_types_and_values():
    df = data.passive_smoking()
    assert list(df.columns) == [*SMOKING, "y", "sigma"]
    assert len(df) == 37 and list(df["study"]) == list(range(1, 38))
    assert df["design"].value_counts().to_dict() == {"case-control": 33, "cohort": 4}
    assert df.iloc[0][SMOKING[1:]].tolist() == [
        "Garfinkel",
        1981,
        "USA",
        "cohort",
        153,
        1.18,
        0.9,
        1.54,
    ]
    assert df.loc[df["author"] == "Fontham", ["cases", "odds_ratio"]].values.tolist() == [
        [651, 1.26]
    ]
    assert int(df["cases"].sum()) == 4626


def test_passive_smoking_back_calculation_matches_metadat():
    # yi and vi of dat.hackshaw1998 as printed (4 decimals) in metafor's selmodel examples
    df = data.passive_smoking()
    yi = [0.1655, 0.3716, 0.7031, 0.1823, -0.2877, 0.7275, 0.7561, -0.2231, -0.2357, 0.6981,
          0.2070, 0.1823, 0.4187, 0.0296, 0.4383, 0.0296, 0.8502, 0.5008, 0.1740, 0.4187,
          0.7701, 0.0770, 0.9361, 0.4824, 0.0583, -0.2357, -0.3011, 0.8198, -0.0305, 0.4700,
          0.1740, 0.5068, 0.2311, 0.0953, 0.5068, 0.1484, 0.1044]  # fmt: skip
    vi = [0.0188, 0.0330, 0.5402, 0.0313, 0.0797, 0.2273, 0.0889, 0.1927, 0.3390, 0.0981,
          0.0456, 0.2317, 0.0796, 0.2174, 0.0770, 0.0715, 0.2926, 0.0324, 0.0363, 0.4839,
          0.1238, 0.0711, 0.3982, 0.0896, 0.0337, 0.0161, 0.1802, 0.3171, 0.0125, 0.1137,
          0.0893, 0.1760, 0.0100, 0.0862, 0.0399, 0.0364, 0.0664]  # fmt: skip
    np.testing.assert_array_equal(np.round(df["y"], 4), yi)
    np.testing.assert_array_equal(np.round(df["sigma"] ** 2, 4), vi)


def test_passive_smoking_reproduces_the_published_analyses():
    df = data.passive_smoking()
    y, sigma = df["y"].to_numpy(), df["sigma"].to_numpy()
    # Hackshaw et al. (1997): random-effects (DerSimonian-Laird) OR 1.24 (95% CI 1.13 to 1.36)
    dl = random_effects(y, sigma, method="dl")
    assert np.round(np.exp([dl.mean, dl.ci_low, dl.ci_high]), 2).tolist() == [1.24, 1.13, 1.36]
    # metafor's rma(yi, vi, method="ML"): Q(df = 36) = 47.4979
    q = cochran_q(y, sigma)
    assert (round(q.statistic, 4), q.df) == (47.4979, 36)
    # metafor's step-function selection model (one-sided p cut at .025, .10, .50): k per interval
    p_one_sided = stats.norm.sf(y / sigma)
    assert np.histogram(p_one_sided, [0, 0.025, 0.10, 0.50, 1])[0].tolist() == [7, 8, 16, 6]
    # fsn(yi, vi) (Rosenthal's fail-safe N, Stouffer, one-sided .05): 393 (metafor's tests)
    z = y / sigma
    assert int(np.ceil((z.sum() / stats.norm.isf(0.05)) ** 2 - len(z))) == 393


def test_passive_smoking_loader_rejects_a_corrupted_file(monkeypatch):
    good = data._load("passive_smoking.csv")
    for bad, match in [
        (good.assign(design=good["design"].replace("cohort", "prospective")), "design"),
        (good.assign(ci_low=0.0), "positive"),
        (good.assign(odds_ratio=good["ci_high"] + 1), "interval"),
    ]:
        monkeypatch.setattr(data, "_load", lambda filename, bad=bad: bad)
        with pytest.raises(ValueError, match=match):
            data.passive_smoking()
