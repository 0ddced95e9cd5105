#!/usr/bin/env python3
"""Write one synthetic busy day of a two-tier Mailman 2.1 + Postfix site.

    python benchmarks/generate.py OUTDIR --lines 5000000 [--hosts 2] [--seed 1]

OUTDIR becomes a site directory whose top-level subdirectories are hosts:

    OUTDIR/lists-be/var/log/maillog                 Postfix (+ other mail-facility daemons)
    OUTDIR/lists-be/var/log/mailman/{vette,post,smtp,smtp-failure,error,qrunner,bounce}
    OUTDIR/lists-fe/var/log/mailman/vette           web front-end(s): admindb decisions only
    OUTDIR/manifest.json                            parameters, line counts and the truth per post

``lists-be`` runs Postfix and the qrunners; ``lists-fe`` (and ``lists-fe2``...
with ``--hosts 3``...) run only the Mailman CGI, and a few posts approved
there are never seen again: the front-end's ``qfiles/in`` has no
IncomingRunner. That is the bug mmtrace exists to find.

About 95% of the maillog is list traffic: inbound posts piped to
``mailman post LIST``, Mailman's re-injection over one localhost SMTP session in
500-recipient chunks (one queue ID per chunk, the post's Message-ID,
``from=<LIST-bounces@...>``), one ``postfix/smtp`` line per recipient (~2%
deferred then sent on a retry, ~0.5% bounced 5.1.1 by addresses that are dead
all day, with non-delivery notices piped to ``mailman bounces LIST``),
moderation holds with owner and poster notices (``<mailman.N.T.P.list@host>``),
``-request`` command replies, and a handful of temporary hand-off failures that
Mailman retries. The rest is noise: spam rejects, anvil/scache statistics,
cron-mailed reports, dovecot and cron lines.

Line formats follow shared/reference/postfix-logs.md (sections 1.2, 2, 3, 4.4)
and shared/reference/mailman2-logs.md (sections 1.2, 2.1-2.5, 3.4): BSD syslog
``Aug 22 09:14:02 lists-be postfix/smtp[2211]: ...`` with a space-padded day,
Mailman ``Aug 22 09:14:05 2013 (4321) ...`` with a zero-padded day and the year.
Times are local time of a site in America/New_York (UTC-4 in August); only the
Postfix-generated Message-IDs of bounce notices carry UTC.

The generator is deterministic for a given (--lines, --hosts, --seed, --date,
--mailman) and is built for speed: recipients, delay fields and SMTP replies
come from pools built once, each chunk's delivery lines are one list
comprehension, and lines are bucketed by second and written as soon as no
later event can land before them.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import heapq
import itertools
import json
import math
import random
import sys
import time
from bisect import bisect_left, bisect_right
from pathlib import Path

GENERATOR_VERSION = 1

DOMAIN = "lists.example.edu"  # Mailman host_name and Postfix myhostname
BE = "lists-be"
BE_IP = "192.0.2.10"
WRAPPER = "/usr/lib/mailman/mail/mailman"
LOCALHOST = "localhost.localdomain[127.0.0.1]"
DAY = 86400
UTC_OFFSET_H = -4  # America/New_York in August: local = UTC - 4h
CHUNK = 500  # Mailman SMTP_MAX_RCPTS
MAXO = 900  # largest queue-wait offset (s) with precomputed delay strings
POOL_W = 256  # delay strings per offset
REPLY_W = 64  # SMTP replies per reply style
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
RUNNERS = ("ArchRunner", "BounceRunner", "CommandRunner", "IncomingRunner",
           "NewsRunner", "OutgoingRunner", "VirginRunner", "RetryRunner")

FIRST = ("james john robert michael william david richard joseph thomas charles mary patricia "
         "jennifer linda elizabeth barbara susan jessica sarah karen carol anna wei li jun "
         "hiroshi yuki mohammed fatima ali priya rahul anil sanjay olga ivan dmitri sven lars "
         "ingrid hans klaus petra maria jose carlos juan lucia pierre marie claire luca giulia "
         "marco chen ming kenji sofia emma noah liam olivia ethan ava mia").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez "
        "lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson "
        "white harris sanchez clark ramirez lewis robinson walker young allen king wright scott "
        "torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter "
        "roberts mueller schmidt schneider fischer weber meyer wagner becker rossi russo ferrari "
        "tanaka suzuki takahashi watanabe wang zhang liu chen yang huang zhao kumar singh patel "
        "sharma ivanov petrov dubois moreau laurent bernard").split()
WORDS = ("physics chem astro bio math cs ee med law econ history geo ling phil psych soc stat "
         "music arts nursing pharm vet agri ocean climate energy robotics optics quantum neuro "
         "genome cancer polymer nano materials hydro seismo atmos plasma fusion particle "
         "cosmo stellar galaxy").split()
TLDS = ("com com com org org net net edu edu de uk fr jp ca nl it ch au se es".split())
LIST_SUFFIXES = ("l announce seminar talk users grad faculty staff students news jobs "
                 "colloquium discuss alumni dev help events").split()
SUBJECTS = ("Seminar on Friday", "Call for papers: Workshop on {w}", "Re: {w} meeting notes",
            "Job opening: postdoc in {w}", "Reminder: colloquium today at 4pm", "Re: Re: {w} data",
            "Fwd: {w} funding opportunity", "=?utf-8?q?Caf=C3=A9_{w}_social?=",
            "Room change for the {w} group meeting", "Thesis defense announcement",
            "[{w}] weekly digest of events", "Question about the {w} cluster")
HOLD_REASONS_NONMEMBER = ("Post by non-member to a members-only list",)
HOLD_REASONS_MEMBER = ("Post to moderated list", "Message has implicit destination",
                       "Too many recipients to the message",
                       "Message body is too big: {size} bytes with a limit of 40 KB")


# --------------------------------------------------------------------------- formatting helpers

def pdelay(x: float) -> str:
    """A Postfix delay value: 2 significant digits, integers from 10 s (log_adhoc.c)."""
    if x >= 10:
        return str(int(x))
    if x >= 1:
        s = f"{x:.1f}"
    elif x >= 0.005:
        s = f"{x:.2f}"
    else:
        return "0"
    s = s.rstrip("0").rstrip(".")
    return s if s else "0"


def delays(a: float, b: float, c: float, d: float) -> str:
    return f"delay={pdelay(a + b + c + d)}, delays={pdelay(a)}/{pdelay(b)}/{pdelay(c)}/{pdelay(d)}"


class Site:
    """All state of one generated day; ``run()`` writes the files."""

    def __init__(self, outdir: Path, lines: int, hosts: int, seed: int, date: dt.date, mailman: str):
        self.out = outdir
        self.target = lines
        self.nhosts = max(1, hosts)
        self.fe_hosts = ["lists-fe" if i == 1 else f"lists-fe{i}" for i in range(1, self.nhosts)]
        self.rng = random.Random(seed)
        self.seed = seed
        self.date = date
        self.mm_new = mailman != "2.1.12"  # 2.1.18+/2.1.19+ vette formats
        self.mailman = mailman
        self.epoch0 = calendar.timegm(date.timetuple()) - UTC_OFFSET_H * 3600
        mon = MONTHS[date.month - 1]
        self.sys_day = f"{mon} {date.day:>2} "  # BSD syslog: space-padded day
        self.mm_day = f"{mon} {date.day:02d} "  # Mailman strftime %d: zero-padded
        self.mm_year = f" {date.year} "
        self.qids: set[str] = set()
        self.buckets: list[list[str] | None] = [[] for _ in range(DAY)]
        self.flushed = 0
        self.maillog_lines = 0
        self.mm: dict[tuple[str, str], list[tuple[float, str]]] = {}
        self.heap: list = []
        self.seq = itertools.count()
        self.truth: list[dict] = []
        self.mm_serial = itertools.count(1)
        self.scored: set[tuple[str, str]] = set()
        self.counts: dict[str, int] = {}

    # ------------------------------------------------------------------ pools

    def build_pools(self) -> None:
        rng = self.rng
        # Pids: ~100 smtp processes (default_process_limit), a few of the rest.
        self.pid_smtp = rng.sample(range(3000, 32000), 100)
        self.pid_smtpd = rng.sample(range(3000, 32000), 30)
        self.pid_cleanup = rng.sample(range(3000, 32000), 6)
        self.pid_local = rng.sample(range(3000, 32000), 5)
        self.pid_bounce = rng.sample(range(3000, 32000), 3)
        self.pid_qmgr = rng.randrange(1500, 2500)
        self.pid_pickup = rng.randrange(20000, 32000)
        self.pid_anvil = rng.randrange(20000, 32000)
        self.pid_scache = rng.randrange(20000, 32000)
        self.runner_pid = {r: 2210 + i * 3 + rng.randrange(3) for i, r in enumerate(RUNNERS)}
        self.master_pid = 2205

        # Delay strings by whole seconds spent in the active queue before delivery:
        # rows are built on first use from pools of pre-formatted a/c/d components.
        self.dpool: list[list[str] | None] = [None] * (MAXO + 1)
        self.dcomp = []
        for _ in range(509):
            a = rng.uniform(0.02, 0.35)
            reuse = rng.random() < 0.3
            c = 0.0 if reuse else rng.choice((0.0, rng.uniform(0.01, 0.6)))
            d = rng.uniform(0.04, 0.9)
            cu = f"conn_use={rng.randint(2, 40)}, " if reuse else ""
            self.dcomp.append((a + c + d, cu, pdelay(a), f"{pdelay(c)}/{pdelay(d)}, dsn=2.0.0, status=sent ("))
        self.dfrac = [rng.uniform(0.0, 0.4) for _ in range(POOL_W)]

        def rid(n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
            return "".join(rng.choice(alphabet) for _ in range(n))

        def gsmtp_id():
            return f"{rid(2, 'abcdefghijklmnopqrstuvwxyz')}{rng.randint(1, 9)}si{rng.randint(1000000, 9999999)}" \
                   f"{rid(3, 'abcdefghijklmnopqrstuvwxyz')}.{rng.randint(10, 400)}"

        mid = self.epoch0 + 12 * 3600
        self.gsmtp_id = gsmtp_id
        self.replies = {
            "google": [f"250 2.0.0 OK {mid + rng.randint(-40000, 40000)} {gsmtp_id()} - gsmtp" for _ in range(REPLY_W)],
            "yahoo": ["250 ok dirdel"] * REPLY_W,
            "hotmail": ["250  Queued mail for delivery"] * REPLY_W,
            "comcast": [f"250 2.0.0 {rid(22)} mail accepted for delivery" for _ in range(REPLY_W)],
            "aol": ["250 OK"] * REPLY_W,
            "postfix": [f"250 2.0.0 Ok: queued as {rng.getrandbits(40):X}"[:35] for _ in range(REPLY_W)],
            "sendmail": [f"250 2.0.0 r7M{rid(4)}{rng.randint(100000, 999999)}-r7M{rid(4)}{rng.randint(100000, 999999)}"
                         f" Message accepted for delivery" for _ in range(REPLY_W)],
            "exim": [f"250 OK id=1V{rid(4)}-000{rng.randint(100, 999)}{rid(2)}-{rid(2)}" for _ in range(REPLY_W)],
        }

        # Domains: (name, style, relays, client-for-inbound, weight)
        def ip(a=None):
            return f"{a or rng.randint(24, 220)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        big = [
            ("gmail.com", "google", [f"{p}gmail-smtp-in.l.google.com[173.194.{rng.randint(64, 79)}.{rng.randint(26, 27)}]:25"
                                     for p in ("", "alt1.", "alt2.", "alt3.", "alt4.")], 30),
            ("yahoo.com", "yahoo", [f"mta{n}.am0.yahoodns.net[98.138.{rng.randint(100, 120)}.{rng.randint(2, 250)}]:25"
                                    for n in range(5, 8)], 7),
            ("hotmail.com", "hotmail", [f"mx{n}.hotmail.com[65.55.{rng.randint(33, 92)}.{rng.randint(2, 250)}]:25"
                                        for n in range(1, 5)], 6),
            ("comcast.net", "comcast", [f"mx{n}.comcast.net[68.87.{rng.randint(20, 30)}.{rng.randint(2, 250)}]:25"
                                        for n in range(1, 3)], 3),
            ("aol.com", "aol", [f"mailin-0{n}.mx.aol.com[64.12.{rng.randint(88, 91)}.{rng.randint(2, 250)}]:25"
                                for n in range(1, 5)], 2),
            ("example.edu", "postfix", ["mx1.example.edu[192.0.2.25]:25", "mx2.example.edu[192.0.2.26]:25"], 18),
        ]
        domains = []
        for name, style, relays, w in big:
            domains.append((name, style, relays, w))
        for dept in rng.sample(WORDS, 12):
            domains.append((f"{dept}.example.edu", "postfix", [f"mail.{dept}.example.edu[192.0.2.{rng.randint(30, 90)}]:25"], 0.6))
        for _ in range(400):
            d = f"{rng.choice(WORDS)}{rng.choice(('', 'lab', 'inst', 'uni', 'net', 'corp', str(rng.randint(1, 99))))}" \
                f".example.{rng.choice(TLDS)}"
            style = rng.choice(("postfix", "postfix", "sendmail", "exim"))
            host = rng.choice(("mx", "mail", "smtp", "mx1", "mailgw"))
            domains.append((d, style, [f"{host}.{d}[{ip()}]:25"], 0.07))
        seen = set()
        domains = [d for d in domains if not (d[0] in seen or seen.add(d[0]))]
        self.domains = domains

        # Member pool: every address knows its delivery prefix and reply pool.
        P = max(60000, min(120000, self.target // 40))
        dweights = [d[3] for d in domains]
        picks = rng.choices(range(len(domains)), weights=dweights, k=P)
        addrs, used = [], set()
        for di in picks:
            dom = domains[di][0]
            f, l = rng.choice(FIRST), rng.choice(LAST)
            pat = rng.randrange(6)
            local = (f"{f}.{l}", f"{f[0]}{l}", f"{f}{l[0]}{rng.randint(1, 99)}", f"{l}{rng.randint(1, 999)}",
                     f"{f}_{l}", f"{f}{rng.randint(60, 99)}")[pat]
            a = f"{local}@{dom}"
            while a in used:
                a = f"{local}{rng.randint(1, 9999)}@{dom}"
            used.add(a)
            addrs.append(a)
        self.addr = addrs
        self.tld = [a.rsplit(".", 1)[1] for a in addrs]
        self.dom_of = picks
        self.relay = [rng.choice(domains[di][2]) for di in picks]
        self.mprefix = [f"to=<{a}>, relay={r}, " for a, r in zip(addrs, self.relay)]
        self.rpool = [self.replies[domains[di][1]] for di in picks]
        self.dead = set(rng.sample(range(P), P // 200))  # ~0.5%: bounce 5.1.1 all day

        # Lists: 200..20000 members, log-uniform, chunkified by TLD like Mailman.
        nlists = 140
        names = set()
        self.lists = []
        sizes = [200, 20000] + [int(math.exp(rng.uniform(math.log(200), math.log(20000)))) for _ in range(nlists - 2)]
        for size in sizes:
            while True:
                name = f"{rng.choice(WORDS)}-{rng.choice(LIST_SUFFIXES)}"
                if name not in names:
                    names.add(name)
                    break
            real = "-".join(p.upper() if len(p) <= 2 else p.capitalize() for p in name.split("-"))
            start = rng.randrange(P)
            members = [(start + k) % P for k in range(size)]
            members.sort(key=self.tld.__getitem__)  # Mailman chunkify(): by TLD
            owners = rng.sample(members, rng.randint(1, 3))
            self.lists.append({
                "name": name, "real": real, "size": size, "members": members,
                "mp": [self.mprefix[m] for m in members], "rp": [self.rpool[m] for m in members],
                "deadpos": [i for i, m in enumerate(members) if m in self.dead],
                "owners": owners,
                # small lists post more often than big announcement lists
                "weight": rng.lognormvariate(0, 0.7) / math.sqrt(size),
            })

    # ------------------------------------------------------------------ primitives

    def qid(self) -> str:
        while True:
            q = f"{self.rng.getrandbits(20):05X}{self.rng.randrange(0x10000, 0x1000000):X}"
            if q not in self.qids:
                self.qids.add(q)
                return q

    def put(self, t: float, line: str) -> None:
        s = int(t)
        if s >= DAY:
            return  # belongs to tomorrow's log
        if s < self.flushed:
            s = self.flushed
        self.buckets[s].append(line)

    def mmlog(self, host: str, log: str, t: float, pid: int, text: str) -> None:
        if t >= DAY:
            return
        self.mm.setdefault((host, log), []).append((t, f"({pid}) {text}"))

    def schedule(self, t: float, fn, *args) -> None:
        if t < DAY:
            heapq.heappush(self.heap, (t, next(self.seq), fn, args))

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def mailman_id(self, t: float, pid: int, lst: dict) -> str:
        return f"<mailman.{next(self.mm_serial)}.{self.epoch0 + int(t)}.{pid}.{lst['name']}@{DOMAIN}>"

    def utc_stamp(self, t: float) -> str:
        when = dt.datetime(self.date.year, self.date.month, self.date.day) + dt.timedelta(seconds=int(t) - UTC_OFFSET_H * 3600)
        return when.strftime("%Y%m%d%H%M%S")

    def flush(self, upto: int, out) -> None:
        upto = min(upto, DAY)
        pfx_base = self.sys_day
        for s in range(self.flushed, upto):
            b = self.buckets[s]
            if b:
                pfx = f"{pfx_base}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d} {BE} "
                out.write(pfx + ("\n" + pfx).join(b) + "\n")
                self.maillog_lines += len(b)
            self.buckets[s] = None
        self.flushed = max(self.flushed, upto)

    # ------------------------------------------------------------------ Postfix pieces

    def pid(self, pool: list[int]) -> int:
        return pool[self.rng.randrange(len(pool))]

    def inbound(self, t: float, sender_m: int, rcpt: str, msgid: str, size: int, command: str) -> float:
        """A remote client hands a message to a list address; local(8) pipes it to Mailman.

        Returns the time of the local delivery.
        """
        rng = self.rng
        q = self.qid()
        client = self.client_of(sender_m)
        spid = self.pid(self.pid_smtpd)
        self.put(t, f"postfix/smtpd[{spid}]: connect from {client}")
        self.put(t, f"postfix/smtpd[{spid}]: {q}: client={client}")
        t1 = t + rng.uniform(0.1, 1.5)
        self.put(t1, f"postfix/cleanup[{self.pid(self.pid_cleanup)}]: {q}: message-id={msgid}")
        self.put(t1, f"postfix/qmgr[{self.pid_qmgr}]: {q}: from=<{self.addr[sender_m]}>, size={size}, nrcpt=1 (queue active)")
        self.put(t1 + 0.1, f"postfix/smtpd[{spid}]: disconnect from {client}")
        a, c, d = t1 - t + rng.uniform(0.05, 0.3), 0.0, rng.uniform(0.05, 0.8)
        b = rng.choice((0.0, 0.01, rng.uniform(0.0, 0.2)))
        t2 = t + a + b + d
        self.put(t2, f"postfix/local[{self.pid(self.pid_local)}]: {q}: to=<{rcpt}@{DOMAIN}>, relay=local, "
                     f"{delays(a, b, c, d)}, dsn=2.0.0, status=sent (delivered to command: {WRAPPER} {command})")
        self.put(t2, f"postfix/qmgr[{self.pid_qmgr}]: {q}: removed")
        return t2

    def client_of(self, m: int) -> str:
        name, style = self.domains[self.dom_of[m]][:2]
        h = hash((m, 7)) & 0xFFFF
        if style == "google":
            return f"mail-{'pqvwy'[h % 5]}{'abe'[h % 3]}0-f{h % 200 + 20}.google.com[209.85.{h % 40 + 192}.{h % 250 + 2}]"
        if style == "yahoo":
            return f"nm{h % 40 + 1}-vm{h % 8}.bullet.mail.ne1.yahoo.com[98.138.{h % 100 + 80}.{h % 250 + 2}]"
        if style == "hotmail":
            return f"blu0-omc{h % 4 + 1}s{h % 40 + 1}.blu0.hotmail.com[65.55.116.{h % 100 + 10}]"
        relay = self.relay[m]
        return relay[: relay.rindex(":")] if relay.endswith(":25") else relay

    def local_session(self, t: float):
        spid = self.pid(self.pid_smtpd)
        self.put(t, f"postfix/smtpd[{spid}]: connect from {LOCALHOST}")
        return spid

    def send(self, t0: float, msgid: str, envsender: str, mps: list[str], rps: list[list[str]],
             deadpos: list[int], size: int, *, rate: float, mm_time: float | None = None,
             refuse: tuple[int, str] | None = None) -> dict:
        """Mailman's SMTPDirect hand-off over one localhost session, then Postfix fan-out.

        ``mps``/``rps`` are the recipients' ``to=<..>, relay=.., `` prefixes and reply
        pools; ``refuse`` = (index, address) of one recipient smtpd rejects with 450.
        Returns recipient statistics for the truth table.
        """
        rng = self.rng
        n = len(mps)
        nchunks = max(1, -(-n // CHUNK))
        total = mm_time if mm_time is not None else 0.05 + n * 0.0004 + nchunks * 0.06
        spid = self.local_session(t0)
        cdt = total / nchunks
        stats = {"recipients": n, "sent": 0, "bounced": 0, "deferred_end": 0, "refused": 0, "queue_ids": []}
        frm = f"from=<{envsender}>"
        t_end = t0 + total
        last_any = t0
        for j in range(nchunks):
            lo, hi = j * CHUNK, min(n, (j + 1) * CHUNK)
            arr = t0 + j * cdt + rng.uniform(0.01, 0.05)
            q = self.qid()
            stats["queue_ids"].append(q)
            self.put(arr, f"postfix/smtpd[{spid}]: {q}: client={LOCALHOST}")
            nr = hi - lo
            ref_i = -1
            if refuse is not None and lo <= refuse[0] < hi:
                ref_i = refuse[0] - lo
                raddr = refuse[1]
                self.put(arr, f"postfix/smtpd[{spid}]: {q}: reject: RCPT from {LOCALHOST}: 450 4.1.2 <{raddr}>: "
                              f"Recipient address rejected: Domain not found; {frm} to=<{raddr}> proto=ESMTP "
                              f"helo=<{DOMAIN}>")
                nr -= 1
                stats["refused"] += 1
            self.put(arr, f"postfix/cleanup[{self.pid(self.pid_cleanup)}]: {q}: message-id={msgid}")
            self.put(arr, f"postfix/qmgr[{self.pid_qmgr}]: {q}: {frm}, size={size}, nrcpt={nr} (queue active)")

            # One delivery line per recipient; delivery i happens at max(arrival, t0 + g/rate).
            pids = rng.sample(self.pid_smtp, 20)
            heads = [f"postfix/smtp[{p}]: {q}: " for p in pids]
            k0 = rng.randrange(REPLY_W)
            # second-by-second segments: (second, first index, end index, queue-wait offset)
            segs = []
            i = 0
            while i < hi - lo:
                tt = max(arr + 0.2, t0 + (lo + i) / rate)
                sec = int(tt)
                iend = min(hi - lo, max(i + 1, math.ceil((sec + 1 - t0) * rate - lo)))
                segs.append((sec, i, iend, min(MAXO, int(tt - arr))))
                i = iend
            dls: list[str] = []
            for sec, a_, b_, o in segs:
                row = self.dpool[o] or self.delay_row(o)
                k = rng.randrange(POOL_W - (b_ - a_)) if b_ - a_ < POOL_W else 0
                dls += row[k:k + (b_ - a_)] if b_ - a_ <= POOL_W else (row * (1 + (b_ - a_) // POOL_W))[: b_ - a_]
            cyc = heads * (1 + (hi - lo) // 20)
            lines = [f"{h}{mp}{dl}{rp[(i + k0) & 63]})"
                     for i, h, mp, rp, dl in zip(range(hi - lo), cyc, mps[lo:hi], rps[lo:hi], dls)]

            # Specials: dead addresses bounce, ~2% deferred, the refused one is not delivered.
            dead = [p - lo for p in deadpos[bisect_left(deadpos, lo):bisect_left(deadpos, hi)]]
            ndef = max(0, int(round(rng.gauss((hi - lo) * 0.02, math.sqrt((hi - lo) * 0.02)))))
            deferred = [x for x in rng.sample(range(hi - lo), min(hi - lo, ndef)) if x not in dead and x != ref_i]
            starts = [sg[1] for sg in segs]
            bounced_addrs = []
            for x in dead:
                if x == ref_i:
                    continue
                o = segs[bisect_right(starts, x) - 1][3]
                lines[x] = heads[x % 20] + self.bounce_text(mps[lo + x], rps[lo + x], o)
                bounced_addrs.append(mps[lo + x][4:mps[lo + x].index(">")])
            for x in deferred:
                o = segs[bisect_right(starts, x) - 1][3]
                lines[x] = heads[x % 20] + self.defer_text(mps[lo + x], rps[lo + x], o)
            last = arr
            for sec, a_, b_, o in segs:
                if sec >= DAY:
                    break
                chunk_lines = lines[a_:b_] if not (a_ <= ref_i < b_) else \
                    [ln for x, ln in enumerate(lines[a_:b_], a_) if x != ref_i]
                s = max(sec, self.flushed)
                self.buckets[s].extend(chunk_lines)
                last = max(last, sec)
            stats["bounced"] += len(bounced_addrs)
            stats["sent"] += nr - len(bounced_addrs) - len(deferred)
            last_any = max(last_any, last)
            if bounced_addrs:
                self.ndr(last + 0.5, q, envsender, bounced_addrs)
            if deferred:
                self.schedule(last + rng.uniform(300, 1500), self.retry, q, envsender, size,
                              [(mps[lo + x], rps[lo + x]) for x in deferred], arr, nr, stats)
                stats["deferred_end"] += len(deferred)
            else:
                self.put(last + 0.6, f"postfix/qmgr[{self.pid_qmgr}]: {q}: removed")
        self.put(t_end, f"postfix/smtpd[{spid}]: disconnect from {LOCALHOST}")
        stats["t_end"] = t_end
        stats["last_delivery"] = last_any
        return stats

    def delay_row(self, o: int) -> list[str]:
        comps, fr = self.dcomp, self.dfrac
        row = []
        for k in range(POOL_W):
            acd, cu, a_s, cd_s = comps[(k * 7 + o * 13) % len(comps)]
            b = o + fr[k]
            row.append(f"{cu}delay={pdelay(acd + b)}, delays={a_s}/{pdelay(b)}/{cd_s}")
        self.dpool[o] = row
        return row

    def bounce_text(self, mp: str, rp: list[str], o: int) -> str:
        rng = self.rng
        addr = mp[4:mp.index(">")]
        relay = mp[mp.index("relay=") + 6:-2]
        host = relay[: relay.rindex(":")]
        a, b, c, d = rng.uniform(0.02, 0.3), o + rng.uniform(0, 0.4), rng.uniform(0.02, 0.5), rng.uniform(0.01, 0.2)
        if rp is self.replies["google"]:
            text = (f"host {host} said: 550-5.1.1 The email account that you tried to reach does not exist. Please try "
                    f"550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. "
                    f"Learn more at 550 5.1.1 http://support.google.com/mail/bin/answer.py?answer=6596 "
                    f"{self.gsmtp_id()} - gsmtp (in reply to RCPT TO command)")
        elif rp is self.replies["sendmail"]:
            text = f"host {host} said: 550 5.1.1 <{addr}>... User unknown (in reply to RCPT TO command)"
        else:
            text = (f"host {host} said: 550 5.1.1 <{addr}>: Recipient address rejected: User unknown in local "
                    f"recipient table (in reply to RCPT TO command)")
        return f"{mp}{delays(a, b, c, d)}, dsn=5.1.1, status=bounced ({text})"

    def defer_text(self, mp: str, rp: list[str], o: int) -> str:
        rng = self.rng
        addr = mp[4:mp.index(">")]
        relay = mp[mp.index("relay=") + 6:-2]
        host = relay[: relay.rindex(":")]
        a, b, c, d = rng.uniform(0.02, 0.3), o + rng.uniform(0, 0.4), rng.uniform(0.02, 0.5), rng.uniform(0.01, 0.2)
        kind = rng.random()
        if rp is self.replies["google"]:
            return (f"{mp}{delays(a, b, c, d)}, dsn=4.2.1, status=deferred (host {host} said: 450-4.2.1 The user you "
                    f"are trying to contact is receiving mail at a rate that 450-4.2.1 prevents additional messages "
                    f"from being delivered. Please resend your 450-4.2.1 message at a later time. If the user is able "
                    f"to receive mail at that 450-4.2.1 time, your message will be delivered. For more information, "
                    f"please 450-4.2.1 visit 450 4.2.1 http://support.google.com/mail/bin/answer.py?answer=6592 "
                    f"{self.gsmtp_id()} - gsmtp (in reply to RCPT TO command))")
        if rp is self.replies["yahoo"]:
            return (f"{mp}{delays(a, b, c, d)}, dsn=4.7.0, status=deferred (host {host} said: 421 4.7.0 [TS01] "
                    f"Messages from {BE_IP} temporarily deferred due to user complaints - 4.16.55.1; see "
                    f"http://postmaster.yahoo.com/421-ts01.html (in reply to MAIL FROM command))")
        if kind < 0.25 or rp is not self.replies["postfix"] and rp is not self.replies["sendmail"] \
                and rp is not self.replies["exim"] and kind < 0.6:
            # no connection: relay=none
            pre = mp[: mp.index("relay=")]
            c = 30.0
            return (f"{pre}relay=none, {delays(a, b, c, 0.0)}, dsn=4.4.1, status=deferred "
                    f"(connect to {relay}: Connection timed out)")
        dom = addr.rsplit("@", 1)[1]
        if rp is not self.replies["postfix"] and rp is not self.replies["sendmail"] and rp is not self.replies["exim"]:
            return (f"{mp}{delays(a, b, c, d)}, dsn=4.7.0, status=deferred (host {host} said: 421 4.7.0 Try again "
                    f"later, closing connection. (in reply to end of DATA command))")
        return (f"{mp}{delays(a, b, c, d)}, dsn=4.7.1, status=deferred (host {host} said: 450 4.7.1 <{addr}>: "
                f"Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{dom}.html "
                f"(in reply to RCPT TO command))")

    def retry(self, t: float, q: str, envsender: str, size: int, recips: list, arr: float, nrcpt: int, stats: dict) -> None:
        """qmgr brings the deferred chunk back; its deferred recipients are now accepted."""
        rng = self.rng
        self.put(t, f"postfix/qmgr[{self.pid_qmgr}]: {q}: from=<{envsender}>, size={size}, nrcpt={nrcpt} (queue active)")
        tt = t
        for mp, rp in recips:
            tt += rng.uniform(0.0, 0.3)
            c, d = rng.uniform(0.02, 0.5), rng.uniform(0.05, 0.9)
            b = rng.uniform(0.0, 0.05)
            a = (tt - arr)
            self.put(tt + c + d, f"postfix/smtp[{self.pid(self.pid_smtp)}]: {q}: {mp}{delays(a, b, c, d)}, dsn=2.0.0, "
                                 f"status=sent ({rp[rng.randrange(REPLY_W)]})")
        self.put(tt + 1.5, f"postfix/qmgr[{self.pid_qmgr}]: {q}: removed")
        if tt + 1.5 < DAY:
            stats["deferred_end"] -= len(recips)
            stats["sent"] += len(recips)

    def ndr(self, t: float, orig: str, envsender: str, addrs: list[str]) -> None:
        """bounce(8) notifies the list's -bounces address; Mailman's BounceRunner scores it."""
        rng = self.rng
        nq = self.qid()
        lst = envsender.split("-bounces@")[0]
        self.put(t, f"postfix/cleanup[{self.pid(self.pid_cleanup)}]: {nq}: message-id=<{self.utc_stamp(t)}.{nq}@{DOMAIN}>")
        self.put(t, f"postfix/bounce[{self.pid(self.pid_bounce)}]: {orig}: sender non-delivery notification: {nq}")
        self.put(t, f"postfix/qmgr[{self.pid_qmgr}]: {nq}: from=<>, size={rng.randint(3500, 9000)}, nrcpt=1 (queue active)")
        a, d = rng.uniform(0.01, 0.05), rng.uniform(0.1, 0.6)
        self.put(t + a + d, f"postfix/local[{self.pid(self.pid_local)}]: {nq}: to=<{envsender}>, relay=local, "
                            f"{delays(a, 0.0, 0.0, d)}, dsn=2.0.0, status=sent (delivered to command: {WRAPPER} bounces {lst})")
        self.put(t + a + d, f"postfix/qmgr[{self.pid_qmgr}]: {nq}: removed")
        tb = t + rng.uniform(1, 30)
        bpid = self.runner_pid["BounceRunner"]
        for addr in addrs:
            if (lst, addr) in self.scored:
                self.mmlog(BE, "bounce", tb, bpid, f"{lst}: {addr} already scored a bounce for date "
                                                   f"{self.date.strftime('%d-%b-%Y')}")
            else:
                self.scored.add((lst, addr))
                self.mmlog(BE, "bounce", tb, bpid, f"{lst}: {addr} bounce score: {rng.choice((1.0, 2.0, 3.0, 4.0))}")
        self.count("ndr")

    def notice(self, t: float, lst: dict, msgid: str, envsender: str, recips: list[int], local_owner: bool = False) -> float:
        """A small Mailman-generated message (owner/poster notice, command reply)."""
        rng = self.rng
        opid = self.runner_pid["OutgoingRunner"]
        if local_owner:
            # to LIST-owner@: local(8) pipes it to `mailman owner LIST`, which re-sends to the owners
            q = self.qid()
            spid = self.local_session(t)
            self.put(t, f"postfix/smtpd[{spid}]: {q}: client={LOCALHOST}")
            self.put(t, f"postfix/cleanup[{self.pid(self.pid_cleanup)}]: {q}: message-id={msgid}")
            size = rng.randint(2500, 6000)
            self.put(t, f"postfix/qmgr[{self.pid_qmgr}]: {q}: from=<{envsender}>, size={size}, nrcpt=1 (queue active)")
            dur = rng.uniform(0.01, 0.06)
            self.put(t + dur, f"postfix/smtpd[{spid}]: disconnect from {LOCALHOST}")
            self.mmlog(BE, "smtp", t + dur, opid, f"{msgid} smtp to {lst['name']} for 1 recips, completed in {dur:.3f} seconds")
            a, d = rng.uniform(0.02, 0.2), rng.uniform(0.05, 0.4)
            tl = t + a + d
            self.put(tl, f"postfix/local[{self.pid(self.pid_local)}]: {q}: to=<{lst['name']}-owner@{DOMAIN}>, relay=local, "
                         f"{delays(a, 0.0, 0.0, d)}, dsn=2.0.0, status=sent (delivered to command: {WRAPPER} owner {lst['name']})")
            self.put(tl, f"postfix/qmgr[{self.pid_qmgr}]: {q}: removed")
            t = tl + rng.uniform(1, 3)
            envsender = f"mailman-bounces@{DOMAIN}"
        mps = [self.mprefix[m] for m in recips]
        rps = [self.rpool[m] for m in recips]
        deadpos = [i for i, m in enumerate(recips) if m in self.dead]
        dur = rng.uniform(0.01, 0.08)
        self.send(t, msgid, envsender, mps, rps, deadpos, rng.randint(2500, 6000), rate=50.0, mm_time=dur)
        self.mmlog(BE, "smtp", t + dur, opid, f"{msgid} smtp to {lst['name']} for {len(recips)} recips, completed in {dur:.3f} seconds")
        self.count("notices")
        return t + dur

    # ------------------------------------------------------------------ list posts

    def new_msgid(self, t: float, sender_m: int) -> str:
        rng = self.rng
        dom = self.addr[sender_m].rsplit("@", 1)[1]
        style = self.domains[self.dom_of[sender_m]][1]
        if style == "google":
            body = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=")
                           for _ in range(rng.choice((40, 42, 44))))
            return f"<CA{body}@mail.gmail.com>"
        r = rng.random()
        if r < 0.4:
            return f"<{self.epoch0 + int(t):08X}.{rng.randint(1000000, 9999999)}@{dom}>"  # Thunderbird
        if r < 0.7:
            return f"<{rng.getrandbits(128):032X}@EXCH-MBX0{rng.randint(1, 4)}.{dom}>"  # Exchange
        u = f"{rng.getrandbits(128):032X}"
        return f"<{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}@{dom}>"  # Apple Mail

    def post(self, t: float, p: dict) -> None:
        """A post arrives for a list; its fate is decided up front (p['fate'])."""
        rng = self.rng
        lst = p["list"]
        t2 = self.inbound(t, p["sender"], lst["name"], p["msgid"], p["size"], f"post {lst['name']}")
        tm = t2 + rng.uniform(0.5, 3.0)
        fate = p["fate"]
        ipid = self.runner_pid["IncomingRunner"]
        truth = p["truth"]
        if fate == "shunt":
            self.mmlog(BE, "error", tm, ipid, "Uncaught runner exception: 'NoneType' object has no attribute 'lower'")
            self.mmlog(BE, "error", tm, ipid, "Traceback (most recent call last):\n"
                       '  File "/usr/lib/mailman/Mailman/Queue/Runner.py", line 120, in _oneloop\n'
                       "    self._onefile(msg, msgdata)\n"
                       '  File "/usr/lib/mailman/Mailman/Queue/Runner.py", line 191, in _onefile\n'
                       "    keepqueued = self._dispose(mlist, msg, msgdata)\n"
                       '  File "/usr/lib/mailman/Mailman/Queue/IncomingRunner.py", line 130, in _dispose\n'
                       "    more = self._dopipeline(mlist, msg, msgdata, pipeline)\n"
                       '  File "/usr/lib/mailman/Mailman/Queue/IncomingRunner.py", line 153, in _dopipeline\n'
                       "    sys.modules[modname].process(mlist, msg, msgdata)\n"
                       '  File "/usr/lib/mailman/Mailman/Handlers/CookHeaders.py", line 251, in process\n'
                       "    if h.lower() in ('list-id', 'list-post'):\n"
                       "AttributeError: 'NoneType' object has no attribute 'lower'\n")
            fb = f"{self.epoch0 + tm:.6f}+{rng.getrandbits(160):040x}"
            self.mmlog(BE, "error", tm, ipid, f"SHUNTING: {fb}")
            truth["outcome"] = "shunted"
            return
        if fate == "autodiscard":
            if self.mm_new:
                self.mmlog(BE, "vette", tm, ipid, f"Message discarded, msgid: {p['msgid']}'\n        list: {lst['real']},\n"
                                                  f"        handler: Moderate")
            else:
                self.mmlog(BE, "vette", tm, ipid, f"Message discarded, msgid: {p['msgid']}")
            truth["outcome"] = "auto-discarded"
            return
        if fate.startswith("held"):
            self.hold(tm, p)
            return
        self.deliver(tm, p)

    def deliver(self, t: float, p: dict) -> None:
        rng = self.rng
        lst = p["list"]
        truth = p["truth"]
        refuse = None
        if p.get("refuse"):
            # a small organisation's domain whose DNS is briefly broken, not gmail.com
            for _ in range(50):
                i = rng.randrange(lst["size"])
                m = lst["members"][i]
                if self.domains[self.dom_of[m]][0].count(".") >= 2 and self.domains[self.dom_of[m]][1] != "google":
                    break
            refuse = (i, self.addr[m])
        mm_size = p["size"] + rng.randint(400, 900)
        pf_size = mm_size + rng.randint(250, 600)
        sender = f"{lst['name']}-bounces@{DOMAIN}"
        st = self.send(t, p["msgid"], sender, lst["mp"], lst["rp"], lst["deadpos"], pf_size,
                       rate=rng.uniform(90, 220), refuse=refuse)
        opid = self.runner_pid["OutgoingRunner"]
        te = st["t_end"]
        self.mmlog(BE, "smtp", te, opid, f"{p['msgid']} smtp to {lst['name']} for {lst['size']} recips, "
                                         f"completed in {te - t:.3f} seconds")
        saddr = self.addr[p["sender"]]
        if refuse:
            self.mmlog(BE, "post", te, opid, f"post to {lst['name']} from {saddr}, size={mm_size}, "
                                             f"message-id={p['msgid']}, 1 failures")
            self.mmlog(BE, "smtp-failure", te, opid, f"delivery to {refuse[1]} failed with code 450: 4.1.2 "
                                                     f"<{refuse[1]}>: Recipient address rejected: Domain not found")
            self.schedule(te + rng.uniform(900, 1100), self.mm_retry, p, refuse[0], mm_size, pf_size)
            truth["refused_first"] = refuse[1]
        else:
            self.mmlog(BE, "post", te, opid, f"post to {lst['name']} from {saddr}, size={mm_size}, "
                                             f"message-id={p['msgid']}, success")
        truth.update({k: st[k] for k in ("recipients", "sent", "bounced", "refused")})
        truth["queue_ids"] = st["queue_ids"]
        truth["stats"] = st
        truth.setdefault("outcome", "delivered")
        truth["handoff"] = round(t, 3)
        self.count("fanouts")

    def mm_retry(self, t: float, p: dict, idx: int, mm_size: int, pf_size: int) -> None:
        """RetryRunner puts the refused recipient back into out; this time Postfix takes it."""
        lst = p["list"]
        m = lst["members"][idx]
        dur = self.rng.uniform(0.02, 0.09)
        self.send(t, p["msgid"], f"{lst['name']}-bounces@{DOMAIN}", [self.mprefix[m]], [self.rpool[m]],
                  [0] if m in self.dead else [], pf_size, rate=50.0, mm_time=dur)
        opid = self.runner_pid["OutgoingRunner"]
        self.mmlog(BE, "smtp", t + dur, opid, f"{p['msgid']} smtp to {lst['name']} for 1 recips, completed in {dur:.3f} seconds")
        self.mmlog(BE, "post", t + dur, opid, f"post to {lst['name']} from {self.addr[p['sender']]}, size={mm_size}, "
                                              f"message-id={p['msgid']}, success")
        p["truth"]["refused"] = 0

    def hold(self, t: float, p: dict) -> None:
        rng = self.rng
        lst = p["list"]
        ipid = self.runner_pid["IncomingRunner"]
        saddr = self.addr[p["sender"]]
        self.mmlog(BE, "vette", t, ipid, f"{lst['real']} post from {saddr} held, message-id={p['msgid']}: {p['reason']}")
        # poster notice, then owner notice (Hold.py order), each with a Mailman Message-ID
        tn = self.notice(t + rng.uniform(0.5, 2), lst, self.mailman_id(t, ipid, lst), f"{lst['name']}-bounces@{DOMAIN}",
                         [p["sender"]])
        self.notice(tn + rng.uniform(0.2, 1.5), lst, self.mailman_id(t, ipid, lst), f"{lst['name']}-bounces@{DOMAIN}",
                    lst["owners"], local_owner=True)
        truth = p["truth"]
        truth["outcome"] = "held"
        truth["held_at"] = round(t, 3)
        fate = p["fate"]
        if fate == "held-never":
            return
        ta = t + rng.uniform(300, 4 * 3600)
        self.schedule(ta, self.moderate, p)

    def moderate(self, t: float, p: dict) -> None:
        rng = self.rng
        lst = p["list"]
        fate = p["fate"]
        truth = p["truth"]
        host = p["mod_host"]
        pid = rng.randint(5000, 32000) if host != BE or rng.random() < 0.4 else self.runner_pid["CommandRunner"]
        truth["moderated_on"] = host
        truth["moderated_at"] = round(t, 3)
        if fate in ("held-approve", "held-approve-fe"):
            msg = f"held message approved, message-id: {p['msgid']}"
            self.mmlog(host, "vette", t, pid, f"{lst['name']}: {msg}" if self.mm_new else msg)
            if host == BE:
                truth["outcome"] = "approved"
                self.deliver(t + rng.uniform(1, 4), p)
                truth["outcome"] = "approved-delivered"
            else:
                truth["outcome"] = "approved-vanished"  # the front-end's qfiles/in is never read
            return
        saddr = self.addr[p["sender"]]
        if fate == "held-discard":
            self.mmlog(host, "vette", t, pid, f"{lst['name']}: Discarded posting:\n\tFrom: {saddr}\n\tSubject: {p['subject']}"
                                              f"\n\tReason: Non-members are not allowed to post messages to this list.")
            truth["outcome"] = "moderator-discarded"
        else:  # held-reject
            self.mmlog(host, "vette", t, pid, f"{lst['name']}: Refused posting:\n\tFrom: {saddr}\n\tSubject: {p['subject']}"
                                              f"\n\tReason: Your message was deemed inappropriate by the moderator.")
            truth["outcome"] = "moderator-rejected"
            if host == BE:
                self.notice(t + rng.uniform(1, 3), lst, self.mailman_id(t, pid, lst),
                            f"{lst['name']}-bounces@{DOMAIN}", [p["sender"]])

    def request(self, t: float, lst: dict, m: int) -> None:
        """mail to LIST-request: CommandRunner answers the member."""
        rng = self.rng
        msgid = self.new_msgid(t, m)
        t2 = self.inbound(t, m, f"{lst['name']}-request", msgid, rng.randint(1500, 4000), f"request {lst['name']}")
        cpid = self.runner_pid["CommandRunner"]
        self.notice(t2 + rng.uniform(1, 3), lst, self.mailman_id(t2, cpid, lst), f"{lst['name']}-bounces@{DOMAIN}", [m])
        self.count("requests")

    # ------------------------------------------------------------------ noise

    def spam(self, t: float) -> None:
        rng = self.rng
        ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        name = "unknown" if rng.random() < 0.6 else f"{rng.choice(('dsl', 'ppp', 'host', 'static', 'cpe'))}-" \
                                                    f"{ip.replace('.', '-')}.{rng.choice(('example.net', 'example.com', 'isp.example.org'))}"
        client = f"{name}[{ip}]"
        spid = self.pid(self.pid_smtpd)
        lst = rng.choice(self.lists)
        rcpt = f"{lst['name']}@{DOMAIN}" if rng.random() < 0.7 else f"{rng.choice(FIRST)}{rng.randint(1, 99)}@{DOMAIN}"
        frm = f"{rng.choice(FIRST)}{rng.randint(1, 9999)}@{rng.choice(('example.ru', 'example.cn', 'example.biz', 'mail.example.info'))}"
        helo = rng.choice((name if name != "unknown" else ip, "localhost", "WIN-9QL4SDRB93L", f"[{ip}]", "user"))
        self.put(t, f"postfix/smtpd[{spid}]: connect from {client}")
        r = rng.random()
        if r < 0.5:
            reply = (f"554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
                     f"http://www.spamhaus.org/query/bl?ip={ip}")
        elif r < 0.7:
            reply = f"450 4.7.1 Client host rejected: cannot find your hostname, [{ip}]"
        elif r < 0.9:
            rcpt = f"{rng.choice(FIRST)}.{rng.choice(LAST)}@{DOMAIN}"
            reply = f"550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table"
        else:
            rcpt = f"{rng.choice(FIRST)}@{rng.choice(('example.com', 'example.net', 'example.org'))}"
            reply = f"554 5.7.1 <{rcpt}>: Relay access denied"
        if name != "unknown" and rng.random() < 0.3:
            self.put(t, f"postfix/smtpd[{spid}]: warning: hostname {name} does not resolve to address {ip}: "
                        f"Name or service not known")
        t1 = t + rng.uniform(0.2, 3)
        self.put(t1, f"postfix/smtpd[{spid}]: NOQUEUE: reject: RCPT from {client}: {reply}; from=<{frm}> to=<{rcpt}> "
                     f"proto={rng.choice(('ESMTP', 'SMTP'))} helo=<{helo}>")
        t2 = t1 + rng.uniform(0.1, 5)
        if rng.random() < 0.3:
            self.put(t2, f"postfix/smtpd[{spid}]: lost connection after RCPT from {client}")
        self.put(t2, f"postfix/smtpd[{spid}]: disconnect from {client}")
        self.count("spam")

    def periodic_noise(self, out_events: list, scale: float) -> None:
        """Cron, anvil, scache, dovecot and cron-mailed reports: timed events."""
        rng = self.rng
        step = max(1, int(1 / scale)) if scale < 1 else 1
        for k, s in enumerate(range(0, DAY, 300)):  # gate_news */5, sa1 */10
            if k % step == 0:
                out_events.append((s + rng.uniform(0, 2), "cron", (s % 600 == 0,)))
        for k, s in enumerate(range(0, DAY, 600)):
            if k % step == 0:
                out_events.append((s + rng.uniform(0, 590), "anvil", ()))
        for k, s in enumerate(range(0, DAY, 3600)):
            if k % step == 0:
                out_events.append((s + rng.uniform(0, 3500), "scache", ()))
        for _ in range(int(60 * scale)):
            out_events.append((rng.uniform(7 * 3600, 20 * 3600), "dovecot", ()))
        out_events.append((4 * 3600 + 2 * 60 + rng.uniform(0, 5), "rootmail", ("logwatch",)))
        out_events.append((4 * 3600 + 2 * 60 + rng.uniform(0, 5), "qrunner_hup", ()))
        out_events.append((8 * 3600 + rng.uniform(0, 1), "checkdbs", ()))

    def noise_event(self, t: float, kind: str, args: tuple) -> None:
        rng = self.rng
        if kind == "spam":
            self.spam(t)
        elif kind == "cron":
            pid = rng.randint(1000, 32000)
            self.put(t, f"CROND[{pid}]: (mailman) CMD (/usr/bin/python -S /usr/lib/mailman/cron/gate_news)")
            if args[0]:
                self.put(t, f"CROND[{pid + 1}]: (root) CMD (/usr/lib64/sa/sa1 1 1)")
            self.count("noise_cron")
        elif kind == "anvil":
            ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            at = max(0, int(t - rng.uniform(10, 500)))
            stamp = f"{self.sys_day}{at // 3600:02d}:{at // 60 % 60:02d}:{at % 60:02d}"
            self.put(t, f"postfix/anvil[{self.pid_anvil}]: statistics: max connection rate {rng.randint(1, 9)}/60s for (smtp:{ip}) at {stamp}")
            self.put(t, f"postfix/anvil[{self.pid_anvil}]: statistics: max connection count {rng.randint(1, 4)} for (smtp:{ip}) at {stamp}")
            self.put(t, f"postfix/anvil[{self.pid_anvil}]: statistics: max cache size {rng.randint(2, 30)} at {stamp}")
        elif kind == "scache":
            at = max(0, int(t - rng.uniform(100, 3000)))
            stamp = f"{self.sys_day}{at // 3600:02d}:{at // 60 % 60:02d}:{at % 60:02d}"
            hits, miss = rng.randint(100, 5000), rng.randint(50, 800)
            pid = self.pid_scache
            self.put(t, f"postfix/scache[{pid}]: statistics: start interval {stamp}")
            self.put(t, f"postfix/scache[{pid}]: statistics: domain lookup hits={hits} miss={miss} success={100 * hits // (hits + miss)}%")
            self.put(t, f"postfix/scache[{pid}]: statistics: address lookup hits={hits // 9} miss={miss * 2} success={100 * (hits // 9) // (hits // 9 + miss * 2)}%")
            self.put(t, f"postfix/scache[{pid}]: statistics: max simultaneous domains={rng.randint(5, 60)} addresses={rng.randint(10, 90)} connection={rng.randint(20, 100)}")
        elif kind == "dovecot":
            user = rng.choice(("listadmin", "postmaster", "mailman", "root"))
            rip = f"10.1.{rng.randint(0, 20)}.{rng.randint(2, 250)}"
            sess = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(16))
            self.put(t, f"dovecot: imap-login: Login: user=<{user}>, method=PLAIN, rip={rip}, lip=192.0.2.10, "
                        f"mpid={rng.randint(1000, 32000)}, TLS, session=<{sess}>")
            self.put(t + rng.uniform(5, 3000), f"dovecot: imap({user}): Disconnected: Logged out bytes={rng.randint(100, 9000)}/{rng.randint(500, 90000)}")
        elif kind == "rootmail":
            q = self.qid()
            self.put(t, f"postfix/pickup[{self.pid_pickup}]: {q}: uid=0 from=<root>")
            self.put(t, f"postfix/cleanup[{self.pid(self.pid_cleanup)}]: {q}: message-id=<{self.utc_stamp(t)}.{q}@{DOMAIN}>")
            self.put(t, f"postfix/qmgr[{self.pid_qmgr}]: {q}: from=<root@{DOMAIN}>, size={rng.randint(5000, 40000)}, nrcpt=1 (queue active)")
            self.put(t + 0.2, f"postfix/local[{self.pid(self.pid_local)}]: {q}: to=<root@{DOMAIN}>, orig_to=<root>, relay=local, "
                              f"{delays(0.05, 0.01, 0.0, 0.1)}, dsn=2.0.0, status=sent (delivered to mailbox)")
            self.put(t + 0.2, f"postfix/qmgr[{self.pid_qmgr}]: {q}: removed")
        elif kind == "qrunner_hup":
            self.mmlog(BE, "qrunner", t, self.master_pid, "Master watcher caught SIGHUP.  Re-opening log files.")
            for r in RUNNERS:
                self.mmlog(BE, "qrunner", t, self.runner_pid[r], f"{r} qrunner caught SIGHUP.  Reopening logs.")
        elif kind == "checkdbs":
            self.put(t, f"CROND[{rng.randint(1000, 32000)}]: (mailman) CMD (/usr/bin/python -S /usr/lib/mailman/cron/checkdbs)")
            cpid = rng.randint(1000, 32000)
            for lst in rng.sample(self.lists, min(4, len(self.lists))):
                t = self.notice(t + rng.uniform(0.5, 2), lst, self.mailman_id(t, cpid, lst),
                                f"{lst['name']}-bounces@{DOMAIN}", lst["owners"], local_owner=True)

    # ------------------------------------------------------------------ plan and run

    def plan(self) -> list:
        """Choose posts and noise so the maillog comes out near ``--lines``."""
        rng = self.rng
        noise_budget = int(self.target * 0.05)
        events: list = []
        fixed = 288 * 1.5 + 144 * 3 + 24 * 4 + 60 * 2 + 60
        scale = min(1.0, noise_budget / fixed) if fixed else 1
        self.periodic_noise(events, scale)
        spam_n = max(0, int((noise_budget - fixed * scale) / 3.5))
        for _ in range(spam_n):
            events.append((rng.uniform(0, DAY - 10), "spam", ()))

        hours = [1, .6, .4, .3, .3, .5, 1, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 4, 3, 3, 2.5, 2, 1.5]
        weights = [l["weight"] for l in self.lists]
        budget = self.target * 0.95 - 300

        def est(lst: dict) -> float:  # maillog lines of one fanned-out post
            m = lst["size"]
            chunks = -(-m // CHUNK)
            return 9 + m * 1.025 + 8 * chunks + 6 * min(chunks, len(lst["deadpos"]))

        posts = []
        used = 0.0
        while used < budget or len(posts) < 12:
            lst = rng.choices(self.lists, weights=weights)[0]
            posts.append(lst)
            used += est(lst)
        n = len(posts)
        # fates: a few of each kind of trouble; at least three vanishing front-end approvals
        fates = ["normal"] * n
        idx = list(range(n))
        rng.shuffle(idx)
        has_fe = bool(self.fe_hosts)
        plan_counts = [("held-approve-fe", max(3, round(n * 0.004)) if has_fe else 0),
                       ("held-approve", max(3, round(n * 0.025))),
                       ("held-discard", max(1, round(n * 0.006))),
                       ("held-reject", max(1, round(n * 0.002))),
                       ("held-never", max(1, round(n * 0.005))),
                       ("autodiscard", max(1, round(n * 0.01))),
                       ("shunt", 1),
                       ("normal-refuse", max(1, round(n * 0.01)))]
        k = 0
        for fate, c in plan_counts:
            for _ in range(c):
                if k < n:
                    fates[idx[k]] = fate
                    if fate not in ("held-approve", "normal-refuse"):
                        used -= est(posts[idx[k]]) - 12  # no fan-out: only the inbound lines and notices
                    k += 1
        while used < budget:  # top up with ordinary posts
            lst = rng.choices(self.lists, weights=weights)[0]
            posts.append(lst)
            fates.append("normal")
            used += est(lst)
        n = len(posts)

        times = sorted(rng.choices(range(24), weights=hours, k=n))
        times = sorted(h * 3600 + rng.uniform(0, 3599) for h in times)
        for t, lst, fate in zip(times, posts, fates):
            if t > DAY - 900:
                t = rng.uniform(DAY - 3 * 3600, DAY - 900)
            members = lst["members"]
            if fate.startswith("held") and fate not in ("held-approve", "held-approve-fe") or fate == "autodiscard":
                # non-members: anyone in the pool who is not on the list
                sender = rng.randrange(len(self.addr))
                reason = HOLD_REASONS_NONMEMBER[0]
            else:
                sender = members[rng.randrange(len(members))]
                reason = rng.choice(HOLD_REASONS_MEMBER)
            size = int(min(2_000_000, max(1500, rng.lognormvariate(8.9, 0.8))))
            reason = reason.format(size=size * 12)
            mod_host = BE
            if fate == "held-approve-fe":
                mod_host = rng.choice(self.fe_hosts)
            elif fate in ("held-discard",) and self.fe_hosts and rng.random() < 0.6:
                mod_host = rng.choice(self.fe_hosts)
            p = {"list": lst, "sender": sender, "size": size, "fate": fate.replace("-refuse", ""),
                 "refuse": fate.endswith("-refuse"), "reason": reason, "mod_host": mod_host,
                 "subject": rng.choice(SUBJECTS).format(w=rng.choice(WORDS).capitalize())}
            p["msgid"] = self.new_msgid(t, sender)
            p["truth"] = {"message_id": p["msgid"], "list": lst["name"], "members": lst["size"],
                          "sender": self.addr[sender], "arrived": round(t, 3), "fate": p["fate"]}
            self.truth.append(p["truth"])
            events.append((t, "post", (p,)))
        # -request traffic: about one command per 25 posts
        for _ in range(max(2, n // 25)):
            lst = rng.choice(self.lists)
            events.append((rng.uniform(6 * 3600, 23 * 3600), "request", (lst, lst["members"][rng.randrange(lst["size"])])))
        return events

    def run(self) -> dict:
        t_start = time.perf_counter()
        self.build_pools()
        events = self.plan()
        for t, kind, args in events:
            if kind == "post":
                self.schedule(t, self.post, *args)
            elif kind == "request":
                self.schedule(t, self.request, *args)
            else:
                self.schedule(t, self.noise_event, kind, args)
        be_log = self.out / BE / "var" / "log"
        be_log.mkdir(parents=True, exist_ok=True)
        with open(be_log / "maillog", "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            while self.heap:
                t, _, fn, args = heapq.heappop(self.heap)
                self.flush(int(t), out)
                fn(t, *args)
            self.flush(DAY, out)
        files = {f"{BE}/var/log/maillog": self.maillog_lines}
        for (host, log), entries in sorted(self.mm.items()):
            entries.sort(key=lambda e: e[0])
            d = self.out / host / "var" / "log" / "mailman"
            d.mkdir(parents=True, exist_ok=True)
            nlines = 0
            with open(d / log, "w", encoding="utf-8", newline="\n") as f:
                for t, text in entries:
                    s = int(t)
                    f.write(f"{self.mm_day}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{self.mm_year}{text}\n")
                    nlines += 1 + text.count("\n")
            files[f"{host}/var/log/mailman/{log}"] = nlines
        for host in self.fe_hosts:  # a front-end with no decisions today still has its (empty) log dir
            (self.out / host / "var" / "log" / "mailman").mkdir(parents=True, exist_ok=True)
        elapsed = time.perf_counter() - t_start
        return self.manifest(files, elapsed)

    def manifest(self, files: dict, elapsed: float) -> dict:
        outcomes: dict[str, int] = {}
        posts = []
        for tr in self.truth:
            st = tr.pop("stats", None)
            if st is not None:
                tr["deferred_end"] = st["deferred_end"]
                tr["sent"] = st["sent"]
            outcomes[tr.get("outcome", "not-generated")] = outcomes.get(tr.get("outcome", "not-generated"), 0) + 1
            posts.append(tr)
        delivered = [p for p in posts if p.get("outcome") == "delivered"]
        delivered.sort(key=lambda p: p["members"])
        sample = delivered[len(delivered) * 3 // 4] if delivered else (posts[0] if posts else None)
        vanished = [p["message_id"] for p in posts if p.get("outcome") == "approved-vanished"]
        return {
            "generator_version": GENERATOR_VERSION,
            "params": {"lines": self.target, "hosts": self.nhosts, "seed": self.seed, "date": self.date.isoformat(),
                       "mailman": self.mailman, "tz": "America/New_York"},
            "hosts": [BE] + self.fe_hosts,
            "maillog": f"{BE}/var/log/maillog",
            "maillog_lines": self.maillog_lines,
            "files": files,
            "generation_seconds": round(elapsed, 3),
            "counts": dict(sorted(self.counts.items())),
            "outcomes": dict(sorted(outcomes.items())),
            "samples": {
                "delivered": sample["message_id"] if sample else None,
                "delivered_members": sample["members"] if sample else None,
                "delivered_queue_ids": (sample.get("queue_ids") or [])[:3] if sample else [],
                "approved_vanished": vanished,
            },
            "posts": posts,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", type=Path, help="site directory to write (created; existing log files are replaced)")
    ap.add_argument("--lines", type=int, default=5_000_000, help="target maillog line count (approximate)")
    ap.add_argument("--hosts", type=int, default=2, help="lists-be plus N-1 web front-ends (default 2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--date", default="2013-08-22", help="the day to generate (YYYY-MM-DD)")
    ap.add_argument("--mailman", choices=("2.1.12", "2.1.39"), default="2.1.12",
                    help="vette formats: 2.1.12 (approval lines without list name) or 2.1.39")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.lines < 1000:
        ap.error("--lines must be at least 1000")
    date = dt.date.fromisoformat(args.date)
    args.outdir.mkdir(parents=True, exist_ok=True)
    site = Site(args.outdir, args.lines, args.hosts, args.seed, date, args.mailman)
    man = site.run()
    (args.outdir / "manifest.json").write_text(json.dumps(man, indent=1) + "\n", encoding="utf-8")
    if not args.quiet:
        rate = man["maillog_lines"] / man["generation_seconds"] if man["generation_seconds"] else 0
        print(f"{args.outdir}: {man['maillog_lines']:,} maillog lines "
              f"({sum(man['files'].values()) - man['maillog_lines']:,} Mailman lines, {len(man['posts']):,} posts) "
              f"in {man['generation_seconds']:.1f} s ({rate:,.0f} lines/s)", file=sys.stderr)
        print("outcomes: " + ", ".join(f"{k}={v}" for k, v in man["outcomes"].items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
