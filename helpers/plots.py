"""Figures shared by the meta-analysis chapters: forest, shrinkage and funnel plots.

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
from scipy import stats

from helpers._validation import (
    as_float_vector,
    as_scalar,
    estimates,
    group_names,
    probabilities,
    same_length,
)

__all__ = ["forest_plot", "funnel_plot", "shrinkage_plot"]

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


# Contour shading of a funnel plot, from the least to the most significant band.
_FUNNEL_GREYS = ("0.93", "0.80", "0.62")


def funnel_plot(
    y,
    sigma,
    *,
    levels=(0.90, 0.95, 0.99),
    center: float | None = None,
    center_label: str = "pooled estimate",
    filled=None,
    label: str = "studies",
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    r"""Draw a contour-enhanced funnel plot: each estimate against its standard error.

    Each study is a point at :math:`(y_k, \sigma_k)`, with the standard-error
    axis inverted so the most precise studies sit at the top. The background
    is shaded by the two-sided significance a study at that position would
    have against zero: at level :math:`L` its estimate lies outside
    :math:`\pm z_{(1+L)/2}\,\sigma`, so each level in ``levels`` adds one
    pair of boundary lines and one grey band, darker for stronger
    significance (Peters et al. 2008). Studies missing from the light
    region near zero and crowded into the shaded ones hint that significance
    decided which studies were reported. With ``center`` the plot also draws
    the classical funnel, a vertical line at the pooled estimate and the
    dashed lines :math:`\text{center} \pm z_{0.975}\,\sigma` within which
    95% of the studies would fall if they all estimated that one effect.

    Parameters
    ----------
    y, sigma : array_like
        Estimates and their standard errors (:math:`\sigma_k > 0`), one per study.
    levels : sequence of float, default (0.90, 0.95, 0.99)
        Two-sided confidence levels of the significance contours, each
        strictly between 0 and 1 (e.g. 0.95 shades where :math:`p < 0.05`).
    center : float, optional
        A pooled estimate to draw with its 95% pseudo-confidence funnel.
    center_label : str, default "pooled estimate"
        Legend entry of ``center``.
    filled : (y, sigma) pair of array_like, optional
        Studies added by trim-and-fill (or any other imputed set), drawn as
        open markers of their own; empty vectors draw nothing.
    label : str, default "studies"
        Legend entry of the studies.
    xlabel : str, optional
        Label of the horizontal axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. The studies are one ``Line2D`` (filled circles), the
        filled studies another (open squares); each level adds one shaded
        patch and two contour lines; ``center`` adds one solid and two dashed
        lines.

    Raises
    ------
    TypeError
        If ``ax`` is not an Axes or a label is not a string.
    ValueError
        If ``y`` and ``sigma`` differ in length or are not finite, a standard
        error is not positive, ``levels`` is empty or outside (0, 1), or
        ``filled`` is not a pair of such vectors.

    References
    ----------
    Light, R. J. and Pillemer, D. B. (1984). *Summing Up: The Science of
    Reviewing Research*. Harvard University Press.

    Peters, J. L., Sutton, A. J., Jones, D. R., Abrams, K. R. and Rushton, L.
    (2008). Contour-enhanced meta-analysis funnel plots help distinguish
    publication bias from other causes of asymmetry. *Journal of Clinical
    Epidemiology* 61(10), 991-996.
    """
    y, sigma = estimates(y, sigma, min_length=1)
    levels = np.sort(probabilities(levels, "levels"))
    if center is not None:
        center = as_scalar(center, "center")
    if filled is not None:
        if isinstance(filled, str | bytes) or len(filled) != 2:
            raise ValueError("filled must be a (y, sigma) pair of vectors")
        try:
            filled = estimates(filled[0], filled[1], min_length=0)
        except (TypeError, ValueError) as err:
            raise type(err)(f"filled: {err}") from err
    for name, text in (("center_label", center_label), ("label", label), ("xlabel", xlabel)):
        if not isinstance(text, str) and (name != "xlabel" or text is not None):
            raise TypeError(f"{name} must be a string, got {type(text).__name__}")
    fig, ax = _axes(ax, (6.4, 4.4))

    if filled is not None and not filled[0].size:
        filled = None  # nothing was filled in
    all_sigma = sigma if filled is None else np.concatenate([sigma, filled[1]])
    se_grid = np.linspace(0.0, 1.08 * all_sigma.max(), 2)
    z = stats.norm.ppf(0.5 + levels / 2)
    bounds = [0.0, *z]  # band i lies between z_{i-1} and z_i standard errors from zero
    edge = max(np.abs(y).max(), np.abs(z[-1] * se_grid[-1])) * 1.25
    if filled is not None:
        edge = max(edge, np.abs(filled[0]).max() * 1.25)
    for i, level in enumerate(levels):
        inner, outer = bounds[i + 1], bounds[i + 2] if i + 2 < len(bounds) else None
        colour = _FUNNEL_GREYS[min(i, len(_FUNNEL_GREYS) - 1)]
        p_text = f"p < {1 - level:.2g}"
        if outer is not None:
            p_text = f"{1 - levels[i + 1]:.2g} ≤ {p_text}"
        for sign in (-1.0, 1.0):
            near = sign * inner * se_grid
            far = sign * outer * se_grid if outer is not None else np.full(2, sign * edge)
            ax.fill_betweenx(
                se_grid, near, far, color=colour, linewidth=0, label=p_text if sign > 0 else None
            )
            ax.plot(near, se_grid, color="0.45", linewidth=0.6)
    if center is not None:
        half = stats.norm.ppf(0.975) * se_grid
        ax.axvline(center, color="C3", linewidth=1.3, label=center_label)
        ax.plot(center - half, se_grid, color="C3", linestyle="--", linewidth=1.0)
        ax.plot(
            center + half,
            se_grid,
            color="C3",
            linestyle="--",
            linewidth=1.0,
            label="95% pseudo-confidence funnel",
        )
    ax.plot(
        y, sigma, linestyle="none", marker="o", color="C0", markeredgecolor="black", label=label
    )
    if filled is not None and filled[0].size:
        ax.plot(
            filled[0],
            filled[1],
            linestyle="none",
            marker="s",
            markerfacecolor="white",
            markeredgecolor="C1",
            markeredgewidth=1.5,
            label="filled by trim-and-fill",
        )
    ax.set_xlim(-edge, edge)
    ax.set_ylim(se_grid[-1], 0.0)  # inverted: precise studies at the top
    ax.set_ylabel("standard error")
    ax.grid(False)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    _legend_above(ax)
    return fig
