"""Plain-text reports for a terminal. Log content is attacker-controlled: control
characters are stripped before anything reaches the screen."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from ..diagnose import STATES

if TYPE_CHECKING:
    from ..tables import LifecycleView
    from ..trace import Trace

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(value) -> str:
    """Text with terminal control characters (ESC sequences, bidi overrides) replaced by '?'.

    >>> safe("a\x1b[2Jb"), safe("plain text")
    ('a?[2Jb', 'plain text')
    """
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():  # nearly every cell: nothing to replace
        return text
    return _CONTROL.sub("?", text)


def _table(rows: list[list], headers: list[str]) -> str:
    cells = [[safe(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join(["  " + line(headers)] + ["  " + line(r) for r in cells])


def wrap(text: str, width: int = 100, indent: str = "    ") -> str:
    r"""``text`` filled to ``width`` columns after ``indent``, breaking at spaces only (a word longer
    than a line is cut). ``textwrap.fill`` gives the same lines but for its breaks after hyphens,
    at a tenth of the speed: a busy day's findings list thousands of recipients' domains.

    >>> wrap("aaa bbb ccc", width=11, indent="  ")
    '  aaa bbb\n  ccc'
    """
    room = max(1, width - len(indent))
    lines: list[str] = []
    cur: list[str] = []
    n = -1
    for word in text.split():
        while len(word) > room:  # cut a long word, as textwrap's break_long_words does
            if cur and n + 1 < room:
                take = room - n - 1
                cur.append(word[:take])
                word = word[take:]
            elif not cur:
                lines.append(word[:room])
                word = word[room:]
                continue
            lines.append(" ".join(cur))
            cur, n = [], -1
        if n + 1 + len(word) > room:
            lines.append(" ".join(cur))
            cur, n = [], -1
        if word:
            cur.append(word)
            n += 1 + len(word)
    if cur:
        lines.append(" ".join(cur))
    return "\n".join(indent + ln for ln in lines)


def _finding_block(x, indent: str = "    ") -> str:
    body = wrap(safe(x.detail), width=100, indent=indent)
    ev = "".join(f"\n{indent}  evidence: {safe(e)}" for e in x.evidence)
    return f"{indent[:-2]}- {x.code} (host {safe(x.host)})\n{body}{ev}"


def postmortem_text(trace: "Trace") -> str:
    """Totals by state, list and host; every post not delivered with its findings; runners; host findings."""
    out = []
    ln = trace.lines
    hosts = sorted(trace.files["host"].unique()) if len(trace.files) else []
    out.append(f"mmtrace postmortem: {len(hosts)} host(s), {len(trace.files)} file(s), {ln['total']} lines "
               f"({ln['parsed']} parsed, {ln['ignored']} ignored, {ln['unparsed']} unparsed)")
    if len(trace.events):
        out.append(f"window: {trace.format_ts(trace.events['ts'].min())} .. {trace.format_ts(trace.events['ts'].max())}")
    for p in trace.problems:
        out.append(f"note: {safe(p)}")
    for h, c in sorted(trace.clocks.items()):
        if c["pairs"] and abs(c["clock_offset_s"]) >= 2:
            done = "corrected" if c["corrected"] else "not corrected (--no-skew-correction)"
            out.append(f"clock: {h} is {c['clock_offset_s']:+.0f} s off ({c['pairs']} causal pairs); {done}")
    posts = trace.posts
    out.append("")
    out.append(f"{len(posts)} list post(s) by state")
    counts = posts["state"].value_counts()
    out.append(_table([[s, int(counts.get(s, 0))] for s in STATES if counts.get(s, 0)], ["state", "posts"]))
    if len(posts):
        for col, title in (("list", "by list"), ("hosts", "by host")):
            frame = posts.assign(hosts=posts["hosts"].str.split(",")).explode("hosts") if col == "hosts" else posts
            pivot = frame.groupby([col, "state"]).size().unstack(fill_value=0)
            cols = [s for s in STATES if s in pivot.columns]
            out.append("")
            out.append(f"posts {title}")
            out.append(_table([[idx] + [int(pivot.at[idx, s]) for s in cols] for idx in pivot.index], [col] + cols))
    runners = trace.hosts
    out.append("")
    out.append("qrunners (from each host's qrunner log)")
    if len(runners):
        out.append(_table([[r.host, r.runner, r.slices, trace.format_ts(r.first_seen), trace.format_ts(r.last_seen),
                            r.starts, r.exits, r.restarts, r.state] for r in runners.itertuples()],
                          ["host", "runner", "slices", "first seen", "last seen", "starts", "exits", "restarts",
                           "state"]))
    else:
        out.append("  no qrunner log lines on any host")
    for h in hosts:
        if runners.empty or h not in set(runners["host"]):
            out.append(f"  {h}: no qrunner activity logged")
    hf = trace.diagnosis.host_findings
    if hf:
        out.append("")
        out.append("host findings")
        out += [_finding_block(x) for x in hf]
    bad = posts[posts["state"] != "delivered"]
    if len(bad):
        out.append("")
        out.append("posts not delivered")
        for p in bad.itertuples():
            lc = trace.lifecycles[p.key]
            where = ""
            if lc.stopped_at:
                where = (f" stopped at {lc.stopped_at['stage']} on {safe(lc.stopped_at['host'])} "
                         f"{trace.format_ts(lc.stopped_at['ts'])}")
            out.append(f"  {p.state.upper():9} {safe(p.message_id or p.key)}  list {safe(p.list)}  "
                       f"from {safe(p.sender)}{where}")
            out += [_finding_block(x, "      ") for x in lc.findings]
    return "\n".join(out) + "\n"


def message_text(trace: "Trace", view: "LifecycleView") -> str:
    """Timeline across hosts, the state and the verdict for one post."""
    lc = view.lifecycle
    f = trace.diagnosis.facts[lc.key]
    out = [f"message {safe(lc.message_id or lc.key)}", f"list    {safe(lc.list)}", f"sender  {safe(lc.sender)}",
           f"hosts   {', '.join(f.hosts)}", ""]
    tl = view.timeline
    fmt = functools.lru_cache(maxsize=None)(trace.format_ts)  # a fan-out logs hundreds of lines a second
    cells = zip(tl["ts"], tl["host"].tolist(), tl["log"].tolist(), tl["event"].tolist(), tl["detail"].tolist())
    out.append(_table([[fmt(ts), host, log, event, safe(detail)[:110]] for ts, host, log, event, detail in cells],
                      ["time", "host", "log", "event", "detail"]))
    out.append("")
    out.append(f"state: {lc.state}" + (f" ({f.delivered}/{f.recipients} recipients delivered)" if f.recipients else ""))
    if lc.stopped_at:
        out.append(f"stopped at: {lc.stopped_at['stage']} on {safe(lc.stopped_at['host'])} "
                   f"at {trace.format_ts(lc.stopped_at['ts'])}")
    if lc.findings:
        out.append("verdict:")
        out += [_finding_block(x) for x in lc.findings]
    return "\n".join(out) + "\n"


def unparsed_text(trace: "Trace") -> str:
    """Unparsed lines (as many as were kept) with the registry pattern that came closest."""
    from ..formats import default_registry
    from ..formats.envelope import parse_envelope

    reg = default_registry()
    out = [f"unparsed lines: {trace.lines['unparsed']} (showing {len(trace.unparsed)})"]
    for r in trace.unparsed.itertuples():
        m = re.match(r"no (\S+) pattern", r.reason)
        near = ""
        if m:
            env = parse_envelope(r.text)  # maillog patterns match the message after the envelope
            text = env.message if env is not None else r.text
            name = reg.nearest(m.group(1), text)
            near = f"; nearest pattern {name}" if name else ""
        out.append(f"  {safe(r.host)}:{safe(r.path)}:{r.line}: {safe(r.reason)}{near}\n      {safe(r.text)[:200]}")
    return "\n".join(out) + "\n"


def latency_text(table, by: str) -> str:
    """The latency summary as an aligned table (seconds)."""
    if table.empty:
        return "no post has two timed milestones to measure\n"
    fmt = lambda v: f"{v:.1f}"  # noqa: E731
    rows = [[r.group, r.stage, r.count, fmt(r.p50), fmt(r.p90), fmt(r.p99), fmt(r.max)] for r in table.itertuples()]
    return f"stage latency in seconds, by {by}\n" + _table(rows, [by, "stage", "posts", "p50", "p90", "p99", "max"]) + "\n"
