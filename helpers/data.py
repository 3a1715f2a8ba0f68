"""The course's small data sets, shipped inside the package.

Each loader reads a CSV from ``helpers/datasets`` and checks that it has the
expected columns and types before handing it to a chapter.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from scipy import special

__all__ = ["bcg", "eight_schools", "magnesium", "passive_smoking", "two_schools"]

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
    "magnesium.csv": {
        "trial": "int",
        "study": "str",
        "year": "int",
        "deaths_treated": "int",
        "n_treated": "int",
        "deaths_control": "int",
        "n_control": "int",
    },
    "passive_smoking.csv": {
        "study": "int",
        "author": "str",
        "year": "int",
        "country": "str",
        "design": "str",
        "cases": "int",
        "odds_ratio": "float",
        "ci_low": "float",
        "ci_high": "float",
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


def magnesium() -> pd.DataFrame:
    """Load the 16 trials of intravenous magnesium after myocardial infarction (chapter 11).

    Each trial randomised patients with suspected acute myocardial infarction
    to intravenous magnesium or to control and counted deaths. Meta-analyses
    of the small early trials (Teo et al. 1991) and of those with the LIMIT-2
    trial (Yusuf et al. 1993) found that magnesium saved lives; the ISIS-4 mega
    trial of 58,050 patients (ISIS-4 Collaborative Group 1995) found no
    benefit, and Egger and Davey Smith (1995) suggested publication bias among
    the small trials as one explanation. The table is Table 18.2 of Egger,
    Davey Smith and Altman (2001), as tabulated in ``dat.egger2001`` of R's
    metadat package; the values here are those published numbers.

    Returns
    -------
    pandas.DataFrame
        Sixteen rows in order of publication, ISIS-4 last: ``trial`` (1-16),
        ``study`` (first author or trial name), ``year`` (of publication),
        ``deaths_treated`` and ``n_treated`` (deaths and patients in the
        magnesium arm), ``deaths_control`` and ``n_control`` (the same in the
        control arm).

    Notes
    -----
    Provenance and terms: published trial results (facts), shipped with this
    attribution (terms: :mod:`helpers.datasets`); checked against metadat's
    ``dat.egger2001`` (licensed GPL >= 2, data only used) and reproducing
    metafor's documented analyses of it (``tests/test_publication_bias.py``).

    References
    ----------
    Egger, M., Davey Smith, G. and Altman, D. G. (eds.) (2001). *Systematic
    Reviews in Health Care: Meta-Analysis in Context*, 2nd ed. BMJ Books.
    Egger, M. and Davey Smith, G. (1995). Misleading meta-analysis: lessons
    from "an effective, safe, simple" intervention that wasn't. *BMJ* 310,
    752-754.
    ISIS-4 Collaborative Group (1995). ISIS-4: a randomised factorial trial
    assessing early oral captopril, oral mononitrate, and intravenous
    magnesium sulphate in 58,050 patients with suspected acute myocardial
    infarction. *Lancet* 345, 669-685.
    Teo, K. K., Yusuf, S., Collins, R., Held, P. H. and Peto, R. (1991).
    Effects of intravenous magnesium in suspected acute myocardial infarction:
    overview of randomised trials. *BMJ* 303, 1499-1503.
    Yusuf, S., Teo, K. and Woods, K. (1993). Intravenous magnesium in acute
    myocardial infarction: an effective, safe, simple, and inexpensive
    treatment. *Circulation* 87, 2043-2046.
    """
    df = _load("magnesium.csv")
    counts = ["deaths_treated", "n_treated", "deaths_control", "n_control"]
    if (df[counts] < 0).any().any():
        raise ValueError(f"magnesium.csv: the counts {counts} must be non-negative")
    if (df["deaths_treated"] > df["n_treated"]).any() or (
        df["deaths_control"] > df["n_control"]
    ).any():
        raise ValueError("magnesium.csv: deaths must not exceed the patients of their arm")
    return df


def passive_smoking() -> pd.DataFrame:
    r"""Load the 37 studies of lung cancer in never-smoking women with smoking husbands (ch. 11).

    Each study compared lifelong non-smoking women married to a smoker with
    those married to a non-smoker and reported the odds ratio of lung cancer
    with its 95% confidence interval. Hackshaw, Law and Wald (1997) pooled
    them (random-effects odds ratio 1.24, 95% CI 1.13 to 1.36); the table is
    that of Hackshaw (1998), as tabulated in ``dat.hackshaw1998`` of R's
    metadat package, and the published numbers are shipped unchanged.

    The loader adds the log odds ratio and its standard error, back-calculated
    from the published interval on the assumption that it was a Wald interval
    on the log scale:

    .. math::
        y_k = \log \mathrm{OR}_k, \qquad
        \sigma_k = \frac{\log u_k - \log l_k}{2\, z_{0.975}},

    with :math:`(l_k, u_k)` the 95% interval and :math:`z_{0.975} = \Phi^{-1}(0.975)`
    (as metadat does; the published values are rounded to two decimals, so
    :math:`y_k` need not lie exactly in the middle of the interval).

    Returns
    -------
    pandas.DataFrame
        Thirty-seven rows: ``study`` (1-37), ``author``, ``year`` (of
        publication), ``country``, ``design`` (``"cohort"`` or
        ``"case-control"``), ``cases`` (lung cancer cases), ``odds_ratio``,
        ``ci_low`` and ``ci_high`` (its published 95% interval), then the
        back-calculated ``y`` and ``sigma``.

    Notes
    -----
    Provenance and terms: published study results (facts), shipped with this
    attribution (terms: :mod:`helpers.datasets`); checked against metadat's
    ``dat.hackshaw1998`` (licensed GPL >= 2, data only used).

    References
    ----------
    Hackshaw, A. K., Law, M. R. and Wald, N. J. (1997). The accumulated
    evidence on lung cancer and environmental tobacco smoke. *BMJ* 315,
    980-988.
    Hackshaw, A. K. (1998). Lung cancer and passive smoking. *Statistical
    Methods in Medical Research* 7, 119-136.
    """
    df = _load("passive_smoking.csv")
    if not set(df["design"]) <= {"cohort", "case-control"}:
        raise ValueError(
            "passive_smoking.csv: column 'design' must be 'cohort' or 'case-control', "
            f"got {sorted(set(df['design']))}"
        )
    if (df[["odds_ratio", "ci_low", "ci_high"]] <= 0).any().any():
        raise ValueError("passive_smoking.csv: odds_ratio, ci_low and ci_high must be positive")
    if (
        not ((df["ci_low"] <= df["odds_ratio"]) & (df["odds_ratio"] <= df["ci_high"])).all()
        or (df["ci_low"] >= df["ci_high"]).any()
    ):
        raise ValueError(
            "passive_smoking.csv: each odds_ratio must lie in its interval, ci_low < ci_high"
        )
    # The published intervals are 95% intervals, whatever level the course uses elsewhere.
    z = float(special.ndtri(0.975))
    return df.assign(
        y=np.log(df["odds_ratio"]),
        sigma=(np.log(df["ci_high"]) - np.log(df["ci_low"])) / (2.0 * z),
    )
