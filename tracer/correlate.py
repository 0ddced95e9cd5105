"""Events -> lifecycles: the join rules in one place.

A list post's lifecycle is the set of event rows that belong to it, in four
stages: ``mta_in`` (the inbound MTA transaction that piped it into
``mailman post LIST``), ``mailman`` (held / approved / discarded / rejected),
``handoff`` (Mailman's ``smtp``, ``post`` and ``smtp-failure`` lines) and
``mta_out`` (the outbound MTA transactions carrying its Message-ID, one per
SMTP chunk). Join keys, strongest first (reference mailman2-logs.md 4):

1. MTA queue ID within (host, instance), closed by ``removed``;
2. Message-ID between MTA and Mailman, and across hosts (held on the mail
   host, approved on the web host);
3. list + sender + time where no Message-ID is logged (moderator notes, posts
   without a Message-ID).

Mailman-generated notices (``<mailman.N.T.P.list@host>``) are not posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .textsearch import rows_matching

if TYPE_CHECKING:
    import networkx as nx

MAILMAN_GENERATED = re.compile(r"^<mailman\.\d+\.\d+\.\d+\.[^@>]+@[^>]*>$")
# "delivered to command: /usr/lib/mailman/mail/mailman post physics-l" (Postfix local),
# "|/usr/lib/mailman/mail/mailman post physics-l" (Sendmail prog mailer recipient)
_COMMAND = re.compile(r"""mailman["']?\s+(?P<cmd>post|admin|bounces|confirm|join|leave|owner|request|subscribe|unsubscribe)\s+["']?(?P<list>[^\s"')]+)""")
_UNKNOWN_USER = re.compile(r'unknown user: "(?P<list>[^"@]+)')
_BOUNCES = re.compile(r"^(?P<list>[^@+\s]+)-bounces(?:\+[^@]*)?@", re.I)
_NO_ID = frozenset({"", "n/a", "<>", "None"})
MAILMAN_LOGS = frozenset({"vette", "post", "smtp", "smtp-failure", "error", "qrunner", "locks", "bounce", "subscribe"})

STAGES = ("mta_in", "mailman", "handoff", "mta_out")


def real_message_id(mid) -> bool:
    """True for a Message-ID that can join logs (not n/a, empty, or Mailman-generated)."""
    return isinstance(mid, str) and mid.strip() not in _NO_ID and not MAILMAN_GENERATED.match(mid.strip())


@dataclass
class Lifecycle:
    """One list post: its event rows by stage, and (lazily) a graph over them.

    ``rows`` index ``Trace.events``; the graph's nodes are those row numbers, so
    nothing of the event data is copied into it.
    """

    key: str
    message_id: str | None
    list: str | None
    sender: str | None = None
    stages: dict[str, set[int]] = field(default_factory=lambda: {s: set() for s in STAGES})
    inbound: list[int] = field(default_factory=list)  # MTA transaction numbers
    outbound: list[int] = field(default_factory=list)
    state: str | None = None
    findings: list = field(default_factory=list)
    stopped_at: dict | None = None

    @property
    def rows(self) -> list[int]:
        return sorted(set().union(*self.stages.values()))

    def add(self, stage: str, row: int) -> None:
        self.stages[stage].add(row)

    def build_graph(self, events: pd.DataFrame, txn: pd.Series) -> "nx.DiGraph":
        """Nodes are event rows; edges follow time within a stage and join keys across stages."""
        import networkx as nx  # only graphs need it: 0.16 s of every run's start-up otherwise

        g = nx.DiGraph()
        prev_tail: list[int] = []
        for stage in STAGES:
            rows = sorted(self.stages[stage], key=lambda r: (events.at[r, "ts"], r))
            if not rows:
                continue
            groups: dict = {}
            for r in rows:
                g.add_node(r, stage=stage)
                k = txn.get(r, -1) if stage in ("mta_in", "mta_out") else stage
                groups.setdefault(k, []).append(r)
            tails = []
            for k, grp in groups.items():
                link = "queue_id" if stage in ("mta_in", "mta_out") else "time"
                for a, b in zip(grp, grp[1:]):
                    g.add_edge(a, b, link=link)
                for p in prev_tail:
                    g.add_edge(p, grp[0], link="message_id" if self.message_id else "list+sender+time")
                tails.append(grp[-1])
            prev_tail = tails if stage != "mta_out" else prev_tail
        return g


@dataclass
class Correlation:
    """The output of :func:`correlate`: lifecycles plus the MTA transaction table."""

    lifecycles: dict[str, Lifecycle]
    txns: pd.DataFrame  # one row per MTA transaction
    txn_of_row: pd.Series  # event row -> transaction number
    notices: int = 0  # Mailman-generated messages seen (not posts)


def assign_transactions(events: pd.DataFrame) -> pd.Series:
    """Transaction number for each MTA event row with a queue ID.

    Short Postfix queue IDs are reused, so a ``removed`` closes the transaction
    and a later line with the same ID starts a new one (reference postfix-logs.md 4.1).
    Works on integer codes of (host, instance, queue ID): grouping a million
    Arrow strings three times over costs more than the rest of the correlation.
    """
    qid = events["queue_id"]
    mask = (events["log"].eq("maillog") & qid.notna() & qid.ne("NOQUEUE")).to_numpy(dtype=bool, na_value=False)
    idx = np.flatnonzero(mask)
    if not len(idx):
        return pd.Series(dtype="int64")
    # time order; within a second, file order (rows of one file are not in line order)
    files, _ = pd.factorize(events["path"].take(idx))
    idx = idx[np.lexsort((events["line"].to_numpy()[idx], files,
                          events["ts"].to_numpy(dtype="datetime64[ns]")[idx]))]
    key = np.zeros(len(idx), dtype="int64")
    for col in ("host", "instance", "queue_id"):
        codes, uniq = pd.factorize(events[col].take(idx), use_na_sentinel=True)
        key = key * (len(uniq) + 1) + (codes + 1)
    ended = events["event"].take(idx).eq("removed").to_numpy(dtype="int64", na_value=0)
    seq = pd.Series(ended).groupby(key).cumsum().to_numpy() - ended
    txn, _ = pd.factorize(key * (int(seq.max()) + 1) + seq, sort=False)
    return pd.Series(txn.astype("int64"), index=pd.Index(idx))


def summarise_transactions(events: pd.DataFrame, txn_of_row: pd.Series) -> pd.DataFrame:
    """One row per MTA transaction: host, queue_id, first/last ts, message_id, sender, client, Mailman link."""
    if txn_of_row.empty:
        return pd.DataFrame(columns=["txn", "host", "instance", "queue_id", "first_ts", "last_ts", "message_id",
                                     "sender", "client", "command", "command_list", "bounces_list"])
    rows = txn_of_row.index.to_numpy()
    txn = txn_of_row.to_numpy()
    ts = events["ts"].to_numpy(dtype="datetime64[ns]")[rows]
    n = int(txn.max()) + 1
    first_pos = np.full(n, len(rows), dtype="int64")
    np.minimum.at(first_pos, txn, np.arange(len(rows)))  # rows come in time order: the first line of each
    first_rows = rows[first_pos]
    tsi = pd.Series(ts, index=txn)
    out = pd.DataFrame({
        "host": events["host"].take(first_rows).to_numpy(), "instance": events["instance"].take(first_rows).to_numpy(),
        "queue_id": events["queue_id"].take(first_rows).to_numpy(),
        "first_ts": tsi.groupby(level=0).min().reindex(range(n)).dt.tz_localize("UTC"),
        "last_ts": tsi.groupby(level=0).max().reindex(range(n)).dt.tz_localize("UTC"),
    }, index=pd.RangeIndex(n, name="txn"))
    # Everything else works on full-column masks and takes only the few rows it needs:
    # a busy day's transactions span nearly every row, and copying them costs seconds
    txn_full = np.full(len(events), -1, dtype="int64")
    txn_full[rows] = txn
    pos_full = np.zeros(len(events), dtype="int64")
    pos_full[rows] = np.arange(len(rows))
    in_txn = txn_full >= 0
    event = events["event"]

    def in_time_order(mask: np.ndarray) -> np.ndarray:
        sel = np.flatnonzero(mask)
        return sel[np.argsort(pos_full[sel], kind="stable")]

    def firsts(col: str, mask: np.ndarray) -> pd.Series:
        sel = in_time_order(mask & in_txn & events[col].notna().to_numpy(dtype=bool))
        vals = pd.Series(events[col].take(sel).to_numpy(dtype=object, na_value=None), index=txn_full[sel])
        return vals[~vals.index.duplicated()].reindex(out.index).astype("string")

    out["message_id"] = firsts("message_id", in_txn)
    out["sender"] = firsts("sender", event.isin(["queued", "pickup"]).to_numpy(dtype=bool, na_value=False))
    out["client"] = firsts("client", in_txn)
    out = out.astype({"host": "string", "instance": "string", "queue_id": "string"})
    # Which deliveries pipe into Mailman, and into which command and list: only lines
    # that mention mailman can, so filter before any regex (most are outbound)
    def has(col: str, word: str, rows: np.ndarray | None = None, regex: bool = False) -> np.ndarray:
        """``col`` contains ``word``, over all rows (one search of the column's bytes) or (a
        full-length mask) only ``rows``."""
        pattern = (word if regex else re.escape(word)).encode()
        if rows is None:
            return rows_matching(events[col], pattern)
        out = np.zeros(len(events), dtype=bool)
        sel = np.flatnonzero(rows)
        out[sel] = rows_matching(events[col].take(sel), pattern)
        return out

    is_dl = in_txn & event.eq("delivery").to_numpy(dtype=bool, na_value=False)
    near_all = is_dl & (has("text", "mailman") | has("recipient", "mailman"))  # _COMMAND needs "mailman"
    pipe_all = is_dl & has("relay", "ailman|AILMAN", regex=True)
    bounced = is_dl & events["status"].eq("bounced").to_numpy(dtype=bool, na_value=False)
    bounced_all = has("text", "unknown user", rows=bounced)
    cand = in_time_order(near_all | pipe_all | bounced_all)
    dl = events[["text", "recipient", "relay", "status"]].take(cand).set_axis(cand)
    dl["txn"] = txn_full[cand]
    text, rcpt = dl["text"].fillna(""), dl["recipient"].fillna("")
    near = near_all[cand]
    cmd = pd.DataFrame({"cmd": pd.Series(pd.NA, index=dl.index, dtype="object"),
                        "list": pd.Series(pd.NA, index=dl.index, dtype="object")})
    if near.any():
        probe = text[near] + " " + rcpt[near]
        cmd.loc[near, ["cmd", "list"]] = probe.str.extract(_COMMAND)[["cmd", "list"]].to_numpy(dtype=object)
    via_pipe = dl["relay"].fillna("").str.contains("mailman", case=False, regex=False) & cmd["cmd"].isna()
    cmd.loc[via_pipe, "cmd"] = "post"
    cmd.loc[via_pipe, "list"] = dl.loc[via_pipe, "recipient"].fillna("").str.split("@").str[0].str.lower()
    # local(8) `unknown user: "LIST"`: the alias is missing; a post if Mailman knows LIST
    bounced = pd.Series(bounced_all[cand], index=dl.index)
    if bounced.any():
        unknown = text[bounced].str.extract(_UNKNOWN_USER)["list"]
        miss = unknown.notna() & cmd.loc[bounced.to_numpy(), "cmd"].isna().to_numpy()
        cmd.loc[miss[miss].index, "cmd"] = "unknown"
        cmd.loc[miss[miss].index, "list"] = unknown[miss].to_numpy(dtype=object)
    cmd["txn"] = dl["txn"]
    cmd = cmd.dropna(subset=["cmd"]).groupby("txn").first()
    out["command"] = cmd["cmd"]
    out["command_list"] = cmd["list"].str.lower()
    out["bounces_list"] = out["sender"].fillna("").str.extract(_BOUNCES)["list"].str.lower()
    return out.reset_index()


def correlate(events: pd.DataFrame) -> Correlation:
    """Group event rows into one :class:`Lifecycle` per list post."""
    txn_of_row = assign_transactions(events)
    txns = summarise_transactions(events, txn_of_row)
    posts: dict[str, Lifecycle] = {}
    by_mid: dict[str, list[Lifecycle]] = {}
    notices = 0

    def get(list_, mid, sender=None, create=True) -> Lifecycle | None:
        list_ = list_.lower() if isinstance(list_, str) else None
        cands = by_mid.get(mid, [])
        for lc in cands:
            if list_ is None or lc.list is None or lc.list == list_:
                if lc.list is None and list_ is not None:
                    lc.list = list_
                if sender and not lc.sender:
                    lc.sender = sender
                return lc
        if not create:
            return None
        key = mid if not cands else f"{mid}#{list_}"
        lc = Lifecycle(key=key, message_id=mid, list=list_, sender=sender or None)
        posts[key] = lc
        by_mid.setdefault(mid, []).append(lc)
        return lc

    # 1. inbound MTA transactions that pipe a message into `mailman post LIST`
    from_mailman = events["log"].ne("maillog").to_numpy(dtype=bool, na_value=True)
    known = set(events["list"][from_mailman].dropna().str.lower()) | \
        set(txns.loc[txns["command"].notna() & (txns["command"] != "unknown"), "command_list"].dropna()) | \
        set(txns["bounces_list"].dropna())
    inbound = txns[(txns["command"] == "post") | ((txns["command"] == "unknown") & txns["command_list"].isin(known))]
    txn_rows = _TxnRows(txn_of_row)
    anon: list[Lifecycle] = []  # posts without a usable Message-ID, joined by list + time
    for t in inbound.itertuples():
        if real_message_id(t.message_id):
            lc = get(t.command_list, t.message_id, t.sender)
        else:
            lc = _new_anon(posts, t.command_list, t.sender, f"{t.host}:{t.queue_id}")
            anon.append(lc)
        lc.inbound.append(t.txn)
        lc.stages["mta_in"].update(txn_rows[t.txn].tolist())

    # 2. Mailman events, in time order
    wanted = (events["log"].isin(MAILMAN_LOGS) & events["event"].isin(_MAILMAN_EVENTS)).to_numpy(dtype=bool,
                                                                                                na_value=False)
    mm = events[["event", "message_id", "list", "sender", "ts", "host", "pid", "path", "line"]][wanted]
    mm = mm.sort_values("ts", kind="stable")
    post_lines: dict[tuple, list] = {}  # (host, pid) -> [(ts, lifecycle)] of `post` lines
    for row in _rows(mm):
        ev, mid, r = row.event, row.message_id, row.Index
        mid = mid.strip() if isinstance(mid, str) else None
        lst = row.list if isinstance(row.list, str) else None
        if mid and MAILMAN_GENERATED.match(mid):
            notices += row.event == "smtp"
            continue
        if ev in ("held", "approved", "auto_discarded", "auto_rejected", "smtp", "post",
                  "smtp_refused", "smtp_session_failure", "smtp_low_level"):
            stage = "mailman" if ev in ("held", "approved", "auto_discarded", "auto_rejected") else "handoff"
            if real_message_id(mid):
                create = ev not in ("smtp_refused", "smtp_session_failure", "smtp_low_level") or bool(by_mid.get(mid))
                lc = get(lst, mid, row.sender if isinstance(row.sender, str) else None, create=create)
                if lc is None:
                    continue
            elif ev in ("held", "post", "smtp", "auto_discarded", "auto_rejected") and lst:
                lc = _join_anon(anon, posts, events, lst, row.sender, row.ts, ev)
            else:
                continue
            lc.add(stage, r)
        elif ev in ("moderator_discarded", "moderator_rejected"):
            lc = _join_moderated(posts, events, lst, row.sender, row.ts)
            if lc is None:
                lc = _new_anon(posts, lst, row.sender, f"{row.host}:{row.path}:{row.line}")
            lc.add("mailman", r)
        elif ev == "smtp_failure":
            lc = _join_failure(post_lines, row)
            if lc is not None:
                lc.add("handoff", r)
            continue
        else:
            continue
        if ev == "post":
            post_lines.setdefault((row.host, row.pid), []).append((row.ts, lc))

    # 3. outbound MTA transactions: same Message-ID, sent by LIST-bounces
    _attach_outbound(posts, by_mid, txns, txn_rows)
    return Correlation(posts, txns, txn_of_row, notices)


#: the Mailman events step 2 of :func:`correlate` joins to posts
_MAILMAN_EVENTS = ("held", "approved", "auto_discarded", "auto_rejected", "smtp", "post", "smtp_refused",
                   "smtp_session_failure", "smtp_low_level", "moderator_discarded", "moderator_rejected",
                   "smtp_failure")


def _rows(df: pd.DataFrame):
    """The rows ``itertuples`` gives, from whole columns: itertuples reads Arrow columns cell by
    cell, and a busy day's Mailman logs are tens of thousands of rows."""
    from collections import namedtuple

    Row = namedtuple("Row", ["Index", *df.columns])
    cols = [df.index.tolist()] + [list(df[c]) if df[c].dtype.kind == "M" else df[c].astype(object).tolist()
                                  for c in df.columns]
    return map(Row._make, zip(*cols))


