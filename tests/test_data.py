import pandas as pd
import pytest

from helpers import data


def test_two_schools_shape_and_types():
    df = data.two_schools()
    assert list(df.columns) == ["test_score", "treatment", "school"]
    assert len(df) == 10
    assert set(df["school"]) == {"A", "B"}
    assert set(df["treatment"]) == {0, 1}
    assert pd.api.types.is_float_dtype(df["test_score"])
    assert df.groupby("school").size().to_dict() == {"A": 4, "B": 6}


def test_eight_schools_values():
    df = data.eight_schools()
    assert list(df["y"]) == [28, 8, -3, 7, -1, 1, 18, 12]
    assert list(df["sigma"]) == [15, 10, 16, 11, 9, 11, 10, 18]
    assert list(df["school"]) == list(range(1, 9))


SCHEMA = {"a": "int", "b": "float", "c": "str"}


def test_schema_rejects_wrong_columns():
    df = pd.DataFrame({"a": [1], "b": [1.0]})
    with pytest.raises(ValueError, match="must have columns"):
        data._check_schema(df, SCHEMA, "x.csv")


def test_schema_rejects_missing_values():
    df = pd.DataFrame({"a": [1, 2], "b": [1.0, None], "c": ["u", "v"]})
    with pytest.raises(ValueError, match="missing values"):
        data._check_schema(df, SCHEMA, "x.csv")


def test_schema_rejects_non_numeric():
    df = pd.DataFrame({"a": [1], "b": ["oops"], "c": ["u"]})
    with pytest.raises(ValueError, match="'b' must be numeric"):
        data._check_schema(df, SCHEMA, "x.csv")


def test_schema_rejects_fractional_integers():
    df = pd.DataFrame({"a": [1.5], "b": [1.0], "c": ["u"]})
    with pytest.raises(ValueError, match="'a' must hold whole numbers"):
        data._check_schema(df, SCHEMA, "x.csv")
