"""Postfix log lines, daemon by daemon (../shared/reference/postfix-logs.md section 3).

Each pattern sees the message after ``tag[pid]: `` and may start with a
severity (``warning: ``, ``error: ``, ``fatal: ``, ``panic: ``; ref 1.1).
Families are ``postfix/<daemon>`` (see :mod:`tracer.formats.programs`).

Events produced here::

    delivery      QID: to=<R>, relay=..., status=S (TEXT)     smtp lmtp local virtual pipe error discard qmgr
    queued        qmgr from=<S>, size=N, nrcpt=N (queue active)
    removed       qmgr/postsuper QID: removed; cleanup QID: removed (canceled)
    expired       qmgr status=expired|force-expired; postsuper QID: expired
    client        smtpd QID: client=NAME[ADDR]
    message_id    cleanup QID: message-id=VALUE
    pickup        pickup QID: uid=N from=<S> [orig_id=OLD -> text]
    notification  bounce QID: sender non-delivery notification: NEW (NEW -> queued_as)
    reject        smtpd/cleanup reject, milter-reject, proxy-reject
    discard       smtpd/cleanup discard, milter-discard
    hold          smtpd/cleanup hold, milter-hold; postsuper placed on hold
    check         any other access/header/milter action (status says which: filter,
                  redirect, reject_warning, warn, info, prepend, replace, proxy-accept, ...)
    aborted       smtpd QID: lost connection|timeout|too many errors after CMD (Postfix >= 3.10)
    requeued      postsuper QID: requeued
    released      postsuper QID: released from hold
    warning       SEVERITY: QID: text (status = the severity)
    wrapper_error the Mailman C mail wrapper's syslog line (family mailman-wrapper: it sits in
                  the maillog next to the local/pipe delivery that ran it, so it lives here)

Everything else a Postfix daemon logs (session chatter, statistics, TLS,
warnings without a queue ID) is recognised with ``event=None`` so it counts
as ignored rather than unparsed.
"""

from __future__ import annotations

import re

from .registry import Pattern

# --- building blocks -----------------------------------------------------------------------------

#: a real queue ID: short hex (inode-based) or long base-52 with vowels removed (ref 2)
QID = r"(?:[0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,})"
_QID = rf"(?P<queue_id>{QID}|NOQUEUE)"
_ANY_QID = rf"(?:{QID}|NOQUEUE)"
_SEV = r"(?:warning|error|fatal|panic)"
#: an address as logged, without its <> (which may be missing, ref 3.6); a quoted
#: localpart (Postfix >= 3.5) may hold "," and ">"
_ADDR = r'(?:"[^"]*"(?:@[^,>\s]*)?|[^,>]*)'
#: NAME[ADDR] with the optional :PORT of smtpd_client_port_logging (ref 3.1)
_CLIENT = r"[^\s\[\]]*\[[^\]]*\](?::\d+)?"
#: the key=value tail of smtpd/cleanup action lines, space separated; truncated
#: lines lose any part of it (ref 3.1, 6.4)
_KV = r"(?:from=<(?P<sender>[^>]*)>)? ?(?:to=<(?P<recipient>[^>]*)>)?.*"
_TAIL = rf"(?:; (?=from=|to=|proto=|helo=){_KV})?$"

_QUEUED_AS = re.compile(r"queued as ([^\s;,)]+)")
_FORWARDED_AS = re.compile(r"forwarded as ([^\s;,)]+)")


def queued_as(fields: dict) -> dict:
    """Add ``queued_as``: the last ``queued as X`` in ``text`` (amavis and proxy replies carry two,
    ref 4.2), else local's ``forwarded as X``.

    >>> queued_as({"text": "250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ABC123"})
    {'text': '250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ABC123', 'queued_as': 'ABC123'}
    """
    text = fields.get("text")
    if text and " as " in text:
        hits = _QUEUED_AS.findall(text) or _FORWARDED_AS.findall(text)
        if hits:
            fields["queued_as"] = hits[-1].rstrip(".")
    return fields


# --- shared across daemons ------------------------------------------------------------------------

# QID: to=<R>[, orig_to=<O>], relay=RELAY[, conn_use=N], delay=D[, delays=a/b/c/d][, tls=T][, dsn=X.Y.Z],
#      status=STATUS[ (TEXT)]                                  -- log_adhoc.c (ref 3.6)
# delays/dsn/conn_use since 2.3, tls= since 3.11; TEXT runs to the last ")" (it nests
# "(in reply to ...)") and loses it when the line was truncated.
DELIVERY = (
    rf"(?:(?P<queue_id>{QID}): )?"
    rf"to=<?(?P<recipient>{_ADDR})>?"
    rf"(?:, orig_to=<?(?P<orig_to>{_ADDR})>?)?"
    r", relay=(?P<relay>[^,]*)"
    r"(?:, conn_use=\d+)?"
    r", delay=(?P<delay>[\d.]+)"
    r"(?:, delays=(?P<delays>[\d./]+))?"
    r"(?:, tls=[^,]*)?"
    r"(?:, dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3}))?"
    r", status=(?P<status>[A-Za-z-]+)"
    r"(?: \((?P<text>.*))?$"
)


