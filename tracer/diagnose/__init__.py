"""Lifecycles -> states and findings.

Each post gets one state (``delivered``, ``partial``, ``held``, ``discarded``,
``rejected``, ``stalled``, ``failed``, ``in_flight``), where it stopped, and the
findings of the rule table in :mod:`tracer.diagnose.rules`. Each post is judged
by its own evidence: an approval on a web host that *is* followed by ``smtp``
and ``post`` lines on the back-end is delivered, whatever happened to others.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..correlate import Correlation, Lifecycle
from .facts import Columns, PostFacts, final_deliveries, outbound_counts, post_facts, with_detail
from .rules import FIXES, POST_RULES, Context, Finding, unexplained_finding
from .downtime import downtimes
from .evidence import by_event, lock_breaks, shunts
from .faults import FAULT_FIXES, FAULT_RULES, outbound_problems
from .runners import incoming_runner_evidence, mailman_hosts, runner_table

#: the maillog's events among the site-wide evidence (tracer.diagnose.evidence.by_event)
MTA_EVIDENCE = ("wrapper_error", "smrsh_refused")
STATES = ("delivered", "partial", "held", "discarded", "rejected", "stalled", "failed", "in_flight", "unknown")
#: states that make ``mmtrace`` exit 1
PROBLEM_STATES = frozenset({"stalled", "failed", "partial"})


@dataclass
class Diagnosis:
    """Per-post facts and findings, host findings and the runner table."""

    facts: dict[str, PostFacts]
    host_findings: list[Finding]
    runners: pd.DataFrame
    context: Context


def diagnose(events: pd.DataFrame, corr: Correlation, grace: pd.Timedelta, fmt_ts=str,
             only: list[str] | None = None) -> Diagnosis:
    """Judge every lifecycle in ``corr``, or the keys in ``only`` (sets ``state``, ``stopped_at``
    and ``findings`` on it)."""
    end = events["ts"].max() if len(events) else pd.Timestamp.now(tz="UTC")
    # the site-wide evidence is Mailman's logs and two kinds of MTA line; filtering the rest of the
    # maillog (deliveries, rejects, queue lines: nearly every row) out once spares each lookup below
    side = events[(events["log"].ne("maillog") | events["event"].isin(MTA_EVIDENCE)).to_numpy(dtype=bool, na_value=True)]
    down = downtimes(side)
    ctx = Context(events, end, grace, runner_table(side, down), incoming_runner_evidence(side),
                  mailman_hosts(side), fmt_ts, down, by_event(side), shunts(side), lock_breaks(side))
    cols = Columns(events)
    judged = corr.lifecycles if only is None else {k: corr.lifecycles[k] for k in only}
    finals = final_deliveries(events, judged, cols)
    counts = outbound_counts(finals).to_dict("index") if len(finals) else {}
    unsent = with_detail(events, finals[finals["status"] != "sent"])
    problems = outbound_problems(unsent)
    facts = {}
    for key, lc in judged.items():
        f = post_facts(lc, events, counts.get(key), cols, problems.get(key))
        lc.state, stage = judge(f, ctx)
        lc.findings = [x for rule in POST_RULES + FAULT_RULES if (x := rule(f, ctx)) is not None]
        for x in lc.findings:
            x.post = key
        if lc.state == "stalled" and not lc.findings:
            lc.findings.append(unexplained_finding(f, ctx, stage))
            lc.findings[-1].post = key
        lc.stopped_at = None if lc.state == "delivered" or f.last_row is None else {
            "stage": stage, "host": ctx.cells[f.last_row, "host"], "ts": ctx.cells[f.last_row, "ts"]}
        facts[key] = f
    return Diagnosis(facts, host_findings(facts, ctx), ctx.runners, ctx)


def judge(f: PostFacts, ctx: Context) -> tuple[str, str]:
    """(state, the last stage reached) from the milestones; the order of checks is the precedence."""
    e = ctx.cells
    stage = _last_stage(f)
    if f.decision_row is not None:
        kind = e[f.decision_row, "event"]
        return ("discarded" if kind.endswith("discarded") else "rejected"), stage
    recent = f.last_row is not None and ctx.end - e[f.last_row, "ts"] <= ctx.grace
    if f.handed_off:
        if f.recipients and f.outbound_known:
            if f.deferred == 0 and f.bounced == 0:
                return "delivered", stage
            if f.delivered == 0 and f.deferred == 0:
                return "failed", stage
            return ("in_flight" if recent and f.deferred else "partial"), stage
        if f.post_rows and e[f.post_rows[-1], "status"] == "failures":
            return ("in_flight" if recent else "failed"), stage
        if any(e[r, "event"] == "smtp_session_failure" and _permanent(e[r, "code"]) for r in f.failure_rows):
            return "failed", stage  # a 5xx at DATA refuses no one, so Mailman logs success (reference 2.3)
        return "delivered", stage
    if f.approved_row is not None:
        return ("in_flight" if recent else "stalled"), stage
    if f.held_row is not None:
        return "held", stage
    if f.to_mailman_row is not None and f.to_mailman_status in ("bounced", "expired"):
        return "failed", stage
    if f.to_mailman_row is not None and not ctx.mailman_logs:
        return "unknown", stage  # piped into Mailman, but no Mailman log was read from any host
    return ("in_flight" if recent else "stalled"), stage


def _permanent(code) -> bool:
    return pd.notna(code) and int(code) >= 500 and int(code) != 552


def _last_stage(f: PostFacts) -> str:
    if f.outbound_known:
        return "mta_out"
    if f.handed_off:
        return "handoff"
    if f.decision_row is not None:
        return "moderation"
    if f.approved_row is not None:
        return "approved"
    if f.held_row is not None:
        return "held"
    if f.to_mailman_row is not None:
        return "to_mailman" if f.to_mailman_status == "sent" else "mta_in"
    return "mta_in"


def host_findings(facts: dict[str, PostFacts], ctx: Context) -> list[Finding]:
    """Host-level findings: what is wrong with a host, whichever posts it touched."""
    out: list[Finding] = []
    by_code: dict[tuple[str, str], list[Finding]] = {}
    for f in facts.values():
        for x in f.lc.findings:
            by_code.setdefault((x.code, x.host), []).append(x)
    stranded = sorted(h for c, h in by_code if c == "approved-on-host-without-runner")
    for host in stranded:
        xs = by_code[("approved-on-host-without-runner", host)]
        logs = ", ".join(sorted(ctx.mailman_logs.get(host, ()))) or "none"
        text = (f"{host} has Mailman activity (logs: {logs}) but no qrunner ever ran there, and "
                f"{len(xs)} post(s) approved there stalled.")
        out.append(Finding("no-runners", host, f"{text} Fix: {FIXES['no-runners']}.",
                           [e for x in xs for e in x.evidence[-1:]]))
    out += _outage_findings(ctx, by_code)
    for (code, host), xs in sorted(by_code.items()):
        if code == "mailman-smtp-refused":
            out.append(Finding(code, host, f"{host}: Mailman's SMTP hand-off to its MTA was refused for "
                               f"{len(xs)} post(s). Fix: {FAULT_FIXES[code]}.", [x.evidence[0] for x in xs]))
    for lst, rows in sorted(ctx.lock_breaks.items()):
        host = ctx.cells[rows[0], "host"]
        out.append(Finding("stale-lock", host, f"{host}: the {lst} list lock expired and was broken "
                           f"{len(rows)} time(s), first {ctx.at(rows[0])}. Fix: {FAULT_FIXES['stale-lock']}.",
                           [ctx.src(r) for r in rows]))
    return out


def _outage_findings(ctx: Context, by_code: dict) -> list[Finding]:
    """runner-exited / runner-slice-missing per host: an outage still open at the end, or one posts hit."""
    out = []
    down = ctx.down
    if down.empty:
        return out
    for code, sliced in (("runner-exited", False), ("runner-slice-missing", True)):
        d = down[(down["slices"] > 1) == sliced]
        for host, grp in d.groupby("host"):
            hit = (code, host) in by_code
            still = grp[grp["down_until"].isna()]
            if not hit and still.empty:
                continue
            shown = still if len(still) else grp
            what = ", ".join(sorted({f"{r.runner}" + (f" slice {r.slice}/{r.slices}" if sliced else "")
                                     for r in shown.itertuples()}))
            n = len(by_code.get((code, host), []))
            text = (f"{host}: {what} went down ({shown.iloc[0]['reason']}) at "
                    f"{ctx.fmt_ts(shown['down_from'].min())}" + (" and never came back" if len(still) else "") +
                    f"; {n} post(s) stalled for it.")
            out.append(Finding(code, host, f"{text} Fix: {FAULT_FIXES[code]}.",
                               [ctx.src(int(r)) for r in shown["row"].head(3)]))
    return out


__all__ = ["Diagnosis", "Finding", "PROBLEM_STATES", "STATES", "diagnose", "judge"]
