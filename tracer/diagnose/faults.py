"""Rules for the log-visible causes of "no mail going out to list members" (Mailman FAQ 4.78).

Each rule is a pure function ``(PostFacts, Context) -> Finding | None`` with a
stable code; :data:`FAULT_RULES` is their table. The FAQ item each one comes
from is in its docstring; the fix text is in :data:`FAULT_FIXES`.
"""

from __future__ import annotations

import re

import pandas as pd

from .downtime import down_at
from .facts import PostFacts
from .rules import Context, Finding

FAULT_FIXES = {
    "runner-exited": ("start the qrunners again (`mailmanctl start`, or `service mailman restart`), read the "
                      "qrunner(pid) traceback in the error log for why it died, and check `ps auxww | grep "
                      "qrunner` shows all eight runners; stranded messages are still in the queue and go out "
                      "once the runner runs"),
    "runner-slice-missing": ("restart mailmanctl so every slice of the runner runs again (with N slices there "
                             "must be N processes, 0:N .. N-1:N); about 1/N of the queue waits for the missing one"),
    "mta-unknown-list": ("add the list's aliases to the MTA (Postfix: Mailman's data/aliases via alias_maps, "
                         "then `postalias`/`newaliases`, or `bin/genaliases`), and check virtual domains"),
    "mta-pipe-failed": ("make the MTA run the mail wrapper with the group Mailman was configured with "
                        "(`--with-mail-gid`; Red Hat accepts several), check `bin/check_perms`, and that the "
                        "wrapper path in the alias exists"),
    "mta-smrsh-refused": ("let smrsh run the wrapper: symlink it into smrsh's directory "
                          "(`ln -s /usr/lib/mailman/mail/mailman /etc/smrsh/mailman`)"),
    "mailman-smtp-refused": ("make the MTA accept Mailman's SMTP connection at SMTPHOST:SMTPPORT (default "
                             "localhost:25): is it listening on that interface, does a firewall drop loopback "
                             "traffic, does /etc/hosts define localhost; or set SMTPHOST in mm_cfg.py to an "
                             "address the MTA listens on"),
    "mailman-smtp-error": ("read the MTA's reply quoted here and fix what it objects to (content filter, "
                           "size limit, relay or sender restrictions for SMTPHOST)"),
    "shunted": ("read the exception and traceback, fix the cause, then run `bin/unshunt` to put the message "
                "back in its queue (shunted messages are deleted by cron/cull_bad_shunt after 7 days)"),
    "stale-lock": ("find why the lock holder stalled (a hung process, an NFS-shared LOCK_DIR across hosts); "
                   "a lock file in LOCK_DIR naming a dead pid or another host can be removed by hand"),
    "outbound-deferred": "the remote domains listed are not accepting mail yet; the MTA keeps retrying",
    "outbound-bounced": "the remote servers refused these recipients permanently; Mailman's bounce processing "
                        "will score them",
}

NEEDS = {  # the stalled step -> the runners that must run for the next step
    "approved": ("IncomingRunner", "OutgoingRunner"),
    "to_mailman": ("IncomingRunner", "OutgoingRunner"),
    "handoff": ("RetryRunner", "OutgoingRunner"),
}


def _fix(code: str, text: str) -> str:
    return f"{text} Fix: {FAULT_FIXES[code]}."


def _ev(ctx: Context, rows) -> list[str]:
    return [ctx.src(r) for r in rows if r is not None]


def _stalled_step(f: PostFacts) -> tuple[str, int] | None:
    """(step, row) after which the post stopped, when that step needs a runner."""
    if f.lc.state not in ("stalled", "failed") or f.decision_row is not None:
        return None
    if f.handed_off:
        return None
    if f.approved_row is not None:
        return "approved", f.approved_row
    if f.held_row is None and f.to_mailman_row is not None and f.to_mailman_status == "sent":
        return "to_mailman", f.to_mailman_row
    return None


