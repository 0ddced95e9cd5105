"""Per-post facts: the milestones of a lifecycle, read off its event rows.

Rules and states work on these plain values, never on raw rows, so each rule
stays a few lines long and testable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..correlate import Lifecycle

MODERATION = ("moderator_discarded", "moderator_rejected", "auto_discarded", "auto_rejected")


@dataclass
class PostFacts:
    """Milestones of one post; ``*_row`` are event rows, ``None`` when it never happened."""

    lc: Lifecycle
    hosts: list[str]
    received_row: int | None = None  # first inbound MTA event
    to_mailman_row: int | None = None  # delivery into `mailman post LIST`
    to_mailman_status: str | None = None
    held_row: int | None = None
    approved_row: int | None = None
    decision_row: int | None = None  # discard / reject by a moderator or a handler
    smtp_rows: list[int] = field(default_factory=list)
    post_rows: list[int] = field(default_factory=list)
    failure_rows: list[int] = field(default_factory=list)
    last_row: int | None = None
    recipients: int = 0
    delivered: int = 0
    deferred: int = 0
    bounced: int = 0
    first_delivery_at: pd.Timestamp | None = None
    last_delivery_at: pd.Timestamp | None = None
    outbound_problems: dict | None = None  # code -> summary (tracer.diagnose.faults.outbound_problems)
    outbound_known: bool = False  # some outbound MTA delivery line was found

    @property
    def handed_off(self) -> bool:
        return bool(self.smtp_rows or self.post_rows)


class Columns:
    """NumPy views of the event columns facts read per row: per-post ``DataFrame.loc``
    on thousands of posts costs more than the whole rest of the diagnosis."""

    def __init__(self, events: pd.DataFrame):
        self.ts = events["ts"].to_numpy(dtype="datetime64[ns]")
        self.host = object_column(events["host"])
        self.event = object_column(events["event"])
        self.status = object_column(events["status"])
        self._events = events

    @cached_property
    def nrcpt(self) -> np.ndarray:
        return self._events["nrcpt"].to_numpy(dtype="float64", na_value=np.nan)

    @cached_property
    def rank(self) -> np.ndarray:
        """Each row's place in (time, file, line) order: the tie-break of rows logged in one second
        that does not depend on the order rows were read in (load(summary=True) reads fewer)."""
        ev = self._events
        path = pd.factorize(ev["path"], sort=True, use_na_sentinel=True)[0]
        order = np.lexsort((ev["line"].to_numpy(dtype="int64"), path, self.ts.view("int64")))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank

    @cached_property
    def n_lines(self) -> np.ndarray:
        return self._events["n_lines"].to_numpy(dtype="int64")

    @cached_property
    def recipient_codes(self) -> np.ndarray:
        return pd.factorize(self._events["recipient"], use_na_sentinel=True)[0]


def object_column(s: pd.Series) -> np.ndarray:
    """A low-cardinality string column as an object array (None for missing), via its distinct values:
    ten times faster than converting a million Arrow strings one by one."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    return np.append(np.asarray(uniq, dtype=object), None)[codes]


def post_facts(lc: Lifecycle, events: pd.DataFrame, counts: dict | None = None,
               cols: Columns | None = None, problems: dict | None = None) -> PostFacts:
    """Read the milestones of ``lc`` from ``events``.

    ``counts`` sums its outbound recipients' last statuses (see :func:`outbound_counts`);
    ``problems`` summarises those whose last status is not ``sent``
    (:func:`tracer.diagnose.faults.outbound_problems`).
    """
    cols = cols or Columns(events)
    rows = np.asarray(lc.rows, dtype="int64")
    f = PostFacts(lc, hosts=sorted({h for h in cols.host[rows] if h is not None}))
    rank, event = cols.rank, cols.event
    if len(rows):
        f.last_row = int(rows[np.argmax(rank[rows])])
    mta_in = sorted(lc.stages["mta_in"], key=lambda r: rank[r])
    if mta_in:
        f.received_row = mta_in[0]
        into = [r for r in mta_in if event[r] == "delivery"]
        if into:
            f.to_mailman_row = into[-1]
            f.to_mailman_status = cols.status[into[-1]]
    for r in sorted(lc.stages["mailman"], key=lambda r: rank[r]):
        e = event[r]
        if e == "held" and f.held_row is None:
            f.held_row = r
        elif e == "approved":
            f.approved_row = r
        elif e in MODERATION:
            f.decision_row = r
    for r in sorted(lc.stages["handoff"], key=lambda r: rank[r]):
        e = event[r]
        if e == "smtp":
            f.smtp_rows.append(r)
        elif e == "post":
            f.post_rows.append(r)
        else:
            f.failure_rows.append(r)
    if counts is not None:
        f.outbound_known = True
        f.recipients, f.delivered, f.deferred, f.bounced = (int(counts[k]) for k in
                                                            ("recipients", "delivered", "deferred", "bounced"))
        if f.delivered:
            f.first_delivery_at, f.last_delivery_at = counts["first_sent"], counts["last_sent"]
        f.outbound_problems = problems
    elif f.smtp_rows:
        n = cols.nrcpt[f.smtp_rows[0]]
        f.recipients = 0 if pd.isna(n) else int(n)
    return f


