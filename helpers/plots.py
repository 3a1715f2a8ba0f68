"""Figures shared by the meta-analysis chapters: forest and shrinkage plots.

The functions draw numbers computed elsewhere (estimates, interval ends,
pooled values) and do no statistics themselves. They work on any scale (an
effect on revenue, a log-odds ratio, a probability), return the matplotlib
``Figure`` and accept an existing ``Axes`` through ``ax`` so that a chapter
can combine or restyle them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from helpers._validation import as_float_vector, as_scalar, group_names, same_length

__all__ = ["forest_plot", "shrinkage_plot"]

_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
# Reference lines and bands are told apart by their dash pattern, not colour alone.
_DASHES = ("--", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))


def _mapping(x, name: str) -> dict:
    """Check an optional mapping with non-empty string keys; None gives {}."""
    if x is None:
        return {}
    if not isinstance(x, Mapping):
        raise TypeError(f"{name} must be a mapping from names to values, got {type(x).__name__}")
    if not all(isinstance(k, str) and k for k in x):
        raise TypeError(f"{name} keys must be non-empty strings, got {list(x)}")
    return dict(x)


def _interval(value, name: str, n: int | None):
    """Check an (estimate, lower, upper) triple of vectors of length n (or of numbers)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"{name} must be an (estimate, lower, upper) triple")
    if len(value) != 3:
        raise ValueError(
            f"{name} must be an (estimate, lower, upper) triple, got {len(value)} items"
        )
    if n is None:
        est, lo, hi = (as_scalar(v, f"{name}[{i}]") for i, v in enumerate(value))
    else:
        est, lo, hi = (as_float_vector(v, f"{name}[{i}]") for i, v in enumerate(value))
        for part, arr in zip(("estimate", "lower", "upper"), (est, lo, hi), strict=True):
            if arr.size != n:
                raise ValueError(
                    f"{name} {part} must have one value per label ({n}), got {arr.size}"
                )
    if np.any(lo > est) or np.any(est > hi):
        raise ValueError(f"{name} must satisfy lower <= estimate <= upper")
    return est, lo, hi


def _axes(ax, figsize) -> tuple[Figure, Axes]:
    """Return (figure, axes): new ones, or those of the given Axes."""
    if ax is None:
        return plt.subplots(figsize=figsize)
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure, ax


def _legend_above(ax: Axes) -> None:
    """Put the legend in two columns above the axes, clear of the data."""
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.01), ncols=2, borderaxespad=0.0, fontsize="small"
    )