def _runner_down(f: PostFacts, ctx: Context, sliced: bool) -> Finding | None:
    step = _stalled_step(f)
    if step is None or ctx.down.empty:
        return None
    kind, row = step
    ts, host = ctx.cells[row, "ts"], ctx.cells[row, "host"]
    if kind == "approved" and not ctx.incoming.get(host):
        return None  # the approval went to a host without runners: rules.approved_on_host_without_runner
    hosts = [host] if host in set(ctx.down["host"]) else None
    for runner in NEEDS[kind]:
        d = down_at(ctx.down, runner, ts, hosts)
        if d.empty:
            continue
        o = d.iloc[0]
        is_slice = int(o["slices"]) > 1
        if is_slice != sliced:
            continue
        code = "runner-slice-missing" if sliced else "runner-exited"
        what = f"{runner} slice {o['slice']}/{o['slices']}" if sliced else runner
        since = ctx.fmt_ts(o["down_from"])
        until = "and never came back" if pd.isna(o["down_until"]) else f"until {ctx.fmt_ts(o['down_until'])}"
        text = (f"{kind.replace('_', ' into ')} {ctx.at(row)}, but {what} on {o['host']} was down since {since} "
                f"({o['reason']}) {until}; nothing processed the post after that.")
        return Finding(code, o["host"], _fix(code, text), _ev(ctx, [row, int(o["row"])]))
    return None


