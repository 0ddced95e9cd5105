"""Clock offsets between hosts, estimated from causal pairs, and their correction.

Two kinds of pairs say how far one host's clock is from another's:

* an approval logged on a web host (vette ``held message approved``) and the
  ``smtp``/``post`` line the runner host writes for the same Message-ID. On the
  runner host itself approval → smtp takes a second or two; that typical delay
  is taken from the runner host's own (e-mail) approvals when it has any;
* an MTA hand-off across hosts: host A's ``status=sent (250 ... queued as X)``
  and host B's transaction X (its first line is written just before A logs).

Offsets are relative to the host with the most events and are medians over
pairs, so a few odd pairs do not move them.
"""

from __future__ import annotations

from collections import defaultdict, deque

import pandas as pd

#: approval -> smtp on the runner host when no same-host approval shows the real figure
DEFAULT_APPROVAL_LATENCY_S = 1.0


def causal_pairs(events: pd.DataFrame) -> pd.DataFrame:
    """Rows ``(a, b, delta_s, kind)``: clock(a) - clock(b) is about ``delta_s`` seconds."""
    rows: list[dict] = []
    ap = events[events["event"] == "approved"][["host", "ts", "message_id"]].dropna()
    out = events[events["event"].isin(["smtp", "post"])][["host", "ts", "message_id"]].dropna()
    out = out.sort_values("ts").groupby("message_id", sort=False).first().reset_index()
    m = ap.merge(out, on="message_id", suffixes=("_a", "_s"))
    if len(m):
        local = m[m["host_a"] == m["host_s"]]
        lat = (local["ts_s"] - local["ts_a"]).dt.total_seconds()
        lat = lat[(lat >= 0) & (lat < 600)]
        typical = float(lat.median()) if len(lat) else DEFAULT_APPROVAL_LATENCY_S
        for r in m[m["host_a"] != m["host_s"]].itertuples():
            rows.append({"a": r.host_a, "b": r.host_s, "kind": "approval->smtp",
                         "delta_s": (r.ts_a - r.ts_s).total_seconds() + typical})
    sent_mask = (events["event"] == "delivery") & events["queued_as"].notna() & (events["status"] == "sent")
    sent = events.loc[sent_mask, ["host", "ts", "queued_as"]]
    if len(sent):
        # only queue IDs some other host's delivery names can pair; keep the copy small
        wanted = events["queue_id"].isin(sent["queued_as"].unique()) & (events["log"] == "maillog")
        firsts = events.loc[wanted, ["queue_id", "host", "ts"]].sort_values("ts")
        firsts = firsts.groupby(["queue_id", "host"], sort=False)["ts"].first().reset_index()
        j = sent[["host", "ts", "queued_as"]].merge(firsts, left_on="queued_as", right_on="queue_id",
                                                    suffixes=("_a", "_b"))
        for r in j[j["host_a"] != j["host_b"]].itertuples():
            rows.append({"a": r.host_a, "b": r.host_b, "kind": "mta-handoff",
                         "delta_s": (r.ts_a - r.ts_b).total_seconds()})
    return pd.DataFrame(rows, columns=["a", "b", "delta_s", "kind"])


def estimate_offsets(events: pd.DataFrame) -> dict[str, dict]:
    """host -> {"clock_offset_s": float, "pairs": int} relative to the busiest host (offset 0)."""
    hosts = events["host"].value_counts()
    result = {h: {"clock_offset_s": 0.0, "pairs": 0} for h in hosts.index}
    pairs = causal_pairs(events)
    if pairs.empty or hosts.empty:
        return result
    edges: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    for (a, b), g in pairs.groupby(["a", "b"]):
        d = float(g["delta_s"].median())
        edges[b].append((a, d, len(g)))  # clock(a) = clock(b) + d
        edges[a].append((b, -d, len(g)))
    ref = hosts.index[0]
    seen, todo = {ref}, deque([ref])
    while todo:
        h = todo.popleft()
        for other, d, n in edges[h]:
            if other not in seen:
                seen.add(other)
                result[other] = {"clock_offset_s": round(result[h]["clock_offset_s"] + d, 1), "pairs": n}
                todo.append(other)
    return result


def correct(events: pd.DataFrame, offsets: dict[str, dict], min_abs_s: float = 2.0) -> pd.DataFrame:
    """Events with each host's ``ts`` moved onto the reference clock (offsets under ``min_abs_s`` are noise)."""
    big = {h: o["clock_offset_s"] for h, o in offsets.items() if abs(o["clock_offset_s"]) >= min_abs_s}
    if not big or events.empty:
        return events
    shift = events["host"].map(big).astype("float64").fillna(0.0)
    if not shift.any():
        return events
    out = events.copy()
    out["ts"] = out["ts"] - pd.to_timedelta(shift.astype("float64"), unit="s")
    return out
