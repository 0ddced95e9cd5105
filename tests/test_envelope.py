"""parse_envelope: every envelope shape of ../shared/reference/postfix-logs.md section 1, then the real-lines corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracer.formats.envelope import SHAPES, Envelope, parse_envelope

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "real-lines"

E = Envelope
# line -> the whole Envelope (ts, kind, syslog_host, program, pid, message)
CASES = [
    # 1.2 classic BSD, space-padded day
    ("Jul  5 06:52:11 prd-mx1 postfix/qmgr[20459]: 3mPVKl0Mhjz7sXv: from=<>, size=2666, nrcpt=2 (queue active)",
     E("Jul  5 06:52:11", "bsd", "prd-mx1", "postfix/qmgr", 20459, "3mPVKl0Mhjz7sXv: from=<>, size=2666, nrcpt=2 (queue active)")),
    # 1.5/1.6 journalctl short and postlog maillog_file: zero-padded day
    ("Feb 05 23:31:30 mail postfix/smtpd[123]: connect from a[192.0.2.1]",
     E("Feb 05 23:31:30", "bsd", "mail", "postfix/smtpd", 123, "connect from a[192.0.2.1]")),
    # 1.2 unpadded day (msimerson/postfix-parser "permit single digit day")
    ("Jan 6 08:39:06 mail postfix/smtpd[339505]: 93C8388C38: client=unknown[192.168.1.0]",
     E("Jan 6 08:39:06", "bsd", "mail", "postfix/smtpd", 339505, "93C8388C38: client=unknown[192.168.1.0]")),
    # 1.5 journalctl short-precise / lnav sub-second BSD
    ("Feb 13 23:31:30.123456 host postfix/smtp[9]: x",
     E("Feb 13 23:31:30.123456", "bsd", "host", "postfix/smtp", 9, "x")),
    # 1.2 forwarding format with <PRI>
    ("<22>Feb 10 08:38:47 mx postfix/cleanup[77]: ABC123: message-id=<a@b>",
     E("Feb 10 08:38:47", "bsd", "mx", "postfix/cleanup", 77, "ABC123: message-id=<a@b>")),
    # 1.2 <facility.priority> between stamp and host (fail2ban sendmail fixtures)
    ("Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: 55HIbcGI002794: from=<root@yourhost.com>, size=108",
     E("Jun 17 14:37:39", "bsd", "robin", "sm-mta", 2794, "55HIbcGI002794: from=<root@yourhost.com>, size=108")),
    # 1.1 multi-instance and submission tags
    ("Nov 28 22:50:29 smtp postfix-smo/submission/smtpd[70013]: connect from x[192.0.2.2]",
     E("Nov 28 22:50:29", "bsd", "smtp", "postfix-smo/submission/smtpd", 70013, "connect from x[192.0.2.2]")),
    ("Aug  1 10:00:00 mx postfix/smtp-25/smtpd[1]: a", E("Aug  1 10:00:00", "bsd", "mx", "postfix/smtp-25/smtpd", 1, "a")),
    ("Aug  1 10:00:00 mx postfix-out/smtp[2]: b", E("Aug  1 10:00:00", "bsd", "mx", "postfix-out/smtp", 2, "b")),
    # 1.1 a tag with $ (syslog_name=postfix/$service_name left unexpanded) and dots
    ("Aug  1 10:00:00 mx postfix/$service_name/smtpd[3]: c",
     E("Aug  1 10:00:00", "bsd", "mx", "postfix/$service_name/smtpd", 3, "c")),
    ("Aug  1 10:00:00 mac com.apple.mail[4]: d", E("Aug  1 10:00:00", "bsd", "mac", "com.apple.mail", 4, "d")),
    # 5.4 Mailman's C wrapper: a tag with a space and no pid; rsyslog #012 stays escaped
    ("Aug 22 09:14:05 lists Mailman mail-wrapper: Group mismatch error.  Mailman expected the mail#012wrapper",
     E("Aug 22 09:14:05", "bsd", "lists", "Mailman mail-wrapper", None,
       "Group mismatch error.  Mailman expected the mail#012wrapper")),
    # 1.8 tag without pid
    ("Nov  3 09:47:02 veridian sudo: timstack : TTY=pts/6",
     E("Nov  3 09:47:02", "bsd", "veridian", "sudo", None, "timstack : TTY=pts/6")),
    # 1.8 missing ":" after [pid]
    ("2021-02-19T14:32:14.936091+01:00 smtp01.example.org postfix/smtpd[58176] E89FA2DEDA: client=srv05.source.com[10.11.12.13]",
     E("2021-02-19T14:32:14.936091+01:00", "rfc3339", "smtp01.example.org", "postfix/smtpd", 58176,
       "E89FA2DEDA: client=srv05.source.com[10.11.12.13]")),
    ("Aug  1 00:00:03 Tim-Stacks-iMac com.apple.xpc.launchd[1] (com.apple.mdworker[50989]): Service exited",
     E("Aug  1 00:00:03", "bsd", "Tim-Stacks-iMac", "com.apple.xpc.launchd", 1, "(com.apple.mdworker[50989]): Service exited")),
    # 1.2 "last message repeated": no tag
    ("Jan  1 00:00:03 mx1 last message repeated 3 times",
     E("Jan  1 00:00:03", "bsd", "mx1", None, None, "last message repeated 3 times")),
    # macOS/BSD syslogd writes it without a host
    ("Jan  1 00:00:03 --- last message repeated 1 time ---",
     E("Jan  1 00:00:03", "bsd", None, None, None, "--- last message repeated 1 time ---")),
    # 1.8 a local syslogd without a host field
    ("Jan 11 22:33:44 su: 'su root' failed for luser on /dev/pts/8",
     E("Jan 11 22:33:44", "bsd", None, "su", None, "'su root' failed for luser on /dev/pts/8")),
    # 1.8 a tag with a space (macOS)
    ("Jan  4 10:23:26 Tims-MacBook-Air Setup Assistant[1173]: Creating connection",
     E("Jan  4 10:23:26", "bsd", "Tims-MacBook-Air", "Setup Assistant", 1173, "Creating connection")),
    # 1.2 localised month (lnav logfile_syslog_fr.0)
    ("août 19 11:08:37 nlaptop symphorien[4961]: test", E("août 19 11:08:37", "bsd", "nlaptop", "symphorien", 4961, "test")),
    # 1.3 rsyslog high precision, no fraction, Z
    ("2024-08-26T01:33:38.572449+00:00 machine postfix/smtpd[60203]: NOQUEUE: reject",
     E("2024-08-26T01:33:38.572449+00:00", "rfc3339", "machine", "postfix/smtpd", 60203, "NOQUEUE: reject")),
    ("2021-02-06T10:57:57+01:00 mail.server.com postfix/cleanup[59586]: D6DDA23B0F: message-id=<x@y>",
     E("2021-02-06T10:57:57+01:00", "rfc3339", "mail.server.com", "postfix/cleanup", 59586, "D6DDA23B0F: message-id=<x@y>")),
    ("2021-02-06T10:57:57Z mx postfix/qmgr[5]: D6DDA23B0F: removed",
     E("2021-02-06T10:57:57Z", "rfc3339", "mx", "postfix/qmgr", 5, "D6DDA23B0F: removed")),
    # 1.5 older journalctl short-iso: offset without a colon
    ("2009-02-13T23:31:30+0100 host postfix/smtpd[123]: x", E("2009-02-13T23:31:30+0100", "rfc3339", "host", "postfix/smtpd", 123, "x")),
    # 1.3 a zone with a space separator instead of T
    ("2009-02-13 23:31:30+01:00 host postfix/smtpd[123]: x", E("2009-02-13 23:31:30+01:00", "rfc3339", "host", "postfix/smtpd", 123, "x")),
    # <PRI> before an RFC 3339 stamp (lua_sandbox syslog tests)
    ("<6>2014-02-10T08:33:15.407935-08:00 trink-x230 kernel: imklog 5.8.6",
     E("2014-02-10T08:33:15.407935-08:00", "rfc3339", "trink-x230", "kernel", None, "imklog 5.8.6")),
    ("<166>2014-06-26T23:13:23-07:00 example.com     at java.net.SocketInputStream.socketRead0(Native Method)",
     E("2014-06-26T23:13:23-07:00", "rfc3339", "example.com", None, None, "at java.net.SocketInputStream.socketRead0(Native Method)")),
    # 1.3 syslog-ng: ISO without a zone, then host and tag
    ("2019-10-22 03:39:17 mx1.fqdn.local exim[29786]: dovecot_login authenticator failed",
     E("2019-10-22 03:39:17", "local_iso", "mx1.fqdn.local", "exim", 29786, "dovecot_login authenticator failed")),
    # 1.4 RFC 5424
    ("<78>1 2017-04-27T08:09:01+02:00 nextcloud CRON 1472 - -  (root) CMD (x)",
     E("2017-04-27T08:09:01+02:00", "rfc3339", "nextcloud", "CRON", 1472, "(root) CMD (x)")),
    ("<22>1 2024-01-02T03:04:05.678Z mx1 postfix/smtp 4242 - - 3F2B41C0A5: removed",
     E("2024-01-02T03:04:05.678Z", "rfc3339", "mx1", "postfix/smtp", 4242, "3F2B41C0A5: removed")),
    ('<46>1 2017-04-27T07:50:47.381967+02:00 logserver rsyslogd - - [origin software="rsyslogd" x-info="a\\]b"] start',
     E("2017-04-27T07:50:47.381967+02:00", "rfc3339", "logserver", "rsyslogd", None, "start")),
    ("<174>1 2003-08-24T05:14:15+00:00 - - - - - IN=enx503f560021dc OUT=",
     E("2003-08-24T05:14:15+00:00", "rfc3339", None, None, None, "IN=enx503f560021dc OUT=")),
    ("<174>1 1995-04-12T23:20:50.52Z 2000:6a0:b:315:10:23:4:13 named 2255 - -  info: client",
     E("1995-04-12T23:20:50.52Z", "rfc3339", "2000:6a0:b:315:10:23:4:13", "named", 2255, "info: client")),
    # a real UTF-8 BOM before MSG; lnav's sample with no STRUCTURED-DATA
    ("<34>1 2003-08-24T05:14:15.123-07:00 the.borg.com su - ID47 - \ufeff'su root' failed",
     E("2003-08-24T05:14:15.123-07:00", "rfc3339", "the.borg.com", "su", None, "'su root' failed")),
    ("<174>1 2016-12-31T23:59:60-04:00 resolver.se prg00000[1234] - -  info: client",
     E("2016-12-31T23:59:60-04:00", "rfc3339", "resolver.se", "prg00000[1234]", None, "info: client")),
    # 1.5 journalctl short-unix and short-full
    ("1234567890.123456 ahost postfix/smtpd[123]: aline", E("1234567890.123456", "epoch", "ahost", "postfix/smtpd", 123, "aline")),
    ("Fri 2009-02-13 23:31:30 UTC ahost postfix/smtpd[123]: aline",
     E("Fri 2009-02-13 23:31:30 UTC", "short_full", "ahost", "postfix/smtpd", 123, "aline")),
    # 1.5 journalctl -o json: _PID over SYSLOG_PID, SYSLOG_IDENTIFIER over _COMM
    ('{"__REALTIME_TIMESTAMP": "1534860261221373", "_HOSTNAME": "mx", "SYSLOG_IDENTIFIER": "postfix/smtp", '
     '"_COMM": "smtp", "_PID": "184", "SYSLOG_PID": "185", "MESSAGE": "3F2B41C0A5: removed"}',
     E("1534860261221373", "epoch_us", "mx", "postfix/smtp", 184, "3F2B41C0A5: removed")),
    # a MESSAGE that is not UTF-8 comes as an array of byte values; json-seq starts with RS
    ('\x1e{"__REALTIME_TIMESTAMP": "1534860261221373", "_HOSTNAME": "mx", "_COMM": "pickup", "SYSLOG_PID": "9", '
     '"MESSAGE": [99, 97, 102, 195, 169, 255]}',
     E("1534860261221373", "epoch_us", "mx", "pickup", 9, "café\ufffd")),
    # 5.2 Exim main log: no host, no tag; pid, milliseconds, log_timezone
    ("2019-10-22 03:39:17 1iMnd9-0001Xx-Qs <= a@example.com H=x [192.0.2.1] P=esmtp S=1",
     E("2019-10-22 03:39:17", "local_iso", None, "exim", None, "1iMnd9-0001Xx-Qs <= a@example.com H=x [192.0.2.1] P=esmtp S=1")),
    ("2010-09-13 05:00:13 [1487] 1Ov4tU-0000Nz-Rm <= mailling.list@domain.com",
     E("2010-09-13 05:00:13", "local_iso", None, "exim", 1487, "1Ov4tU-0000Nz-Rm <= mailling.list@domain.com")),
    ("2023-05-30 06:10:13.345 login authenticator failed",
     E("2023-05-30 06:10:13.345", "local_iso", None, "exim", None, "login authenticator failed")),
    ("2019-10-22 03:39:17.345 +0100 [123] 16VDhn-000000001bo-D342 Completed",
     E("2019-10-22 03:39:17.345 +0100", "rfc3339", None, "exim", 123, "16VDhn-000000001bo-D342 Completed")),
    # an Exim id followed by "SA:" must not read as "host tag:"
    ("2013-12-30 00:24:50 1VxPit-000MMd-U4 SA: Action: flagged as Spam",
     E("2013-12-30 00:24:50", "local_iso", None, "exim", None, "1VxPit-000MMd-U4 SA: Action: flagged as Spam")),
    # Mailman 2.1 StampedLogger (mailman2-logs 1.2 A and C); the message keeps its leading spaces
    ("Apr 26 13:22:11 2005 (23365) Uncaught runner exception: [Errno 32] Broken pipe",
     E("Apr 26 13:22:11 2005", "mailman", None, None, 23365, "Uncaught runner exception: [Errno 32] Broken pipe")),
    ("Nov 21 17:08:26 2026 qrunner(1714): post script, list not found: nosuchlist ",
     E("Nov 21 17:08:26 2026", "mailman", None, "qrunner", 1714, "post script, list not found: nosuchlist ")),
    ('Nov 21 17:08:45 2026 (2082)   File "sim4.py", line 10, in <module>',
     E("Nov 21 17:08:45 2026", "mailman", None, None, 2082, '  File "sim4.py", line 10, in <module>')),
    # a BOM in front of a file's first line
    ("\ufeffJul  5 06:52:11 mx postfix/qmgr[1]: x", E("Jul  5 06:52:11", "bsd", "mx", "postfix/qmgr", 1, "x")),
    # an empty message
    ("Jul  5 06:52:11 mx postfix/qmgr[1]:", E("Jul  5 06:52:11", "bsd", "mx", "postfix/qmgr", 1, "")),
]

# lines that carry no envelope at all
NONE_CASES = [
    "",
    "\tASL Module \"com.apple.cdscheduler\" claims selected messages.",  # macOS continuation
    "3mPVKl0Mhjz7sXv: to=<rdunn@example.com>, relay=mailout.example.com[199.200.300.131]:25",  # a body
    "statistics: max cache size 1 at Oct 26 18:13:50",
    "021-02-06T10:57:57+01:00 mail.server.com postfix/smtpd[59633]: D6DDA23B0F: client=unknown",  # cut at the start
    "mail.example.com exim[3751842]: 2021-07-17 23:20:49 plain_server authenticator failed",
    "2015 2015 Nov 13 13:40:01 ether rsyslogd-2177: imuxsock begins to drop messages",
    "<34>1 - host app - - - no time stamp",  # RFC 5424 with a nil TIMESTAMP: nothing to place it by
    "{not json}",
    '{"MESSAGE": "no time stamp"}',
    "  code 550: Encryption forced, but no keys found",
]


@pytest.mark.parametrize("line,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_envelope_cases(line, expected):
    assert parse_envelope(line) == expected


@pytest.mark.parametrize("line", NONE_CASES)
def test_no_envelope(line):
    assert parse_envelope(line) is None


def test_shape_names_unique():
    names = [name for name, _rx, _build in SHAPES]
    assert len(names) == len(set(names))


def _corpus():
    if not CORPUS.is_dir():
        return []
    return [json.loads(ln) for ln in (CORPUS / "expected.jsonl").read_text(encoding="utf-8").splitlines()]


ENVELOPE_FIELDS = ("timestamp", "host", "program", "pid")
RECORDS = _corpus()
WITH_ENVELOPE = [r for r in RECORDS if any(k in r["fields"] for k in ENVELOPE_FIELDS)]
# message bodies without an envelope: grok test data, postfix-parser bodies, lua sendmail asserts
BODIES = [r for r in RECORDS if r["file"] in ("postfix-grok.log", "postfix-parser-bodies.log", "lua-sandbox-sendmail.log")
          and not any(k in r["fields"] for k in ENVELOPE_FIELDS)]
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is not here")


@needs_corpus
@pytest.mark.parametrize("rec", WITH_ENVELOPE, ids=[f"{r['file']}:{r['line_no']}" for r in WITH_ENVELOPE])
def test_corpus_envelope(rec):
    env = parse_envelope(rec["line"])
    assert env is not None
    got = {"timestamp": env.ts, "host": env.syslog_host, "program": env.program,
           "pid": None if env.pid is None else str(env.pid)}
    want = {k: rec["fields"][k] for k in ENVELOPE_FIELDS if k in rec["fields"]}
    assert {k: got[k] for k in want} == want


@needs_corpus
@pytest.mark.parametrize("rec", BODIES, ids=[f"{r['file']}:{r['line_no']}" for r in BODIES])
def test_corpus_bodies_have_no_envelope(rec):
    assert parse_envelope(rec["line"]) is None


@needs_corpus
def test_corpus_journal_json():
    recs = [r for r in RECORDS if "realtime_usec" in r["fields"]]
    assert recs
    for r in recs:
        env = parse_envelope(r["line"])
        f = r["fields"]
        assert (env.ts, env.kind, env.syslog_host, env.program, str(env.pid), env.message) == (
            f["realtime_usec"], "epoch_us", f["host"], f["program"], f["pid"], f["message"])