def final_deliveries(events: pd.DataFrame, lifecycles: dict[str, Lifecycle],
                     cols: Columns | None = None) -> pd.DataFrame:
    """post key × recipient -> the last outbound delivery attempt (status, ts, row, n), all posts at once.

    ``n`` is the recipients the row stands for: more than one for the last row of a
    summarised run of sent lines (:mod:`tracer.sentruns`), whose recipients were
    never attempted otherwise.

    Sorted and picked on integer codes, and only the status and time are carried:
    a busy day has a million outbound lines; :func:`with_detail` adds recipient,
    host and text to the few rows a finding quotes.
    """
    keys = [k for k, lc in lifecycles.items() if lc.stages["mta_out"]]
    if not keys:
        return pd.DataFrame({"post": pd.Series(dtype=object), "status": pd.Series(dtype=object),
                             "ts": pd.Series(dtype="datetime64[ns, UTC]"), "row": pd.Series(dtype="int64"),
                             "n": pd.Series(dtype="int64")})
    cols = cols or Columns(events)
    sizes = [len(lifecycles[k].stages["mta_out"]) for k in keys]
    rows = np.fromiter((r for k in keys for r in lifecycles[k].stages["mta_out"]), dtype="int64", count=sum(sizes))
    post = np.repeat(np.arange(len(keys)), sizes)
    keep = cols.event[rows] == "delivery"
    rows, post = rows[keep], post[keep]
    rcpt = cols.recipient_codes[rows]
    ts = cols.ts[rows].view("int64")
    order = np.lexsort((rows, ts, rcpt, post))  # last key sorts first: post, recipient, time, row
    rows, post, rcpt, ts = rows[order], post[order], rcpt[order], ts[order]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = (post[1:] != post[:-1]) | (rcpt[1:] != rcpt[:-1])
    rows, post, ts = rows[last], post[last], ts[last]
    order = np.lexsort((rows, ts))  # in time order, as the rules quote them
    rows, post = rows[order], post[order]
    return pd.DataFrame({"post": np.asarray(keys, dtype=object)[post], "status": cols.status[rows],
                         "ts": pd.DatetimeIndex(cols.ts[rows]).tz_localize("UTC"), "row": rows,
                         "n": cols.n_lines[rows]})


def with_detail(events: pd.DataFrame, finals: pd.DataFrame) -> pd.DataFrame:
    """``finals`` rows with their recipient, host and text, as plain objects."""
    rows = finals["row"].to_numpy()
    out = finals.reset_index(drop=True).astype({"post": object, "status": object})
    for c in ("recipient", "host", "text"):  # column by column: a frame's take and astype copy more than they give
        out[c] = events[c].array.take(rows).to_numpy(dtype=object, na_value=None)
    return out[["post", "recipient", "status", "ts", "host", "text", "row"]]


def outbound_counts(finals: pd.DataFrame) -> pd.DataFrame:
    """Per post: recipients, delivered, deferred, bounced, first_sent, last_sent (one groupby for all posts)."""
    st, n = finals["status"], finals["n"]
    sent_ts = finals["ts"].where(st == "sent")
    g = finals.assign(delivered=n.where(st.eq("sent"), 0), deferred=st.isin(["deferred", "SOFTBOUNCE"]),
                      bounced=st.isin(["bounced", "expired"]), sent_ts=sent_ts).groupby("post", sort=False)
    return pd.DataFrame({"recipients": g["n"].sum(), "delivered": g["delivered"].sum(), "deferred": g["deferred"].sum(),
                         "bounced": g["bounced"].sum(), "first_sent": g["sent_ts"].min(),
                         "last_sent": g["sent_ts"].max()})
