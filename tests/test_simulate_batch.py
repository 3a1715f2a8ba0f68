"""Tests of helpers.simulate.simulate_markets_batch: many sets of market A/B tests at once."""

import numpy as np
import pandas as pd
import pytest

from helpers import simulate
from helpers.simulate import COURSE_MARKETS, MarketSimulation, simulate_markets_batch

MARKETS, N_PER_ARM = list(COURSE_MARKETS.names), list(COURSE_MARKETS.n_per_arm)
SETTINGS = COURSE_MARKETS.settings


@pytest.mark.parametrize("n_sims", [1, 5, 150])  # within, at and across blocks of draws
def test_batch_is_repeated_simulate_markets(n_sims):
    one_by_one = np.random.default_rng(7)
    at_once = np.random.default_rng(7)
    sims = [
        simulate.simulate_markets(MARKETS, N_PER_ARM, rng=one_by_one, **SETTINGS)
        for _ in range(n_sims)
    ]
    batch = simulate_markets_batch(MARKETS, N_PER_ARM, n_sims, rng=at_once, **SETTINGS)
    assert isinstance(batch, MarketSimulation)
    for field in range(3):  # bit for bit
        np.testing.assert_array_equal(
            np.array([s[field].to_numpy() for s in sims]), batch[field].to_numpy()
        )
    assert one_by_one.standard_normal() == at_once.standard_normal()  # same state after


def test_batch_shapes_and_labels():
    batch = simulate_markets_batch(
        ["a", "b", "c"], [20, 30, 40], 4, rng=np.random.default_rng(1), **SETTINGS
    )
    for field in batch:
        assert isinstance(field, pd.DataFrame) and field.shape == (4, 3)
        assert list(field.columns) == ["a", "b", "c"] and field.columns.name == "market"
        assert list(field.index) == [0, 1, 2, 3] and field.index.name == "simulation"


def test_batch_follows_the_model():
    n = 300
    batch = simulate_markets_batch(["m"], [n], 4000, rng=np.random.default_rng(2), **SETTINGS)
    theta, y, sigma = (f["m"].to_numpy() for f in batch)
    assert theta.mean() == pytest.approx(0.4, abs=4 * 0.5 / np.sqrt(4000))
    expected_sd = 4.0 * np.sqrt(2 / n)
    assert (y - theta).std(ddof=1) == pytest.approx(expected_sd, rel=0.05)
    assert sigma.mean() == pytest.approx(expected_sd, rel=0.01)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_sims": 0}, ValueError, "n_sims"),
        ({"n_sims": 2.5}, TypeError, "n_sims"),
        ({"n_per_arm": [1, 2]}, ValueError, "n_per_arm must"),
        ({"names": ["a"]}, ValueError, "n_per_arm must have one entry per group"),
        ({"rng": 3}, TypeError, "rng must be a numpy.random.Generator"),
        ({"tau": -1.0}, ValueError, "tau must be >= 0"),
    ],
)
def test_batch_rejects_bad_input(kwargs, error, match):
    args = {
        "names": ["a", "b"],
        "n_per_arm": [10, 10],
        "n_sims": 3,
        "rng": np.random.default_rng(1),
    }
    args = {**args, **SETTINGS, **kwargs}
    with pytest.raises(error, match=match):
        simulate_markets_batch(args.pop("names"), args.pop("n_per_arm"), args.pop("n_sims"), **args)
