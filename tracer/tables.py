"""The DataFrames a notebook works with, and one post's view (graph, timeline, verdict)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from .cells import Cells
from .correlate import Lifecycle
from .diagnose.facts import PostFacts

if TYPE_CHECKING:
    import networkx as nx

    from .trace import Trace

POST_COLUMNS = [
    "key", "message_id", "list", "sender", "state", "findings", "stopped_stage", "stopped_host",
    "received_at", "held_at", "approved_at", "approved_host", "posted_at", "handed_off_at",
    "first_delivery_at", "last_delivery_at", "recipients", "delivered", "deferred", "bounced", "hosts",
    "mta_in_to_mailman_s", "held_to_approved_s", "approved_to_posted_s", "posted_to_handed_off_s",
    "handed_off_to_first_delivery_s", "handed_off_to_last_delivery_s", "end_to_end_s",
]
TS_COLUMNS = ["received_at", "held_at", "approved_at", "posted_at", "handed_off_at", "first_delivery_at",
              "last_delivery_at"]


def _ts(events: Cells, row) -> pd.Timestamp:
    return events[row, "ts"] if row is not None else pd.NaT


def _secs(a, b) -> float:
    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return float("nan")
    return (b - a).total_seconds()


def post_row(f: PostFacts, events: Cells) -> dict:
    """One row of ``Trace.posts`` from a post's facts (``events``: the event table's cells)."""
    lc = f.lc
    received = _ts(events, f.received_row) if f.received_row is not None else _ts(events, f.held_row)
    handed = _ts(events, f.smtp_rows[0]) if f.smtp_rows else pd.NaT
    posted = _ts(events, f.post_rows[0]) if f.post_rows else pd.NaT
    start_out = handed if not pd.isna(handed) else posted
    first_in_mm = _ts(events, f.held_row) if f.held_row is not None else start_out
    entered = received if not pd.isna(received) else first_in_mm
    return {
        "key": lc.key, "message_id": lc.message_id, "list": lc.list, "sender": lc.sender, "state": lc.state,
        "findings": ",".join(x.code for x in lc.findings),
        "stopped_stage": (lc.stopped_at or {}).get("stage"), "stopped_host": (lc.stopped_at or {}).get("host"),
        "received_at": received, "held_at": _ts(events, f.held_row), "approved_at": _ts(events, f.approved_row),
        "approved_host": events[f.approved_row, "host"] if f.approved_row is not None else None,
        "posted_at": posted, "handed_off_at": handed,
        "first_delivery_at": f.first_delivery_at or pd.NaT, "last_delivery_at": f.last_delivery_at or pd.NaT,
        "recipients": f.recipients, "delivered": f.delivered, "deferred": f.deferred, "bounced": f.bounced,
        "hosts": ",".join(f.hosts),
        "mta_in_to_mailman_s": _secs(received, first_in_mm if f.held_row is not None else
                                     (_ts(events, f.to_mailman_row) if f.to_mailman_row is not None else None)),
        "held_to_approved_s": _secs(_ts(events, f.held_row), _ts(events, f.approved_row)),
        "approved_to_posted_s": _secs(_ts(events, f.approved_row), posted),
        "posted_to_handed_off_s": _secs(posted, handed),
        "handed_off_to_first_delivery_s": _secs(start_out, f.first_delivery_at),
        "handed_off_to_last_delivery_s": _secs(start_out, f.last_delivery_at),
        "end_to_end_s": _secs(entered, f.last_delivery_at),
    }


def posts_table(trace: "Trace") -> pd.DataFrame:
    """One row per list post with its state, milestones and stage latencies (seconds)."""
    d = trace.diagnosis
    rows = [post_row(f, d.context.cells) for f in d.facts.values()]
    df = pd.DataFrame(rows, columns=POST_COLUMNS)
    for c in TS_COLUMNS:
        df[c] = pd.to_datetime(df[c], utc=True)
    for c in ("key", "message_id", "list", "sender", "state", "findings", "stopped_stage", "stopped_host",
              "approved_host", "hosts"):
        df[c] = df[c].astype("string")
    for c in ("recipients", "delivered", "deferred", "bounced"):
        df[c] = df[c].astype("int64")
    return df.sort_values(["received_at", "key"], na_position="last").reset_index(drop=True)


def deliveries_table(trace: "Trace") -> pd.DataFrame:
    """One row per outbound recipient delivery attempt of a list post (with the post key).

    ``n_lines`` is 1, except on the last row of a run of sent lines that ``load(summary=True)``
    summarised: that row stands for that many recipients (:mod:`tracer.sentruns`)."""
    ev = trace.events
    pairs = [(k, r) for k, lc in trace.lifecycles.items() for r in lc.stages["mta_out"]]
    cols = ["post", "host", "ts", "queue_id", "recipient", "domain", "relay", "status", "dsn", "delay",
            "delay_before_queue", "delay_in_queue", "delay_connect", "delay_transmit", "text", "n_lines"]
    if not pairs:
        return pd.DataFrame(columns=cols)
    keys, rows = zip(*pairs)
    d = ev.loc[list(rows)].assign(post=list(keys))
    d = d[d["event"] == "delivery"]
    d["domain"] = d["recipient"].str.rsplit("@", n=1).str[-1].str.lower()
    parts = d["delays"].str.split("/", expand=True)
    for i, name in enumerate(["delay_before_queue", "delay_in_queue", "delay_connect", "delay_transmit"]):
        d[name] = pd.to_numeric(parts[i], errors="coerce") if i in parts else float("nan")
    return d[cols].sort_values(["ts", "post"], kind="stable").reset_index(drop=True)


def findings_table(trace: "Trace") -> pd.DataFrame:
    """Every finding, post-level and host-level, with its evidence lines."""
    rows = []
    for key, lc in trace.lifecycles.items():
        for x in lc.findings:
            rows.append({"scope": "post", "post": key, "message_id": lc.message_id, "list": lc.list,
                         "code": x.code, "host": x.host, "detail": x.detail, "evidence": x.evidence})
    for x in trace.diagnosis.host_findings:
        rows.append({"scope": "host", "post": None, "message_id": None, "list": None, "code": x.code,
                     "host": x.host, "detail": x.detail, "evidence": x.evidence})
    return pd.DataFrame(rows, columns=["scope", "post", "message_id", "list", "code", "host", "detail", "evidence"])


def describe(row) -> str:
    """One line of human detail for an event row (the timeline's ``detail`` column)."""
    g = lambda k: row.get(k) if isinstance(row.get(k), str) or not pd.isna(row.get(k)) else None  # noqa: E731
    ev = row["event"]
    if ev == "delivery":
        s = f"to=<{g('recipient')}> relay={g('relay')} status={g('status')}"
        return s + (f" ({g('text')})" if g("text") else "")
    if ev == "queued":
        return f"from=<{g('sender') or ''}> size={g('size')} nrcpt={g('nrcpt')}"
    if ev == "client":
        return f"client={g('client')}"
    if ev == "message_id":
        return f"message-id={g('message_id')}"
    if ev == "held":
        return f"{g('list')} post from {g('sender')} held: {g('text')}"
    if ev == "approved":
        return "held message approved" + (f" ({g('list')})" if g("list") else "")
    if ev in ("moderator_discarded", "moderator_rejected"):
        return f"{g('list')}: {ev.split('_')[1]} by moderator; from {g('sender')}, subject {g('subject')}"
    if ev == "smtp":
        return f"smtp to {g('list')} for {g('nrcpt')} recips, {g('delay')} s"
    if ev == "post":
        return f"post to {g('list')} from {g('sender')}: {g('status')}" + (f" {g('code')}" if g("code") else "")
    parts = [f"{k}={g(k)}" for k in ("list", "sender", "recipient", "status", "code", "runner", "filebase", "text")
             if g(k) not in (None, "")]
    return " ".join(parts) or ev


#: the columns :func:`describe` reads (a timeline may have thousands of rows)
_DESCRIBED = ["event", "recipient", "relay", "status", "text", "sender", "size", "nrcpt", "client", "message_id",
              "list", "subject", "delay", "code", "runner", "filebase"]


def timeline(trace: "Trace", rows: list[int]) -> pd.DataFrame:
    """ts, host, log, event, detail, source for ``rows`` in time order."""
    cols = list(dict.fromkeys(["ts", "host", "log", "path", "line", *_DESCRIBED]))
    ev = trace.events[cols].loc[rows].sort_values(["ts"], kind="stable")  # columns first: .loc takes them all
    host = ev["host"].astype("string")
    out = pd.DataFrame({
        "ts": ev["ts"], "host": host, "log": ev["log"].astype("string"), "event": ev["event"].astype("string"),
        "detail": [describe(r) for r in ev[_DESCRIBED].to_dict("records")],
        "source": host + ":" + ev["path"].astype("string") + ":" + ev["line"].astype("string"),
    })
    return out.reset_index(names="row")


class LifecycleView:
    """One post for a notebook or the ``message`` command: ``.graph``, ``.timeline``, ``.state``."""

    def __init__(self, trace: "Trace", lc: Lifecycle):
        self.trace, self.lifecycle = trace, lc

    @property
    def state(self) -> str | None:
        return self.lifecycle.state

    @property
    def findings(self) -> list:
        return self.lifecycle.findings

    @property
    def graph(self) -> "nx.DiGraph":
        """DiGraph over event rows (``Trace.events`` index); edges carry the join key as ``link``."""
        return self.lifecycle.build_graph(self.trace.events, self.trace.correlation.txn_of_row)

    @property
    def timeline(self) -> pd.DataFrame:
        return timeline(self.trace, self.lifecycle.rows)

    def __repr__(self) -> str:
        lc = self.lifecycle
        return (f"<Lifecycle {lc.message_id or lc.key} list={lc.list} state={lc.state} "
                f"findings={[x.code for x in lc.findings]} events={len(lc.rows)}>")

    def _repr_html_(self) -> str:
        lc = self.lifecycle
        head = (f"<p><b>{html.escape(str(lc.message_id or lc.key))}</b> on list "
                f"<code>{html.escape(str(lc.list))}</code>: <b>{html.escape(str(lc.state))}</b></p>")
        items = "".join(f"<li><code>{html.escape(x.code)}</code> ({html.escape(str(x.host))}): "
                        f"{html.escape(x.detail)}</li>" for x in lc.findings)
        table = self.timeline.drop(columns="row").to_html(index=False, escape=True)
        return head + (f"<ul>{items}</ul>" if items else "") + table


def find_lifecycle(trace: "Trace", ident: str) -> LifecycleView:
    """Look a post up by Message-ID (with or without <>) or by an MTA queue ID of any of its transactions."""
    lc = match_lifecycle(trace.correlation, ident)
    if lc is not None:
        trace.diagnosis  # noqa: B018 - sets the state and findings
        return LifecycleView(trace, lc)
    ident = ident.strip()
    wanted = {ident, f"<{ident.strip('<>')}>"}
    ev = trace.events
    if ((ev["message_id"].isin(list(wanted))) | (ev["queue_id"] == ident)).any():
        raise KeyError(f"{ident} is in the logs but is not a list post (a notice, a digest or other mail)")
    raise KeyError(f"{ident} does not appear in any log read (checked Message-IDs and queue IDs)")


def match_lifecycle(corr, ident: str) -> Lifecycle | None:
    """The post whose Message-ID, key or MTA queue ID is ``ident`` (no diagnosis needed)."""
    ident = ident.strip()
    lcs = corr.lifecycles
    wanted = {ident, f"<{ident.strip('<>')}>"}
    for lc in lcs.values():
        if lc.message_id in wanted or lc.key in wanted:
            return lc
    hits = set(corr.txns[corr.txns["queue_id"] == ident]["txn"].tolist())
    for lc in lcs.values():
        if hits & set(lc.inbound + lc.outbound):
            return lc
    return None
