"""The syslog envelope: time stamp, host, program tag and pid in front of a log message.

Postfix only writes ``program[pid]: text``; the stamp and host come from
whatever carried the record (sysklogd, rsyslog, syslog-ng, journald, postlogd),
so one maillog can hold any of the shapes below. :func:`parse_envelope` splits
a line into an :class:`Envelope` and leaves the message text to the pattern
registry. It runs once per line on files of millions of lines, so the two
common shapes (BSD and RFC 3339 with ``host tag[pid]:``) are tried first with
one compiled regex each; the rarer shapes live in :data:`SHAPES`, a table
tried in order.

The time stamp is kept as written; :mod:`tracer.timestamps` turns it into UTC
using ``kind``:

    bsd         Mmm dd hh:mm:ss[.frac]            no year, local time
    rfc3339     YYYY-MM-DDThh:mm:ss[.frac]±hh:mm   zone given (also Z, ±hhmm, space for T)
    local_iso   YYYY-MM-DD hh:mm:ss[.frac]        no zone, local time (syslog-ng, Exim)
    short_full  Fri 2009-02-13 23:31:30 UTC        journalctl -o short-full
    epoch       1234567890.123456                 journalctl -o short-unix
    epoch_us    1234567890123456                  journalctl -o json __REALTIME_TIMESTAMP
    mailman     Mmm dd hh:mm:ss YYYY              a Mailman 2.1 log entry

Reference: ../shared/reference/postfix-logs.md section 1 (cited as "ref 1.x")
and mailman2-logs.md section 1.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable


@dataclass(slots=True)
class Envelope:
    """One line's envelope; ``message`` is the text after ``tag[pid]: ``.

    >>> parse_envelope("Jul  5 06:52:11 prd-mx1 postfix/qmgr[20459]: 3mPVKl0Mhjz7sXv: removed")
    Envelope(ts='Jul  5 06:52:11', kind='bsd', syslog_host='prd-mx1', program='postfix/qmgr', pid=20459, message='3mPVKl0Mhjz7sXv: removed')
    """

    ts: str
    kind: str
    syslog_host: str | None
    program: str | None
    pid: int | None
    message: str


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# forwarding formats put <PRI> first (ref 1.2: <6>Feb 10 08:38:47 ...)
_PRI = r"(?:<\d{1,3}>)?"
# day space-padded (syslog), zero-padded (journalctl short, postlog) or unpadded (ref 1.2, 1.5, 1.6)
_BSD_TS = _MONTH + r" [ \d]?\d \d\d:\d\d:\d\d(?:\.\d{1,9})?"
# RFC 3339 (rsyslog, journalctl short-iso) or zone-less ISO (syslog-ng, Exim); Exim
# log_timezone puts a space before +zzzz (ref 1.3, 1.5, 5.2)
_ISO_TS = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?"
_ZONE = r"(Z|[+-]\d\d:?\d\d| [+-]\d{4})?"
# Exim message ids: 6-6-2, and 6-11-4 since Exim 4.97 (ref 5.2)
_EXIM_ID = r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}"
# [<mail.info>] HOST TAG[PID]: MSG -- the <facility.priority> tag comes from
# sendmail set-ups (ref 1.2); a host never ends in ":" (that is a hostless tag);
# the tag may hold / - . $ (postfix-out/submission/smtpd, ref 1.1), and
# Mailman's C wrapper logs as "Mailman mail-wrapper" with a space and no pid
# (ref 5.4); a missing ":" after [pid] occurs (ref 1.8)
_TAIL = (r" (?:<[a-z0-9]+\.[a-z]+> )?([^\s\[]\S*)(?<!:)"
         r" (Mailman [a-z]+-wrapper|[^\s\[\]:()]+)(?:\[(\d+)\]:?|:)(?: |$)(.*)")

_BSD = re.compile(_PRI + "(" + _BSD_TS + ")" + _TAIL)
_ISO = re.compile(_PRI + "(" + _ISO_TS + ")" + _ZONE + "(?! " + _EXIM_ID + " )" + _TAIL)


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def parse_envelope(line: str) -> Envelope | None:
    """Split a log line into its envelope, or None when no envelope shape fits.

    >>> parse_envelope("2021-02-06T10:57:57+01:00 mail.server.com postfix/cleanup[59586]: D6DDA23B0F: hold").kind
    'rfc3339'
    >>> parse_envelope("\\tASL Module claims selected messages.") is None
    True
    """
    m = _BSD.match(line)
    if m is not None:
        ts, host, tag, pid, msg = m.groups()
        return Envelope(ts, "bsd", host, tag, int(pid) if pid else None, msg)
    m = _ISO.match(line)
    if m is not None:
        ts, zone, host, tag, pid, msg = m.groups()
        if zone:
            return Envelope(ts + zone, "rfc3339", host, tag, int(pid) if pid else None, msg)
        return Envelope(ts, "local_iso", host, tag, int(pid) if pid else None, msg)
    for _name, rx, build in SHAPES:
        m = rx.match(line)
        if m is not None:
            env = build(m)
            if env is not None:
                return env
    if line[:1] == "\ufeff":  # a UTF-8 BOM in front of a file's first line
        return parse_envelope(line[1:])
    return None


def _kind_of(ts: str) -> str:
    """Kind of a stamp matched by :data:`_ANY_TS` (slow path only)."""
    if ts[4:5] == "-":
        return "rfc3339" if _HAS_ZONE.search(ts) else "local_iso"
    if ts[:1].isdigit():
        return "epoch"
    if ts[3:4] == " " and ts[4:5].isdigit() and ts[8:9] == "-":
        return "short_full"
    return "bsd"


_HAS_ZONE = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
# any stamp, for the slow shapes: BSD with a localised month ("août 19", "déc. 3",
# ref 1.2), ISO, journalctl short-unix and short-full (ref 1.5)
_ANY_TS = (r"(" + r"[^\W\d_]{3,5}\.? +\d{1,2} \d\d:\d\d:\d\d(?:\.\d{1,9})?"
           + "|" + _ISO_TS + r"(?:Z|[+-]\d\d:?\d\d)?"
           + r"|\d{9,11}\.\d{6}"
           + r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? [^\s\d]\S*"
           + ")")


def _tagged(m: re.Match) -> Envelope:
    ts, host, tag, pid, msg = m.groups()
    return Envelope(ts, _kind_of(ts), host, tag, _int(pid), msg)


def _hostless(m: re.Match) -> Envelope:
    ts, tag, pid, msg = m.groups()
    return Envelope(ts, _kind_of(ts), None, tag, _int(pid), msg)


def _untagged(m: re.Match) -> Envelope:
    ts, host, msg = m.groups()
    if host == "---":  # macOS/BSD syslogd: "Mmm dd hh:mm:ss --- last message repeated 1 time ---"
        return Envelope(ts, _kind_of(ts), None, None, None, "--- " + msg)
    return Envelope(ts, _kind_of(ts), host, None, None, msg)


def _mailman(m: re.Match) -> Envelope:
    ts, pid, label, lpid, msg = m.groups()
    return Envelope(ts, "mailman", None, label, int(pid or lpid), msg)


def _exim(m: re.Match) -> Envelope:
    ts, zone, pid, msg = m.groups()
    return Envelope(ts + zone, "rfc3339", None, "exim", _int(pid), msg) if zone else \
        Envelope(ts, "local_iso", None, "exim", _int(pid), msg)


def _rfc5424(m: re.Match) -> Envelope | None:
    ts, host, app, procid, msg = m.groups()
    if ts == "-":
        return None  # no time: nothing to place the line by
    msg = (msg or "").lstrip(" ")
    if msg[:1] == "\ufeff":
        msg = msg[1:]
    return Envelope(ts, "rfc3339", None if host == "-" else host, None if app == "-" else app,
                    int(procid) if procid.isdigit() else None, msg)


def _journal_value(value) -> str | None:
    """A journal JSON field: text, an array of byte values (not UTF-8), or an array of values (repeated field)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        if all(isinstance(b, int) for b in value):
            return bytes(b & 0xFF for b in value).decode("utf-8", "replace")
        return _journal_value(value[0])
    return str(value)


