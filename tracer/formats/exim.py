"""Exim main-log lines (reference postfix-logs.md 5.2; Exim spec "Log line flags").

The text given to a pattern is what follows ``YYYY-MM-DD HH:MM:SS[.mmm][ +zzzz] [pid] ``
in Exim's own main log, or what follows ``exim[pid]: `` in syslog. Through
syslog Exim still writes its own time stamp (``syslog_timestamp``, default
true) and may split a long line into ``[n/m]`` pieces, so each pattern accepts
those in front of the message ID. Events::

    queued     ID <= SENDER ... S=SIZE id=MESSAGE-ID ...      (sender <> -> "")
    delivery   ID => / -> / >> RCPT [<PARENT>] R=router T=transport [H=host [ip]] [C="reply"]   status sent
               ID ** RCPT [<PARENT>] R=... T=...: reason                                     status bounced
               ID == RCPT [<PARENT>] R=... T=... defer (errno): reason                       status deferred
    removed    ID Completed
    reject     [ID] H=... F=<S> rejected RCPT <R>: reason | rejected after DATA | rejected by local_scan()

Field mapping: ``recipient`` is the first token after the flag (a pipe
``|command args`` runs to the ``<parent>``), ``orig_to`` the ``<parent>``
address, ``relay`` the ``H=`` host when the delivery went over SMTP/LMTP and
otherwise the ``T=`` transport -- the same split as Postfix's ``relay=``
(``host[addr]:port`` vs ``local``/``mailman``), so a Mailman transport reads
like Postfix's ``relay=mailman``. ``text`` is the ``C="..."`` reply of a
delivery or the reason of a failure/deferral; ``message_id`` is the ``id=``
value exactly as logged (Exim writes it without ``<>``); ``client`` is the
``H=`` host a message came from; ``subject`` is ``T="..."`` on ``<=`` lines.
"""

from __future__ import annotations

import re

from .postfix import queued_as
from .registry import Pattern

#: classic 6-6-2 and, since Exim 4.97, 6-11-4 message IDs
EXIM_ID = r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}"
#: what may precede the message text: syslog's [1/n] piece marker, Exim's own stamp, +pid
_PRE = (r"(?:\[1[/\\]\d+\] )?(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})? )?"
        r"(?:\[\d+\] )?")
_FLAGS = r"(?:<=|=>|->|>>|\*>|\*\*|==|\(=)"
#: the recipient, then the <parent> address it was routed from, then everything else
_RCPT = (r"(?P<recipient>\|[^<]*?(?= <)|\S+)(?:(?: [^<=]*?)? <(?P<orig_to>[^>]*)>)?"
         r"(?P<text> .*)?$")
#: NAME=VALUE fields; VALUE quoted with \-escapes, or a word possibly followed by
#: "(helo)" and "[ip]:port" (H=host (helo) [ip]:port)
_FIELD = re.compile(r'(?<!\S)([A-Za-z][A-Za-z0-9]*)='
                    r'("(?:[^"\\]|\\.)*"|[^\s"]\S*(?: \([^)]*\))?(?: \[[^\]]*\](?::\d+)?)?)')
_REJECTED = r"rejected (?:RCPT|after DATA|by local_scan\(\))"


def fields_of(text: str) -> dict[str, str]:
    """Exim's NAME=VALUE fields, first occurrence wins, quotes and escapes removed.

    >>> fields_of('R=r1 T=t1 H=127.0.0.1 [127.0.0.1] C="250 OK id=10HmaY-000000005vi-0000"')
    {'R': 'r1', 'T': 't1', 'H': '127.0.0.1 [127.0.0.1]', 'C': '250 OK id=10HmaY-000000005vi-0000'}
    """
    out: dict[str, str] = {}
    for key, value in _FIELD.findall(text):
        if key not in out:
            if value[:1] == '"':
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            out[key] = value
    return out


def _arrival(fields: dict) -> dict:
    sender = fields["sender"]
    fields["sender"] = sender[1:-1] if sender[:1] == "<" and sender[-1:] == ">" else sender
    kv = fields_of(fields.pop("text", "") or "")
    if kv.get("S", "").isdigit():
        fields["size"] = kv["S"]
    for key, column in (("id", "message_id"), ("H", "client"), ("T", "subject")):
        if key in kv:
            fields[column] = kv[key]
    return fields


