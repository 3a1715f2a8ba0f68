"""helpers.simulate: reproducibility, statistical sanity and input checks."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from helpers._validation import generator
from helpers.classical import group_effects, log_odds_ratio
from helpers.simulate import (
    ConversionSimulation,
    MarketSimulation,
    SegmentSimulation,
    simulate_conversions,
    simulate_markets,
    simulate_segments,
)

NAMES = ["New / mobile", "New / desktop", "Returning / mobile", "Returning / desktop"]
SETTINGS = {"mu": 0.3, "tau": 0.5, "baseline": 10.0, "noise_sd": 4.0}


def _sim(rng, names=NAMES, sizes=(60, 60, 90, 90), **kwargs):
    return simulate_segments(names, sizes, rng=rng, **{**SETTINGS, **kwargs})


def test_shape_columns_and_types(rng):
    sim = _sim(rng)
    assert isinstance(sim, SegmentSimulation)
    df = sim.data
    assert list(df.columns) == ["segment", "treatment", "revenue"]
    assert isinstance(df["segment"].dtype, pd.CategoricalDtype)
    assert list(df["segment"].cat.categories) == NAMES
    assert df["segment"].value_counts(sort=False).tolist() == [60, 60, 90, 90]
    assert df["treatment"].dtype == int and set(df["treatment"]) <= {0, 1}
    assert df["revenue"].dtype == float and np.isfinite(df["revenue"]).all()
    assert list(sim.theta.index) == NAMES and sim.theta.index.name == "segment"


def test_same_generator_state_gives_same_data():
    a = _sim(np.random.default_rng(7))
    b = _sim(np.random.default_rng(7))
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_series_equal(a.theta, b.theta)


def test_generator_advances_and_seeds_differ():
    rng = np.random.default_rng(7)
    first, second = _sim(rng), _sim(rng)
    assert not np.allclose(first.theta, second.theta)
    other = _sim(np.random.default_rng(8))
    assert not np.allclose(first.data["revenue"], other.data["revenue"])


def test_course_settings_reproduce_the_seed_data():
    # The chapter's data set (seed 2024) is the one the course's source notebook shows.
    names = [*NAMES, "High-value", "Reactivated"]
    sim = simulate_segments(
        names, [600, 600, 900, 900, 1400, 1400], rng=np.random.default_rng(2024), **SETTINGS
    )
    assert len(sim.data) == 5800
    assert sim.data["revenue"].head(3).tolist() == pytest.approx(
        [15.883319, 14.339618, 7.025209], abs=1e-6
    )
    assert sim.data["treatment"].head(5).tolist() == [1, 0, 0, 0, 1]


def test_tau_zero_gives_one_common_effect(rng):
    sim = _sim(rng, tau=0.0)
    assert np.all(sim.theta == SETTINGS["mu"])


def test_segment_effects_are_drawn_from_the_population(rng):
    names = [f"s{k}" for k in range(4000)]
    sim = simulate_segments(names, np.full(4000, 2), rng=rng, **SETTINGS)
    assert sim.theta.mean() == pytest.approx(0.3, abs=4 * 0.5 / np.sqrt(4000))
    assert sim.theta.std(ddof=1) == pytest.approx(0.5, rel=0.05)


def test_units_follow_the_outcome_model(rng):
    sim = _sim(rng, sizes=(20_000, 20_000, 20_000, 20_000))
    df = sim.data
    assert df["treatment"].mean() == pytest.approx(0.5, abs=0.01)  # fair coin
    control = df.loc[df["treatment"] == 0, "revenue"]
    assert control.mean() == pytest.approx(10.0, abs=0.1)
    assert control.std() == pytest.approx(4.0, rel=0.02)
    # the per-segment difference of means recovers the true effect within sampling error
    est = group_effects(df, "revenue", "treatment", "segment")
    z = (est["y"] - sim.theta) / est["sigma"]
    assert np.all(np.abs(z) < 4)
    assert est["sigma"].to_numpy() == pytest.approx(4.0 * np.sqrt(4 / 20_000), rel=0.05)


def test_estimation_error_is_standard_normal(rng):
    names = [f"s{k}" for k in range(400)]
    sim = simulate_segments(names, np.full(400, 200), rng=rng, **SETTINGS)
    est = group_effects(sim.data, "revenue", "treatment", "segment")
    z = (est["y"] - sim.theta) / est["sigma"]
    assert abs(z.mean()) < 4 / np.sqrt(400)
    assert z.std() == pytest.approx(1.0, abs=0.12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rng": 2024}, TypeError, "rng must be a numpy.random.Generator"),
        ({"rng": None}, TypeError, "rng must be a numpy.random.Generator"),
        ({"rng": np.random.RandomState(1)}, TypeError, "got RandomState"),
        ({"names": "New / mobile"}, TypeError, "names must be a sequence of labels"),
        ({"names": []}, ValueError, "names must hold at least one label"),
        ({"names": ["a", "b", "a", "c"]}, ValueError, "names must be unique"),
        ({"names": ["a", "b", 3, "c"]}, TypeError, "names must hold non-empty strings"),
        ({"names": ["a", "b", "", "c"]}, TypeError, "names must hold non-empty strings"),
        ({"sizes": (60, 60, 90)}, ValueError, r"n_per_segment must have one entry per group \(4\)"),
        ({"sizes": (60, 60, 90, 1)}, ValueError, "n_per_segment must be at least 2"),
        ({"sizes": (60, 60, 90, 90.5)}, ValueError, "n_per_segment must hold whole numbers"),
        ({"sizes": (60, 60, 90, np.nan)}, ValueError, "n_per_segment must hold whole numbers"),
        ({"sizes": ("60", "60", "90", "90")}, TypeError, "n_per_segment must hold whole numbers"),
        ({"sizes": [True] * 4}, TypeError, "n_per_segment must hold whole numbers"),
        ({"sizes": [[60, 60], [90, 90]]}, ValueError, "n_per_segment must be one-dimensional"),
        ({"sizes": None}, TypeError, "n_per_segment must be a sequence"),
        ({"tau": -0.1}, ValueError, "tau must be >= 0"),
        ({"noise_sd": 0.0}, ValueError, "noise_sd must be > 0"),
        ({"mu": np.nan}, ValueError, "mu must be finite"),
        ({"mu": "0.3"}, TypeError, "mu must be a number"),
        ({"baseline": np.inf}, ValueError, "baseline must be finite"),
    ],
)
def test_rejects_bad_input(kwargs, error, match):
    args = {"names": NAMES, "sizes": (60, 60, 90, 90), "rng": np.random.default_rng(1), **kwargs}
    with pytest.raises(error, match=match):
        _sim(args.pop("rng"), args.pop("names"), args.pop("sizes"), **args)


def test_generator_check_accepts_only_generators():
    rng = np.random.default_rng(0)
    assert generator(rng) is rng
    with pytest.raises(TypeError, match=r"seed must be a numpy\.random\.Generator"):
        generator(0, "seed")


# --------------------------------------------------------------------------
# simulate_markets
# --------------------------------------------------------------------------

MARKETS = [f"Market {c}" for c in "ABCDEFGH"]
N_PER_ARM = [200, 250, 300, 350, 400, 500, 700, 1200]
MARKET_SETTINGS = {"mu": 0.4, "tau": 0.5, "baseline": 10.0, "noise_sd": 4.0}


def _markets(rng, names=MARKETS, sizes=N_PER_ARM, **kwargs):
    return simulate_markets(names, sizes, rng=rng, **{**MARKET_SETTINGS, **kwargs})


def test_markets_shapes_and_index(rng):
    sim = _markets(rng)
    assert isinstance(sim, MarketSimulation)
    for field in (sim.theta, sim.y, sim.sigma):
        assert isinstance(field, pd.Series) and field.dtype == float
        assert list(field.index) == MARKETS and field.index.name == "market"
        assert np.isfinite(field).all()
    assert (sim.theta.name, sim.y.name, sim.sigma.name) == ("theta", "y", "sigma")
    assert (sim.sigma > 0).all()


def test_markets_same_generator_state_gives_same_data():
    a = _markets(np.random.default_rng(3))
    b = _markets(np.random.default_rng(3))
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_series_equal(x, y)
    rng = np.random.default_rng(3)
    first, second = _markets(rng), _markets(rng)
    assert not np.allclose(first.y, second.y)


def test_markets_course_settings_reproduce_the_seed_table():
    # Seed 20 gives the eight markets of the course's source notebook (3 decimals).
    sim = _markets(np.random.default_rng(20))
    assert sim.theta.round(3).tolist() == [0.220, 1.002, 1.098, 0.559, 0.607, 0.155, -0.057, -0.050]
    assert sim.y.round(3).tolist() == [0.483, 0.998, 1.383, 0.493, 0.438, 0.101, 0.072, -0.001]
    assert sim.sigma.round(3).tolist() == [0.423, 0.359, 0.330, 0.296, 0.277, 0.255, 0.212, 0.163]


def test_markets_tau_zero_gives_one_common_effect(rng):
    assert np.all(_markets(rng, tau=0.0).theta == 0.4)


def test_market_effects_are_drawn_from_the_population(rng):
    names = [f"m{k}" for k in range(4000)]
    sim = simulate_markets(names, np.full(4000, 2), rng=rng, **MARKET_SETTINGS)
    assert sim.theta.mean() == pytest.approx(0.4, abs=4 * 0.5 / np.sqrt(4000))
    assert sim.theta.std(ddof=1) == pytest.approx(0.5, rel=0.05)


def test_market_estimates_are_centred_on_the_truth_with_the_stated_spread(rng):
    # Over many markets of one size, d - theta ~ N(0, 2 sigma^2 / n): centred on the
    # truth, with a spread that the standard errors report.
    n_markets, n = 3000, 300
    names = [f"m{k}" for k in range(n_markets)]
    sim = simulate_markets(names, np.full(n_markets, n), rng=rng, **MARKET_SETTINGS)
    error = sim.y - sim.theta
    expected_sd = 4.0 * np.sqrt(2 / n)
    assert abs(error.mean()) < 4 * expected_sd / np.sqrt(n_markets)
    assert error.std(ddof=1) == pytest.approx(expected_sd, rel=0.05)
    assert sim.sigma.mean() == pytest.approx(expected_sd, rel=0.01)
    assert sim.sigma.std() < 0.1 * expected_sd  # estimated from 2 x 300 visitors
    z = error / sim.sigma
    assert z.std(ddof=1) == pytest.approx(1.0, rel=0.05)
    assert np.mean(np.abs(z) > 1.96) == pytest.approx(0.05, abs=0.015)


def test_market_standard_errors_follow_the_sample_sizes(rng):
    names = [f"m{k}" for k in range(2000)]
    sizes = np.tile([50, 200, 800, 3200], 500)
    sim = simulate_markets(names, sizes, rng=rng, **MARKET_SETTINGS)
    by_size = sim.sigma.groupby(sizes).mean()
    np.testing.assert_allclose(by_size.to_numpy(), 4.0 * np.sqrt(2 / by_size.index), rtol=0.02)
    spread = (sim.y - sim.theta).groupby(sizes).std()
    np.testing.assert_allclose(spread.to_numpy(), 4.0 * np.sqrt(2 / spread.index), rtol=0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rng": 20}, TypeError, "rng must be a numpy.random.Generator"),
        ({"rng": np.random.RandomState(1)}, TypeError, "got RandomState"),
        ({"names": "Market A"}, TypeError, "names must be a sequence of labels"),
        ({"names": []}, ValueError, "names must hold at least one label"),
        ({"names": ["a", "a"], "sizes": [10, 10]}, ValueError, "names must be unique"),
        ({"names": ["a", None], "sizes": [10, 10]}, TypeError, "names must hold non-empty"),
        ({"sizes": N_PER_ARM[:-1]}, ValueError, r"n_per_arm must have one entry per group \(8\)"),
        ({"sizes": [1, *N_PER_ARM[1:]]}, ValueError, "n_per_arm must be at least 2"),
        ({"sizes": [200.5, *N_PER_ARM[1:]]}, ValueError, "n_per_arm must hold whole numbers"),
        ({"sizes": [True] * 8}, TypeError, "n_per_arm must hold whole numbers"),
        ({"sizes": None}, TypeError, "n_per_arm must be a sequence"),
        ({"tau": -0.5}, ValueError, "tau must be >= 0"),
        ({"noise_sd": -4.0}, ValueError, "noise_sd must be > 0"),
        ({"mu": np.inf}, ValueError, "mu must be finite"),
        ({"baseline": "10"}, TypeError, "baseline must be a number"),
    ],
)
def test_markets_reject_bad_input(kwargs, error, match):
    args = {"names": MARKETS, "sizes": N_PER_ARM, "rng": np.random.default_rng(1), **kwargs}
    with pytest.raises(error, match=match):
        _markets(args.pop("rng"), args.pop("names"), args.pop("sizes"), **args)


# --------------------------------------------------------------------------
# simulate_conversions
# --------------------------------------------------------------------------

CONVERSION_SETTINGS = {"baseline_a": 20.0, "baseline_b": 180.0, "mu": 0.2, "tau": 0.25}


def _conversions(rng, names=MARKETS, sizes=N_PER_ARM, **kwargs):
    return simulate_conversions(names, sizes, rng=rng, **{**CONVERSION_SETTINGS, **kwargs})


def test_conversions_shapes_index_and_types(rng):
    sim = _conversions(rng)
    assert isinstance(sim, ConversionSimulation)
    for field in (sim.baseline, sim.theta, sim.data):
        assert list(field.index) == MARKETS and field.index.name == "market"
    assert (sim.baseline.name, sim.theta.name) == ("baseline", "theta")
    assert sim.baseline.between(0, 1, inclusive="neither").all()
    assert list(sim.data.columns) == ["n_control", "y_control", "n_treat", "y_treat"]
    assert all(pd.api.types.is_integer_dtype(t) for t in sim.data.dtypes)
    assert sim.data["n_control"].tolist() == N_PER_ARM == sim.data["n_treat"].tolist()
    for arm in ("control", "treat"):
        assert sim.data[f"y_{arm}"].between(0, sim.data[f"n_{arm}"]).all()


def test_conversions_course_settings_reproduce_the_seed_counts():
    # Seed 2024 gives the conversion counts of the course's source notebook, which
    # draws the baselines, then the effects, then market by market control and treated.
    sim = _conversions(np.random.default_rng(2024))
    assert sim.baseline.round(4).tolist() == [
        0.1117, 0.0687, 0.1328, 0.0775, 0.0800, 0.1218, 0.0907, 0.0971
    ]  # fmt: skip
    assert sim.theta.round(3).tolist() == [0.214, 0.306, 0.256, 0.614, 0.034, 0.5, 0.099, -0.039]
    assert sim.data["y_control"].tolist() == [19, 23, 40, 23, 36, 54, 69, 101]
    assert sim.data["y_treat"].tolist() == [23, 23, 50, 40, 37, 102, 71, 119]


def test_conversions_same_generator_state_gives_same_data():
    a = _conversions(np.random.default_rng(5))
    b = _conversions(np.random.default_rng(5))
    pd.testing.assert_series_equal(a.baseline, b.baseline)
    pd.testing.assert_series_equal(a.theta, b.theta)
    pd.testing.assert_frame_equal(a.data, b.data)
    rng = np.random.default_rng(5)
    first, second = _conversions(rng), _conversions(rng)
    assert not np.allclose(first.baseline, second.baseline)


def test_conversions_tau_zero_gives_one_common_log_odds_ratio(rng):
    assert np.all(_conversions(rng, tau=0.0).theta == 0.2)


def test_conversion_truth_is_drawn_from_the_stated_populations(rng):
    k = 4000
    names = [f"m{i}" for i in range(k)]
    sim = simulate_conversions(names, np.full(k, 1), rng=rng, **CONVERSION_SETTINGS)
    a, b = 20.0, 180.0
    beta_sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert sim.baseline.mean() == pytest.approx(a / (a + b), abs=4 * beta_sd / np.sqrt(k))
    assert sim.baseline.std(ddof=1) == pytest.approx(beta_sd, rel=0.05)
    assert sim.theta.mean() == pytest.approx(0.2, abs=4 * 0.25 / np.sqrt(k))
    assert sim.theta.std(ddof=1) == pytest.approx(0.25, rel=0.05)


def test_conversion_counts_follow_the_binomial_model(rng):
    # With many visitors per arm the empirical log odds ratios are centred on the
    # true effects (so on mu on average) with the spread their Woolf errors state,
    # and the control arms convert at the baseline rates.
    k, n = 2000, 5000
    names = [f"m{i}" for i in range(k)]
    sim = simulate_conversions(names, np.full(k, n), rng=rng, **CONVERSION_SETTINGS)
    df = sim.data
    lor = log_odds_ratio(df["n_control"], df["y_control"], df["n_treat"], df["y_treat"])
    assert not lor.corrected.any()
    z = (lor.y - sim.theta.to_numpy()) / lor.sigma
    assert abs(z.mean()) < 4 / np.sqrt(k)
    assert z.std(ddof=1) == pytest.approx(1.0, rel=0.05)
    assert lor.y.mean() == pytest.approx(0.2, abs=4 * 0.27 / np.sqrt(k))
    control_rate = df["y_control"] / n
    assert np.abs(control_rate - sim.baseline).max() < 5 * np.sqrt(0.2 * 0.8 / n)
    treat_rate = expit(logit(sim.baseline) + sim.theta)
    assert np.abs(df["y_treat"] / n - treat_rate).max() < 5 * np.sqrt(0.2 * 0.8 / n)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rng": 2024}, TypeError, "rng must be a numpy.random.Generator"),
        ({"names": "Market A"}, TypeError, "names must be a sequence of labels"),
        ({"names": []}, ValueError, "names must hold at least one label"),
        ({"names": ["a", "a"], "sizes": [10, 10]}, ValueError, "names must be unique"),
        ({"sizes": N_PER_ARM[:-1]}, ValueError, r"n_per_arm must have one entry per group \(8\)"),
        ({"sizes": [0, *N_PER_ARM[1:]]}, ValueError, "n_per_arm must be at least 1"),
        ({"sizes": [200.5, *N_PER_ARM[1:]]}, ValueError, "n_per_arm must hold whole numbers"),
        ({"sizes": ["200"] * 8}, TypeError, "n_per_arm must hold whole numbers"),
        ({"sizes": None}, TypeError, "n_per_arm must be a sequence"),
        ({"baseline_a": 0.0}, ValueError, "baseline_a must be > 0"),
        ({"baseline_b": -1.0}, ValueError, "baseline_b must be > 0"),
        ({"baseline_a": "20"}, TypeError, "baseline_a must be a number"),
        ({"baseline_b": np.nan}, ValueError, "baseline_b must be finite"),
        ({"mu": np.inf}, ValueError, "mu must be finite"),
        ({"tau": -0.25}, ValueError, "tau must be >= 0"),
    ],
)
def test_conversions_reject_bad_input(kwargs, error, match):
    args = {"names": MARKETS, "sizes": N_PER_ARM, "rng": np.random.default_rng(1), **kwargs}
    with pytest.raises(error, match=match):
        _conversions(args.pop("rng"), args.pop("names"), args.pop("sizes"), **args)


def test_course_markets_are_the_design_simulated_with_its_seed():
    from helpers.simulate import COURSE_MARKETS, course_markets

    sim = course_markets()
    again = simulate_markets(
        list(COURSE_MARKETS.names),
        list(COURSE_MARKETS.n_per_arm),
        rng=np.random.default_rng(COURSE_MARKETS.seed),
        **COURSE_MARKETS.settings,
    )
    for a, b in zip(sim, again, strict=True):
        pd.testing.assert_series_equal(a, b)
    assert list(sim.y.index) == [f"Market {c}" for c in "ABCDEFGH"]
    assert COURSE_MARKETS.settings == {"mu": 0.4, "tau": 0.5, "baseline": 10.0, "noise_sd": 4.0}
