"""Sendmail (sm-mta) log lines and sendmail's restricted shell smrsh (reference postfix-logs.md 5.1).

Sendmail writes one line per envelope sender and one per delivery attempt,
each starting with the queue ID and carrying comma-separated ``name=value``
equates (``logsender()`` in ``envelope.c``, ``logdelivery()`` in
``deliver.c``). Events::

    queued        QID: from=<S>, size=N, class=N, nrcpts=N, msgid=<M>, ..., relay=HOST [ADDR]
    delivery      QID: to=<R>[,<R2>], ..., mailer=M, pri=N, relay=..., dsn=X.Y.Z, stat=STAT
                  (status: Sent -> sent, Deferred/queued -> deferred, anything else -> bounced)
    notification  QID: NEWQID: DSN|return to sender|sender notify|postmaster notify: reason
    reject        QID: ruleset=check_*, arg1=..., relay=..., reject=REPLY; QID: <addr>... reason;
                  QID: Milter: ..., reject=REPLY
    smrsh_refused smrsh: uid N: attempt to use "PROG" (stat failed) and the other refusals

Sendmail's own delay is ``[D+]HH:MM:SS``; it is given to the ``delay``
column in seconds so that it compares with Postfix's.
"""

from __future__ import annotations

from .postfix import queued_as
from .registry import Pattern

#: 8.12+ IDs are 14-15 characters (s1GNXHYB005133, xA32R2PQ3529566), older ones 12 (fBKAeuJ15426)
SMID = r"[0-9A-Za-z]{8,20}"
#: an SMTP client as sendmail shows it: "host [addr]", "[addr]", "host. [IPv6:...]", maybe "(may be forged)"
_PEER = r"(?:\S* )?\[[^\]]*\](?: \(may be forged\))?"


def _seconds(delay: str) -> str | None:
    """``[D+]HH:MM:SS`` -> seconds as text (``4+15:20:02`` -> ``400802``)."""
    days, _, hms = delay.rpartition("+")
    parts = hms.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or (days and not days.isdigit()):
        return None
    h, m, s = (int(p) for p in parts)
    return str((int(days or 0) * 24 + h) * 3600 + m * 60 + s)


def _recipients(to: str) -> str:
    """The ``to=`` list without ``<>`` around each address; a prog/file recipient stays verbatim."""
    to = to.removesuffix(" [more]").rstrip(",")  # logdelivery() splits long lists: "to=<a>,<b>, [more], ..."
    if '"' in to:
        return to
    return ",".join(a.strip().removeprefix("<").removesuffix(">") for a in to.split(","))


def _delivery(fields: dict) -> dict:
    fields["recipient"] = _recipients(fields["recipient"])
    if "orig_to" in fields:
        fields["orig_to"] = fields["orig_to"].removeprefix("<").removesuffix(">")
    if "delay" in fields:
        seconds = _seconds(fields.pop("delay"))
        if seconds is not None:
            fields["delay"] = seconds
    stat = fields.pop("text")
    if stat.startswith("Sent"):
        fields["status"] = "sent"
        text = stat[4:].strip()
        if text.startswith("("):  # Sent (reply); a stat cut at 203 characters loses the ")"
            text = text[1:].removesuffix(")")
    elif stat.startswith("Deferred") or stat in ("queued", "quarantined"):
        fields["status"] = "deferred"  # queued: DeliveryMode=queue, not tried yet
        text = stat.removeprefix("Deferred").lstrip(":").strip() if stat.startswith("Deferred") else stat
    else:
        fields["status"] = "bounced"  # User unknown, Service unavailable, unknown mailer error 2, ...
        text = stat
    if text:
        fields["text"] = text
    return queued_as(fields)


def _queued(fields: dict) -> dict:
    fields["sender"] = fields["sender"].removeprefix("<").removesuffix(">")
    if "relay" in fields:
        # the sending host: correlate.py's Mailman hand-off check reads `client` (localhost [127.0.0.1])
        fields["client"] = fields["relay"]
    return fields


def _reject(fields: dict) -> dict:
    fields["status"] = "reject"
    return fields


