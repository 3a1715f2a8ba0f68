"""The course's small data sets, shipped inside the package.

Each loader reads a CSV from ``helpers/datasets`` and checks that it has the
expected columns and types before handing it to a chapter.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["bcg", "eight_schools", "two_schools"]

_SCHEMAS = {
    "two_schools.csv": {"test_score": "float", "treatment": "int", "school": "str"},
    "eight_schools.csv": {"school": "int", "y": "float", "sigma": "float"},
    "bcg.csv": {
        "trial": "int",
        "author": "str",
        "year": "int",
        "tpos": "int",
        "tneg": "int",
        "cpos": "int",
        "cneg": "int",
        "ablat": "int",
        "alloc": "str",
    },
}


def _load(filename: str) -> pd.DataFrame:
    """Read a packaged CSV and check it against its schema."""
    with resources.files("helpers").joinpath("datasets", filename).open("r") as fh:
        df = pd.read_csv(fh)
    return _check_schema(df, _SCHEMAS[filename], filename)


def _check_schema(df: pd.DataFrame, schema: dict[str, str], source: str) -> pd.DataFrame:
    """Raise ``ValueError`` unless ``df`` has exactly the columns and kinds in ``schema``."""
    if list(df.columns) != list(schema):
        raise ValueError(f"{source} must have columns {list(schema)}, found {list(df.columns)}")
    if df.isna().any().any():
        raise ValueError(f"{source} has missing values")
    for column, kind in schema.items():
        series = df[column]
        if kind in {"int", "float"} and not pd.api.types.is_numeric_dtype(series):
            raise ValueError(f"{source}: column {column!r} must be numeric, got {series.dtype}")
        if kind == "int" and not (series == series.round()).all():
            raise ValueError(f"{source}: column {column!r} must hold whole numbers")
    return df.astype(dict(schema))


def two_schools() -> pd.DataFrame:
    """Load the forum's two-school tutoring data (chapter 1).

    Ten invented rows posted with the question "Joint Linear Hypothesis -
    Bayesian Version" on the PyMC Discourse forum
    (https://discourse.pymc.io/t/joint-linear-hypothesis-bayesian-version/13375);
    shipped with credit to the thread (terms: :mod:`helpers.datasets`).

    Returns
    -------
    pandas.DataFrame
        Ten rows with columns ``test_score`` (float), ``treatment`` (int,
        1 = received one-to-one tutoring, 0 = did not) and ``school``
        (``"A"`` or ``"B"``).
    """
    df = _load("two_schools.csv")
    if not set(df["treatment"]) <= {0, 1}:
        raise ValueError("two_schools.csv: column 'treatment' must be 0 or 1")
    return df


def eight_schools() -> pd.DataFrame:
    """Load Rubin's (1981) eight schools SAT-V coaching data (chapters 2-4).

    Published estimates and standard errors of the coaching effect in eight
    schools, as tabulated in Gelman et al. (2013), Table 5.2; facts free to
    reuse with citation (terms: :mod:`helpers.datasets`).

    Returns
    -------
    pandas.DataFrame
        Eight rows with columns ``school`` (1-8), ``y`` (estimated coaching
        effect, SAT-V points) and ``sigma`` (its standard error, treated as
        known).
    """
    df = _load("eight_schools.csv")
    if (df["sigma"] <= 0).any():
        raise ValueError("eight_schools.csv: column 'sigma' must be positive")
    return df


def bcg() -> pd.DataFrame:
    """Load the 13 trials of the BCG vaccine against tuberculosis (chapter 10).

    Each trial randomised or otherwise allocated people to BCG vaccination or
    no vaccination and counted who developed tuberculosis. Colditz et al.
    (1994) collected the 13 trials for their meta-analysis; the same table is
    distributed with R's metafor package as ``dat.bcg`` (Viechtbauer 2010) and
    is the field's standard worked example. The values here are those
    published numbers.

    Returns
    -------
    pandas.DataFrame
        Thirteen rows, columns ``trial`` (1-13), ``author`` and ``year`` of the
        report, ``tpos`` and ``tneg`` (vaccinated people who did and did not
        develop tuberculosis), ``cpos`` and ``cneg`` (the same in the control
        arm), ``ablat`` (absolute latitude of the trial site, degrees) and
        ``alloc`` (how people were allocated: ``"random"``, ``"alternate"`` or
        ``"systematic"``).

    Notes
    -----
    Provenance and terms: the counts are published trial results (facts),
    reported by Colditz et al. (1994, table 1) and tabulated as ``dat.bcg`` in
    metafor (licensed GPL >= 2); they are shipped here with this attribution,
    checked against both, and reproduce metafor's documented random-effects
    results (see ``tests/test_random_effects.py``).

    References
    ----------
    Colditz, G. A., Brewer, T. F., Berkey, C. S., Wilson, M. E., Burdick, E.,
    Fineberg, H. V. and Mosteller, F. (1994). Efficacy of BCG vaccine in the
    prevention of tuberculosis: meta-analysis of the published literature.
    *JAMA* 271(9), 698-702.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor
    package. *Journal of Statistical Software* 36(3), 1-48.
    """
    df = _load("bcg.csv")
    if not set(df["alloc"]) <= {"random", "alternate", "systematic"}:
        raise ValueError(
            "bcg.csv: column 'alloc' must be 'random', 'alternate' or 'systematic', "
            f"got {sorted(set(df['alloc']))}"
        )
    if (df[["tpos", "tneg", "cpos", "cneg"]] < 0).any().any():
        raise ValueError("bcg.csv: the counts tpos, tneg, cpos, cneg must be non-negative")
    if not df["ablat"].between(0, 90).all():
        raise ValueError("bcg.csv: column 'ablat' (absolute latitude) must lie in [0, 90]")
    return df
