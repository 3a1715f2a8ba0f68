"""Simulators of the experiments the course analyses.

Every simulator takes the random generator as an explicit ``rng`` argument (a
``numpy.random.Generator``; seeds and the legacy ``RandomState`` are refused),
so the chapter that creates the generator owns the random stream and two runs
with the same seed give the same data. Simulators return the data *and* the
true parameters that generated them, as a small ``NamedTuple``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from helpers._validation import as_scalar, generator, group_names, positive_int, whole_numbers

__all__ = [
    "COURSE_MARKETS",
    "ConversionSimulation",
    "MarketDesign",
    "MarketSimulation",
    "SegmentSimulation",
    "course_markets",
    "simulate_conversions",
    "simulate_markets",
    "simulate_markets_batch",
    "simulate_segments",
]


class SegmentSimulation(NamedTuple):
    """A simulated segmented experiment: the unit-level data and the true effects."""

    data: pd.DataFrame
    theta: pd.Series


def _group_sizes(sizes, arg: str, n_groups: int, *, minimum: int) -> np.ndarray:
    """Check one whole-number size per group, each at least ``minimum``."""
    arr = whole_numbers(sizes, arg, minimum=minimum, min_length=0)
    if arr.size != n_groups:
        raise ValueError(f"{arg} must have one entry per group ({n_groups}), got {arr.size}")
    return arr


def _normal_truth(mu, tau, baseline, noise_sd, rng):
    """Check the truth of a normal-outcome simulation: mu, tau >= 0, baseline, noise_sd > 0."""
    return (
        as_scalar(mu, "mu"),
        as_scalar(tau, "tau", low=0.0),
        as_scalar(baseline, "baseline"),
        as_scalar(noise_sd, "noise_sd", low=0.0, low_open=True),
        generator(rng, "rng"),
    )


def simulate_segments(
    names: Sequence[str],
    n_per_segment: Sequence[int],
    *,
    mu: float,
    tau: float,
    baseline: float,
    noise_sd: float,
    rng: np.random.Generator,
) -> SegmentSimulation:
    r"""Simulate one A/B test whose treatment effect varies across user segments.

    The generative model, for segments :math:`k = 1, \dots, K` and the units
    :math:`i` of segment :math:`k`, is

    .. math::
        \theta_k \sim N(\mu, \tau^2), \qquad
        t_i \sim \mathrm{Bernoulli}(1/2), \qquad
        y_i = \beta_0 + \theta_k t_i + \varepsilon_i, \quad
        \varepsilon_i \sim N(0, \sigma^2),

    with baseline :math:`\beta_0` and noise sd :math:`\sigma`: every unit is
    assigned to an arm by a fair coin, so arm sizes vary around
    :math:`n_k / 2`. The draws are made in a fixed order (all :math:`\theta_k`
    first, then segment by segment the arms and the noise), so a generator in
    a given state always gives the same data.

    Parameters
    ----------
    names : sequence of str
        Unique segment labels, :math:`K \ge 1`.
    n_per_segment : sequence of int
        Units per segment, one whole number :math:`\ge 2` per name. With the
        coin-flip assignment a segment of :math:`n` units leaves an arm empty
        with probability :math:`2^{1-n}`; the analyses in
        :mod:`helpers.classical` refuse such a design, so use segments of at
        least a few dozen units.
    mu : float
        Population mean of the segment effects.
    tau : float
        Population sd of the segment effects (:math:`\ge 0`; 0 gives one common effect).
    baseline : float
        Expected outcome of a control unit.
    noise_sd : float
        Unit-level noise sd :math:`\sigma > 0`.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(2024)``.

    Returns
    -------
    SegmentSimulation
        ``data``: one row per unit with columns ``segment`` (a Categorical in
        the order of ``names``), ``treatment`` (0/1 int) and ``revenue``
        (float); ``theta``: the true segment effects, a Series indexed by
        segment.
    """
    names = group_names(names)
    sizes = _group_sizes(n_per_segment, "n_per_segment", len(names), minimum=2)
    mu, tau, baseline, noise_sd, rng = _normal_truth(mu, tau, baseline, noise_sd, rng)

    theta = rng.normal(mu, tau, size=len(names))
    treatment, revenue = [], []
    for effect, n in zip(theta, sizes, strict=True):
        t = rng.integers(0, 2, size=n)
        treatment.append(t)
        revenue.append(baseline + effect * t + rng.normal(0.0, noise_sd, size=n))
    data = pd.DataFrame(
        {
            "segment": pd.Categorical(np.repeat(names, sizes), categories=names),
            "treatment": np.concatenate(treatment).astype(int),
            "revenue": np.concatenate(revenue),
        }
    )
    return SegmentSimulation(
        data, pd.Series(theta, index=pd.Index(names, name="segment"), name="theta")
    )


class MarketSimulation(NamedTuple):
    """Simulated A/B tests in several markets: true effects, estimates and standard errors.

    Each field is a ``pandas.Series`` indexed by market (index name ``market``),
    or for :func:`simulate_markets_batch` a DataFrame with one row per simulation.
    """

    theta: pd.Series
    y: pd.Series
    sigma: pd.Series


def simulate_markets(
    names: Sequence[str],
    n_per_arm: Sequence[int],
    *,
    mu: float,
    tau: float,
    baseline: float,
    noise_sd: float,
    rng: np.random.Generator,
) -> MarketSimulation:
    r"""Simulate one A/B test per market and summarise each by its effect estimate.

    The generative model, for markets :math:`k = 1, \dots, K` with
    :math:`n_k` visitors in each arm, is

    .. math::
        \theta_k \sim N(\mu, \tau^2), \qquad
        y_{ki}^{A} \sim N(\beta_0, \sigma_\varepsilon^2), \qquad
        y_{ki}^{B} \sim N(\beta_0 + \theta_k, \sigma_\varepsilon^2), \quad i = 1, \dots, n_k,

    with baseline :math:`\beta_0` (control arm A) and noise sd
    :math:`\sigma_\varepsilon`. Each market is summarised as a meta-analysis would see it,
    by the difference of arm means and its (unpooled) standard error,

    .. math::
        y_k = \bar y_k^{B} - \bar y_k^{A}, \qquad
        \sigma_k = \sqrt{\frac{v_k^{A}}{n_k} + \frac{v_k^{B}}{n_k}},

    where :math:`v_k^{A}, v_k^{B}` are the sample variances (divisor
    :math:`n_k - 1`). So :math:`y_k \mid \theta_k \sim N(\theta_k,
    2\sigma_\varepsilon^2 / n_k)` exactly, and :math:`\sigma_k` estimates its sd. The draws
    are made in a fixed order (all :math:`\theta_k` first, then market by
    market arm A and arm B), so a generator in a given state always gives the
    same data.

    Parameters
    ----------
    names : sequence of str
        Unique market labels, :math:`K \ge 1`.
    n_per_arm : sequence of int
        Visitors in each arm of each market, one whole number :math:`\ge 2`
        per name.
    mu : float
        Population mean of the market effects.
    tau : float
        Population sd of the market effects (:math:`\ge 0`; 0 gives one common effect).
    baseline : float
        Expected outcome of a control visitor.
    noise_sd : float
        Visitor-level noise sd :math:`\sigma_\varepsilon > 0`.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(20)``.

    Returns
    -------
    MarketSimulation
        ``theta`` (the true effects :math:`\theta_k`), ``y`` (the estimates
        :math:`y_k`) and ``sigma`` (the standard errors :math:`\sigma_k`), each a
        Series indexed by market.
    """
    names = group_names(names)
    sizes = _group_sizes(n_per_arm, "n_per_arm", len(names), minimum=2)
    truth = _normal_truth(mu, tau, baseline, noise_sd, rng)
    theta, y, sigma = (a[0] for a in _market_draws(sizes, 1, *truth))
    index = pd.Index(names, name="market")
    return MarketSimulation(
        pd.Series(theta, index=index, name="theta"),
        pd.Series(y, index=index, name="y"),
        pd.Series(sigma, index=index, name="sigma"),
    )


#: _market_draws draws the visitors of this many simulations at a time (memory).
_SIMS_PER_BLOCK = 64


def _market_draws(sizes, n_sims, mu, tau, baseline, noise_sd, rng):
    """Draw the true effects, estimates and standard errors of ``n_sims`` simulations (n_sims, K).

    The standard normals are consumed in the order of :func:`simulate_markets`
    (a simulation's K effects, then market by market arm A and arm B), so
    ``n_sims`` calls of it and one call here give the same numbers.
    """
    offsets = len(sizes) + np.concatenate([[0], np.cumsum(2 * sizes)])
    theta, y, sigma = (np.empty((n_sims, len(sizes))) for _ in range(3))
    for first in range(0, n_sims, _SIMS_PER_BLOCK):
        rows = slice(first, min(first + _SIMS_PER_BLOCK, n_sims))
        z = rng.standard_normal((rows.stop - rows.start, offsets[-1]))
        theta[rows] = mu + tau * z[:, : len(sizes)]
        for k, n in enumerate(sizes):
            control = baseline + noise_sd * z[:, offsets[k] : offsets[k] + n]
            treated = (baseline + theta[rows, k])[:, None] + noise_sd * z[
                :, offsets[k] + n : offsets[k + 1]
            ]
            y[rows, k] = treated.mean(axis=1) - control.mean(axis=1)
            sigma[rows, k] = np.sqrt(
                control.var(axis=1, ddof=1) / n + treated.var(axis=1, ddof=1) / n
            )
    return theta, y, sigma


def simulate_markets_batch(
    names: Sequence[str],
    n_per_arm: Sequence[int],
    n_sims: int,
    *,
    mu: float,
    tau: float,
    baseline: float,
    noise_sd: float,
    rng: np.random.Generator,
) -> MarketSimulation:
    r"""Simulate ``n_sims`` independent sets of market A/B tests at once.

    Each simulation is what :func:`simulate_markets` draws (the same model and
    summaries, :math:`y_k = \bar y_k^{B} - \bar y_k^{A}` and
    :math:`\sigma_k = \sqrt{v_k^{A}/n_k + v_k^{B}/n_k}`), and the draws are
    made in the same order: with generators in the same state, ``n_sims``
    calls of :func:`simulate_markets` and one call of this function give the
    same numbers, in a fraction of the time (a simulation study).

    Parameters
    ----------
    names, n_per_arm, mu, tau, baseline, noise_sd, rng
        As in :func:`simulate_markets`.
    n_sims : int
        Number of simulations, at least 1.

    Returns
    -------
    MarketSimulation
        ``theta``, ``y`` and ``sigma``, each a DataFrame with one row per
        simulation (index ``simulation``) and one column per market.
    """
    names = group_names(names)
    sizes = _group_sizes(n_per_arm, "n_per_arm", len(names), minimum=2)
    n_sims = positive_int(n_sims, "n_sims")
    truth = _normal_truth(mu, tau, baseline, noise_sd, rng)
    index = pd.RangeIndex(n_sims, name="simulation")
    columns = pd.Index(names, name="market")
    return MarketSimulation(
        *(
            pd.DataFrame(a, index=index, columns=columns)
            for a in _market_draws(sizes, n_sims, *truth)
        )
    )


class MarketDesign(NamedTuple):
    """The design of a set of market A/B tests and the truth they are drawn from.

    ``names`` and ``n_per_arm`` (visitors per arm) give one entry per market;
    ``mu``, ``tau``, ``baseline`` and ``noise_sd`` are the keyword arguments of
    :func:`simulate_markets` (also as the dict :attr:`settings`); ``seed``
    seeds the generator of :func:`course_markets`.
    """

    names: tuple[str, ...]
    n_per_arm: tuple[int, ...]
    mu: float
    tau: float
    baseline: float
    noise_sd: float
    seed: int

    @property
    def settings(self) -> dict[str, float]:
        """``{"mu", "tau", "baseline", "noise_sd"}``, for ``simulate_markets(..., **settings)``."""
        return {
            "mu": self.mu,
            "tau": self.tau,
            "baseline": self.baseline,
            "noise_sd": self.noise_sd,
        }


#: The eight markets of chapters 5, 7 and 9: 200 to 1,200 visitors per arm,
#: market effects drawn from N(0.4, 0.5^2), control mean 10 and visitor sd 4.
COURSE_MARKETS = MarketDesign(
    names=tuple(f"Market {letter}" for letter in "ABCDEFGH"),
    n_per_arm=(200, 250, 300, 350, 400, 500, 700, 1200),
    mu=0.4,
    tau=0.5,
    baseline=10.0,
    noise_sd=4.0,
    seed=20,
)


def course_markets() -> MarketSimulation:
    """Simulate the course's eight market A/B tests (:data:`COURSE_MARKETS`).

    The same data in every chapter that uses them: :func:`simulate_markets`
    with the design and truth of :data:`COURSE_MARKETS` and a generator
    seeded with its ``seed``.

    Returns
    -------
    MarketSimulation
        ``theta``, ``y`` and ``sigma``, Series indexed by market.
    """
    design = COURSE_MARKETS
    rng = np.random.default_rng(design.seed)
    return simulate_markets(design.names, design.n_per_arm, rng=rng, **design.settings)


class ConversionSimulation(NamedTuple):
    """Simulated conversion experiments in several markets: the truth and the counts.

    ``baseline`` (the control conversion rates :math:`p_k`) and ``theta`` (the
    treatment effects on the log-odds scale) are Series indexed by market;
    ``data`` is a DataFrame indexed by market with the integer columns
    ``n_control``, ``y_control``, ``n_treat`` and ``y_treat``.
    """

    baseline: pd.Series
    theta: pd.Series
    data: pd.DataFrame


def simulate_conversions(
    names: Sequence[str],
    n_per_arm: Sequence[int],
    *,
    baseline_a: float,
    baseline_b: float,
    mu: float,
    tau: float,
    rng: np.random.Generator,
) -> ConversionSimulation:
    r"""Simulate one two-arm conversion experiment per market, with a log-odds effect.

    The generative model, for markets :math:`k = 1, \dots, K` with
    :math:`n_k` visitors in each arm, is

    .. math::
        p_k \sim \mathrm{Beta}(a, b), \qquad
        \theta_k \sim N(\mu, \tau^2),

    .. math::
        y_k^{C} \sim \mathrm{Binomial}(n_k, p_k), \qquad
        y_k^{T} \sim \mathrm{Binomial}\big(n_k,
        \operatorname{logit}^{-1}(\operatorname{logit} p_k + \theta_k)\big),

    so :math:`\theta_k` is market :math:`k`'s true log odds ratio of
    converting under treatment against control, and the baseline rate
    :math:`p_k` has mean :math:`a / (a + b)`. The draws are made in a fixed
    order (all :math:`p_k`, then all :math:`\theta_k`, then market by market
    the control and the treated count), so a generator in a given state always
    gives the same data.

    Parameters
    ----------
    names : sequence of str
        Unique market labels, :math:`K \ge 1`.
    n_per_arm : sequence of int
        Visitors in each arm of each market, one whole number :math:`\ge 1`
        per name.
    baseline_a, baseline_b : float
        Parameters :math:`a, b > 0` of the Beta distribution of the control
        conversion rates.
    mu : float
        Population mean of the log-odds effects.
    tau : float
        Population sd of the log-odds effects (:math:`\ge 0`; 0 gives one
        common log odds ratio).
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(2024)``.

    Returns
    -------
    ConversionSimulation
        ``baseline`` (:math:`p_k`), ``theta`` (:math:`\theta_k`) and ``data``
        (the counts), each indexed by market.
    """
    names = group_names(names)
    sizes = _group_sizes(n_per_arm, "n_per_arm", len(names), minimum=1)
    baseline_a = as_scalar(baseline_a, "baseline_a", low=0.0, low_open=True)
    baseline_b = as_scalar(baseline_b, "baseline_b", low=0.0, low_open=True)
    mu = as_scalar(mu, "mu")
    tau = as_scalar(tau, "tau", low=0.0)
    rng = generator(rng, "rng")

    baseline = rng.beta(baseline_a, baseline_b, size=len(names))
    theta = rng.normal(mu, tau, size=len(names))
    y_control = np.empty(len(names), dtype=int)
    y_treat = np.empty(len(names), dtype=int)
    for k, (p, effect, n) in enumerate(zip(baseline, theta, sizes, strict=True)):
        y_control[k] = rng.binomial(n, p)
        y_treat[k] = rng.binomial(n, expit(logit(p) + effect))
    index = pd.Index(names, name="market")
    data = pd.DataFrame(
        {"n_control": sizes, "y_control": y_control, "n_treat": sizes, "y_treat": y_treat},
        index=index,
    )
    return ConversionSimulation(
        pd.Series(baseline, index=index, name="baseline"),
        pd.Series(theta, index=index, name="theta"),
        data,
    )
