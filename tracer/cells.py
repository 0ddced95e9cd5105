"""Single cells of the event table, read many times: ``DataFrame.at`` without its overhead.

Diagnosis reads a few cells of each post's rows: thousands of posts, tens of
thousands of reads. ``DataFrame.at`` goes through the frame's block manager
each time (~50 µs on the 35-column event table); indexing the column's own
array gives the same value (the same ``Timestamp``, ``str``, ``pd.NA`` or NumPy
scalar) for a tenth of that.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa


class Cells:
    """``cells[row, col]`` == ``frame.at[row, col]`` for a frame with a default RangeIndex.

    >>> df = pd.DataFrame({"host": pd.array(["a", None], dtype="string[pyarrow]")})
    >>> Cells(df)[1, "host"] is df.at[1, "host"]
    True
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._readers: dict[str, Callable[[int], object]] = {}
        idx = frame.index
        self._positional = isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1

    def __getitem__(self, key: tuple) -> object:
        row, col = key
        if not self._positional:
            return self._frame.at[row, col]
        read = self._readers.get(col)
        if read is None:
            read = self._readers[col] = _reader(self._frame[col])
        return read(row)


def _reader(s: pd.Series) -> Callable[[int], object]:
    """row -> the column's value, as ``.at`` gives it, by the cheapest way for its dtype: boxing a
    cell through pandas costs ~6 µs (a categorical with Arrow-string categories ~19 µs)."""
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        return s.to_numpy().__getitem__
    if isinstance(dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        names = s.cat.categories.to_numpy(dtype=object).tolist()
        missing = pd.Categorical.from_codes([-1], dtype=dtype)[0]
        return lambda row: names[c] if (c := codes[row]) >= 0 else missing
    chunks = getattr(s.array, "_pa_array", None)
    if isinstance(dtype, pd.StringDtype) and isinstance(chunks, pa.ChunkedArray) and chunks.num_chunks == 1:
        chunk, missing = chunks.chunk(0), dtype.na_value
        return lambda row: missing if (v := chunk[row].as_py()) is None else v
    array, seen = s.array, {}  # time stamps: each post's few rows are read again and again

    def read(row: int) -> object:
        v = seen.get(row)
        if v is None:
            v = seen[row] = array[row]
        return v
    return read
