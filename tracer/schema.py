"""The event table: one row per recognised log entry, with explicit dtypes.

Every named group in a format pattern is one of these columns (the registry
checks this when it loads), so a regex group, a DataFrame column and a JSON key
share one name. pandas 3 changed string inference, so nothing here is inferred.
Columns with a few distinct values (host, log, path, pattern, event, program,
syslog host, instance) are categorical: as strings they were a third of a busy
day's table.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: column -> dtype. Order is the column order of ``Trace.events``.
EVENT_COLUMNS: dict[str, str] = {
    "ts": "datetime64[ns, UTC]",  # event time in UTC (after zone, year and skew handling)
    "host": "category",  # site host the file belongs to (ROOT/<host>/... or --host)
    "log": "category",  # maillog, vette, post, smtp, smtp-failure, error, qrunner, locks, bounce, subscribe
    "path": "category",  # file path as read
    "line": "int64",  # 1-based physical line number of the entry's first line
    "pattern": "category",  # registry name, e.g. postfix.smtp.delivery
    "event": "category",  # event kind, e.g. delivery, held, approved
    "program": "category",  # syslog tag (postfix/smtp, sm-mta, exim) or mailman
    "pid": "Int64",
    "syslog_host": "category",  # host field of the syslog envelope
    "instance": "category",  # postfix instance (syslog_name), e.g. postfix, postfix-out
    "queue_id": "string",
    "message_id": "string",  # exactly as logged, with <> when present
    "list": "string",  # lower-case list name
    "sender": "string",
    "recipient": "string",
    "orig_to": "string",
    "relay": "string",
    "status": "string",  # sent, deferred, bounced, expired, success, failures ...
    "dsn": "string",
    "delay": "float64",
    "delays": "string",
    "size": "Int64",
    "nrcpt": "Int64",
    "text": "string",  # status text, reason, exception, free detail
    "queued_as": "string",  # next hop queue id (queued as X, forwarded as X, notification: X)
    "client": "string",  # smtpd client NAME[ADDR]
    "runner": "string",  # qrunner class name
    "slice": "Int64",  # 1-based slice as mailmanctl logs it
    "slices": "Int64",
    "code": "Int64",  # SMTP code, exit status, failure count
    "filebase": "string",  # Mailman queue entry <time>+<sha1>
    "subject": "string",
    "n_lines": "int64",  # log lines the row stands for: 1, or a summarised run of sent lines (tracer.sentruns)
}

#: columns that are integers in the table and must be converted from regex text
INT_COLUMNS = frozenset(k for k, v in EVENT_COLUMNS.items() if v in ("Int64", "int64"))
FLOAT_COLUMNS = frozenset(k for k, v in EVENT_COLUMNS.items() if v == "float64")

#: the columns a pattern's regex may name (everything but the envelope bookkeeping)
FIELD_COLUMNS = frozenset(EVENT_COLUMNS) - {"ts", "host", "log", "path", "line", "pattern", "event"}


def _one_chunk(s: pd.Series) -> pd.Series:
    """An Arrow-backed string column in one piece. Parsed block by block, a busy day's column has
    hundreds of chunks, and Arrow concatenates them all to take even a few rows by position: every
    such take cost a copy of the column (the text column is tens of megabytes)."""
    chunked = s.array.__arrow_array__()
    if not isinstance(chunked, pa.ChunkedArray) or chunked.num_chunks <= 1:
        return s
    return pd.Series(chunked.combine_chunks(), dtype=s.dtype, index=s.index)


def empty_events() -> pd.DataFrame:
    """An empty event table with the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in EVENT_COLUMNS.items()})


def _numeric(s: pd.Series) -> pd.Series:
    """Numbers from regex text: Arrow's cast when it reads every value, else pandas' ``to_numeric``
    on the present values only (a busy day's size and nrcpt columns are a million rows, nearly
    all missing). Either way text that is no number becomes NaN."""
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s
    chunks = getattr(s.array, "_pa_array", None)
    if chunks is not None and (pa.types.is_string(chunks.type) or pa.types.is_large_string(chunks.type)):
        try:  # Arrow parses the digits the patterns capture in C; anything else takes pandas' way
            return pd.Series(pc.cast(chunks, pa.float64()).to_numpy(), index=s.index, dtype="float64")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    have = s.notna().to_numpy(dtype=bool)
    out = pd.Series(float("nan"), index=s.index, dtype="float64")
    if have.any():
        out[have] = pd.to_numeric(s[have].astype(object), errors="coerce").astype("float64")
    return out


def cast_events(df: pd.DataFrame, consume: bool = False) -> pd.DataFrame:
    """Cast parsed records to the schema: every column, explicit dtype, schema order.

    ``consume`` empties ``df`` column by column as it goes, so a busy day's table is
    never held twice.

    >>> cast_events(pd.DataFrame({"host": ["mx"], "line": [3]}))["line"].dtype
    dtype('int64')
    """
    out = {}
    n = len(df)
    for col, dtype in EVENT_COLUMNS.items():
        if col not in df:
            if dtype == "datetime64[ns, UTC]":
                out[col] = pd.Series([pd.NaT] * n, dtype=dtype, index=df.index)
            else:
                na = float("nan") if dtype == "float64" else pd.NA
                out[col] = pd.Series(na, dtype="Int64" if dtype == "int64" else dtype, index=df.index)
            continue
        s = df.pop(col) if consume else df[col]
        if dtype == "datetime64[ns, UTC]":
            out[col] = pd.to_datetime(s, utc=True).astype("datetime64[ns, UTC]")
        elif dtype in ("Int64", "int64"):
            out[col] = _numeric(s).astype("Int64")
        elif dtype == "float64":
            out[col] = _numeric(s).astype("float64")
        elif dtype == "category":
            out[col] = s.astype("string").astype("category")
        else:
            out[col] = _one_chunk(s.astype("string"))
            if consume:
                del s  # its chunks are free now: hand them back before the next column is copied
                pa.default_memory_pool().release_unused()
    res = pd.DataFrame(out, index=df.index)
    res["line"] = res["line"].fillna(0).astype("int64")
    res["n_lines"] = res["n_lines"].fillna(1).astype("int64")
    return res