def _delivery_text(fields: dict) -> dict:
    """TEXT runs to the last ")", which a truncated line has lost; then the next hop."""
    text = fields.get("text")
    if text is not None and text.endswith(")"):
        fields["text"] = text[:-1]
    return queued_as(fields)


def _delivery(daemon: str, *samples: str) -> Pattern:
    return Pattern(f"postfix.{daemon}.delivery", f"postfix/{daemon}", DELIVERY, "delivery",
                   samples=samples, derive=_delivery_text)


def _warning(daemon: str, *samples: str) -> Pattern:
    # SEVERITY: QID: text -- a problem with one message (map lookup failure, queued too long, ...)
    return Pattern(f"postfix.{daemon}.warning", f"postfix/{daemon}",
                   rf"(?P<status>{_SEV}): {_QID}: (?P<text>.*)", "warning", samples=samples)


def _noise(daemon: str, *samples: str, qid_warnings: bool = True, exclude: str = "") -> Pattern:
    # SEVERITY: text without a queue ID, and the table-reload notice every daemon logs
    keep = f"{_ANY_QID}: " + (f"|{exclude}" if exclude else "")
    sev = rf"{_SEV}: (?!{keep})" if qid_warnings else rf"{_SEV}: "
    return Pattern(f"postfix.{daemon}.noise", f"postfix/{daemon}",
                   rf"(?:{sev}.*|table \S+ has changed -- restarting)$", None, samples=samples)


# smtpd and cleanup actions at an SMTP stage (log_whatsup(), cleanup_milter.c; ref 3.1, 3.3):
# QID|NOQUEUE: ACTION: STAGE from NAME[ADDR]: REPLY; from=<S> to=<R> proto=P helo=<H>
def _stage_action(daemon: str, name: str, event: str, actions: str, *samples: str) -> Pattern:
    return Pattern(f"postfix.{daemon}.{name}", f"postfix/{daemon}",
                   rf"{_QID}: (?P<status>{actions}): (?:[A-Z][A-Z-]*|\.) from (?P<client>{_CLIENT}): "
                   rf"(?P<text>.*?){_TAIL}", event, samples=samples)


# cleanup header/body checks (cleanup_act_log(), ref 3.3); CONTENT is cut at 200 characters:
# QID: ACTION: header|body CONTENT from NAME[ADDR]|local;[ from=<S>][ to=<R>][ proto=P][ helo=<H>][: TEXT]
def _header_action(name: str, event: str, actions: str, *samples: str) -> Pattern:
    return Pattern(f"postfix.cleanup.{name}", "postfix/cleanup",
                   rf"{_QID}: (?P<status>{actions}): (?P<text>(?:header|body|mime-error) .*?)"
                   rf"(?: from (?P<client>{_CLIENT}|local);(?: {_KV})?)?$", event, samples=samples)


# --- smtp and lmtp: deliveries plus per-session chatter ----------------------------------------------

# connect/TLS/handshake lines of the SMTP client (ref 3.6 "Per-session smtp lines"): with or
# without the QID, explained again by the delivery line that follows
_SMTP_SESSION = (
    rf"(?:{QID}: )?(?:connect to |(?:Anonymous|Untrusted|Trusted|Verified) TLS connection "
    r"(?:established|reused) to |(?:server )?certificate verification failed for |SSL_connect error to "
    r"|setting up TLS connection to |Host offered STARTTLS: |host \S+ (?:said|refused to talk to me): "
    r"|lost connection with |conversation with |enabling PIX workarounds: |Cannot start TLS: "
    r"|SASL authentication failed; |TLS is required, but |Server certificate not |breaking line "
    rf"|mail for \S+ loops back to myself|{_CLIENT}: ).*"
)


def _smtp_family(daemon: str, delivery_samples: tuple[str, ...]) -> list[Pattern]:
    return [
        _delivery(daemon, *delivery_samples),
        Pattern(f"postfix.{daemon}.session", f"postfix/{daemon}", _SMTP_SESSION, None, samples=(
            "connect to intern.nl[194.109.6.98]:25: Connection timed out",
            "Untrusted TLS connection established to mx4.hotmail.com[65.55.92.136]:25: TLSv1.2 with cipher "
            "ECDHE-RSA-AES256-SHA384 (256/256 bits)",
            "B99FE3D: lost connection with mx3.hotmail.com[65.55.37.72] while receiving the initial server "
            "greeting",
            "ED59C3D: host mail2.example.com[1.74.253.23] said: 450 4.7.1 <user@example.com>: Recipient "
            "address rejected: Greylisted for 5 minutes (in reply to RCPT TO command)",
            "3mPz615lB2z7sZt: Cannot start TLS: handshake failure",
        )),
        _warning(daemon, "warning: 3lyw1l0Nwdz2xGs: defer service failure"),
        _noise(daemon, "warning: problem talking to service private/scache: Connection timed out"),
    ]


