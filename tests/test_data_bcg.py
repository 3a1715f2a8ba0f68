"""helpers.data.bcg: the 13 BCG vaccine trials as published (Colditz et al. 1994)."""

import pandas as pd
import pytest

from helpers import data

COLUMNS = ["trial", "author", "year", "tpos", "tneg", "cpos", "cneg", "ablat", "alloc"]


def test_bcg_shape_types_and_values():
    df = data.bcg()
    assert list(df.columns) == COLUMNS
    assert len(df) == 13 and list(df["trial"]) == list(range(1, 14))
    for column in ["trial", "year", "tpos", "tneg", "cpos", "cneg", "ablat"]:
        assert pd.api.types.is_integer_dtype(df[column]), column
    assert set(df["alloc"]) == {"random", "alternate", "systematic"}
    assert df["alloc"].value_counts().to_dict() == {"random": 7, "systematic": 4, "alternate": 2}
    # spot checks against Colditz et al. (1994), table 1, and metafor's dat.bcg
    first = df.iloc[0]
    assert (first.author, first.year, first.tpos, first.tneg, first.cpos, first.cneg) == (
        "Aronson",
        1948,
        4,
        119,
        11,
        128,
    )
    assert df.loc[df["author"] == "TPT Madras", ["tpos", "cpos", "ablat"]].values.tolist() == [
        [505, 499, 13]
    ]
    assert int(df[["tpos", "tneg", "cpos", "cneg"]].to_numpy().sum()) == 357_347
    assert df["ablat"].between(0, 90).all()


def test_bcg_loader_rejects_a_corrupted_file(monkeypatch):
    good = data._load("bcg.csv")

    def bad_load(rows):
        monkeypatch.setattr(data, "_load", lambda filename: rows)
        return data.bcg

    with pytest.raises(ValueError, match="alloc"):
        bad_load(good.assign(alloc=good["alloc"].replace("random", "randomised")))()
    with pytest.raises(ValueError, match="counts"):
        bad_load(good.assign(tneg=-good["tneg"]))()
    with pytest.raises(ValueError, match="ablat"):
        bad_load(good.assign(ablat=good["ablat"] + 90))()