PATTERNS: list[Pattern] = [
    # QID: to=RCPTS[, orig_to=O][, ctladdr=C (uid/gid)], delay=D[, xdelay=X][, mailer=M][, tls_verify=V],
    #      pri=N[, relay=HOST [ADDR]][, dsn=X.Y.Z][, ntries=N][, reply=R], stat=STAT   -- deliver.c logdelivery()
    Pattern("sendmail.delivery", "sendmail",
            rf"(?P<queue_id>{SMID}): to=(?P<recipient>.+?),(?: orig_to=(?P<orig_to>[^,]*),)?"
            r"(?: ctladdr=[^,]*,)? delay=(?P<delay>[\d+:]+),(?: xdelay=[\d+:]+,)?(?: mailer=[^,]*,)?"
            r"(?: tls_verify=[^,]*,)?(?: pri=\d+,)?(?: relay=(?P<relay>[^,]*),)?(?: quarantine=[^,]*,)?"
            r"(?: dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3}),)?(?: ntries=\d+,)?(?: reply=.*?,)? stat=(?P<text>.*)$",
            "delivery", derive=_delivery, samples=(
                "x68DJAVD023504: to=<someone@xs4all.nl>, delay=12:34:45, xdelay=00:00:00, mailer=lmtp, pri=128179, "
                "relay=imap.xs4all.nl [194.109.6.110], dsn=2.0.0, stat=Sent",
                "x6OAO3PO023456: to=<kai@office.example.com>, delay=00:00:00, xdelay=00:00:00, mailer=smtp, "
                "pri=235332, relay=webmail.office.example.com. [192.168.1.168], dsn=2.0.0, stat=Sent "
                "(<4cb171fbd6e92fed42e1344934c6f130@smtp.example.com> [InternalId=1234567890, "
                "Hostname=Exchange.office.example.com] Queued mail for delivery)",
            )),
    # QID: from=S, size=N, class=N[, pri=N], nrcpts=N[, msgid=<M>][, bodytype=B][, proto=P][, daemon=D]
    #      [, relay=HOST [ADDR]]                                                -- envelope.c logsender()
    Pattern("sendmail.queued", "sendmail",
            rf"(?P<queue_id>{SMID}): from=(?P<sender>[^,]*), size=(?P<size>\d+), class=-?\d+,(?: pri=\d+,)?"
            r" nrcpts=(?P<nrcpt>\d+)(?:, msgid=(?P<message_id><[^>]*>|[^,]*))?(?:, [a-z]+=[^,]*)*?"
            r"(?:, relay=(?P<relay>.*))?$", "queued", derive=_queued, samples=(
                "x68DJAVD023504: from=<postmaster@example.com>, size=1234, class=0, nrcpts=1, "
                "msgid=<20190101120033.1234@example.com>, proto=ESMTP, daemon=MTA, relay=remote.example.com "
                "[192.168.1.1]",
                "r0NNNlC0030222: from=<bounce-25497-9881290652-user=example.com@example.com>, size=6420, class=0, "
                "nrcpts=1, msgid=<0.0.9881290652.3772024cf8879cycvau18081.0@example.com>, bodytype=8BITMIME, "
                "proto=ESMTP, daemon=MTA, relay=[192.0.43.15] (may be forged)",
                "55HIbcGI002794: from=<root@yourhost.com>, size=108, class=0, nrcpts=0, proto=ESMTP, "
                "daemon=MTA-v4, relay=[192.168.1.45]",
            )),
    # QID: NEWQID: DSN|return to sender|sender notify|postmaster notify: reason  -- savemail.c returntosender()
    Pattern("sendmail.notification", "sendmail",
            rf"(?P<queue_id>{SMID}): (?P<queued_as>{SMID}): "
            r"(?P<text>(?:DSN|return to sender|sender notify|postmaster notify): .*)$", "notification", samples=(
                "p8NI92xg023581: p8NI92xh023581: DSN: User unknown",
            )),
    # [QID: ]ruleset=check_rcpt, arg1=<R>, relay=HOST [ADDR], reject=REPLY
    Pattern("sendmail.reject_rcpt", "sendmail",
            rf"(?:(?P<queue_id>{SMID}): )?ruleset=check_rcpt, arg1=<?(?P<recipient>[^,>]*)>?, "
            rf"relay=(?P<client>{_PEER}), reject=(?P<text>.*)$", "reject", derive=_reject, samples=(
                "s1P819mk027713: ruleset=check_rcpt, arg1=<asservnew@freemailhost.ru>, "
                "relay=128-68-136-133.broadband.corbina.ru [128.68.136.133], reject=550 5.7.1 "
                "<asservnew@freemailhost.ru>... Relaying denied. Proper authentication required.",
                "s1NLaDQT022248: ruleset=check_rcpt, arg1=<dautareuk2@hotmail.it>, "
                "relay=int0.client.access.azadnet.net [80.253.155.119] (may be forged), reject=550 5.7.1 "
                "<dautareuk2@hotmail.it>... Relaying denied. IP name possibly forged [80.253.155.119]",
            )),
    # check_mail, check_relay, ...: arg1 is the sender or the client name
    Pattern("sendmail.reject", "sendmail",
            rf"(?:(?P<queue_id>{SMID}): )?ruleset=(?!check_rcpt,)\w+, arg1=[^,]*(?:, arg2=[^,]*)?, "
            rf"relay=(?P<client>{_PEER}), reject=(?P<text>.*)$", "reject", derive=_reject, samples=(
                "ruleset=check_relay, arg1=leased-line-54-82.telecom.by, arg2=217.21.54.82, "
                "relay=leased-line-54-82.telecom.by [217.21.54.82], reject=421 4.3.2 Connection rate limit exceeded.",
            )),
    # QID: <R>... reason -- an SMTP-time recipient error (usrerr)
    Pattern("sendmail.rcpt_error", "sendmail",
            rf"(?P<queue_id>{SMID}): <(?P<recipient>[^>]*)>\.\.\. (?P<text>.*)$", "reject", derive=_reject,
            samples=("rA37ZTSC026250: <arhipov@domain.com>... No such user here",
                     "55HIbcGI002794: <baduser@yourhost.com>... User unknown")),
    # QID: Milter: from=<S>|to=<R>|data, reject=REPLY  -- milter.c
    Pattern("sendmail.milter_reject", "sendmail",
            rf"(?P<queue_id>{SMID}): Milter: (?:from=<?(?P<sender>[^,>]*)>?|to=<?(?P<recipient>[^,>]*)>?|[^,]*)"
            r", reject=(?P<text>.*)$", "reject", derive=_reject, samples=(
                "u1IJTV2r001590: Milter: data, reject=550 5.7.1 Blocked by SpamAssassin",
                "u1IJTV2r001590: Milter: to=<mylist@lists.example.org>, reject=451 4.7.1 Greylisting in action",
            )),
    # SMTP session chatter, SASL and TLS notes, daemon start, system errors
    Pattern("sendmail.session", "sendmail",
            rf"(?:(?:{SMID}|NOQUEUE): )?(?:{_PEER}(?::| did not issue )|rejecting commands from "
            r"|AUTH failure |AUTH=|STARTTLS|TLS |SYSERR|lost input channel |timeout waiting for input "
            r"|collect: |Authentication-Warning: |alias database |starting daemon |did not issue "
            r"|Milter(?! ?: .*, reject=)|clone |sender notify: |connect from |tcpwrappers |low on space"
            r"|headers too large|discarded|done; |--- ).*", None, samples=(
                "s1GNXHYB005133: [190.5.230.178]: possible SMTP attack: command=AUTH, count=5",
                "s1OHxxSn001499: 192.241.70.95.dsl.static.turk.net [95.70.241.192] (may be forged): possible SMTP "
                "attack: command=AUTH, count=6",
                "06I02CNi016764: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication "
                "failure: checkpass failed, user=user@example.com, relay=example.com [192.0.2.3] (may be forged)",
                "s1R9r60D044307: rejecting commands from  [209.15.212.253] due to pre-greeting traffic after 0 "
                "seconds",
                "s1NKIkZa093301: [76.72.174.70]: EXPN root [rejected]",
                "v26LtRA0020949: some-host-24.example.org [192.0.2.194] did not issue MAIL/EXPN/VRFY/ETRN during "
                "connection to MTA",
                "06QDQnNf050438: example.com [IPv6:2001:DB8::1] did not issue MAIL/EXPN/VRFY/ETRN during "
                "connection to IPv6",
                "56VFYCxS024291: lost input channel from mail.aqicn.org [139.162.120.196] to MTA-v4 after rcpt",
                "NOQUEUE: SYSERR(nobody): can not write to queue directory /var/spool/clientmqueue/",
            )),
]

# smrsh (sendmail's restricted shell for prog deliveries) syslogs its refusals under its own ident
# "smrsh" without a pid (smrsh/smrsh.c 8.66: openlog("smrsh", LOG_ODELAY|LOG_CONS, LOG_MAIL)); the
# quotes and the "(stat failed)"-style reasons arrived in 8.12, older smrsh logs `attempt to use PROG`.
# It also prints `smrsh: "PROG" not available for sendmail programs (stat failed)` on stderr, which
# sendmail puts in the bounce; syslog sees the prog delivery as stat=Service unavailable (EX_UNAVAILABLE).
PATTERNS += [
    Pattern("smrsh.refused", "smrsh",
            r"(?P<text>uid \d+: (?:attempt to use .*|missing command to exec)|command too long: .*|usage"
            r"|too many specials: .*|Cannot exec /bin/sh: .*)$", "smrsh_refused", samples=(
                'uid 8: attempt to use "mailman" (stat failed)',
                "uid 8: attempt to use mailman",
                'uid 8: attempt to use "mailman" (not a file)',
            )),
]

__all__ = ["PATTERNS", "SMID"]