_SMTP = _smtp_family("smtp", (
    "3mPVKl0Mhjz7sXv: to=<susan.bck@example.org>, relay=mpafm.example.org[24.100.200.21]:25, conn_use=2, "
    "delay=1.2, delays=0.76/0.01/0.09/0.34, dsn=2.0.0, status=sent (250 2.0.0 t5UI2nBt018923-t5UI2nBw018923 "
    "Message accepted for delivery)",
    "7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, delay=3.6, "
    "delays=0.08/0.02/0.85/0.14, tls=dane, dsn=2.1.5, status=sent (250 2.0.0 Ok: queued as 153053D)",
    "E5D4840DA0: to=<cc@docomo.ne.je>, relay=docomo.ne.je[157.112.187.13]:25, delay=151541, "
    "delays=151540/0.03/0.12/0.5, dsn=4.7.1, status=deferred (host docomo.ne.je[157.112.187.13] said: "
    "454 4.7.1 <cc@docomo.ne.je>: Relay access denied (in reply to RCPT TO command))",
))
_LMTP = _smtp_family("lmtp", (
    "7EE668039: to=<admin@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=3.6, "
    "delays=0.2/0.02/0.04/3.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 153053D)",
))

# --- the other delivery agents ------------------------------------------------------------------------

_AGENTS = [
    _delivery("local",
              "2A22C263F6: to=user@hostname.example.com, orig_to=root@localhost, relay=local, delay=0.07, "
              "delays=0.04/0/0/0.03, dsn=2.0.0, status=sent (delivered to command: procmail -a \"$EXTENSION\")",
              "3mLQKH6hqhz7sWK: to=<logspam@system.alerts>, relay=local, delay=3.1, delays=1.8/0.86/0/0.44, "
              "dsn=2.0.0, status=sent (forwarded as 3mLQKK4rDdz7sVS)"),
    _warning("local", "warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days"),
    _noise("local", "warning: dict_nis_init: NIS domain name not set - NIS lookups disabled"),
    _delivery("virtual",
              "B657F2DB195D: to=<postmaster@example.com>, relay=virtual, delay=0.52, delays=0.51/0.01/0/0, "
              "dsn=2.0.0, status=sent (delivered to maildir)"),
    _warning("virtual", "warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days"),
    _noise("virtual", "warning: dict_nis_init: NIS domain name not set - NIS lookups disabled"),
    _delivery("pipe",
              "153053D: to=<tom@example.com>, orig_to=<admin@example.com>, relay=dovecot, delay=3.4, "
              "delays=3.3/0.03/0/0.12, dsn=2.0.0, status=sent (delivered via dovecot service)"),
    _warning("pipe", "warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days"),
    _noise("pipe", "warning: pipe flag `F' requires DSN"),
    # the retry service runs this binary: "delivery temporarily suspended" deferrals (ref 1.1)
    _delivery("error",
              "2DC5552A34: to=<user@yahoo.com>, relay=none, delay=63495, delays=63350/144/0/0, dsn=4.4.2, "
              "status=deferred (delivery temporarily suspended: lost connection with "
              "mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO)",
              "3E29030F8637E: to=<user@yahoo.com>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=5.1.1, "
              "status=undeliverable-but-not-cached (User unknown in virtual alias table)"),
    _warning("error", "warning: 3lyw1l0Nwdz2xGs: defer service failure"),
    _noise("error", "warning: problem talking to service private/defer: Connection timed out"),
    _delivery("discard",
              "25F2E5E061: to=<george.desantis@test.example.com>, relay=none, delay=0.05, delays=0.05/0/0/0, "
              "dsn=2.0.0, status=sent (test.example.com)"),
    _noise("discard", "warning: problem talking to service private/defer: Connection timed out",
           qid_warnings=False),
]

# --- qmgr (ref 3.5) ------------------------------------------------------------------------------------

_QMGR = [
    # QID: from=<S>, size=N, nrcpt=N (queue active) -- opened.c; again on every retry
    Pattern("postfix.qmgr.queued", "postfix/qmgr",
            rf"(?:(?P<queue_id>{QID}): )?from=<?(?P<sender>{_ADDR})>?, size=(?P<size>\d+), "
            r"nrcpt=(?P<nrcpt>\d+) \(queue \w+\)$", "queued", samples=(
                "0F5383D: from=<owner-postfix-users@postfix.org>, size=5360, nrcpt=1 (queue active)",
                "3mPVKl0Mhjz7sXv: from=<>, size=2666, nrcpt=2 (queue active)",
                "ED373F8043E: from=rory@rory-dev.localdomain, size=270, nrcpt=1 (queue active)",
            )),
    Pattern("postfix.qmgr.removed", "postfix/qmgr", rf"(?P<queue_id>{QID}): removed$", "removed",
            samples=("0F5383D: removed",)),
    # qmgr defers or bounces recipients itself ("mail transport unavailable") through log_adhoc.c
    _delivery("qmgr", "3D74ADB7400B: to=<test@example.to>, relay=none, delay=0.01, delays=0.01/0/0/0, "
                      "dsn=4.3.0, status=deferred (mail transport unavailable)"),
    # QID: from=<S>, status=expired|force-expired, returned to sender -- qmgr_active.c (force- since 3.5)
    Pattern("postfix.qmgr.expired", "postfix/qmgr",
            rf"(?P<queue_id>{QID}): from=<?(?P<sender>{_ADDR})>?, status=(?P<status>(?:force-)?expired), "
            r"returned to sender$", "expired", samples=(
                "585BC3F: from=<>, status=expired, returned to sender",
                "BACE842E73: from=<noreply@domain.com>, status=force-expired, returned to sender",
            )),
    Pattern("postfix.qmgr.skipped", "postfix/qmgr", rf"{QID}: skipped, still being delivered$", None,
            samples=("ED06590130AA1C9D6D862: skipped, still being delivered",)),
    _warning("qmgr", "warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days"),
    _noise("qmgr", "warning: please avoid flushing the whole queue when you have",
           "warning: bounce_queue_lifetime is larger than maximal_queue_lifetime - adjusting bounce_queue_lifetime"),
]

