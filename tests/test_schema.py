"""cast_events' number columns: Arrow parses the captured digits, pandas whatever Arrow refuses,
with the same numbers either way."""

import pandas as pd
import pytest

from tracer.schema import _numeric, cast_events

ODD = ["12", "0034", " 7", "1.5", "-3", "+4", "1e3", "inf", "nan", "0x10", "1_000", "x", "", "99999999999"]


@pytest.mark.parametrize("value", ODD)
def test_a_number_column_reads_each_text_as_pandas_to_numeric_does(value):
    s = pd.Series(["5", value, None], dtype="string[pyarrow]")
    expected = pd.to_numeric(s.astype(object), errors="coerce").astype("float64")
    assert _numeric(s).equals(expected)


def test_cast_events_gives_nullable_integers_from_digit_text():
    df = pd.DataFrame({"line": [1, 2], "size": pd.Series(["2048", None], dtype="string[pyarrow]")})
    out = cast_events(df)
    assert out["size"].dtype == "Int64" and out["size"].tolist()[0] == 2048 and out["size"].isna().tolist() == [False, True]