def runner_exited(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 2/6: the runner the post needed had exited and was not restarted."""
    return _runner_down(f, ctx, sliced=False)


def runner_slice_missing(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 6: one slice of a sliced runner is gone; about 1/N of the posts wait for it."""
    return _runner_down(f, ctx, sliced=True)


_UNKNOWN = re.compile(r"unknown user|User unknown|user unknown", re.I)
_PIPE = re.compile(r"Command died|Command time limit|Group mismatch|temporary failure|Illegal command|"
                   r"Failure to exec", re.I)


def _into_mailman(f: PostFacts, ctx: Context) -> tuple[int, str, str] | None:
    if f.to_mailman_row is None or f.to_mailman_status == "sent":
        return None
    r = f.to_mailman_row
    return r, str(ctx.cells[r, "text"] or ""), str(ctx.cells[r, "program"] or "")


def mta_unknown_list(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 3: the MTA has no alias for the list address."""
    hit = _into_mailman(f, ctx)
    if hit is None or not _UNKNOWN.search(hit[1]):
        return None
    r = hit[0]
    text = (f"the MTA refused {ctx.cells[r, 'recipient']} {ctx.at(r)} ({hit[1]}): the list exists in "
            f"Mailman but the MTA has no alias for it.")
    return Finding("mta-unknown-list", ctx.cells[r, "host"], _fix("mta-unknown-list", text), _ev(ctx, [r]))


def _nearby(ctx: Context, host, ts, events: tuple[str, ...], secs: int = 10) -> list[int]:
    e = ctx.by_event
    rows = [r for ev in events for r in e.get(ev, ())]
    return [r for r in rows if ctx.cells[r, "host"] == host
            and abs((ctx.cells[r, "ts"] - ts).total_seconds()) <= secs]


def mta_smrsh_refused(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 4: Sendmail's smrsh will not run the Mailman wrapper."""
    hit = _into_mailman(f, ctx)
    if hit is None:
        return None
    r, text, program = hit
    e = ctx.cells
    smrsh = _nearby(ctx, e[r, "host"], e[r, "ts"], ("smrsh_refused",))
    if not (smrsh or "smrsh" in text or (program.startswith(("sendmail", "sm-")) and "unavailable" in text.lower())):
        return None
    msg = f"Sendmail could not pipe the post into Mailman {ctx.at(r)} (stat={text})" + (
        "; smrsh refused the wrapper" if smrsh or "smrsh" in text else "; smrsh is the usual cause") + "."
    return Finding("mta-smrsh-refused", e[r, "host"], _fix("mta-smrsh-refused", msg), _ev(ctx, [r] + smrsh))


def mta_pipe_failed(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 1/3: the pipe into `mailman post` failed (wrapper group mismatch, died, timed out)."""
    hit = _into_mailman(f, ctx)
    if hit is None or _UNKNOWN.search(hit[1]) or hit[2].startswith(("sendmail", "sm-")):
        return None
    r, text, _ = hit
    if not _PIPE.search(text) and not _nearby(ctx, ctx.cells[r, "host"], ctx.cells[r, "ts"], ("wrapper_error",)):
        return None
    e = ctx.cells
    wrapper = _nearby(ctx, e[r, "host"], e[r, "ts"], ("wrapper_error",))
    msg = f"the MTA's pipe into Mailman failed {ctx.at(r)}: status={e[r, 'status']} ({text[:300]})."
    return Finding("mta-pipe-failed", e[r, "host"], _fix("mta-pipe-failed", msg), _ev(ctx, [r] + wrapper))


_REFUSED = ("smtp_low_level", "smtp_refused")


def mailman_smtp_refused(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 5/10: SMTPHOST refused Mailman's connection; RetryRunner retries every 15 minutes."""
    e = ctx.cells
    fails = [r for r in f.failure_rows if e[r, "event"] in _REFUSED
             or (e[r, "event"] == "smtp_failure" and str(e[r, "code"]) == "-1")]
    if not fails:
        return None
    posts = sorted(f.post_rows, key=lambda r: e[r, "ts"])
    failed_posts = [r for r in posts if e[r, "status"] == "failures"]
    ok = [r for r in posts if e[r, "status"] == "success" and e[r, "ts"] >= e[fails[0], "ts"]]
    reason = str(e[fails[0], "text"])
    first = f"Mailman could not hand the post to the MTA {ctx.at(fails[0])} ({reason})"
    if ok:
        outcome = f"; it got through {ctx.at(ok[0])} after {len(failed_posts)} failed attempt(s)."
    else:
        last = failed_posts[-1] if failed_posts else fails[-1]
        outcome = f"; still failing at the end of the logs (last attempt {ctx.at(last)}, {len(failed_posts)} attempts)."
    ev = _ev(ctx, [fails[0]] + failed_posts[:1] + (ok[:1] if ok else failed_posts[-1:]))
    return Finding("mailman-smtp-refused", e[fails[0], "host"], _fix("mailman-smtp-refused", first + outcome),
                   list(dict.fromkeys(ev)))


def mailman_smtp_error(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 5/10: the MTA answered Mailman with an error (a 5xx at DATA still logs `success`)."""
    e = ctx.cells
    rows = [r for r in f.failure_rows if e[r, "event"] in ("smtp_session_failure", "smtp_connect_error")
            or (e[r, "event"] == "smtp_failure" and str(e[r, "code"]) not in ("-1", "<NA>"))]
    if not rows:
        return None
    r = rows[0]
    code = e[r, "code"]
    code_s = f"{code} " if pd.notna(code) else ""
    text = f"the MTA answered Mailman {ctx.at(r)} with {code_s}{e[r, 'text']}"
    if e[r, "event"] == "smtp_session_failure" and any(e[p, "status"] == "success" for p in f.post_rows):
        text += "; Mailman's post log still says success, but nothing was delivered for that chunk"
    return Finding("mailman-smtp-error", e[r, "host"], _fix("mailman-smtp-error", text + "."), _ev(ctx, rows[:3]))


def shunted(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 9: an exception in a runner moved the post to qfiles/shunt."""
    arrived = f.to_mailman_row if f.to_mailman_row is not None else f.held_row
    if arrived is None or not ctx.shunts:
        return None
    t = ctx.cells[arrived, "ts"].timestamp()
    # a post delivered later (bin/unshunt) keeps the finding only if the shunt came first
    posted = ctx.cells[f.post_rows[0], "ts"] if f.post_rows else None
    for s in ctx.shunts:
        if abs(s["epoch"] - t) <= 5 and (posted is None or s["ts"] < posted):
            exc = f" ({s['exception']})" if s["exception"] else ""
            text = (f"the runner processing it raised an exception{exc} and shunted it {s['host']} at "
                    f"{ctx.fmt_ts(s['ts'])} as {s['filebase']} (its queue-file time {s['epoch']:.0f} is when the "
                    f"post reached Mailman, {ctx.at(arrived)}).")
            return Finding("shunted", s["host"], _fix("shunted", text), _ev(ctx, [arrived] + s["rows"]))
    return None


def stale_lock(f: PostFacts, ctx: Context) -> Finding | None:
    """FAQ 7: a list lock was held until its lifetime expired, delaying the list's posts."""
    if not f.lc.list or not ctx.lock_breaks.get(f.lc.list):
        return None
    start_row = f.approved_row if f.approved_row is not None else (f.to_mailman_row if f.to_mailman_row is not None else f.held_row)
    if start_row is None or f.held_row is not None and f.approved_row is None:
        return None
    start = ctx.cells[start_row, "ts"]
    end = ctx.cells[f.smtp_rows[0], "ts"] if f.smtp_rows else (ctx.cells[f.post_rows[0], "ts"] if f.post_rows else None)
    for r in ctx.lock_breaks[f.lc.list]:
        t = ctx.cells[r, "ts"]
        if start <= t and (end is None or t <= end + pd.Timedelta(seconds=5)):
            waited = f", then went out {ctx.at(f.smtp_rows[0] if f.smtp_rows else f.post_rows[0])}" if end is not None else ""
            text = (f"the {f.lc.list} list lock was stuck: the post reached Mailman {ctx.at(start_row)} and waited "
                    f"until the lock's lifetime expired and it was broken {ctx.at(r)}{waited}.")
            return Finding("stale-lock", ctx.cells[r, "host"], _fix("stale-lock", text), _ev(ctx, [start_row, r]))
    return None


OUTBOUND_CLASSES = {"outbound-deferred": ("deferred", "SOFTBOUNCE"), "outbound-bounced": ("bounced", "expired")}


def outbound_problems(unsent: pd.DataFrame) -> dict[str, dict[str, tuple]]:
    """post -> code -> (recipients, per-domain text, host, evidence rows), for every post at once.

    ``unsent`` holds each recipient's last outbound attempt that was not ``sent``,
    in time order. One grouped pass here instead of a frame filter per post: a
    busy day has hundreds of posts with deferred recipients.
    """
    out: dict[str, dict[str, tuple]] = {}
    if unsent is None or unsent.empty:
        return out
    u = unsent.assign(domain=unsent["recipient"].astype(object).map(
        lambda r: str(r).rsplit("@", 1)[-1].lower()))
    for code, statuses in OUTBOUND_CLASSES.items():
        bad = u[u["status"].isin(list(statuses))]
        if bad.empty:
            continue
        per_dom = bad.groupby(["post", "domain"], sort=True).size()
        # plain dicts: a pandas lookup per (post, domain) costs ~40 µs, and there are thousands
        lasts = bad.drop_duplicates(["post", "domain"], keep="last")
        last = dict(zip(zip(lasts["post"], lasts["domain"]), lasts["text"]))
        parts: dict[str, list[str]] = {}
        for (post, dom), n in zip(per_dom.index, per_dom.to_numpy().tolist()):
            parts.setdefault(post, []).append(f"{dom}: {n} recipient(s), {last[(post, dom)]}")
        heads = bad.groupby("post", sort=False).head(5)
        rows = {p: [int(r) for r in g] for p, g in heads.groupby("post", sort=False)["row"]}
        firsts = bad.drop_duplicates("post")
        first_host = dict(zip(firsts["post"], firsts["host"]))
        sizes = bad["post"].value_counts().to_dict()
        for post, texts in parts.items():
            out.setdefault(post, {})[code] = (int(sizes[post]), "; ".join(texts), first_host[post], rows[post])
    return out


def _outbound(code: str, verb: str):
    def rule(f: PostFacts, ctx: Context) -> Finding | None:
        hit = (f.outbound_problems or {}).get(code)
        if hit is None:
            return None
        n, parts, host, rows = hit
        text = f"{n} of {f.recipients} recipients {verb} at the end of the logs; {parts}."
        return Finding(code, host, _fix(code, text), _ev(ctx, rows))
    rule.__name__ = code.replace("-", "_")
    rule.__doc__ = f"FAQ 13: outbound recipients {verb} (per-recipient MTA status, grouped by domain)."
    return rule


outbound_deferred = _outbound("outbound-deferred", "still deferred")
outbound_bounced = _outbound("outbound-bounced", "bounced")

FAULT_RULES = [runner_exited, runner_slice_missing, mta_unknown_list, mta_smrsh_refused, mta_pipe_failed,
               mailman_smtp_refused, mailman_smtp_error, shunted, stale_lock, outbound_deferred, outbound_bounced]