# --- cleanup (ref 3.3) ---------------------------------------------------------------------------------

_HDR_CHECK = r"warning|info|filter|redirect|bcc|delay|prepend|replace|strip|pass|milter-[a-z]+-[a-z]+"
_CLEANUP = [
    # QID: message-id=VALUE -- the header verbatim: <...>, <>, RFC 2047 garbage, unbalanced
    Pattern("postfix.cleanup.message_id", "postfix/cleanup",
            rf"(?:(?P<queue_id>{QID}): )?message-id=(?P<message_id>.*)$", "message_id", samples=(
                "0F5383D: message-id=<544D2523.30609@rhsoft.net>",
                "4104E3D: message-id=<>",
                "ADD961003206D: message-id==?UTF-8?B?PDE5?=? =?UTF-8?B?MTIyMDExMjkxNjYxMUBDbGllbnQtMDQ1LnJ1YmluZXR0"
                "ZXJpZS5sb2NhbD4=?=",
            )),
    _header_action("check", "check", _HDR_CHECK,
                   "D95341E50350: info: header Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?Q?_=E2=80=92?= test "
                   "from local; from=<from@example.com> to=<to@example.com>",
                   "48rT2v1hQrz1J0N: prepend: header X-Spam-Status: Yes, score=45.1 required=10.0 "
                   "tests=ADVANCE_FE from mx2.example.org[192.0.2.41]; "
                   "from=<SRS0=1sN3=5P=example.org=noreply@srs.example.org> to=<recipient@example.net> "
                   "proto=ESMTP helo=<mx2.example.org>: X-Spam-Status: Yes",
                   "4104E3D: milter-header-redirect: header X-Spam-Status: Yes, score=39.3 required=5.0 "
                   "tests=ADVANCE_FE from 061238241086.static.ctinets.com[61.238.241.86]; from=<wumt5@cchfdc.com> "
                   "to=<voorzitter@example.com> proto=ESMTP helo=<ecsolved.com>: tom@example.com"),
    _stage_action("cleanup", "milter_reject", "reject", "milter-reject",
                  "4104E3D: milter-reject: END-OF-MESSAGE from 061238241086.static.ctinets.com[61.238.241.86]: "
                  "5.7.1 Blocked by SpamAssassin; from=<wumt5@cchfdc.com> to=<voorzitter@example.com> "
                  "proto=ESMTP helo=<ecsolved.com>"),
    _stage_action("cleanup", "milter_hold", "hold", "milter-hold",
                  "E89FA2DEDA: milter-hold: END-OF-MESSAGE from srv05.source.com[10.11.12.13]: milter triggers "
                  "HOLD action; from=<> to=<this_user@this.domain.com> proto=ESMTP helo=<this.domain.com>"),
    _stage_action("cleanup", "milter_discard", "discard", "milter-discard",
                  "8AB4C2DE01: milter-discard: END-OF-MESSAGE from localhost[127.0.0.1]: milter triggers "
                  "DISCARD action; from=<list-bounces@lists.example.org> to=<joe@example.com> proto=ESMTP "
                  "helo=<lists.example.org>"),
    _header_action("reject", "reject", "reject",
                   "5A1B2C3D4E: reject: header Subject: Make money fast from mail.example.net[192.0.2.7]; "
                   "from=<spam@example.net> to=<mylist@lists.example.org> proto=ESMTP helo=<mail.example.net>: "
                   "5.7.1 Message content rejected"),
    _header_action("hold", "hold", "hold",
                   "5A1B2C3D4E: hold: header X-Spam-Flag: YES from mail.example.net[192.0.2.7]; "
                   "from=<joe@example.net> to=<mylist@lists.example.org> proto=ESMTP helo=<mail.example.net>"),
    _header_action("discard", "discard", "discard",
                   "5A1B2C3D4E: discard: body Click here to unsubscribe from mail.example.net[192.0.2.7]; "
                   "from=<joe@example.net> to=<mylist@lists.example.org> proto=ESMTP helo=<mail.example.net>"),
    # QID: removed (canceled|discarded) -- cleanup drops an incomplete/discarded message (>= 3.10)
    Pattern("postfix.cleanup.removed", "postfix/cleanup", rf"(?P<queue_id>{QID}): removed \((?P<status>\w+)\)$",
            "removed", samples=("4A5B6C7D8E: removed (canceled)",)),
    Pattern("postfix.cleanup.resent_message_id", "postfix/cleanup", rf"(?:{QID}: )?resent-message-id=.*", None,
            samples=("3mL1Hq0Tgvz7sWh: resent-message-id=<3mL1Hq0Tgvz7sWh@mx14.example.net>",)),
    _warning("cleanup", "warning: 9BECF3F19D: sender_canonical_maps map lookup problem for sender@example.com "
                        "-- message not accepted, try again later"),
    _noise("cleanup", "warning: dict_ldap_get_values[1]: DN uid=mguiraud,ou=people,dc=neotion,dc=com not found, "
                      "skipping "),
]

