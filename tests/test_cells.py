"""Cells: every cell of a real event table read as DataFrame.at reads it."""

from pathlib import Path

import numpy as np
import pandas as pd

import tracer
from tracer.cells import Cells

ROOT = Path(__file__).resolve().parent.parent


def _same(a, b) -> bool:
    if a is pd.NA or b is pd.NA or a is pd.NaT or b is pd.NaT:
        return a is b
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


def test_every_cell_of_the_sample_event_table_is_what_at_gives():
    events = tracer.load([str(ROOT / "sample_logs")]).events
    cells = Cells(events)
    assert {"category", "string", "datetime64[ns, UTC]", "Int64", "int64", "float64"} <= set(map(str, events.dtypes))
    for col in events.columns:
        for row in range(len(events)):
            assert _same(cells[row, col], events.at[row, col]), (col, row)
        assert _same(cells[0, col], events.at[0, col])  # again, from what was read before


def test_a_frame_without_a_default_index_is_read_by_label():
    df = pd.DataFrame({"host": pd.Categorical(["a", None, "b"])}, index=[5, 6, 7])
    cells = Cells(df)
    assert cells[7, "host"] == "b" and _same(cells[6, "host"], df.at[6, "host"])