def forest_plot(
    labels: Sequence[str],
    series: Mapping[str, tuple],
    *,
    points: Mapping[str, Sequence[float]] | None = None,
    bands: Mapping[str, tuple[float, float, float]] | None = None,
    lines: Mapping[str, float] | None = None,
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw a forest plot: one row per label, one interval per series in every row.

    Rows run from top to bottom in the order of ``labels``; within a row the
    series are drawn one below the other in the order given, each with its
    own colour and marker, so several methods can be compared row by row.
    Whole-population summaries are drawn across all rows: a ``band`` is a
    shaded interval with a line at its estimate (e.g. a random-effects pooled
    mean and its confidence interval), a ``line`` a plain vertical line (e.g.
    zero). The function draws what it is given; the caller states the
    interval kind in the series names or the caption.

    Parameters
    ----------
    labels : sequence of str
        Row labels (unique), e.g. market names.
    series : mapping of str to (estimate, lower, upper)
        At least one named series; each value holds three vectors with one
        finite number per label and ``lower <= estimate <= upper``.
    points : mapping of str to vector, optional
        Named point markers without intervals, one value per label (e.g. the
        true effects of a simulation), drawn below the series in each row.
    bands : mapping of str to (estimate, lower, upper), optional
        Named population summaries: three finite numbers with
        ``lower <= estimate <= upper``.
    lines : mapping of str to float, optional
        Named vertical reference lines.
    xlabel : str, optional
        Label of the horizontal axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure sized to the number of rows.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. Each series adds one ``LineCollection`` (its intervals)
        and one ``Line2D`` (its markers); each point set one ``Line2D``; each
        band one shaded patch and one ``Line2D``; each line one ``Line2D``.

    Raises
    ------
    TypeError
        If an argument has the wrong type (labels not strings, a non-mapping).
    ValueError
        If a vector has the wrong length, a value is not finite, an interval
        has ``lower > estimate`` or ``estimate > upper``, or ``series`` is empty.
    """
    labels = group_names(labels, "labels")
    n = len(labels)
    series = _mapping(series, "series")
    if not series:
        raise ValueError("series must hold at least one named (estimate, lower, upper) triple")
    checked = {name: _interval(v, f"series[{name!r}]", n) for name, v in series.items()}
    points = {
        name: as_float_vector(v, f"points[{name!r}]")
        for name, v in _mapping(points, "points").items()
    }
    for name, v in points.items():
        if v.size != n:
            raise ValueError(f"points[{name!r}] must have one value per label ({n}), got {v.size}")
    bands = {
        name: _interval(v, f"bands[{name!r}]", None) for name, v in _mapping(bands, "bands").items()
    }
    lines = {name: as_scalar(v, f"lines[{name!r}]") for name, v in _mapping(lines, "lines").items()}
    if xlabel is not None and not isinstance(xlabel, str):
        raise TypeError(f"xlabel must be a string, got {type(xlabel).__name__}")
    n_slots = len(checked) + len(points)  # sub-rows within a row: series first, then points
    fig, ax = _axes(ax, (7.0, 1.6 + n * (0.2 + 0.1 * n_slots)))

    rows = np.arange(n)[::-1].astype(float)  # first label at the top
    step = min(0.7 / n_slots, 0.22)
    offsets = (np.arange(n_slots) - (n_slots - 1) / 2) * step  # top to bottom within a row
    colours = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 4)
    for i, (name, (est, lo, hi)) in enumerate(checked.items()):
        colour = next(colours)
        y = rows - offsets[i]
        ax.hlines(y, lo, hi, color=colour, linewidth=1.6)
        ax.plot(
            est, y, linestyle="none", marker=_MARKERS[i % len(_MARKERS)], color=colour, label=name
        )
    for i, (name, values) in enumerate(points.items(), start=len(checked)):
        ax.plot(
            values,
            rows - offsets[i],
            linestyle="none",
            marker="x",
            color="black",
            markersize=7,
            label=name,
        )
    dashes = iter(_DASHES * 4)
    for name, (est, lo, hi) in bands.items():
        colour = next(colours)
        ax.axvspan(lo, hi, color=colour, alpha=0.15, linewidth=0)
        ax.axvline(est, color=colour, linestyle=next(dashes), linewidth=1.2, label=name)
    for name, value in lines.items():
        ax.axvline(value, color="dimgrey", linestyle=next(dashes), linewidth=1.2, label=name)
    ax.set_yticks(rows, labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="y", visible=False)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    _legend_above(ax)
    return fig


def _spread(values: np.ndarray, gap: float) -> np.ndarray:
    """Positions for text labels near ``values`` that are at least ``gap`` apart.

    Labels are moved apart in order, then the group is re-centred on the
    original values, so isolated labels stay where they were.
    """
    order = np.argsort(values)
    pos = values[order].astype(float)
    for i in range(1, len(pos)):
        pos[i] = max(pos[i], pos[i - 1] + gap)
    pos += np.mean(values[order] - pos)
    for i in range(1, len(pos)):  # re-centring keeps the gaps; enforce them once more
        pos[i] = max(pos[i], pos[i - 1] + gap)
    out = np.empty_like(pos)
    out[order] = pos
    return out


def shrinkage_plot(
    labels: Sequence[str],
    no_pooling: Sequence[float],
    partial_pooling: Sequence[float],
    *,
    pooled: float | None = None,
    pooled_label: str = "complete pooling",
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw each group's move from its no-pooling to its partial-pooling estimate.

    Two columns of points, no pooling on the left and partial pooling on the
    right, joined by one line per group; the groups are labelled on the left,
    next to their own estimates, and an optional horizontal line marks the
    complete-pooling value that partial pooling shrinks towards.

    Parameters
    ----------
    labels : sequence of str
        Group labels (unique).
    no_pooling, partial_pooling : sequence of float
        One finite estimate per label for each kind of pooling.
    pooled : float, optional
        The complete-pooling estimate, drawn as a horizontal line.
    pooled_label : str, default "complete pooling"
        Legend entry of that line.
    ylabel : str, optional
        Label of the vertical axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. The lines form one ``LineCollection``, each column of
        points one ``PathCollection``, and ``pooled`` adds one ``Line2D``.

    Raises
    ------
    TypeError
        If labels are not strings or a value is not a number.
    ValueError
        If the vectors do not have one finite value per label.
    """
    labels = group_names(labels, "labels")
    no_pooling = as_float_vector(no_pooling, "no_pooling")
    partial_pooling = as_float_vector(partial_pooling, "partial_pooling")
    same_length(labels=np.asarray(labels), no_pooling=no_pooling, partial_pooling=partial_pooling)
    if pooled is not None:
        pooled = as_scalar(pooled, "pooled")
    if not isinstance(pooled_label, str):
        raise TypeError(f"pooled_label must be a string, got {type(pooled_label).__name__}")
    if ylabel is not None and not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string, got {type(ylabel).__name__}")
    fig, ax = _axes(ax, (5.5, 4.5))

    segments = np.stack(
        [
            np.column_stack([np.zeros_like(no_pooling), no_pooling]),
            np.column_stack([np.ones_like(partial_pooling), partial_pooling]),
        ],
        axis=1,
    )
    ax.add_collection(LineCollection(segments, colors="grey", linewidths=1.0, alpha=0.7))
    ax.scatter(
        np.zeros_like(no_pooling), no_pooling, color="C0", marker="o", zorder=3, label="no pooling"
    )
    ax.scatter(
        np.ones_like(partial_pooling),
        partial_pooling,
        color="C3",
        marker="s",
        zorder=3,
        label="partial pooling",
    )
    if pooled is not None:
        ax.axhline(pooled, color="black", linestyle="--", linewidth=1.2, label=pooled_label)
    values = np.concatenate([no_pooling, partial_pooling, [] if pooled is None else [pooled]])
    span = max(float(np.ptp(values)), 1e-12)
    ax.set_ylim(values.min() - 0.08 * span, values.max() + 0.08 * span)
    text_y = _spread(no_pooling, gap=0.055 * span)
    for label, y in zip(labels, text_y, strict=True):
        ax.text(-0.06, y, label, ha="right", va="center", fontsize="small")
    ax.set_xlim(-0.55, 1.15)
    ax.set_xticks([0, 1], ["no pooling", "partial pooling"])
    ax.grid(axis="x", visible=False)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    _legend_above(ax)
    return fig