# --- smtpd (ref 3.1) -----------------------------------------------------------------------------------

#: Message prefixes, by daemon, of the commonest lines the registry ignores (a third of a busy
#: maillog's non-delivery lines): the session and statistics patterns below are built from them,
#: and the C scanner (tracer.fastscan) counts such lines as ignored without handing them to Python.
IGNORED_PREFIXES: dict[str, tuple[str, ...]] = {
    # "warning: hostname H does not resolve to address A" (smtpd_peer.c): every client with bad reverse DNS
    "smtpd": ("connect from ", "disconnect from ", "lost connection after ", "timeout after ", "warning: hostname "),
    "anvil": ("statistics: ",),
    "scache": ("statistics: ",),
}


def _literals(daemon: str) -> str:
    return "|".join(re.escape(p) for p in IGNORED_PREFIXES[daemon])


_SMTPD = [
    # session lines (NOQUEUE: prefix on the abnormal-end ones since 3.10)
    Pattern("postfix.smtpd.session", "postfix/smtpd",
            r"(?:NOQUEUE: )?(?:" + _literals("smtpd") +
            r"|too many errors after |improper command pipelining after |bare <LF> received after "
            r"|(?:Anonymous|Untrusted|Trusted|Verified) TLS connection established from |SSL_accept error from "
            r"|setting up TLS connection from |discarding EHLO keywords: |abort: "
            rf"|{_CLIENT}: ).*", None, samples=(
                "connect from 061238241086.static.ctinets.com[61.238.241.86]",
                "disconnect from unknown[72.10.165.66] ehlo=2 starttls=1 mail=1 rcpt=0/1 data=0/1 quit=1 "
                "commands=5/7",
                "lost connection after DATA (7774180 bytes) from unknown[72.13.58.7]",
                "NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]",
                "improper command pipelining after EHLO from unknown[2001:968:9999:20:415c:cd2:da8e:d0cf]: "
                "MAIL FROM:<>\\nRCPT TO:<tom@example.net>\\n",
                "Anonymous TLS connection established from julie.example.com[10.163.89.202]: TLSv1.2 with cipher "
                "AECDH-AES256-SHA (256/256 bits)",
                "SSL_accept error from unknown[72.13.58.7]: lost connection",
                "discarding EHLO keywords: CHUNKING ETRN DSN 8BITMIME",
                "bare <LF> received after CONNECT from example.net[1.2.3.4]",
                "warning: hostname exemple.com does not resolve to address 185.14.29.32",
            )),
    # QID: client=NAME[ADDR][:PORT][, sasl_method=M, sasl_username=U][, orig_queue_id=Q, orig_client=C]
    Pattern("postfix.smtpd.client", "postfix/smtpd",
            rf"{_QID}: client=(?P<client>{_CLIENT})(?:, (?P<text>.*))?$", "client", samples=(
                "4104E3D: client=061238241086.static.ctinets.com[61.238.241.86]",
                "EB4B2C19E2: client=xxx[1.2.3.4], sasl_method=PLAIN, sasl_username=user@domain",
            )),
    _stage_action("smtpd", "reject", "reject", "reject|milter-reject",
                  "NOQUEUE: reject: RCPT from 061238241086.static.ctinets.com[61.238.241.86]: 550 5.1.1 "
                  "<toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual mailbox "
                  "table; from=<wumt5@cchfdc.com> to=<toernooicommissie@example.com> proto=ESMTP helo=<ecsolved.com>",
                  "NOQUEUE: reject: VRFY from unknown[2001:968:9999:20:88b:9b7d:2a54:2bd2]: 454 4.7.1 "
                  "<aap@henk.com>: Relay access denied; to=<aap@henk.com> proto=SMTP helo=<me>",
                  "NOQUEUE: milter-reject: RCPT from mailrelay.example.com[8.8.8.8]: 451 4.7.1 Greylisting in "
                  "action, please come back later; from=<support@example.com> to=<example@example.org> "
                  "proto=ESMTP helo=<mailrelay.example.com>",
                  "44JCRG5tYPzCqt2: reject: BDAT from signing-milter.example.com[192.0.2.109]: 550 5.5.3 <DATA>: "
                  "Data command rejected: Multi-recipient bounce; from=<> to=<some@example.com> proto=ESMTP "
                  "helo=<domain.tld>"),
    _stage_action("smtpd", "discard", "discard", "discard|milter-discard",
                  "NOQUEUE: discard: MAIL from ccm231.constantcontact.com[208.75.123.231]: "
                  "<bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com>: Sender address SPAM; "
                  "from=<bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com> proto=ESMTP "
                  "helo=<ccm231.constantcontact.com>"),
    _stage_action("smtpd", "hold", "hold", "hold|milter-hold",
                  "2F4E81C2A7: hold: RCPT from mail.example.net[192.0.2.7]: <joe@example.net>: Sender address "
                  "triggers HOLD action; from=<joe@example.net> to=<mylist@lists.example.org> proto=ESMTP "
                  "helo=<mail.example.net>"),
    _stage_action("smtpd", "check", "check",
                  r"reject_warning|filter|redirect|bcc|delay|info|warn|warning|hangup|prepend|replace|strip|pass",
                  "NOQUEUE: reject_warning: RCPT from example.com[93.184.216.34]: 553 5.7.1 <sender@example.com>: "
                  "Sender address rejected: not owned by user ph123; from=<sender@example.com> "
                  "to=<recipient@example.com> proto=ESMTP helo=<example.com>",
                  "NOQUEUE: filter: RCPT from unknown[85.25.255.255]: <mail@sender.com>: Sender address triggers "
                  "FILTER smtp-amavis:[127.0.0.1]:10024; from=<mail@sender.com> to=<user@domain.com> proto=ESMTP "
                  "helo=<plutoapp.biz>"),
    # before-queue content filter: proxy-accept|proxy-reject: STAGE: REPLY; from=<S> to=<R> ... (ref 3.1)
    Pattern("postfix.smtpd.proxy_reject", "postfix/smtpd",
            rf"(?:{_QID}: )?(?P<status>proxy-reject): [A-Z][A-Z-]*: (?P<text>.*?){_TAIL}", "reject", samples=(
                "proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, contact postmaster@example.com, id=31619-02 - "
                "spam; from=<> to=<user2@example2.com> proto=SMTP helo=<17.33.12.53>",
                "proxy-reject: END-OF-MESSAGE: ; from=<user1@test.example.com> to=<user2@example2.com> "
                "proto=ESMTP helo=<[192.168.0.16]>",
            )),
    Pattern("postfix.smtpd.proxy_accept", "postfix/smtpd",
            rf"(?:{_QID}: )?(?P<status>proxy-accept): [A-Z][A-Z-]*: (?P<text>.*?){_TAIL}", "check",
            derive=queued_as, samples=(
                "proxy-accept: END-OF-MESSAGE: 250 2.0.0 from MTA(smtp:[127.0.0.1]:10013): 250 2.0.0 Ok: queued as "
                "DF66E940333; from=<user1@test.example.com> to=<user2@example2.com> proto=ESMTP helo=<[127.0.0.1]>",
            )),
    # QID: lost connection|timeout|too many errors after CMD [(N bytes)] from NAME[ADDR] -- QID since 3.10
    Pattern("postfix.smtpd.aborted", "postfix/smtpd",
            rf"(?P<queue_id>{QID}): (?P<text>(?P<status>lost connection|timeout|too many errors) after \S+"
            rf"(?: \(\d+ bytes\))?) from (?P<client>{_CLIENT})$", "aborted", samples=(
                "4F2A31C0B7: lost connection after DATA (123 bytes) from localhost[127.0.0.1]",
            )),
    _warning("smtpd", "warning: 4F2A31C0B7: queue file size limit exceeded"),
    _noise("smtpd", "warning: Connection rate limit exceeded: 31 from unknown[192.0.2.237] for service smtp",
           "warning: unknown[192.0.2.237]:55729: SASL LOGIN authentication failed: authentication failure",
           "table hash:/etc/postfix/virtual_mailbox_maps(0,lock|fold_fix) has changed -- restarting",
           "fatal: file /etc/postfix/main.cf: parameter default_privs: unknown user name value: nobody",
           exclude="hostname "),  # "warning: hostname ..." is session noise (IGNORED_PREFIXES)
]