def _new_anon(posts: dict, list_, sender, tag: str) -> Lifecycle:
    key = f"n/a:{list_ or '?'}:{tag}"
    lc = Lifecycle(key=key, message_id=None, list=list_.lower() if list_ else None,
                   sender=sender if isinstance(sender, str) else None)
    posts[key] = lc
    return lc


def _join_anon(anon: list[Lifecycle], posts: dict, events: pd.DataFrame, lst: str, sender, ts,
               ev: str) -> Lifecycle:
    """A Message-ID-less Mailman line joins the latest anonymous post of its list (within 30 min)
    that has no line of that kind yet; otherwise it starts one."""
    lst = lst.lower()
    for lc in reversed(anon):
        if lc.list != lst:
            continue
        rows = lc.stages["mailman"] | lc.stages["handoff"] | lc.stages["mta_in"]
        if any(events.at[r, "event"] == ev for r in rows):
            continue
        first = min((events.at[r, "ts"] for r in rows), default=ts)
        if pd.Timedelta(0) <= ts - first <= pd.Timedelta(minutes=30) or ev != "held":
            return lc
    lc = _new_anon(posts, lst, sender, str(ts))
    anon.append(lc)
    return lc


def _join_moderated(posts: dict, events: pd.DataFrame, lst, sender, ts) -> Lifecycle | None:
    """A moderator's Refused/Discarded note carries no Message-ID: match list + sender to an open hold."""
    if not lst:
        return None
    sender = sender.lower() if isinstance(sender, str) else None
    best = None
    for lc in posts.values():
        if lc.list != lst.lower():
            continue
        held = [r for r in lc.stages["mailman"] if events.at[r, "event"] == "held" and events.at[r, "ts"] <= ts]
        if not held:
            continue
        done = [r for r in lc.stages["mailman"] if events.at[r, "event"] in
                ("approved", "moderator_discarded", "moderator_rejected")]
        if done:
            continue
        held_sender = events.at[held[-1], "sender"]
        if sender and isinstance(held_sender, str) and held_sender.lower() != sender:
            continue
        t = events.at[held[-1], "ts"]
        if best is None or t > best[0]:
            best = (t, lc)
    return best[1] if best else None


