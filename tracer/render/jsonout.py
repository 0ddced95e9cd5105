"""The JSON contract (README "JSON output"): stable keys, ISO 8601 timestamps with offset."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from ..diagnose import STATES

if TYPE_CHECKING:
    from ..tables import LifecycleView
    from ..trace import Trace


def _clean(v):
    if v is None or (not isinstance(v, (str, list, dict)) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def post_object(trace: "Trace", key: str) -> dict:
    """One post in the JSON contract."""
    lc = trace.lifecycles[key]
    f = trace.diagnosis.facts[key]
    stopped = None
    if lc.stopped_at:
        stopped = {"stage": lc.stopped_at["stage"], "host": _clean(lc.stopped_at["host"]),
                   "ts": trace.format_ts(lc.stopped_at["ts"])}
    return {
        "message_id": lc.message_id, "list": lc.list, "sender": lc.sender, "state": lc.state,
        "stopped_at": stopped,
        "findings": [x.as_dict() for x in lc.findings],
        "recipients": f.recipients, "delivered": f.delivered, "hosts": f.hosts,
    }


def postmortem_object(trace: "Trace") -> dict:
    """The whole post-mortem as plain data."""
    summary = {s: 0 for s in STATES}
    for lc in trace.lifecycles.values():
        summary[lc.state] = summary.get(lc.state, 0) + 1
    hosts: dict[str, dict] = {}
    for h, grp in trace.files.groupby("host"):
        hosts[h] = {"files": int(len(grp)),
                    "lines": {k: int(grp[k].sum()) for k in ("total", "parsed", "ignored", "unparsed")},
                    "runners": []}
    for h, c in trace.clocks.items():
        hosts.setdefault(h, {"files": 0, "lines": {}, "runners": []}).update(
            clock_offset_s=c["clock_offset_s"], clock_pairs=c["pairs"], clock_corrected=c["corrected"])
    for r in trace.hosts.to_dict("records"):
        hosts.setdefault(r["host"], {"files": 0, "lines": {}, "runners": []})["runners"].append({
            "runner": r["runner"], "slices": int(r["slices"]),
            "first_seen": trace.format_ts(r["first_seen"]), "last_seen": trace.format_ts(r["last_seen"]),
            "starts": int(r["starts"]), "exits": int(r["exits"]), "restarts": int(r["restarts"]),
            "state": r["state"], "dead_slices": list(r["dead_slices"])})
    order = trace.posts["key"].tolist()
    return {
        "summary": summary,
        "lines": trace.lines,
        "hosts": hosts,
        "posts": [post_object(trace, k) for k in order],
        "host_findings": [{"code": x.code, "host": x.host, "detail": x.detail, "evidence": x.evidence}
                          for x in trace.diagnosis.host_findings],
        "problems": list(trace.problems),
    }


def postmortem_json(trace: "Trace") -> str:
    return json.dumps(postmortem_object(trace), indent=2, ensure_ascii=False)


def message_json(trace: "Trace", view: "LifecycleView") -> str:
    obj = post_object(trace, view.lifecycle.key)
    tl = view.timeline
    obj["events"] = [{"ts": trace.format_ts(r["ts"]), "host": r["host"], "log": r["log"], "event": r["event"],
                      "detail": r["detail"], "source": r["source"]} for r in tl.to_dict("records")]
    return json.dumps(obj, indent=2, ensure_ascii=False)


def latency_json(table) -> str:
    """``[{"group", "stage", "count", "p50", "p90", "p99", "max"}]``."""
    return json.dumps([{k: _clean(v) for k, v in r.items()} for r in table.to_dict("records")], indent=2)
