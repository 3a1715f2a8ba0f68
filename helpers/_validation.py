"""Input checks shared by the helpers modules.

Every check raises ``TypeError`` or ``ValueError`` with a message that names the
offending argument, so a learner sees at once which input was wrong.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


def _floats(x, name: str, what: str) -> np.ndarray:
    """Return ``x`` as a float array; refuse text, None and non-numbers naming ``name``."""
    if isinstance(x, str | bytes) or x is None:
        raise TypeError(f"{name} must be {what}, got {type(x).__name__}")
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must contain only numbers") from err


def as_float_vector(x, name: str, *, min_length: int = 1) -> np.ndarray:
    """Return ``x`` as a finite 1-D float array, or raise naming ``name``."""
    arr = _floats(x, name, "a sequence of numbers")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size < min_length:
        raise ValueError(f"{name} must have at least {min_length} values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr


def as_float_array(x, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """Return ``x`` (a number or an array of any shape) as floats without NaN.

    Infinite values are rejected unless ``allow_inf`` is true.
    """
    arr = _floats(x, name, "a number or an array of numbers")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not contain NaN")
    if not allow_inf and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no infinity)")
    return arr


def as_positive_vector(x, name: str, *, min_length: int = 1) -> np.ndarray:
    """Return ``x`` as a finite, strictly positive 1-D float array."""
    arr = as_float_vector(x, name, min_length=min_length)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be strictly positive")
    return arr


def estimates(y, sigma, *, min_length: int = 2) -> tuple[np.ndarray, np.ndarray]:
    r"""Check group estimates ``y`` and their standard errors ``sigma``.

    The data of the normal hierarchical model, :math:`y_j \sim N(\theta_j, \sigma_j^2)`:
    two finite 1-D float arrays of the same length, at least ``min_length``
    values, every ``sigma`` strictly positive.
    """
    y = as_float_vector(y, "y", min_length=min_length)
    sigma = as_positive_vector(sigma, "sigma", min_length=min_length)
    same_length(y=y, sigma=sigma)
    return y, sigma


def estimate_batches(y, sigma) -> tuple[np.ndarray, np.ndarray]:
    """Check R data sets of estimates: ``y`` (R, J) and ``sigma`` (R, J) or (J,), sigma > 0."""
    y = as_float_array(y, "y")
    sigma = as_float_array(sigma, "sigma")
    if y.ndim != 2:
        raise ValueError(f"y must be two-dimensional (data sets x groups), got shape {y.shape}")
    if y.shape[0] < 1 or y.shape[1] < 2:
        raise ValueError(f"y must hold at least one data set of at least 2 groups, got {y.shape}")
    if sigma.ndim == 1:
        sigma = np.broadcast_to(sigma, y.shape) if sigma.shape == y.shape[1:] else sigma
    if sigma.shape != y.shape:
        raise ValueError(
            f"sigma must have the shape of y {y.shape} or one row of {y.shape[1]} values, "
            f"got shape {sigma.shape}"
        )
    if np.any(sigma <= 0):
        raise ValueError("sigma must be strictly positive")
    return y, sigma


def non_negative(x, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """Return ``x`` (a number or an array) as floats >= 0, e.g. standard deviations.

    Infinite values are rejected unless ``allow_inf`` is true.
    """
    arr = as_float_array(x, name, allow_inf=allow_inf)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative (it is a standard deviation)")
    return arr


def probabilities(probs, name: str = "probs") -> np.ndarray:
    """Return a number or a vector of probabilities strictly between 0 and 1."""
    probs = as_float_vector([probs] if isinstance(probs, numbers.Real) else probs, name)
    if np.any((probs <= 0) | (probs >= 1)):
        raise ValueError(f"{name} must lie strictly between 0 and 1")
    return probs


def positive_int(x, name: str, *, minimum: int = 1) -> int:
    """Return ``x`` as an int of at least ``minimum``; bools and floats are refused."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__}")
    if x < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {x}")
    return int(x)


def group_names(names, name: str = "names", *, n_groups: int | None = None) -> list[str]:
    """Return ``names`` as a list of unique, non-empty string labels, one per group.

    With ``n_groups``, the number of labels must match it.
    """
    if isinstance(names, str | bytes) or not isinstance(names, Sequence | np.ndarray | pd.Index):
        raise TypeError(f"{name} must be a sequence of labels (str), got {type(names).__name__}")
    names = list(names)
    if not names:
        raise ValueError(f"{name} must hold at least one label")
    if not all(isinstance(x, str) and x for x in names):
        raise TypeError(f"{name} must hold non-empty strings, got {names}")
    if n_groups is not None and len(names) != n_groups:
        raise ValueError(f"{name} must have one label per group ({n_groups}), got {len(names)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{name} must be unique, got {names}")
    return names


