"""Diagnosis rules: each a small pure function with a stable code.

A rule looks at one post's :class:`~tracer.diagnose.facts.PostFacts` and the
site context, and returns a :class:`Finding` or ``None``. The text of every
finding ends with the fix in plain words (Mailman FAQ 4.78, Server Fault seed
000). ``POST_RULES`` is the table the diagnoser runs, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import pandas as pd

from ..cells import Cells

from .facts import PostFacts

FIXES = {
    "approved-on-host-without-runner": (
        "put this host's Mailman queue directories (QUEUE_DIR, INQUEUE_DIR and the other *QUEUE_DIR, "
        "/var/spool/mailman on Red Hat) on the shared storage the qrunner host reads, in this host's "
        "mm_cfg.py (/etc/mailman/mm_cfg.py), then move the stranded .pck files from this host's local "
        "in/ queue into the shared one so the IncomingRunner delivers them"),
    "no-runners": (
        "either run no Mailman CGI or mail handling on this host, or make its QUEUE_DIR the shared queue "
        "directory that the qrunner host's mailmanctl serves; check with `ps auxww | grep mailmanctl`"),
    "awaiting-moderation": "a moderator must approve, reject or discard it on the list's admindb page",
    "moderator-discarded": "nothing to fix: a moderator discarded it; the poster may re-send",
    "moderator-rejected": "nothing to fix: a moderator rejected it and the poster was told why",
    "auto-discarded": ("nothing is broken: the list's own rules discarded it (member/non-member moderation "
                       "action, content filtering, header filters); change those settings if it was wanted"),
    "auto-rejected": ("nothing is broken: the list's own rules rejected it and bounced it to the poster; "
                      "change the list's moderation or filter settings if it was wanted"),
    "mailman-logs-missing": ("add the Mailman logs (vette, post, smtp, qrunner, error, ...) of the hosts that run "
                             "Mailman, e.g. ROOT/<host>/var/log/mailman/"),
    "unexplained": ("the logs cannot tell where it went: check the host's Mailman queues (in/, out/, retry/, "
                    "shunt/) for a .pck with this Message-ID and that mailmanctl and all qrunners run there"),
}


@dataclass
class Finding:
    """A diagnosis: stable ``code``, the ``host`` it points at, plain-words ``detail`` ending with the fix."""

    code: str
    host: str | None
    detail: str
    evidence: list[str] = field(default_factory=list)
    post: str | None = None

    def as_dict(self) -> dict:
        d = {"code": self.code, "host": self.host, "detail": self.detail, "evidence": self.evidence}
        return d


@dataclass
class Context:
    """What rules may look at besides the post: the event table and per-host evidence."""

    events: pd.DataFrame
    end: pd.Timestamp
    grace: pd.Timedelta
    runners: pd.DataFrame
    incoming: dict[str, list[int]]  # host -> rows proving an IncomingRunner there
    mailman_logs: dict[str, set[str]]  # host -> Mailman logs present
    fmt_ts: Callable[[pd.Timestamp], str] = str
    down: pd.DataFrame = field(default_factory=pd.DataFrame)  # runner outages (downtime.downtimes)
    by_event: dict[str, list[int]] = field(default_factory=dict)  # event kind -> rows
    shunts: list[dict] = field(default_factory=list)  # SHUNTING lines with their exception
    lock_breaks: dict[str, list[int]] = field(default_factory=dict)  # list -> lock_broken rows

    def src(self, row: int) -> str:
        c = self.cells
        return f"{c[row, 'host']}:{c[row, 'path']}:{c[row, 'line']}"

    @cached_property
    def cells(self) -> Cells:
        """``cells[row, col]``: one cell of ``events`` (:class:`tracer.cells.Cells`)."""
        return Cells(self.events)

    def at(self, row: int) -> str:
        return f"{self.cells[row, 'host']} at {self.fmt_ts(self.cells[row, 'ts'])}"


def _with_fix(code: str, text: str) -> str:
    return f"{text} Fix: {FIXES[code]}."


def approved_on_host_without_runner(f: PostFacts, ctx: Context) -> Finding | None:
    """Approved on host H, nothing follows anywhere, and H showed no IncomingRunner (seed 000)."""
    if f.approved_row is None or f.handed_off or f.decision_row is not None:
        return None
    e = ctx.cells
    host = e[f.approved_row, "host"]
    if ctx.incoming.get(host):
        return None
    if ctx.end - e[f.approved_row, "ts"] <= ctx.grace:
        return None
    logs = ctx.mailman_logs.get(host, set())
    why = ("it has no qrunner log" if "qrunner" not in logs
           else "its qrunner log never mentions an IncomingRunner")
    held = f" held {ctx.at(f.held_row)}," if f.held_row is not None else ""
    text = (f"{f.lc.message_id or 'the post'}{held} approved {ctx.at(f.approved_row)}; nothing about it "
            f"follows on any host (no smtp or post line, no outbound MTA transaction). {host} showed no "
            f"IncomingRunner serving its queue: {why} and it logged no held or auto-moderation line, which "
            f"only an IncomingRunner writes. The approval put the message into {host}'s own qfiles/in, "
            f"which no runner reads.")
    ev = [ctx.src(r) for r in (f.held_row, f.approved_row) if r is not None]
    return Finding("approved-on-host-without-runner", host, _with_fix("approved-on-host-without-runner", text), ev)


def awaiting_moderation(f: PostFacts, ctx: Context) -> Finding | None:
    """Held and never acted on before the logs end."""
    if f.held_row is None or f.approved_row is not None or f.decision_row is not None or f.handed_off:
        return None
    e = ctx.cells
    reason = e[f.held_row, "text"]
    text = f"held {ctx.at(f.held_row)} ({reason}) and not approved, rejected or discarded by the end of the logs."
    return Finding("awaiting-moderation", e[f.held_row, "host"], _with_fix("awaiting-moderation", text),
                   [ctx.src(f.held_row)])


def _decision(kind: str, code: str) -> Callable[[PostFacts, Context], Finding | None]:
    def rule(f: PostFacts, ctx: Context) -> Finding | None:
        if f.decision_row is None or ctx.cells[f.decision_row, "event"] != kind:
            return None
        e = ctx.cells
        r = f.decision_row
        who = "by a moderator" if kind.startswith("moderator") else "by the list's rules"
        verb = "discarded" if kind.endswith("discarded") else "rejected"
        extra = e[r, "text"]
        extra = f" ({extra})" if isinstance(extra, str) and extra else ""
        text = f"{verb} {who} {ctx.at(r)}{extra}."
        ev = [ctx.src(x) for x in (f.held_row, r) if x is not None]
        return Finding(code, e[r, "host"], _with_fix(code, text), ev)
    rule.__name__ = code.replace("-", "_")
    rule.__doc__ = f"The post was {kind.replace('_', ' ')}."
    return rule


def mailman_logs_missing(f: PostFacts, ctx: Context) -> Finding | None:
    """The MTA handed the post to Mailman, but no Mailman log was given: unknown, not lost."""
    if f.lc.state != "unknown":
        return None
    r = f.to_mailman_row
    text = (f"the MTA piped it into Mailman {ctx.at(r)}, but no Mailman log was read from any host, so "
            f"what happened next cannot be told.")
    code = "mailman-logs-missing"
    return Finding(code, ctx.cells[r, "host"], _with_fix(code, text), [ctx.src(r)])


POST_RULES: list[Callable[[PostFacts, Context], Finding | None]] = [
    mailman_logs_missing,
    approved_on_host_without_runner,
    awaiting_moderation,
    _decision("moderator_discarded", "moderator-discarded"),
    _decision("moderator_rejected", "moderator-rejected"),
    _decision("auto_discarded", "auto-discarded"),
    _decision("auto_rejected", "auto-rejected"),
]


def unexplained_finding(f: PostFacts, ctx: Context, stage: str) -> Finding:
    """The honest answer for a stalled post no rule explains."""
    last = f.last_row
    where = ctx.at(last) if last is not None else "nowhere"
    text = (f"the last evidence is the {stage} step on {where}; no log line says why nothing follows, and "
            f"no runner evidence decides it either way.")
    host = ctx.cells[last, "host"] if last is not None else None
    return Finding("unexplained", host, _with_fix("unexplained", text), [ctx.src(last)] if last is not None else [])