def _join_failure(post_lines: dict, row) -> Lifecycle | None:
    """``delivery to R failed`` lines follow their ``post ... N failures`` line (same host, pid, second)."""
    for ts, lc in reversed(post_lines.get((row.host, row.pid), [])):
        if abs((ts - row.ts).total_seconds()) <= 2:
            return lc
    return None


class _TxnRows:
    """transaction -> its event rows (``txn_rows[t]``), from one sort: a pandas group index per
    transaction costs more than the whole correlation on a busy day's hundred thousand."""

    def __init__(self, txn_of_row: pd.Series) -> None:
        txn = txn_of_row.to_numpy()
        order = np.argsort(txn, kind="stable")
        self._rows = txn_of_row.index.to_numpy()[order]
        self._bounds = np.searchsorted(txn[order], np.arange(int(txn.max()) + 2 if len(txn) else 1))

    def __getitem__(self, t: int) -> np.ndarray:
        return self._rows[self._bounds[t]:self._bounds[t + 1]]


def _attach_outbound(posts: dict, by_mid: dict, txns: pd.DataFrame, txn_rows: _TxnRows) -> None:
    out = txns[(txns["command"].isna() & txns["message_id"].notna()).to_numpy(dtype=bool, na_value=False)]
    inbound_ids = {t for lc in posts.values() for t in lc.inbound}
    cols = [out[c].to_numpy(dtype=object, na_value=None) if c != "txn" else out[c].tolist()
            for c in ("txn", "message_id", "bounces_list", "client")]
    for txn, mid, bounces_list, client in zip(*cols):  # plain values: itertuples reads Arrow cell by cell
        if txn in inbound_ids:
            continue
        for lc in by_mid.get(mid, ()):
            if isinstance(bounces_list, str) and lc.list and bounces_list != lc.list:
                continue
            if not isinstance(bounces_list, str) and not _is_local_client(client):
                continue  # the same Message-ID arriving from outside again is not our hand-off
            lc.outbound.append(txn)
            lc.stages["mta_out"].update(txn_rows[txn].tolist())
            break


def _is_local_client(client) -> bool:
    return isinstance(client, str) and ("127.0.0.1" in client or "[::1]" in client)