def group_coords(names, dim, n_groups: int) -> dict[str, list[str]]:
    """Check ``names`` (default ``"0"``, ``"1"``, ...) and ``dim``; return ``{dim: names}``.

    The coordinates of a group dimension, as the models and the exact
    posterior name it: ``dim`` must be a Python identifier such as ``"school"``.
    """
    if not isinstance(dim, str) or not dim.isidentifier():
        raise ValueError(f"dim must be a name such as 'school', got {dim!r}")
    if names is None:
        return {dim: [str(j) for j in range(n_groups)]}
    return {dim: group_names(names, "names", n_groups=n_groups)}


def whole_numbers(x, name: str, *, minimum: int = 0, min_length: int = 1) -> np.ndarray:
    """Return ``x`` as a 1-D int array of whole numbers, each at least ``minimum``.

    Floats that are whole (``200.0``) are accepted; booleans, strings, NaN and
    fractions are refused, with a message naming ``name``.
    """
    if isinstance(x, str | bytes) or x is None:
        raise TypeError(f"{name} must be a sequence of whole numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold whole numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must hold whole numbers, got {arr.tolist()}")
    if arr.size < min_length:
        raise ValueError(f"{name} must have at least {min_length} values, got {arr.size}")
    if np.any(arr < minimum):
        raise ValueError(f"{name} must be at least {minimum} in every group, got {arr.tolist()}")
    return arr.astype(int)


def two_arm_counts(
    n_control, y_control, n_treat, y_treat, *, min_length: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Check binomial counts of a two-arm experiment in each of several groups.

    Group :math:`k` has :math:`n_k \ge 1` units in an arm, of whom
    :math:`0 \le y_k \le n_k` converted. Returns the four int arrays in the
    order given, or raises naming the offending argument.
    """
    n_control = whole_numbers(n_control, "n_control", minimum=1, min_length=min_length)
    y_control = whole_numbers(y_control, "y_control", minimum=0, min_length=min_length)
    n_treat = whole_numbers(n_treat, "n_treat", minimum=1, min_length=min_length)
    y_treat = whole_numbers(y_treat, "y_treat", minimum=0, min_length=min_length)
    same_length(n_control=n_control, y_control=y_control, n_treat=n_treat, y_treat=y_treat)
    for y, n, y_name, n_name in (
        (y_control, n_control, "y_control", "n_control"),
        (y_treat, n_treat, "y_treat", "n_treat"),
    ):
        over = np.flatnonzero(y > n)
        if over.size:
            k = int(over[0])
            raise ValueError(f"{y_name} must not exceed {n_name} (group {k}: {y[k]} > {n[k]})")
    return n_control, y_control, n_treat, y_treat


def same_length(**arrays: np.ndarray) -> None:
    """Raise if the named arrays do not all have the same length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same length ({detail})")


def as_scalar(
    x,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``x`` as a finite float inside the stated bounds, or raise."""
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def require_columns(df, columns: Iterable[str], name: str = "df") -> None:
    """Raise unless ``df`` is a DataFrame holding every column in ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; it has {list(df.columns)}")


def numeric_column(df: pd.DataFrame, column: str, name: str = "df") -> np.ndarray:
    """Return a column as a finite float array, or raise naming the column."""
    if not pd.api.types.is_numeric_dtype(df[column]) or pd.api.types.is_bool_dtype(df[column]):
        raise TypeError(f"{name}[{column!r}] must be numeric, got dtype {df[column].dtype}")
    values = df[column].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}[{column!r}] must not contain NaN or infinite values")
    return values


def binary_column(df: pd.DataFrame, column: str, name: str = "df") -> np.ndarray:
    """Return a 0/1 column as an int array, or raise if it holds other values."""
    if df[column].isna().any():
        raise ValueError(f"{name}[{column!r}] must not contain missing values")
    values = df[column].to_numpy()
    if pd.api.types.is_bool_dtype(df[column]):
        return values.astype(int)
    if not pd.api.types.is_numeric_dtype(df[column]) or not set(np.unique(values)) <= {0, 1}:
        raise ValueError(
            f"{name}[{column!r}] must be binary (0 = control, 1 = treated), "
            f"got values {sorted(map(str, pd.unique(df[column])))[:6]}"
        )
    return values.astype(int)


def generator(rng, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a NumPy ``Generator``, or raise ``TypeError``.

    Seeds, ``None`` and the legacy ``RandomState`` are refused on purpose: the
    caller creates the generator (``np.random.default_rng(seed)``) and so owns
    the random stream, which keeps every simulation reproducible.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (use np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def one_of(value, name: str, options: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the string ``options``, or raise naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {options}, got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value