# --- pickup, bounce, postsuper (ref 3.4, 3.7, 3.8) -----------------------------------------------------

# space separated, so a bare address ends at a space; an old unquoted "<a b@x>" still reads whole
_PICKUP_ADDR = r'(?:"[^"]*"(?:@[^>\s]*)?|[^>\s]*|[^>]*(?=>))'
_PICKUP = [
    # QID: uid=UID from=<SENDER>[ orig_id=OLDQID] -- orig_id after postsuper -r (since 2.0.16)
    Pattern("postfix.pickup.pickup", "postfix/pickup",
            rf"(?:(?P<queue_id>{QID}): )?uid=\d+ from=<?(?P<sender>{_PICKUP_ADDR})>?(?: orig_id=(?P<text>\S+))?$",
            "pickup", samples=("D2FAE20586: uid=0 from=<fail2ban>",
                               "3mKxs308vpz7sXd: uid=1206 from=<system>",
                               "5B7C2E0F41: uid=0 from=<root> orig_id=3F2B41C0A5")),
    _warning("pickup", "warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days"),
    _noise("pickup", "warning: maildrop/4C1AD2F: Error writing message file"),
]

_BOUNCE = [
    # QID: sender|postmaster non-delivery|delay|delivery status notification: NEWQID
    Pattern("postfix.bounce.notification", "postfix/bounce",
            rf"(?:(?P<queue_id>{QID}): )?(?P<text>(?:sender|postmaster) (?:non-delivery|delay|delivery status) "
            rf"notification): (?P<queued_as>{QID})$", "notification", samples=(
                "17CCA8044: sender non-delivery notification: ADD2F8052",
                "65AFB8B5: sender delivery status notification: 1DF35917",
                "264FE1A18: sender delay notification: 0A87A1A08",
                "482E4404AC8: postmaster non-delivery notification: 47335405A44",
            )),
    # SEVERITY: append file defer QID: reason -- the bounce/defer log of one message cannot be written
    Pattern("postfix.bounce.file_error", "postfix/bounce",
            rf"(?P<status>{_SEV}): (?P<text>[a-z]+ file [a-z]+ (?P<queue_id>{QID}): .*)$", "warning", samples=(
                "fatal: append file defer 3lyw0Z2NdSz2xGb: No space left on device",
            )),
    _warning("bounce", "warning: 3lyw1l0Nwdz2xGs: defer service failure"),
    _noise("bounce", "warning: mail_queue_enter: create file incoming/123456.4567: Permission denied",
           exclude=rf"[a-z]+ file [a-z]+ {QID}: "),
]