def _delivery(status: str, reason: bool):
    """A derive for one flag: split off the reason (``**``, ``==``), read relay and reply."""
    def derive(fields: dict) -> dict:
        rest = fields.pop("text", "") or ""
        fields["status"] = status
        if reason:
            rest, _, why = rest.partition(": ")
            if why:
                fields["text"] = why
        kv = fields_of(rest)
        relay = kv.get("H") or kv.get("T")
        if relay:
            fields["relay"] = relay
        if not reason and "C" in kv:
            fields["text"] = kv["C"]
        return queued_as(fields)
    return derive


def _reject(fields: dict) -> dict:
    kv = fields_of(fields.pop("client"))
    fields["status"] = "reject"
    if "H" in kv:
        fields["client"] = kv["H"]
    if "F" in kv:
        fields["sender"] = kv["F"].removeprefix("<").removesuffix(">")
    return fields


PATTERNS: list[Pattern] = [
    Pattern("exim.delivered", "exim", rf"{_PRE}(?P<queue_id>{EXIM_ID}) (?:=>|->|>>) {_RCPT}", "delivery",
            derive=_delivery("sent", reason=False), samples=(
                "10HmaX-000000005vi-0000 => userx <userx@test.ex> R=r2 T=local_delivery",
                "10HmaX-000000005vi-0000 -> userx2@test.ex R=r1 T=t1 H=127.0.0.1 [127.0.0.1] "
                "C=\"250 OK id=10HmaY-000000005vi-0000\"",
                "10HmaX-000000005vi-0000 => userx <userx@myhost.test.ex> R=smartuser T=lmtp C=\"250 OK\"",
            )),
    Pattern("exim.arrival", "exim", rf"{_PRE}(?P<queue_id>{EXIM_ID}) <= (?P<sender>\S+)(?P<text> .*)?$", "queued",
            derive=_arrival, samples=(
                "0tACW1-0005MB-00 <= kryten@dwarf.fict.example H=mailer.fict.example [192.168.123.123] U=exim "
                "P=smtp S=5678 id=f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example",
                "1j1Z2g-00Faoy-Uh <= example@strawberry.active-ns.com U=example P=local T=\"[Examples Galore] "
                "Please moderate: \\\"Hello world!\\\"\" for admin@example.net",
                "10HmaZ-000000005vi-0000 <= <> R=10HmaY-000000005vi-0000 U=EXIMUSER P=local S=sss",
            )),
    Pattern("exim.completed", "exim", rf"{_PRE}(?P<queue_id>{EXIM_ID}) Completed(?: .*)?$", "removed",
            samples=("10HmaY-000000005vi-0000 Completed",)),
    Pattern("exim.deferred", "exim", rf"{_PRE}(?P<queue_id>{EXIM_ID}) == {_RCPT}", "delivery",
            derive=_delivery("deferred", reason=True), samples=(
                "10HmaX-000000005vi-0000 == userx@copy.domain R=passall T=pass_on defer (dd): Network Error",
                "10HmaX-000000005vi-0000 == d2@myhost.test.ex R=ut4 T=ut4 defer (-44) H=127.0.0.1 [127.0.0.1]: "
                "SMTP error from remote mail server after RCPT TO:<d2@myhost.test.ex>: 450 soft error",
            )),
    Pattern("exim.bounced", "exim", rf"{_PRE}(?P<queue_id>{EXIM_ID}) \*\* {_RCPT}", "delivery",
            derive=_delivery("bounced", reason=True), samples=(
                "1j1Z2g-00Faoy-Uh ** admin@example.net R=virtual_aliases: No such person at this address.",
                "10HmaY-000000005vi-0000 ** wasabc@x.y.zwas <\"abc@x.y.z\"@test.ex> : Unrouteable address",
                "10HmaX-000000005vi-0000 ** d3@myhost.test.ex R=ut4 T=ut4 H=127.0.0.1 [127.0.0.1] : SMTP error "
                "from remote mail server after RCPT TO:<d3@myhost.test.ex>: 550 hard error",
            )),
    # *> delivery suppressed by -N, (= fakereject: test and policy lines with no effect on delivery
    Pattern("exim.suppressed", "exim", rf"{_PRE}{EXIM_ID} (?:\*>|\(=) .*", None,
            samples=("10HmaY-000000005vi-0000 *> accept <accept@y> R=accept T=appendfile",)),
    # [ID] H=host [ip] ... F=<S> rejected RCPT <R>: reason (also "rejected after DATA", "by local_scan()");
    # the fields in front come in any order, so `client` first takes all of them and _reject reads H= and F=
    Pattern("exim.reject", "exim",
            rf"{_PRE}(?:(?P<queue_id>{EXIM_ID}) )?(?P<client>(?:\S+ )+?){_REJECTED}"
            r"(?: <?(?P<recipient>[^>\s]*?)>?)?: (?P<text>.*)$", "reject", derive=_reject, samples=(
                "H=mx.tillions.com [182.18.24.93] F=<buh@caladan.ebay.sun.com> rejected RCPT "
                "<ruslan@maslovskiy.com.ua>: Sender verify failed",
                "U=CALLER F=<x@y> rejected RCPT <userx@test.ex>: Sender verify failed",
                "H=(yakult.com.tw) [202.132.70.178]:3755 I=[1.2.3.4]:25 F=menacedsj04@listserv.eurasia.org "
                "rejected RCPT dir@ml3.ru: relay not permitted",
                "1Unmew-0000ea-SE H=egeftech.static.otenet.gr [83.235.177.148]:32706 I=[1.2.3.4]:25 "
                "F=auguriesvbd40@google.com rejected after DATA: This message contains a virus "
                "(Sanesecurity.Junk.39934.UNOFFICIAL).",
            )),
    # any other line about one message: frozen, host errors, spam scanner notes, queue state
    Pattern("exim.message_note", "exim",
            rf"{_PRE}{EXIM_ID} (?!{_FLAGS} |Completed\b|(?:\S+ )*?{_REJECTED}).*", None, samples=(
                "10HmaX-000000005vi-0000 frozen by ACL",
                "10HmaX-000000005vi-0000 H=V4NET.0.0.1 [V4NET.0.0.1] Network Error",
                "10HmaZ-000000005vi-0000 no immediate delivery: queued by ACL",
                "1ahr79-0006jK-G9 SMTP connection from (voyeur.webair.com) [174.137.147.204]:44884 "
                "I=[172.89.0.6]:25 closed by DROP in ACL",
                "1VxPit-000MMd-U4 SA: Action: flagged as Spam but accepted: score=8.2 required=5.0",
            )),
    # daemon, queue-runner and SMTP-session lines without a message ID
    Pattern("exim.session", "exim",
            rf"{_PRE}(?!(?:\S+ )*?{_REJECTED})(?:[A-Z]{{1,3}}=|SMTP |no MAIL |no (?:host name|IP address) found "
            r"|\S+ authenticator failed |(?:Start|End) queue run|exim \S+ daemon |Connections=|TLS error "
            r"|unexpected disconnection |rejected [EH]+LO |Warning: |cwd=|\S+ sender verify fail "
            r"|sender verify fail |\[(?:[2-9]|\d\d+)[/\\]\d+\] |pid[= ]\d+).*", None,
            samples=(
                "Start queue run: pid=p1234 -qf",
                "exim x.yz daemon started: pid=p1234, no queue runs, listening for SMTP on port PORT_D",
                "Connections=0",
                "H=[127.0.0.1] rejected connection in \"connect\" ACL: 550 client disliked",
                "U=CALLER sender verify fail for <x@y>: Unrouteable address",
                "login authenticator failed for (ylmf-pc) [120.196.140.45]: 535 Incorrect authentication data",
                "SMTP connection Ci=p1238 from localhost (myhost.test.ex) [127.0.0.1] lost while reading message "
                "data (header)",
                "no MAIL in SMTP connection from [122.165.71.116]:2056 I=[172.89.0.6]:25 D=0s",
                "no host name found for IP address 192.0.2.8",
                "[2/3] T=\"a very long subject\" for list@example.org",
            )),
]

__all__ = ["EXIM_ID", "PATTERNS", "fields_of"]
