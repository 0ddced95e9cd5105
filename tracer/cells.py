"""Single cells of the event table, read many times: ``DataFrame.at`` without its overhead.

Diagnosis reads a few cells of each post's rows: thousands of posts, tens of
thousands of reads. ``DataFrame.at`` goes through the frame's block manager
each time (~50 µs on the 35-column event table); indexing the column's own
array gives the same value (the same ``Timestamp``, ``str``, ``pd.NA`` or NumPy
scalar) for a tenth of that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Cells:
    """``cells[row, col]`` == ``frame.at[row, col]`` for a frame with a default RangeIndex.

    >>> df = pd.DataFrame({"host": pd.array(["a", None], dtype="string[pyarrow]")})
    >>> Cells(df)[1, "host"] is df.at[1, "host"]
    True
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._arrays: dict[str, object] = {}
        idx = frame.index
        self._positional = isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1

    def __getitem__(self, key: tuple) -> object:
        row, col = key
        if not self._positional:
            return self._frame.at[row, col]
        a = self._arrays.get(col)
        if a is None:
            s = self._frame[col]
            a = self._arrays[col] = s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array
        return a[row]