_POSTSUPER = [
    Pattern("postfix.postsuper.removed", "postfix/postsuper", rf"(?P<queue_id>{QID}): removed$", "removed",
            samples=("D4F2023DB: removed", "3nsRhm5bH5z306M: removed")),
    Pattern("postfix.postsuper.requeued", "postfix/postsuper", rf"(?P<queue_id>{QID}): requeued$", "requeued",
            samples=("D4F2023DB: requeued",)),
    Pattern("postfix.postsuper.hold", "postfix/postsuper", rf"(?P<queue_id>{QID}): placed on hold$", "hold",
            samples=("D4F2023DB: placed on hold",)),
    Pattern("postfix.postsuper.released", "postfix/postsuper", rf"(?P<queue_id>{QID}): released from hold$",
            "released", samples=("D4F2023DB: released from hold", "3nsF2M5j0nz31GS: released from hold")),
    # postsuper -e / -f (since 3.5)
    Pattern("postfix.postsuper.expired", "postfix/postsuper", rf"(?P<queue_id>{QID}): (?P<status>expired)$",
            "expired", samples=("D4F2023DB: expired",)),
    Pattern("postfix.postsuper.summary", "postfix/postsuper",
            r"(?:Deleted|Requeued|Placed on hold|Released from hold|Renamed to match inode number|Force-expired"
            r"|Expired): \d+ messages?$|renamed file .*", None, samples=(
                "Deleted: 115 messages", "Requeued: 1 message", "Placed on hold: 67 messages",
                "Released from hold: 13 messages",
            )),
    _warning("postsuper", "warning: 3F2B41C0A5: message has been queued for 2 days"),
    _noise("postsuper", "fatal: queue hold: No such file or directory"),
]

# --- daemons recognised but not used (ref 3.2, 3.9) ----------------------------------------------------

