"""Which rows of a string column contain a pattern, searched in the column's bytes at once.

``Series.str.contains`` tests each of a busy day's 400k texts in turn (Arrow's
substring kernel, about 0.15 s a pass), yet only a few per cent contain what
correlation looks for (``mailman``). One regex search over the Arrow data
buffer finds the hits, and the offsets say whose they are: a third of the time.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa


def rows_matching(s: pd.Series, pattern: bytes) -> np.ndarray:
    """Mask: the row's UTF-8 text has a match of the bytes regex ``pattern`` (missing: False).

    Meant for literals and alternations of them; a match is only counted inside one row's
    text, and rows next to a match across a row boundary are searched again on their own.

    >>> rows_matching(pd.Series(["a mailman b", None, "mail", "man"], dtype="string[pyarrow]"), rb"mailman").tolist()
    [True, False, False, False]
    """
    chunks = _arrow_chunks(s)
    if chunks is None:  # not Arrow-backed: pandas' own search, same answer
        return s.astype("string").str.contains(pattern.decode(), regex=True).to_numpy(dtype=bool, na_value=False)
    rx = re.compile(pattern)
    out, at = np.zeros(len(s), dtype=bool), 0
    for c in chunks:
        if len(c):
            out[at:at + len(c)] = _chunk_matches(c, rx)
        at += len(c)
    return out


def _arrow_chunks(s: pd.Series) -> list[pa.Array] | None:
    arr = s.array
    if not hasattr(arr, "_pa_array"):
        return None
    data = arr._pa_array  # noqa: SLF001 - the Arrow data behind pandas' strings
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    return chunks


def _chunk_matches(c: pa.Array, rx: re.Pattern) -> np.ndarray:
    n = len(c)
    validity, offsets, data = c.buffers()
    kind = np.int64 if pa.types.is_large_string(c.type) else np.int32
    off = np.frombuffer(offsets, dtype=kind, count=n + 1, offset=c.offset * np.dtype(kind).itemsize).astype(np.int64)
    out = np.zeros(n, dtype=bool)
    if data is None or off[-1] == off[0]:
        return out
    view = memoryview(data)[: int(off[-1])]
    spans = np.array([m.span() for m in rx.finditer(view, int(off[0]))], dtype=np.int64).reshape(-1, 2)
    if not len(spans):
        return out
    row = np.searchsorted(off, spans[:, 0], side="right") - 1
    inside = spans[:, 1] <= off[row + 1]
    out[row[inside]] = True
    last = np.searchsorted(off, spans[~inside, 1] - 1, side="right") - 1
    for first, end in zip(row[~inside].tolist(), last.tolist()):
        for r in range(first, min(end, n - 1) + 1):  # a match across rows may hide one inside them
            if not out[r]:
                out[r] = rx.search(bytes(view[off[r]:off[r + 1]])) is not None
    if c.null_count:
        out &= c.is_valid().to_numpy(zero_copy_only=False)
    return out
