"""rows_matching: one search over a string column's bytes gives what str.contains gives row by row."""

import random
import re

import pandas as pd
import pytest

from tracer.textsearch import rows_matching

PIECES = ["mail", "man", "mailman", "MAILMAN", "Mailman", "ailm", "an ", " ", "é", "a"]


def _expected(s: pd.Series, pattern: bytes) -> list[bool]:
    rx = re.compile(pattern.decode())
    return [isinstance(v, str) and rx.search(v) is not None for v in s.astype(object).where(s.notna(), None)]


@pytest.mark.parametrize("pattern", [rb"mailman", rb"ailman|AILMAN", rb"an ?mail", rb"unknown user"])
def test_matches_are_those_of_a_row_by_row_search_also_across_row_boundaries(pattern):
    rng = random.Random(pattern)
    for _ in range(300):
        values = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4))) if rng.random() < 0.85 else None
                  for _ in range(rng.randint(0, 25))]
        s = pd.Series(values, dtype="string[pyarrow]")
        for part in (s, s.iloc[3:], s.iloc[::2]):  # sliced Arrow arrays start at an offset
            assert rows_matching(part, pattern).tolist() == _expected(part, pattern)


def test_a_match_split_over_two_rows_counts_for_neither():
    s = pd.Series(["the mail", "man said", "mailman"], dtype="string[pyarrow]")
    assert rows_matching(s, rb"mailman").tolist() == [False, False, True]


def test_chunked_and_non_arrow_columns_give_the_same_answer():
    parts = [pd.Series(["a mailman", None], dtype="string[pyarrow]"), pd.Series(["x", "mailman"], dtype="string[pyarrow]")]
    chunked = pd.concat(parts, ignore_index=True)
    assert chunked.array._pa_array.num_chunks == 2
    expected = [True, False, False, True]
    assert rows_matching(chunked, rb"mailman").tolist() == expected
    assert rows_matching(chunked.astype(object), rb"mailman").tolist() == expected