_PSCREEN_ADDR = r"\[[^\]]*\]:\d+"
_UNUSED = [
    # postscreen: every line is about a connection, before any queue ID exists (ref 3.2)
    Pattern("postfix.postscreen.session", "postfix/postscreen",
            r"(?:CONNECT from |PASS (?:NEW|OLD) |(?:WHITE|ALLOW|BLACK|DENY)LISTED |(?:WHITE|ALLOW)LIST VETO "
            r"|PREGREET \d+ after |DNSBL rank \d+ for |HANGUP after |COMMAND (?:TIME|COUNT|LENGTH) LIMIT from "
            r"|COMMAND PIPELINING from |NON-SMTP COMMAND from |BARE NEWLINE from |DISCONNECT "
            r"|(?:DATA|BDAT) without valid RCPT from |NOQUEUE: reject: [A-Z]+ from "
            rf"|cache \S+ (?:full|partial) cleanup: ).*", None, samples=(
                "CONNECT from [61.238.241.86]:53024 to [89.105.204.244]:25",
                "PASS OLD [2604:8d00:0:1::3]:52237",
                "WHITELISTED [61.238.241.86]:53024",
                "ALLOWLIST VETO [61.238.241.86]:53024",
                "PREGREET 6 after 1.2 from [216.81.72.72]:43421: RSET\\r\\n",
                "HANGUP after 63 from [111.73.45.149]:1038 in tests after SMTP handshake",
                "COMMAND TIME LIMIT from [182.246.250.243]:51799 after CONNECT",
                "NOQUEUE: reject: RCPT from [182.98.255.184]:2413: 550 5.5.1 Protocol error; "
                "from=<lvtowxfdp@yahoo.com>, to=<tom@example.com>, proto=SMTP, helo=<mx32.usaindiamunish.net>",
                "NOQUEUE: reject: CONNECT from [1.2.3.4]:1337: too many connections",
                "cache btree:/var/lib/postfix-in/postscreen_cache full cleanup: retained=242 dropped=7 entries",
            )),
    _noise("postscreen", "warning: getpeername: Transport endpoint is not connected -- dropping this connection",
           qid_warnings=False),
    Pattern("postfix.tlsproxy.session", "postfix/tlsproxy",
            r"(?:CONNECT from |DISCONNECT |(?:Anonymous|Untrusted|Trusted|Verified) TLS connection established "
            rf"(?:from|to) |SSL_accept error from |{_CLIENT}: ).*", None, samples=(
                "CONNECT from [82.118.17.142]:51637", "DISCONNECT [82.118.17.142]:51637",
            )),
    _noise("tlsproxy", "warning: TLS library problem: error:14094418:SSL routines", qid_warnings=False),
    Pattern("postfix.anvil.statistics", "postfix/anvil", rf"(?:{_literals('anvil')}).*", None, samples=(
        "statistics: max connection rate 1/60s for (smtpd:61.238.241.86) at Oct 26 18:13:50",
        "statistics: max cache size 1 at Oct 26 18:13:50",
    )),
    _noise("anvil", "warning: anvil: cannot open socket", qid_warnings=False),
    Pattern("postfix.scache.statistics", "postfix/scache", rf"(?:{_literals('scache')}).*", None, samples=(
        "statistics: domain lookup hits=0 miss=1 success=0%", "statistics: start interval Dec  6 21:20:35",
    )),
    _noise("scache", "warning: scache: cannot open socket", qid_warnings=False),
    Pattern("postfix.dnsblog.listed", "postfix/dnsblog", r"addr \S+ listed by domain \S+ as \S+$", None,
            samples=("addr 61.238.241.86 listed by domain psbl.surriel.com as 127.0.0.2",)),
    _noise("dnsblog", "warning: dnsblog_query: lookup error for DNS query 198.204.82.110.list.dnswl.org: Host or "
                      "domain name not found. Name service error for name=198.204.82.110.list.dnswl.org type=A: "
                      "Host not found, try again", qid_warnings=False),
    Pattern("postfix.master.lifecycle", "postfix/master",
            r"(?:(?:daemon started|reload) -- version .*|terminating on signal \d+)$", None, samples=(
                "daemon started -- version 2.11.0, configuration /etc/postfix", "terminating on signal 15",
                "reload -- version 2.11.0, configuration /etc/postfix",
            )),
    _noise("master", "warning: process /usr/local/libexec/postfix/smtpd pid 46234 killed by signal 11",
           qid_warnings=False),
    Pattern("postfix.verify.cache", "postfix/verify", r"cache \S+ (?:full|partial) cleanup: .*", None, samples=(
        "cache lmdb:/var/lib/postfix/verify_cache full cleanup: retained=724 dropped=6 entries",
    )),
    _noise("verify", "warning: verify_cache: lookup error", qid_warnings=False),
    Pattern("postfix.postfix-script.lifecycle", "postfix/postfix-script",
            r"(?:(?:starting|stopping|refreshing|waiting for) the Postfix mail system"
            r"|the Postfix mail system is (?:not )?running).*", None, samples=(
                "starting the Postfix mail system", "refreshing the Postfix mail system",
            )),
    _noise("postfix-script", "warning: symlink leaves directory: /etc/postfix/./makedefs.out", qid_warnings=False),
    # postlog(1) logs whatever text a script hands it
    Pattern("postfix.postlog.any", "postfix/postlog", r".*", None, samples=("backup finished",)),
    *(_noise(d, s, qid_warnings=False) for d, s in (
        ("tlsmgr", "warning: request to update table btree:/var/spool/postfix/smtpd_scache in non-postfix "
                   "directory /var/spool/postfix"),
        ("trivial-rewrite", "warning: virtual_alias_domains lookup failure"),
        ("postdrop", "warning: uid=0: File too large"),
        ("sendmail", "fatal: root(0): message file too big"),
        ("postqueue", "fatal: Queue report unavailable - mail system is down"),
        ("postmap", "warning: /etc/postfix/conf.d/users.db: duplicate entry: \"xxx@yyy.com\""),
    )),
]

# --- the Mailman 2.1 C mail wrapper (ref 5.4) ---------------------------------------------------------
# src/common.c fatal(): openlog("Mailman mail-wrapper", LOG_CONS, LOG_MAIL); syslog(LOG_ERR, "%s\n", msg).
# It only ever logs the error that makes it exit, so every line is an error; rsyslog shows the
# message's newlines as #012. Exit codes (src/common.h) by message: 2 group mismatch,
# 8 group name not found, 5 usage, 6 illegal command; old wrappers exit 1 ("Failure to exec script").
_WRAPPER_CODES = (("Group mismatch error", "2"), ("Failure to find group name", "8"), ("Usage:", "5"),
                  ("Illegal command:", "6"), ("Failure to exec script", "1"))


def _wrapper(fields: dict) -> dict:
    text = fields["text"].replace("#012", " ").replace("\n", " ").strip()
    fields["text"] = text
    for prefix, code in _WRAPPER_CODES:
        if text.startswith(prefix):
            fields["code"] = code
            break
    return fields


_WRAPPER = [
    Pattern("mailman-wrapper.error", "mailman-wrapper", r"(?P<text>.+)", "wrapper_error", derive=_wrapper,
            flags=re.S, samples=(
                "Group mismatch error.  Mailman expected the mail#012wrapper script to be executed as group "
                "\"mailman\", but#012the system's mail server executed the mail script as#012group \"nobody\".  "
                "Try tweaking the mail server to run the#012script as group \"mailman\", or re-run configure, "
                "#012providing the command line option `--with-mail-gid=nobody'.",
                "Illegal command: pots",
            )),
]

#: all Postfix patterns, most frequent shapes first within each family
PATTERNS: list[Pattern] = [*_SMTP, *_QMGR, *_CLEANUP, *_SMTPD, *_AGENTS, *_LMTP, *_PICKUP, *_BOUNCE, *_POSTSUPER,
                           *_UNUSED, *_WRAPPER]

__all__ = ["DELIVERY", "PATTERNS", "QID", "queued_as"]
