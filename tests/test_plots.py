"""helpers.plots: the figures have the expected pieces, and bad input is rejected."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats

from helpers.plots import forest_plot, funnel_plot, shrinkage_plot

LABELS = ["A", "B", "C", "D"]
EST = np.array([0.5, 1.0, 0.1, -0.2])
SE = np.array([0.4, 0.3, 0.2, 0.25])


def _triple(est=EST, se=SE):
    return est, est - 1.96 * se, est + 1.96 * se


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _data_lines(ax):
    """Line2D artists that carry data (not grid lines)."""
    return [line for line in ax.lines if line.get_label() and not line.get_label().startswith("_")]


def test_forest_plot_draws_one_interval_set_and_marker_set_per_series():
    fig = forest_plot(
        LABELS,
        {"no pooling": _triple(), "partial pooling": _triple(0.8 * EST, 0.8 * SE)},
        xlabel="effect",
    )
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    collections = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(collections) == 2
    assert all(len(c.get_segments()) == len(LABELS) for c in collections)
    markers = _data_lines(ax)
    assert [m.get_label() for m in markers] == ["no pooling", "partial pooling"]
    np.testing.assert_allclose(markers[0].get_xdata(), EST)
    assert [t.get_text() for t in ax.get_yticklabels()] == LABELS
    assert ax.get_xlabel() == "effect"
    # the first label is drawn at the top
    assert markers[0].get_ydata()[0] > markers[0].get_ydata()[-1]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["no pooling", "partial pooling"]


def test_forest_plot_intervals_span_lower_to_upper():
    est, lo, hi = _triple()
    fig = forest_plot(LABELS, {"only": (est, lo, hi)})
    (collection,) = fig.axes[0].collections
    ends = np.array([[seg[0][0], seg[1][0]] for seg in collection.get_segments()])
    np.testing.assert_allclose(np.sort(ends, axis=1), np.column_stack([lo, hi]))


def test_forest_plot_points_bands_and_lines():
    fig = forest_plot(
        LABELS,
        {"a": _triple(), "b": _triple(), "c": _triple()},
        points={"truth": EST + 0.1},
        bands={"DL random effects, 95% CI": (0.3, 0.1, 0.5)},
        lines={"zero": 0.0, "mu": 0.4},
    )
    ax = fig.axes[0]
    assert len([c for c in ax.collections if isinstance(c, LineCollection)]) == 3
    labels = [line.get_label() for line in _data_lines(ax)]
    assert labels == ["a", "b", "c", "truth", "DL random effects, 95% CI", "zero", "mu"]
    # the points get their own sub-row, below the three series in every row
    series_y = [line.get_ydata() for line in _data_lines(ax)[:3]]
    truth_y = _data_lines(ax)[3].get_ydata()
    assert all(np.all(truth_y < y) for y in series_y)
    assert np.all(series_y[0] > series_y[1]) and np.all(series_y[1] > series_y[2])
    assert len(ax.patches) == 1  # the shaded band
    (band,) = ax.patches
    assert band.get_x() == pytest.approx(0.1)
    assert band.get_x() + band.get_width() == pytest.approx(0.5)


def test_forest_plot_never_tells_series_apart_by_colour_alone():
    """Each series has its own marker; each band and line its own dash pattern."""
    fig = forest_plot(
        LABELS,
        {"a": _triple(), "b": _triple(), "c": _triple()},
        bands={"b1": (0.3, 0.1, 0.5), "b2": (0.2, 0.0, 0.4)},
        lines={"zero": 0.0, "mu": 0.4},
    )
    lines = _data_lines(fig.axes[0])
    assert len({line.get_marker() for line in lines[:3]}) == 3
    dashes = [str(line.get_linestyle()) + str(line._dash_pattern) for line in lines[3:]]
    assert len(lines[3:]) == 4 and len(set(dashes)) == 4


def test_shrinkage_plot_marks_the_two_estimates_differently():
    fig = shrinkage_plot(LABELS, EST, 0.5 * EST)
    scatters = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    paths = [tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in scatters]
    assert len(scatters) == 2 and paths[0] != paths[1]


def test_forest_plot_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    out = forest_plot(LABELS, {"s": _triple()}, ax=ax)
    assert out is fig and len(ax.collections) == 1


def test_forest_plot_accepts_single_row_and_numpy_labels():
    fig = forest_plot(np.array(["only"]), {"s": ([1.0], [0.5], [1.5])})
    assert len(fig.axes[0].collections) == 1


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("A", {"s": _triple()}), {}, TypeError, "labels must be a sequence of labels"),
        (([], {"s": _triple()}), {}, ValueError, "labels must hold at least one"),
        ((["A", "A", "C", "D"], {"s": _triple()}), {}, ValueError, "labels must be unique"),
        (([1, 2, 3, 4], {"s": _triple()}), {}, TypeError, "labels must hold non-empty strings"),
        ((LABELS, {}), {}, ValueError, "series must hold at least one"),
        ((LABELS, [_triple()]), {}, TypeError, "series must be a mapping"),
        ((LABELS, {1: _triple()}), {}, TypeError, "series keys must be non-empty strings"),
        ((LABELS, {"s": _triple()[:2]}), {}, ValueError, r"series\['s'\] must be an \(estimate"),
        ((LABELS, {"s": "abc"}), {}, TypeError, r"series\['s'\] must be an \(estimate"),
        (
            (LABELS, {"s": _triple(EST[:3], SE[:3])}),
            {},
            ValueError,
            r"series\['s'\] estimate must have one value per label \(4\)",
        ),
        (
            (LABELS, {"s": (EST, EST + 0.1, EST + 1)}),
            {},
            ValueError,
            "must satisfy lower <= estimate <= upper",
        ),
        (
            (LABELS, {"s": (EST, EST - 1, EST - 0.1)}),
            {},
            ValueError,
            "must satisfy lower <= estimate <= upper",
        ),
        (
            (LABELS, {"s": (EST, EST - SE, [np.nan, 1, 1, 1])}),
            {},
            ValueError,
            r"series\['s'\]\[2\] must be finite",
        ),
        (
            (LABELS, {"s": _triple()}),
            {"points": {"t": EST[:2]}},
            ValueError,
            r"points\['t'\] must have one value per label",
        ),
        (
            (LABELS, {"s": _triple()}),
            {"points": {"t": [1, 2, np.inf, 3]}},
            ValueError,
            r"points\['t'\] must be finite",
        ),
        (
            (LABELS, {"s": _triple()}),
            {"bands": {"b": (0.0, 0.5, 1.0)}},
            ValueError,
            r"bands\['b'\] must satisfy lower <= estimate <= upper",
        ),
        (
            (LABELS, {"s": _triple()}),
            {"bands": {"b": (0.0, np.nan, 1.0)}},
            ValueError,
            r"bands\['b'\]\[1\] must be finite",
        ),
        (
            (LABELS, {"s": _triple()}),
            {"bands": {"b": (0.0, [0.1], 1.0)}},
            TypeError,
            r"bands\['b'\]\[1\] must be a number",
        ),
        (
            (LABELS, {"s": _triple()}),
            {"lines": {"zero": "0"}},
            TypeError,
            r"lines\['zero'\] must be a number",
        ),
        ((LABELS, {"s": _triple()}), {"lines": [0.0]}, TypeError, "lines must be a mapping"),
        ((LABELS, {"s": _triple()}), {"xlabel": 3}, TypeError, "xlabel must be a string"),
        ((LABELS, {"s": _triple()}), {"ax": "axes"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_forest_plot_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        forest_plot(*args, **kwargs)


def test_shrinkage_plot_draws_lines_points_and_pooled_value():
    partial = 0.6 * EST + 0.4 * 0.3
    fig = shrinkage_plot(LABELS, EST, partial, pooled=0.3, ylabel="effect")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = lines.get_segments()
    assert len(segments) == len(LABELS)
    np.testing.assert_allclose([s[0][1] for s in segments], EST)
    np.testing.assert_allclose([s[1][1] for s in segments], partial)
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 2 and all(len(p.get_offsets()) == len(LABELS) for p in points)
    pooled_lines = [line for line in ax.lines if isinstance(line, Line2D)]
    assert len(pooled_lines) == 1 and pooled_lines[0].get_ydata()[0] == pytest.approx(0.3)
    assert sorted(t.get_text() for t in ax.texts) == sorted(LABELS)
    assert ax.get_ylabel() == "effect"
    ylo, yhi = ax.get_ylim()
    assert ylo < min(EST.min(), partial.min()) and yhi > max(EST.max(), partial.max())


def test_shrinkage_plot_without_pooled_value_has_no_reference_line():
    fig = shrinkage_plot(LABELS, EST, EST)
    assert len(fig.axes[0].lines) == 0


def test_shrinkage_labels_do_not_overlap_when_estimates_coincide():
    fig = shrinkage_plot(LABELS, [0.5, 0.5, 0.5, 0.5], [0.4, 0.4, 0.4, 0.4], pooled=0.4)
    ys = np.sort([t.get_position()[1] for t in fig.axes[0].texts])
    assert np.all(np.diff(ys) > 0)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("A", EST, EST), {}, TypeError, "labels must be a sequence of labels"),
        ((LABELS, EST[:3], EST), {}, ValueError, "must have the same length"),
        ((LABELS, EST, EST[:3]), {}, ValueError, "must have the same length"),
        ((LABELS, [0, 1, np.nan, 2], EST), {}, ValueError, "no_pooling must be finite"),
        ((LABELS, EST, ["a", "b", "c", "d"]), {}, TypeError, "partial_pooling must contain only"),
        ((LABELS, EST, EST), {"pooled": np.inf}, ValueError, "pooled must be finite"),
        ((LABELS, EST, EST), {"pooled": "0.3"}, TypeError, "pooled must be a number"),
        ((LABELS, EST, EST), {"pooled_label": 1}, TypeError, "pooled_label must be a string"),
        ((LABELS, EST, EST), {"ylabel": 1}, TypeError, "ylabel must be a string"),
        ((LABELS, EST, EST), {"ax": 1}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_shrinkage_plot_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        shrinkage_plot(*args, **kwargs)


# --- funnel_plot -------------------------------------------------------------

FUNNEL_Y = np.array([0.9, 0.5, 0.3, 0.1, 0.6])
FUNNEL_SIGMA = np.array([0.4, 0.3, 0.15, 0.1, 0.25])


def test_funnel_plot_inverts_the_standard_error_axis_and_draws_every_study():
    fig = funnel_plot(FUNNEL_Y, FUNNEL_SIGMA, xlabel="effect")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    studies = [line for line in ax.lines if line.get_label() == "studies"]
    assert len(studies) == 1
    np.testing.assert_allclose(studies[0].get_xdata(), FUNNEL_Y)
    np.testing.assert_allclose(studies[0].get_ydata(), FUNNEL_SIGMA)
    bottom, top = ax.get_ylim()
    assert top == 0.0 and bottom > FUNNEL_SIGMA.max()  # precise studies at the top
    assert ax.get_xlabel() == "effect" and ax.get_ylabel() == "standard error"


def test_funnel_plot_contours_sit_at_the_significance_boundaries():
    levels = (0.90, 0.95, 0.99)
    fig = funnel_plot(FUNNEL_Y, FUNNEL_SIGMA, levels=levels)
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["0.05 ≤ p < 0.1", "0.01 ≤ p < 0.05", "p < 0.01"]
    # the contour lines: x = ±z * se, two per level
    slopes = sorted(
        abs(line.get_xdata()[-1] / line.get_ydata()[-1])
        for line in ax.lines
        if line.get_label().startswith("_") and line.get_ydata()[-1] > 0
    )
    expected = sorted(np.repeat(stats.norm.ppf(0.5 + np.array(levels) / 2), 2))
    np.testing.assert_allclose(slopes, expected)


def test_funnel_plot_center_and_filled_studies():
    fig = funnel_plot(
        FUNNEL_Y, FUNNEL_SIGMA, center=0.3, filled=([-0.2, -0.4], [0.3, 0.4]), levels=[0.95]
    )
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert "pooled estimate" in labels and "95% pseudo-confidence funnel" in labels
    filled = [line for line in ax.lines if line.get_label() == "filled by trim-and-fill"]
    assert len(filled) == 1 and filled[0].get_marker() == "s"
    assert filled[0].get_marker() != "o"  # told apart by marker, not colour alone
    np.testing.assert_allclose(filled[0].get_xdata(), [-0.2, -0.4])
    left, right = ax.get_xlim()
    assert left < -0.4 and right > 0.9


def test_funnel_plot_with_nothing_filled_draws_no_filled_marker():
    fig = funnel_plot(FUNNEL_Y, FUNNEL_SIGMA, filled=([], []))
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert "filled by trim-and-fill" not in labels and "studies" in labels


def test_funnel_plot_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    assert funnel_plot(FUNNEL_Y, FUNNEL_SIGMA, ax=ax) is fig


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((FUNNEL_Y, FUNNEL_SIGMA[:3]), {}, ValueError, "same length|length"),
        ((FUNNEL_Y, -FUNNEL_SIGMA), {}, ValueError, "sigma"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"levels": [0.95, 1.0]}, ValueError, "levels"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"levels": []}, ValueError, "levels"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"center": np.nan}, ValueError, "center"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"filled": ([0.1], [0.2], [0.3])}, ValueError, "filled"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"filled": ([0.1], [-0.2])}, ValueError, "filled"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"xlabel": 3}, TypeError, "xlabel"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"label": None}, TypeError, "label"),
        ((FUNNEL_Y, FUNNEL_SIGMA), {"ax": "axes"}, TypeError, "ax"),
    ],
)
def test_funnel_plot_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        funnel_plot(*args, **kwargs)