def _journal(m: re.Match) -> Envelope | None:
    try:
        rec = json.loads(m.group(1))
    except ValueError:
        return None
    if not isinstance(rec, dict):
        return None
    ts = _journal_value(rec.get("__REALTIME_TIMESTAMP") or rec.get("_SOURCE_REALTIME_TIMESTAMP"))
    if not ts or not ts.isdigit():
        return None
    pid = _journal_value(rec.get("_PID") or rec.get("SYSLOG_PID"))
    return Envelope(ts, "epoch_us", _journal_value(rec.get("_HOSTNAME")),
                    _journal_value(rec.get("SYSLOG_IDENTIFIER") or rec.get("_COMM")),
                    int(pid) if pid and pid.isdigit() else None, _journal_value(rec.get("MESSAGE")) or "")


#: the slower envelope shapes, tried in order after the BSD and RFC 3339 fast paths;
#: each is (name, regex, builder) and the builder may still reject the match
SHAPES: tuple[tuple[str, re.Pattern, Callable[[re.Match], Envelope | None]], ...] = (
    # journalctl -o json / json-seq (RS first): one object per line (ref 1.5)
    ("journal_json", re.compile(r"\x1e?(\{.*\})\s*$"), _journal),
    # <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG], "-" = nil (ref 1.4);
    # SD is optional here because lnav's sample "prg00000[1234] - -  info: ..." leaves it out
    ("rfc5424", re.compile(r"<\d{1,3}>\d{1,2} (-|" + _ISO_TS + r"(?:Z|[+-]\d\d:\d\d)) (\S+) (\S+) (\S+) \S+"
                           r"(?: (?:-|(?:\[(?:[^\]\"\\]|\\.|\"(?:[^\"\\]|\\.)*\")*\])+)(?= |$))?(?: (.*))?"),
     _rfc5424),
    # Mmm dd hh:mm:ss YYYY (pid) msg | label(pid): msg -- Mailman 2.1 StampedLogger (mailman2-logs 1.2)
    ("mailman", re.compile("(" + _MONTH + r" [ \d]?\d \d\d:\d\d:\d\d \d{4}) "
                           r"(?:\((\d+)\)|([A-Za-z_]+)\((\d+)\):)(?: |$)(.*)"), _mailman),
    # YYYY-MM-DD hh:mm:ss[.mmm][ +zzzz] [[pid] ]msg -- Exim main log, no host, no tag (ref 5.2)
    ("exim", re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?)( [+-]\d{4})? (?:\[(\d+)\] )?(.*)"),
     _exim),
    # STAMP HOST TAG[PID]: MSG with a localised month, a short-unix or short-full stamp
    ("tagged", re.compile(_PRI + _ANY_TS + _TAIL), _tagged),
    # STAMP HOST Some Tag[PID]: MSG -- macOS "Setup Assistant[1173]:" (ref 1.8)
    ("spaced_tag", re.compile(_PRI + _ANY_TS + r" ([^\s\[]\S*)(?<!:) ([^\s\[\]:][^\[\]:]*)\[(\d+)\]:? ?(.*)"),
     _tagged),
    # STAMP TAG[PID]: MSG without a host -- local syslogd writing "su: ..." (ref 1.8)
    ("hostless", re.compile(_PRI + _ANY_TS + r" ([^\s\[\]:()]+)(?:\[(\d+)\]:?|:)(?: |$)(.*)"), _hostless),
    # STAMP HOST MSG without a tag -- "last message repeated N times" (ref 1.2), "syslogd 1.4.1: restart."
    ("untagged", re.compile(_PRI + _ANY_TS + r" (?:<[a-z0-9]+\.[a-z]+> )?([^\s\[]\S*)(?<!:) +(.*)"), _untagged),
)
