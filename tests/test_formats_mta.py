"""Postfix, Sendmail and Exim message patterns (reference postfix-logs.md 1.1, 3, 5).

Case tables give a message body (the text after ``tag[pid]: ``), the pattern
that must claim it and every field it yields. Lines marked in the reference
or the corpus are used verbatim; the Mailman-specific ones (list aliases,
wrapper errors, smrsh) are built from the format strings the reference
quotes. The last part runs the real-lines corpus through the registry.
"""

import json
import re
from pathlib import Path

import pytest

from tracer.formats import exim, postfix, sendmail
from tracer.formats.programs import OTHER_PROGRAMS, POSTFIX_DAEMONS, family_of
from tracer.formats.registry import Registry
from tracer.schema import FIELD_COLUMNS

REGISTRY = Registry(postfix.PATTERNS + sendmail.PATTERNS + exim.PATTERNS)
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-lines"

# --- syslog tag -> family -----------------------------------------------------------------------

FAMILY_CASES = [
    ("postfix/smtp", ("postfix/smtp", "postfix")),
    ("postfix-out/smtp", ("postfix/smtp", "postfix-out")),
    ("postfix/submission/smtpd", ("postfix/smtpd", "postfix")),
    ("postfix-smo/submission/smtpd", ("postfix/smtpd", "postfix-smo")),
    ("postfix/smtp-25/smtpd", ("postfix/smtpd", "postfix")),
    ("postfix/smtps/smtpd", ("postfix/smtpd", "postfix")),
    ("postfix-incoming/smtpd", ("postfix/smtpd", "postfix-incoming")),
    ("postfix/postfix-script", ("postfix/postfix-script", "postfix")),
    ("postfix/trivial-rewrite", ("postfix/trivial-rewrite", "postfix")),
    ("postfix/oqmgr", ("postfix/qmgr", "postfix")),  # the old queue manager logs like qmgr
    ("postfix/proxymap", (None, None)),  # a Postfix daemon with nothing to trace
    ("postfix", (None, None)),
    ("postfixadmin/cron", (None, None)),
    ("sendmail", ("sendmail", None)),
    ("sm-mta", ("sendmail", None)),
    ("sm-msp-queue", ("sendmail", None)),
    ("sm-acceptingconnections", ("sendmail", None)),
    ("smrsh", ("smrsh", None)),
    ("exim", ("exim", None)),
    ("exim4", ("exim", None)),
    ("Mailman mail-wrapper", ("mailman-wrapper", None)),
    ("amavis", (None, None)),
    ("spamd", (None, None)),
]


@pytest.mark.parametrize("program,expected", FAMILY_CASES)
def test_family_of(program, expected):
    assert family_of(program) == expected


def test_every_family_a_tag_can_name_has_patterns():
    named = {"postfix/" + d for d in POSTFIX_DAEMONS.values()} | set(OTHER_PROGRAMS.values())
    assert named == set(REGISTRY.families)


# --- lines that produce events ------------------------------------------------------------------

CASES = [
    ("postfix/smtp",
     "0D9633D: to=<jos@example.com>, orig_to=<bestuur@example.com>, relay=mail1.example.net[10.74.103.11]:25, "
     "delay=11, delays=5.4/0.06/5.1/0.03, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as F12DF84004)",
     "postfix.smtp.delivery",
     {"queue_id": "0D9633D", "recipient": "jos@example.com", "orig_to": "bestuur@example.com",
      "relay": "mail1.example.net[10.74.103.11]:25", "delay": "11", "delays": "5.4/0.06/5.1/0.03",
      "dsn": "2.0.0", "status": "sent", "text": "250 2.0.0 Ok: queued as F12DF84004", "queued_as": "F12DF84004"}),
    # conn_use= (cached connection, >= 2.3) is accepted and not kept
    ("postfix/smtp",
     "3mPVKl0Mhjz7sXv: to=<susan.bck@example.org>, relay=mpafm.example.org[24.100.200.21]:25, conn_use=2, "
     "delay=1.2, delays=0.76/0.01/0.09/0.34, dsn=2.0.0, status=sent (250 2.0.0 t5UI2nBt018923-t5UI2nBw018923 "
     "Message accepted for delivery)",
     "postfix.smtp.delivery",
     {"queue_id": "3mPVKl0Mhjz7sXv", "recipient": "susan.bck@example.org",
      "relay": "mpafm.example.org[24.100.200.21]:25", "delay": "1.2", "delays": "0.76/0.01/0.09/0.34",
      "dsn": "2.0.0", "status": "sent",
      "text": "250 2.0.0 t5UI2nBt018923-t5UI2nBw018923 Message accepted for delivery"}),
    # tls= (Postfix 3.11) is accepted and not kept
    ("postfix/smtp",
     "7EE668039: to=<user@example.com>, relay=mail.example.com[1.2.3.4]:25, delay=3.6, "
     "delays=0.08/0.02/0.85/0.14, tls=dane/!requiretls:nocertmatch, dsn=2.1.5, status=sent (250 2.0.0 Ok: "
     "queued as 153053D)",
     "postfix.smtp.delivery",
     {"queue_id": "7EE668039", "recipient": "user@example.com", "relay": "mail.example.com[1.2.3.4]:25",
      "delay": "3.6", "delays": "0.08/0.02/0.85/0.14", "dsn": "2.1.5", "status": "sent",
      "text": "250 2.0.0 Ok: queued as 153053D", "queued_as": "153053D"}),
    # the reply nests its own parentheses; only the outermost are stripped
    ("postfix/smtp",
     "3mPVKl0Mhjz7sXv: to=<jpayne@recipient.com>, relay=mail2.sender.com[66.100.32.07]:25, conn_use=2, "
     "delay=2.5, delays=1.6/0.01/0.08/0.81, dsn=5.7.1, status=bounced (host mail2.sender.com[66.100.32.07] "
     "said: 550 5.7.1 Unable to deliver to <jpayne@recipient.com> (in reply to RCPT TO command))",
     "postfix.smtp.delivery",
     {"queue_id": "3mPVKl0Mhjz7sXv", "recipient": "jpayne@recipient.com",
      "relay": "mail2.sender.com[66.100.32.07]:25", "delay": "2.5", "delays": "1.6/0.01/0.08/0.81",
      "dsn": "5.7.1", "status": "bounced",
      "text": "host mail2.sender.com[66.100.32.07] said: 550 5.7.1 Unable to deliver to <jpayne@recipient.com> "
             "(in reply to RCPT TO command)"}),
    # truncated by syslog: no closing parenthesis
    ("postfix/smtp",
     "A0E85200BD: to=<whatever-user@lists.example.org>, relay=open.example.nl[10.49.140.10]:25, delay=2.3, "
     "delays=0.25/0.05/2/0.04, dsn=4.2.0, status=deferred (host open.example.nl[10.49.140.10] said: 450 4.2.0 "
     "<whatever-user@lists.example.org>: Recipient address rejected: Greylisted, see http://postgrey.",
     "postfix.smtp.delivery",
     {"queue_id": "A0E85200BD", "recipient": "whatever-user@lists.example.org",
      "relay": "open.example.nl[10.49.140.10]:25", "delay": "2.3", "delays": "0.25/0.05/2/0.04", "dsn": "4.2.0",
      "status": "deferred",
      "text": "host open.example.nl[10.49.140.10] said: 450 4.2.0 <whatever-user@lists.example.org>: Recipient "
             "address rejected: Greylisted, see http://postgrey."}),
    # an old logger without angle brackets
    ("postfix/smtp",
     "3mPVKl0Mhjz7sXv: to=56597@continuity.delivery, relay=10.2.2.85[10.2.2.85]:2527, delay=0.51, "
     "delays=0.44/0.01/0.05/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 3mPVKl3YVXz2pS5Z)",
     "postfix.smtp.delivery",
     {"queue_id": "3mPVKl0Mhjz7sXv", "recipient": "56597@continuity.delivery",
      "relay": "10.2.2.85[10.2.2.85]:2527", "delay": "0.51", "delays": "0.44/0.01/0.05/0.01", "dsn": "2.0.0",
      "status": "sent", "text": "250 2.0.0 Ok: queued as 3mPVKl3YVXz2pS5Z", "queued_as": "3mPVKl3YVXz2pS5Z"}),
    # a quoted localpart (info_log_address_format=external, >= 3.5) keeps its quotes
    ("postfix/smtp",
     '5E7D41C2B0: to=<"john q. public"@example.com>, relay=mx.example.com[192.0.2.25]:25, delay=0.4, '
     "delays=0.1/0/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4F1E2D3C)",
     "postfix.smtp.delivery",
     {"queue_id": "5E7D41C2B0", "recipient": '"john q. public"@example.com',
      "relay": "mx.example.com[192.0.2.25]:25", "delay": "0.4", "delays": "0.1/0/0.2/0.1", "dsn": "2.0.0",
      "status": "sent", "text": "250 2.0.0 Ok: queued as 4F1E2D3C", "queued_as": "4F1E2D3C"}),
    # amavisd-new re-injection carries two replies: the last 'queued as' is the next hop
    ("postfix/smtp",
     "1F3A2B4C5D: to=<a@example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=1.1, delays=0.1/0/0/1, "
     "dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 6B7C8D9E0F)",
     "postfix.smtp.delivery",
     {"queue_id": "1F3A2B4C5D", "recipient": "a@example.com", "relay": "127.0.0.1[127.0.0.1]:10024",
      "delay": "1.1", "delays": "0.1/0/0/1", "dsn": "2.0.0", "status": "sent",
      "text": "250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 6B7C8D9E0F",
      "queued_as": "6B7C8D9E0F"}),
    # soft_bounce=yes, and a pre-2.3 line without delays= and dsn=
    ("postfix/smtp",
     "ABCDEF1234: to=<a@example.com>, relay=none, delay=0.2, status=SOFTBOUNCE (Host or domain name not found. "
     "Name service error for name=example.invalid type=MX: Host not found)",
     "postfix.smtp.delivery",
     {"queue_id": "ABCDEF1234", "recipient": "a@example.com", "relay": "none", "delay": "0.2",
      "status": "SOFTBOUNCE",
      "text": "Host or domain name not found. Name service error for name=example.invalid type=MX: Host not found"}),
    # an address verification probe
    ("postfix/smtp",
     "ABCDEF1234: to=<postmaster@example.com>, relay=mx.example.com[192.0.2.25]:25, delay=1, "
     "delays=0/0/0.5/0.5, dsn=2.1.5, status=deliverable (250 2.1.5 Ok)",
     "postfix.smtp.delivery",
     {"queue_id": "ABCDEF1234", "recipient": "postmaster@example.com", "relay": "mx.example.com[192.0.2.25]:25",
      "delay": "1", "delays": "0/0/0.5/0.5", "dsn": "2.1.5", "status": "deliverable", "text": "250 2.1.5 Ok"}),
    # an alias expanded to a remote address and re-queued: local's 'forwarded as'
    ("postfix/local",
     "3mLQKH6hqhz7sWK: to=<logspam@system.alerts>, relay=local, delay=3.1, delays=1.8/0.86/0/0.44, dsn=2.0.0, "
     "status=sent (forwarded as 3mLQKK4rDdz7sVS)",
     "postfix.local.delivery",
     {"queue_id": "3mLQKH6hqhz7sWK", "recipient": "logspam@system.alerts", "relay": "local", "delay": "3.1",
      "delays": "1.8/0.86/0/0.44", "dsn": "2.0.0", "status": "sent", "text": "forwarded as 3mLQKK4rDdz7sVS",
      "queued_as": "3mLQKK4rDdz7sVS"}),
    # a list alias piping into Mailman (ref 4.4)
    ("postfix/local",
     "4A1C2E0123: to=<mylist@lists.example.org>, relay=local, delay=0.35, delays=0.1/0/0/0.25, dsn=2.0.0, "
     "status=sent (delivered to command: /usr/lib/mailman/mail/mailman post mylist)",
     "postfix.local.delivery",
     {"queue_id": "4A1C2E0123", "recipient": "mylist@lists.example.org", "relay": "local", "delay": "0.35",
      "delays": "0.1/0/0/0.25", "dsn": "2.0.0", "status": "sent",
      "text": "delivered to command: /usr/lib/mailman/mail/mailman post mylist"}),
    # the Mailman wrapper exits 2 on a group mismatch: bounced with its words (ref 3.6)
    ("postfix/local",
     "4A1C2E0123: to=<mylist@lists.example.org>, relay=local, delay=0.12, delays=0.05/0/0/0.07, dsn=5.3.0, "
     'status=bounced (Command died with status 2: "/usr/lib/mailman/mail/mailman post mylist". Command output: '
     'Group mismatch error.  Mailman expected the mail wrapper script to be executed as group "list", but the '
     'system\'s mail server executed the mail script as group "nobody".  Try tweaking the mail server to run '
     'the script as group "list", or re-run configure,  providing the command line option '
     "`--with-mail-gid=nobody'. )",
     "postfix.local.delivery",
     {"queue_id": "4A1C2E0123", "recipient": "mylist@lists.example.org", "relay": "local", "delay": "0.12",
      "delays": "0.05/0/0/0.07", "dsn": "5.3.0", "status": "bounced",
      "text": 'Command died with status 2: "/usr/lib/mailman/mail/mailman post mylist". Command output: Group '
             'mismatch error.  Mailman expected the mail wrapper script to be executed as group "list", but '
             'the system\'s mail server executed the mail script as group "nobody".  Try tweaking the mail '
             'server to run the script as group "list", or re-run configure,  providing the command line '
             "option `--with-mail-gid=nobody'. "}),
    ("postfix/local",
     "892A0205B6: to=ghdsgfhdslfh@localhost, relay=local, delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, "
     'status=bounced (unknown user: "ghdsgfhdslfh")',
     "postfix.local.delivery",
     {"queue_id": "892A0205B6", "recipient": "ghdsgfhdslfh@localhost", "relay": "local", "delay": "0.05",
      "delays": "0.02/0/0/0.02", "dsn": "5.1.1", "status": "bounced", "text": 'unknown user: "ghdsgfhdslfh"'}),
    # postfix-to-mailman.py's pipe transport
    ("postfix/pipe",
     "5D1E2F3A4B: to=<mylist@lists.example.org>, relay=mailman, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, "
     "status=sent (delivered via mailman service)",
     "postfix.pipe.delivery",
     {"queue_id": "5D1E2F3A4B", "recipient": "mylist@lists.example.org", "relay": "mailman", "delay": "0.3",
      "delays": "0.1/0/0/0.2", "dsn": "2.0.0", "status": "sent", "text": "delivered via mailman service"}),
    # the retry service runs the error binary
    ("postfix/error",
     "3lz2cf24l8z2yfC: to=<root@localhost.example.net>, orig_to=<root@localhost>, relay=none, delay=3146377, "
     "delays=3146377/0.17/0/0.01, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to "
     "127.0.0.2[127.0.0.2]:25: Connection refused)",
     "postfix.error.delivery",
     {"queue_id": "3lz2cf24l8z2yfC", "recipient": "root@localhost.example.net", "orig_to": "root@localhost",
      "relay": "none", "delay": "3146377", "delays": "3146377/0.17/0/0.01", "dsn": "4.4.1", "status": "deferred",
      "text": "delivery temporarily suspended: connect to 127.0.0.2[127.0.0.2]:25: Connection refused"}),
    ("postfix/virtual",
     "B657F2DB195D: to=<postmaster@example.com>, relay=virtual, delay=0.52, delays=0.51/0.01/0/0, dsn=2.0.0, "
     "status=sent (delivered to maildir)",
     "postfix.virtual.delivery",
     {"queue_id": "B657F2DB195D", "recipient": "postmaster@example.com", "relay": "virtual", "delay": "0.52",
      "delays": "0.51/0.01/0/0", "dsn": "2.0.0", "status": "sent", "text": "delivered to maildir"}),
    ("postfix/discard",
     "25F2E5E061: to=<george.desantis@test.example.com>, relay=none, delay=0.05, delays=0.05/0/0/0, dsn=2.0.0, "
     "status=sent (test.example.com)",
     "postfix.discard.delivery",
     {"queue_id": "25F2E5E061", "recipient": "george.desantis@test.example.com", "relay": "none",
      "delay": "0.05", "delays": "0.05/0/0/0", "dsn": "2.0.0", "status": "sent", "text": "test.example.com"}),
    ("postfix/lmtp",
     "AD6E41CDC05C: to=<admin@example.com>, relay=sub1.example.com[private/dovecot-lmtp], delay=0.15, "
     "delays=0.04/0/0.02/0.08, dsn=2.0.0, status=sent (250 2.0.0 <admin@example.com> qYyyBMsl9FRuZQAAA15QOA "
     "Saved)",
     "postfix.lmtp.delivery",
     {"queue_id": "AD6E41CDC05C", "recipient": "admin@example.com",
      "relay": "sub1.example.com[private/dovecot-lmtp]", "delay": "0.15", "delays": "0.04/0/0.02/0.08",
      "dsn": "2.0.0", "status": "sent", "text": "250 2.0.0 <admin@example.com> qYyyBMsl9FRuZQAAA15QOA Saved"}),
    # postfix-parser's test data leaves out the queue ID
    ("postfix/smtp",
     "to=<rcarey@example.tv>, relay=none, delay=165276, delays=165276/0.09/0/0.09, dsn=4.4.1, status=deferred "
     "(delivery temporarily suspended: connect to 24.200.177.247[24.200.177.247]:25: Connection timed out)",
     "postfix.smtp.delivery",
     {"recipient": "rcarey@example.tv", "relay": "none", "delay": "165276", "delays": "165276/0.09/0/0.09",
      "dsn": "4.4.1", "status": "deferred",
      "text": "delivery temporarily suspended: connect to 24.200.177.247[24.200.177.247]:25: Connection timed out"}),
    # the null sender
    ("postfix/qmgr",
     "3mPVKl0Mhjz7sXv: from=<>, size=2666, nrcpt=2 (queue active)",
     "postfix.qmgr.queued",
     {"queue_id": "3mPVKl0Mhjz7sXv", "sender": "", "size": "2666", "nrcpt": "2"}),
    # VERP sender of a Mailman chunk
    ("postfix/qmgr",
     "42E683DD0B: from=<mylist-bounces+joe=example.com@lists.example.org>, size=8703, nrcpt=1 (queue active)",
     "postfix.qmgr.queued",
     {"queue_id": "42E683DD0B", "sender": "mylist-bounces+joe=example.com@lists.example.org", "size": "8703",
      "nrcpt": "1"}),
    # no angle brackets
    ("postfix/qmgr",
     "ED373F8043E: from=rory@rory-dev.localdomain, size=270, nrcpt=1 (queue active)",
     "postfix.qmgr.queued",
     {"queue_id": "ED373F8043E", "sender": "rory@rory-dev.localdomain", "size": "270", "nrcpt": "1"}),
    ("postfix/qmgr",
     "0F5383D: removed",
     "postfix.qmgr.removed",
     {"queue_id": "0F5383D"}),
    ("postfix/qmgr",
     "585BC3F: from=<>, status=expired, returned to sender",
     "postfix.qmgr.expired",
     {"queue_id": "585BC3F", "sender": "", "status": "expired"}),
    ("postfix/qmgr",
     "BACE842E73: from=<noreply@domain.com>, status=force-expired, returned to sender",
     "postfix.qmgr.expired",
     {"queue_id": "BACE842E73", "sender": "noreply@domain.com", "status": "force-expired"}),
    # qmgr defers a recipient itself
    ("postfix/qmgr",
     "3D74ADB7400B: to=<test@example.to>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=4.3.0, "
     "status=deferred (mail transport unavailable)",
     "postfix.qmgr.delivery",
     {"queue_id": "3D74ADB7400B", "recipient": "test@example.to", "relay": "none", "delay": "0.01",
      "delays": "0.01/0/0/0", "dsn": "4.3.0", "status": "deferred", "text": "mail transport unavailable"}),
    ("postfix/smtpd",
     "4104E3D: client=061238241086.static.ctinets.com[61.238.241.86]",
     "postfix.smtpd.client",
     {"queue_id": "4104E3D", "client": "061238241086.static.ctinets.com[61.238.241.86]"}),
    ("postfix/smtpd",
     "3p7RMT0zrYz20p: client=unknown[192.168.0.100], sasl_method=DIGEST-MD5, sasl_username=user@dmain.com",
     "postfix.smtpd.client",
     {"queue_id": "3p7RMT0zrYz20p", "client": "unknown[192.168.0.100]",
      "text": "sasl_method=DIGEST-MD5, sasl_username=user@dmain.com"}),
    # XFORWARD from a content filter: the rest is kept as text
    ("postfix/smtpd",
     "6F1A2B3C4D: client=localhost[127.0.0.1]:41234, orig_queue_id=1A2B3C4D5E, "
     "orig_client=mail.example.net[192.0.2.7]",
     "postfix.smtpd.client",
     {"queue_id": "6F1A2B3C4D", "client": "localhost[127.0.0.1]:41234",
      "text": "orig_queue_id=1A2B3C4D5E, orig_client=mail.example.net[192.0.2.7]"}),
    ("postfix/smtpd",
     "NOQUEUE: reject: RCPT from 061238241086.static.ctinets.com[61.238.241.86]: 550 5.1.1 "
     "<toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual mailbox table; "
     "from=<wumt5@cchfdc.com> to=<toernooicommissie@example.com> proto=ESMTP helo=<ecsolved.com>",
     "postfix.smtpd.reject",
     {"queue_id": "NOQUEUE", "status": "reject", "client": "061238241086.static.ctinets.com[61.238.241.86]",
      "text": "550 5.1.1 <toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual "
             "mailbox table",
      "sender": "wumt5@cchfdc.com", "recipient": "toernooicommissie@example.com"}),
    # the reply holds '; ' before the key/value tail
    ("postfix/smtpd",
     "NOQUEUE: reject: RCPT from badguy.example.com[93.184.216.34]: 454 4.7.1 Service unavailable; Client host "
     "[93.184.216.34] blocked using rbl.example.com; http://www.example.com/query?ip=93.184.216.34; "
     "from=<spammer@example.com> to=<goodguy@example.com> proto=ESMTP helo=<badguy.example.com>",
     "postfix.smtpd.reject",
     {"queue_id": "NOQUEUE", "status": "reject", "client": "badguy.example.com[93.184.216.34]",
      "text": "454 4.7.1 Service unavailable; Client host [93.184.216.34] blocked using rbl.example.com; "
             "http://www.example.com/query?ip=93.184.216.34",
      "sender": "spammer@example.com", "recipient": "goodguy@example.com"}),
    # empty from=<> to=<> and a helo= cut off
    ("postfix/smtpd",
     "NOQUEUE: reject: RCPT from example.com[192.0.43.10]: 450 4.7.1 : Helo command rejected: Host not found; "
     "from=<> to=<> proto=ESMTP helo=",
     "postfix.smtpd.reject",
     {"queue_id": "NOQUEUE", "status": "reject", "client": "example.com[192.0.43.10]",
      "text": "450 4.7.1 : Helo command rejected: Host not found", "sender": "", "recipient": ""}),
    # only proto= in the tail
    ("postfix/smtpd",
     "NOQUEUE: reject: CONNECT from unknown[192.0.2.114]: 450 4.7.25 Client host rejected: cannot find your "
     "hostname, [178.215.236.114]; proto=SMTP",
     "postfix.smtpd.reject",
     {"queue_id": "NOQUEUE", "status": "reject", "client": "unknown[192.0.2.114]",
      "text": "450 4.7.25 Client host rejected: cannot find your hostname, [178.215.236.114]"}),
    # no tail at all
    ("postfix/smtpd",
     "NOQUEUE: reject: RCPT from unknown[192.0.2.116]: 554 5.7.1 Service unavailable",
     "postfix.smtpd.reject",
     {"queue_id": "NOQUEUE", "status": "reject", "client": "unknown[192.0.2.116]",
      "text": "554 5.7.1 Service unavailable"}),
    ("postfix/smtpd",
     "1D8CC1CA0A7F: milter-reject: DATA from 66-220-155-151.mail-mail.facebook.com[192.0.2.151]: 550 5.7.1 "
     "Command rejected; from=<security@mail.example.com> to=<hostmaster@example.com> proto=ESMTP "
     "helo=<192-0-2-151.mail-mail.example.com>",
     "postfix.smtpd.reject",
     {"queue_id": "1D8CC1CA0A7F", "status": "milter-reject",
      "client": "66-220-155-151.mail-mail.facebook.com[192.0.2.151]", "text": "550 5.7.1 Command rejected",
      "sender": "security@mail.example.com", "recipient": "hostmaster@example.com"}),
    ("postfix/smtpd",
     "NOQUEUE: discard: MAIL from ccm231.constantcontact.com[208.75.123.231]: "
     "<bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com>: Sender address SPAM; "
     "from=<bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com> proto=ESMTP helo=<ccm231.constantcontact.com>",
     "postfix.smtpd.discard",
     {"queue_id": "NOQUEUE", "status": "discard", "client": "ccm231.constantcontact.com[208.75.123.231]",
      "text": "<bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com>: Sender address SPAM",
      "sender": "bsdbdsfbw==_4343_sdfbddw==@in.constantcontact.com"}),
    ("postfix/smtpd",
     "2F4E81C2A7: hold: RCPT from mail.example.net[192.0.2.7]: <joe@example.net>: Sender address triggers HOLD "
     "action; from=<joe@example.net> to=<mylist@lists.example.org> proto=ESMTP helo=<mail.example.net>",
     "postfix.smtpd.hold",
     {"queue_id": "2F4E81C2A7", "status": "hold", "client": "mail.example.net[192.0.2.7]",
      "text": "<joe@example.net>: Sender address triggers HOLD action", "sender": "joe@example.net",
      "recipient": "mylist@lists.example.org"}),
    # the tail was truncated inside helo=<...
    ("postfix/smtpd",
     "B42E77AB32: filter: RCPT from 42-64-53-170.subs.proxad.net[42.64.53.170]: <archive@senderdomain.com>: "
     "Recipient address triggers FILTER relay:[smtp01.example.org]; from=<youssefh@senderdomain.com> "
     "to=<archive@senderdomain.com> proto=ESMTP helo=<[172.18.0.2]",
     "postfix.smtpd.check",
     {"queue_id": "B42E77AB32", "status": "filter", "client": "42-64-53-170.subs.proxad.net[42.64.53.170]",
      "text": "<archive@senderdomain.com>: Recipient address triggers FILTER relay:[smtp01.example.org]",
      "sender": "youssefh@senderdomain.com", "recipient": "archive@senderdomain.com"}),
    # before-queue filter: the downstream queue ID is the next hop
    ("postfix/smtpd",
     "proxy-accept: END-OF-MESSAGE: 250 2.0.0 from MTA(smtp:[127.0.0.1]:10013): 250 2.0.0 Ok: queued as "
     "DF66E940333; from=<user1@test.example.com> to=<user2@example2.com> proto=ESMTP helo=<[127.0.0.1]>",
     "postfix.smtpd.proxy_accept",
     {"status": "proxy-accept",
      "text": "250 2.0.0 from MTA(smtp:[127.0.0.1]:10013): 250 2.0.0 Ok: queued as DF66E940333",
      "sender": "user1@test.example.com", "recipient": "user2@example2.com", "queued_as": "DF66E940333"}),
    ("postfix/smtpd",
     "proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, contact postmaster@example.com, id=31619-02 - spam; "
     "from=<> to=<user2@example2.com> proto=SMTP helo=<17.33.12.53>",
     "postfix.smtpd.proxy_reject",
     {"status": "proxy-reject", "text": "554 5.7.0 Reject, contact postmaster@example.com, id=31619-02 - spam",
      "sender": "", "recipient": "user2@example2.com"}),
    # QID on lost-connection lines since Postfix 3.10
    ("postfix/smtpd",
     "4F2A31C0B7: lost connection after DATA (123 bytes) from localhost[127.0.0.1]",
     "postfix.smtpd.aborted",
     {"queue_id": "4F2A31C0B7", "text": "lost connection after DATA (123 bytes)", "status": "lost connection",
      "client": "localhost[127.0.0.1]"}),
    ("postfix/smtpd",
     "warning: 4F2A31C0B7: queue file size limit exceeded",
     "postfix.smtpd.warning",
     {"status": "warning", "queue_id": "4F2A31C0B7", "text": "queue file size limit exceeded"}),
    ("postfix/cleanup",
     "3mPVKl0Mhjz7sXv: message-id=<E1ZB06G-0006n5-Vp@anc-dev-web1.slc.example.net>",
     "postfix.cleanup.message_id",
     {"queue_id": "3mPVKl0Mhjz7sXv", "message_id": "<E1ZB06G-0006n5-Vp@anc-dev-web1.slc.example.net>"}),
    ("postfix/cleanup",
     "4104E3D: message-id=<>",
     "postfix.cleanup.message_id",
     {"queue_id": "4104E3D", "message_id": "<>"}),
    # an RFC 2047-encoded Message-ID is kept verbatim
    ("postfix/cleanup",
     "246884008A: message-id==?utf-8?B?PDIwMjAwNjEzXzE0MzE1Ml8xMDcyZjVhZDdlZjU0M2Q0OWQ0?=? "
     "=?utf-8?B?NzQxOGVkM2YyOGFjOEBuZXdzLWFpZ2xlLmNvbQ0KPg==?=",
     "postfix.cleanup.message_id",
     {"queue_id": "246884008A",
      "message_id": "=?utf-8?B?PDIwMjAwNjEzXzE0MzE1Ml8xMDcyZjVhZDdlZjU0M2Q0OWQ0?=? "
                   "=?utf-8?B?NzQxOGVkM2YyOGFjOEBuZXdzLWFpZ2xlLmNvbQ0KPg==?="}),
    # Postfix-generated <YYYYMMDDHHMMSS.QID@myhostname>
    ("postfix/cleanup",
     "7A2B3C4D5E: message-id=<20250101123456.7A2B3C4D5E@lists.example.org>",
     "postfix.cleanup.message_id",
     {"queue_id": "7A2B3C4D5E", "message_id": "<20250101123456.7A2B3C4D5E@lists.example.org>"}),
    ("postfix/cleanup",
     "D6DDA23B0F: milter-reject: END-OF-MESSAGE from unknown[99.88.77.66]: 4.7.1 Greylisting in action, try "
     "again later; from=<user2@example.com> to=<some.dest@destdomain.com> proto=ESMTP helo=<host.sender.domain>",
     "postfix.cleanup.milter_reject",
     {"queue_id": "D6DDA23B0F", "status": "milter-reject", "client": "unknown[99.88.77.66]",
      "text": "4.7.1 Greylisting in action, try again later", "sender": "user2@example.com",
      "recipient": "some.dest@destdomain.com"}),
    ("postfix/cleanup",
     "E89FA2DEDA: milter-hold: END-OF-MESSAGE from srv05.source.com[10.11.12.13]: milter triggers HOLD action; "
     "from=<> to=<this_user@this.domain.com> proto=ESMTP helo=<this.domain.com>",
     "postfix.cleanup.milter_hold",
     {"queue_id": "E89FA2DEDA", "status": "milter-hold", "client": "srv05.source.com[10.11.12.13]",
      "text": "milter triggers HOLD action", "sender": "", "recipient": "this_user@this.domain.com"}),
    ("postfix/cleanup",
     "8AB4C2DE01: milter-discard: END-OF-MESSAGE from localhost[127.0.0.1]: milter triggers DISCARD action; "
     "from=<list-bounces@lists.example.org> to=<joe@example.com> proto=ESMTP helo=<lists.example.org>",
     "postfix.cleanup.milter_discard",
     {"queue_id": "8AB4C2DE01", "status": "milter-discard", "client": "localhost[127.0.0.1]",
      "text": "milter triggers DISCARD action", "sender": "list-bounces@lists.example.org",
      "recipient": "joe@example.com"}),
    ("postfix/cleanup",
     "5A1B2C3D4E: reject: header Subject: Make money fast from mail.example.net[192.0.2.7]; "
     "from=<spam@example.net> to=<mylist@lists.example.org> proto=ESMTP helo=<mail.example.net>: 5.7.1 Message "
     "content rejected",
     "postfix.cleanup.reject",
     {"queue_id": "5A1B2C3D4E", "status": "reject", "text": "header Subject: Make money fast",
      "client": "mail.example.net[192.0.2.7]", "sender": "spam@example.net",
      "recipient": "mylist@lists.example.org"}),
    ("postfix/cleanup",
     "5A1B2C3D4E: hold: header X-Spam-Flag: YES from mail.example.net[192.0.2.7]; from=<joe@example.net> "
     "to=<mylist@lists.example.org> proto=ESMTP helo=<mail.example.net>",
     "postfix.cleanup.hold",
     {"queue_id": "5A1B2C3D4E", "status": "hold", "text": "header X-Spam-Flag: YES",
      "client": "mail.example.net[192.0.2.7]", "sender": "joe@example.net",
      "recipient": "mylist@lists.example.org"}),
    ("postfix/cleanup",
     "5A1B2C3D4E: discard: body Click here to unsubscribe from mail.example.net[192.0.2.7]; "
     "from=<joe@example.net> to=<mylist@lists.example.org> proto=ESMTP helo=<mail.example.net>",
     "postfix.cleanup.discard",
     {"queue_id": "5A1B2C3D4E", "status": "discard", "text": "body Click here to unsubscribe",
      "client": "mail.example.net[192.0.2.7]", "sender": "joe@example.net",
      "recipient": "mylist@lists.example.org"}),
    ("postfix/cleanup",
     "D95341E50350: info: header Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?Q?_=E2=80=92?= test from local; "
     "from=<from@example.com> to=<to@example.com>",
     "postfix.cleanup.check",
     {"queue_id": "D95341E50350", "status": "info",
      "text": "header Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?Q?_=E2=80=92?= test", "client": "local",
      "sender": "from@example.com", "recipient": "to@example.com"}),
    # a folded header shows as '??'; ' from ' inside the header is not the client
    ("postfix/cleanup",
     "B42E77AB32: replace: header Received: from [172.18.0.2] (42-64-53-170.subs.proxad.net "
     "[42.64.53.170])??(Authenticated sender: user42@smtp01.example.com)??by smtp01.example.org (Postfix) with "
     "ESMTPA id D89B from 42-64-53-170.subs.proxad.net[42.64.53.170]; from=<youssefh@senderdomain.com> "
     "to=<archive@senderdomain.com> proto=ESMTP helo=<[172.18.0.2]>: Received: from smtp01.example.org",
     "postfix.cleanup.check",
     {"queue_id": "B42E77AB32", "status": "replace",
      "text": "header Received: from [172.18.0.2] (42-64-53-170.subs.proxad.net [42.64.53.170])??(Authenticated "
             "sender: user42@smtp01.example.com)??by smtp01.example.org (Postfix) with ESMTPA id D89B",
      "client": "42-64-53-170.subs.proxad.net[42.64.53.170]", "sender": "youssefh@senderdomain.com",
      "recipient": "archive@senderdomain.com"}),
    ("postfix/cleanup",
     "4104E3D: milter-header-redirect: header X-Spam-Status: Yes, score=39.3 required=5.0 tests=ADVANCE_FE "
     "from 061238241086.static.ctinets.com[61.238.241.86]; from=<wumt5@cchfdc.com> to=<voorzitter@example.com> "
     "proto=ESMTP helo=<ecsolved.com>: tom@example.com",
     "postfix.cleanup.check",
     {"queue_id": "4104E3D", "status": "milter-header-redirect",
      "text": "header X-Spam-Status: Yes, score=39.3 required=5.0 tests=ADVANCE_FE",
      "client": "061238241086.static.ctinets.com[61.238.241.86]", "sender": "wumt5@cchfdc.com",
      "recipient": "voorzitter@example.com"}),
    # truncated inside proto=
    ("postfix/cleanup",
     "413E164734: info: header Content-Disposition: attachment;? "
     'filename="=?UTF-8?B?SU5WT0lDRV/Dtl/DpF/DvF/igqxfZGhrZmpzX2pkb2ZrYWpzbGRrZmpfbHNq?= from '
     "localhost[127.0.0.1]; from=<from@example.com> to=<to@example.com> pro",
     "postfix.cleanup.check",
     {"queue_id": "413E164734", "status": "info",
      "text": "header Content-Disposition: attachment;? "
             'filename="=?UTF-8?B?SU5WT0lDRV/Dtl/DpF/DvF/igqxfZGhrZmpzX2pkb2ZrYWpzbGRrZmpfbHNq?=',
      "client": "localhost[127.0.0.1]", "sender": "from@example.com", "recipient": "to@example.com"}),
    # Postfix >= 3.10
    ("postfix/cleanup",
     "4A5B6C7D8E: removed (canceled)",
     "postfix.cleanup.removed",
     {"queue_id": "4A5B6C7D8E", "status": "canceled"}),
    ("postfix/cleanup",
     "warning: 9BECF3F19D: sender_canonical_maps map lookup problem for sender@example.com -- message not "
     "accepted, try again later",
     "postfix.cleanup.warning",
     {"status": "warning", "queue_id": "9BECF3F19D",
      "text": "sender_canonical_maps map lookup problem for sender@example.com -- message not accepted, try "
             "again later"}),
    ("postfix/pickup",
     "D2FAE20586: uid=0 from=<fail2ban>",
     "postfix.pickup.pickup",
     {"queue_id": "D2FAE20586", "sender": "fail2ban"}),
    # postsuper -r: the old queue ID goes to text
    ("postfix/pickup",
     "5B7C2E0F41: uid=0 from=<root> orig_id=3F2B41C0A5",
     "postfix.pickup.pickup",
     {"queue_id": "5B7C2E0F41", "sender": "root", "text": "3F2B41C0A5"}),
    ("postfix/pickup",
     "warning: 3mCqcj5HR1z2xDW: message has been queued for 2 days",
     "postfix.pickup.warning",
     {"status": "warning", "queue_id": "3mCqcj5HR1z2xDW", "text": "message has been queued for 2 days"}),
    ("postfix/bounce",
     "732BB407C3: sender non-delivery notification: 5DE184083C",
     "postfix.bounce.notification",
     {"queue_id": "732BB407C3", "text": "sender non-delivery notification", "queued_as": "5DE184083C"}),
    ("postfix/bounce",
     "482E4404AC8: postmaster non-delivery notification: 47335405A44",
     "postfix.bounce.notification",
     {"queue_id": "482E4404AC8", "text": "postmaster non-delivery notification", "queued_as": "47335405A44"}),
    ("postfix/bounce",
     "264FE1A18: sender delay notification: 0A87A1A08",
     "postfix.bounce.notification",
     {"queue_id": "264FE1A18", "text": "sender delay notification", "queued_as": "0A87A1A08"}),
    ("postfix/bounce",
     "65AFB8B5: sender delivery status notification: 1DF35917",
     "postfix.bounce.notification",
     {"queue_id": "65AFB8B5", "text": "sender delivery status notification", "queued_as": "1DF35917"}),
    # not at the start of the line, but the queue ID is there
    ("postfix/bounce",
     "fatal: append file defer 3lyw0Z2NdSz2xGb: No space left on device",
     "postfix.bounce.file_error",
     {"status": "fatal", "text": "append file defer 3lyw0Z2NdSz2xGb: No space left on device",
      "queue_id": "3lyw0Z2NdSz2xGb"}),
    ("postfix/postsuper",
     "3nsRhm5bH5z306M: removed",
     "postfix.postsuper.removed",
     {"queue_id": "3nsRhm5bH5z306M"}),
    ("postfix/postsuper",
     "D4F2023DB: requeued",
     "postfix.postsuper.requeued",
     {"queue_id": "D4F2023DB"}),
    ("postfix/postsuper",
     "D4F2023DB: placed on hold",
     "postfix.postsuper.hold",
     {"queue_id": "D4F2023DB"}),
    ("postfix/postsuper",
     "3nsF2M5j0nz31GS: released from hold",
     "postfix.postsuper.released",
     {"queue_id": "3nsF2M5j0nz31GS"}),
    ("postfix/postsuper",
     "D4F2023DB: expired",
     "postfix.postsuper.expired",
     {"queue_id": "D4F2023DB", "status": "expired"}),
    # rsyslog shows the wrapper's newlines as #012; code is the wrapper's exit status
    ("mailman-wrapper",
     'Group mismatch error.  Mailman expected the mail#012wrapper script to be executed as group "mailman", '
     'but#012the system\'s mail server executed the mail script as#012group "nobody".  Try tweaking the mail '
     'server to run the#012script as group "mailman", or re-run configure, #012providing the command line '
     "option `--with-mail-gid=nobody'.",
     "mailman-wrapper.error",
     {"text": "Group mismatch error.  Mailman expected the mail wrapper script to be executed as group "
             '"mailman", but the system\'s mail server executed the mail script as group "nobody".  Try '
             'tweaking the mail server to run the script as group "mailman", or re-run configure,  providing '
             "the command line option `--with-mail-gid=nobody'.",
      "code": "2"}),
    ("mailman-wrapper",
     "Illegal command: pots",
     "mailman-wrapper.error",
     {"text": "Illegal command: pots", "code": "6"}),
    # Mailman 2.0-era wrapper
    ("mailman-wrapper",
     "Failure to exec script. WANTED gid 41, GOT gid 65534.  (Reconfigure to take 65534?)",
     "mailman-wrapper.error",
     {"text": "Failure to exec script. WANTED gid 41, GOT gid 65534.  (Reconfigure to take 65534?)", "code": "1"}),
    ("mailman-wrapper",
     "Failure to find group name for GID 99.  Mailman#012expected the mail wrapper to be executed as "
     'group#012"mailman", but the system\'s mail server executed the#012wrapper as GID 99 for which the name '
     'could not be#012found.  Try adding GID 99 to your system as "mailman",#012or tweak your mail server to '
     'run the wrapper as group#012"mailman".',
     "mailman-wrapper.error",
     {"text": "Failure to find group name for GID 99.  Mailman expected the mail wrapper to be executed as "
             'group "mailman", but the system\'s mail server executed the wrapper as GID 99 for which the name '
             'could not be found.  Try adding GID 99 to your system as "mailman", or tweak your mail server to '
             'run the wrapper as group "mailman".',
      "code": "8"}),
    ("sendmail",
     "r0NNNlC0030222: from=<bounce-25497-9881290652-user=example.com@example.com>, size=6420, class=0, "
     "nrcpts=1, msgid=<0.0.9881290652.3772024cf8879cycvau18081.0@example.com>, bodytype=8BITMIME, proto=ESMTP, "
     "daemon=MTA, relay=[192.0.43.15] (may be forged)",
     "sendmail.queued",
     {"queue_id": "r0NNNlC0030222", "sender": "bounce-25497-9881290652-user=example.com@example.com",
      "size": "6420", "nrcpt": "1", "message_id": "<0.0.9881290652.3772024cf8879cycvau18081.0@example.com>",
      "relay": "[192.0.43.15] (may be forged)", "client": "[192.0.43.15] (may be forged)"}),
    ("sendmail",
     "rA37ZTSC026254: from=<davaojk25@domain.com>, size=0, class=0, nrcpts=0, bodytype=8BITMIME, proto=ESMTP, "
     "daemon=MTA, relay=163.23.32.95.dsl-dynamic.vsi.ru [95.32.23.163]",
     "sendmail.queued",
     {"queue_id": "rA37ZTSC026254", "sender": "davaojk25@domain.com", "size": "0", "nrcpt": "0",
      "relay": "163.23.32.95.dsl-dynamic.vsi.ru [95.32.23.163]",
      "client": "163.23.32.95.dsl-dynamic.vsi.ru [95.32.23.163]"}),
    # Mailman re-injecting through localhost: client is what correlate.py checks
    ("sendmail",
     "u1IJTV2r001590: from=<>, size=2130, class=0, nrcpts=1, msgid=<201602181929.u1IJTV2r001590@mydomain.com>, "
     "proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]",
     "sendmail.queued",
     {"queue_id": "u1IJTV2r001590", "sender": "", "size": "2130", "nrcpt": "1",
      "message_id": "<201602181929.u1IJTV2r001590@mydomain.com>", "relay": "localhost [127.0.0.1]",
      "client": "localhost [127.0.0.1]"}),
    # sendmail's [D+]HH:MM:SS delay becomes seconds
    ("sendmail",
     "x68DJAVD023504: to=<someone@xs4all.nl>, delay=12:34:45, xdelay=00:00:00, mailer=lmtp, pri=128179, "
     "relay=imap.xs4all.nl [194.109.6.110], dsn=2.0.0, stat=Sent",
     "sendmail.delivery",
     {"queue_id": "x68DJAVD023504", "recipient": "someone@xs4all.nl", "relay": "imap.xs4all.nl [194.109.6.110]",
      "dsn": "2.0.0", "delay": "45285", "status": "sent"}),
    ("sendmail",
     "x6OAO3PO023456: to=<kai@office.example.com>, delay=00:00:00, xdelay=00:00:00, mailer=smtp, pri=235332, "
     "relay=webmail.office.example.com. [192.168.1.168], dsn=2.0.0, stat=Sent "
     "(<4cb171fbd6e92fed42e1344934c6f130@smtp.example.com> [InternalId=1234567890, "
     "Hostname=Exchange.office.example.com] Queued mail for delivery)",
     "sendmail.delivery",
     {"queue_id": "x6OAO3PO023456", "recipient": "kai@office.example.com",
      "relay": "webmail.office.example.com. [192.168.1.168]", "dsn": "2.0.0", "delay": "0", "status": "sent",
      "text": "<4cb171fbd6e92fed42e1344934c6f130@smtp.example.com> [InternalId=1234567890, "
             "Hostname=Exchange.office.example.com] Queued mail for delivery"}),
    # smrsh refused the prog mailer: EX_UNAVAILABLE
    ("sendmail",
     'u1IJTV2r001590: to="|/usr/lib/mailman/mail/mailman post mylist", ctladdr=<mylist@lists.example.org> '
     "(8/0), delay=00:00:01, xdelay=00:00:01, mailer=prog, pri=30634, dsn=5.0.0, stat=Service unavailable",
     "sendmail.delivery",
     {"queue_id": "u1IJTV2r001590", "recipient": '"|/usr/lib/mailman/mail/mailman post mylist"', "dsn": "5.0.0",
      "delay": "1", "status": "bounced", "text": "Service unavailable"}),
    # the Mailman wrapper's exit status 2 is not a sysexits code
    ("sendmail",
     'u1IJTV2r001590: to="|/usr/lib/mailman/mail/mailman post mylist", ctladdr=<mylist@lists.example.org> '
     "(8/0), delay=00:00:00, xdelay=00:00:00, mailer=prog, pri=30634, dsn=5.3.0, stat=unknown mailer error 2",
     "sendmail.delivery",
     {"queue_id": "u1IJTV2r001590", "recipient": '"|/usr/lib/mailman/mail/mailman post mylist"', "dsn": "5.3.0",
      "delay": "0", "status": "bounced", "text": "unknown mailer error 2"}),
    # a long recipient list is split with '[more]'
    ("sendmail",
     "u1IJTV2r001591: to=<a@x.example>,<b@y.example>, [more], delay=4+15:20:02, xdelay=00:00:30, mailer=esmtp, "
     "pri=1830634, relay=mx.y.example. [192.0.2.1], dsn=4.0.0, stat=Deferred: Connection refused by "
     "mx.y.example.",
     "sendmail.delivery",
     {"queue_id": "u1IJTV2r001591", "recipient": "a@x.example,b@y.example", "relay": "mx.y.example. [192.0.2.1]",
      "dsn": "4.0.0", "delay": "400802", "status": "deferred", "text": "Connection refused by mx.y.example."}),
    ("sendmail",
     "u1IJTV2r001592: to=<joe@example.com>, ctladdr=<mylist-bounces@lists.example.org> (8/0), delay=00:00:02, "
     "xdelay=00:00:02, mailer=esmtp, pri=120634, relay=mx.example.com. [192.0.2.25], dsn=2.0.0, stat=Sent (Ok: "
     "queued as 4F1E2D3C5B)",
     "sendmail.delivery",
     {"queue_id": "u1IJTV2r001592", "recipient": "joe@example.com", "relay": "mx.example.com. [192.0.2.25]",
      "dsn": "2.0.0", "delay": "2", "status": "sent", "text": "Ok: queued as 4F1E2D3C5B",
      "queued_as": "4F1E2D3C5B"}),
    # DeliveryMode=queue: not tried yet, so deferred rather than bounced
    ("sendmail",
     "u1IJTV2r001593: to=<joe@example.com>, delay=00:00:00, mailer=esmtp, pri=30634, stat=queued",
     "sendmail.delivery",
     {"queue_id": "u1IJTV2r001593", "recipient": "joe@example.com", "delay": "0", "status": "deferred",
      "text": "queued"}),
    ("sendmail",
     "p8NI92xg023581: p8NI92xh023581: DSN: User unknown",
     "sendmail.notification",
     {"queue_id": "p8NI92xg023581", "queued_as": "p8NI92xh023581", "text": "DSN: User unknown"}),
    ("sendmail",
     "s1P819mk027713: ruleset=check_rcpt, arg1=<asservnew@freemailhost.ru>, "
     "relay=128-68-136-133.broadband.corbina.ru [128.68.136.133], reject=550 5.7.1 "
     "<asservnew@freemailhost.ru>... Relaying denied. Proper authentication required.",
     "sendmail.reject_rcpt",
     {"queue_id": "s1P819mk027713", "recipient": "asservnew@freemailhost.ru",
      "client": "128-68-136-133.broadband.corbina.ru [128.68.136.133]",
      "text": "550 5.7.1 <asservnew@freemailhost.ru>... Relaying denied. Proper authentication required.",
      "status": "reject"}),
    # check_relay names no address
    ("sendmail",
     "ruleset=check_relay, arg1=[196.213.73.146], arg2=196.213.73.146, relay=[196.213.73.146], reject=421 "
     "4.3.2 Connection rate limit exceeded.",
     "sendmail.reject",
     {"client": "[196.213.73.146]", "text": "421 4.3.2 Connection rate limit exceeded.", "status": "reject"}),
    ("sendmail",
     "55HIbcGI002794: <baduser@yourhost.com>... User unknown",
     "sendmail.rcpt_error",
     {"queue_id": "55HIbcGI002794", "recipient": "baduser@yourhost.com", "text": "User unknown",
      "status": "reject"}),
    ("sendmail",
     "u1IJTV2r001590: Milter: data, reject=550 5.7.1 Blocked by SpamAssassin",
     "sendmail.milter_reject",
     {"queue_id": "u1IJTV2r001590", "text": "550 5.7.1 Blocked by SpamAssassin", "status": "reject"}),
    # smrsh 8.12+
    ("smrsh",
     'uid 8: attempt to use "mailman" (stat failed)',
     "smrsh.refused",
     {"text": 'uid 8: attempt to use "mailman" (stat failed)'}),
    # smrsh before 8.12
    ("smrsh",
     "uid 8: attempt to use mailman",
     "smrsh.refused",
     {"text": "uid 8: attempt to use mailman"}),
    ("exim",
     "0tACW1-0005MB-00 <= kryten@dwarf.fict.example H=mailer.fict.example [192.168.123.123] U=exim P=smtp "
     "S=5678 id=f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example",
     "exim.arrival",
     {"queue_id": "0tACW1-0005MB-00", "sender": "kryten@dwarf.fict.example", "size": "5678",
      "message_id": "f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example",
      "client": "mailer.fict.example [192.168.123.123]"}),
    # Exim's own [pid] in front of the ID (log_selector +pid)
    ("exim",
     "[1487] 1Ov4tU-0000Nz-Rm <= mailling.list@domain.com H=mailhost.domain.com [208.42.54.2]:51792 "
     "I=[67.215.162.175]:25 P=esmtps X=TLSv1:AES256-SHA:256 CV=no S=21778 "
     'id=384a86a39e83be0d9b3a94d1feb3119f@domain.com T="Daily List: Chameleon" for user@example.com',
     "exim.arrival",
     {"queue_id": "1Ov4tU-0000Nz-Rm", "sender": "mailling.list@domain.com", "size": "21778",
      "message_id": "384a86a39e83be0d9b3a94d1feb3119f@domain.com",
      "client": "mailhost.domain.com [208.42.54.2]:51792", "subject": "Daily List: Chameleon"}),
    # through syslog Exim keeps its own time stamp; Mailman re-injecting from localhost
    ("exim",
     "2021-07-17 23:20:49 1mQx0a-0004Zk-2b <= mylist-bounces@lists.example.org H=localhost (lists.example.org) "
     "[127.0.0.1]:41234 P=esmtp S=2381 id=<5216A1B2.8030105@example.org>",
     "exim.arrival",
     {"queue_id": "1mQx0a-0004Zk-2b", "sender": "mylist-bounces@lists.example.org", "size": "2381",
      "message_id": "<5216A1B2.8030105@example.org>", "client": "localhost (lists.example.org) [127.0.0.1]:41234"}),
    # a bounce: <> sender, R= names the bounced message
    ("exim",
     "10HmaZ-000000005vi-0000 <= <> R=10HmaY-000000005vi-0000 U=EXIMUSER P=local S=sss",
     "exim.arrival",
     {"queue_id": "10HmaZ-000000005vi-0000", "sender": ""}),
    ("exim",
     '10HmaX-000000005vi-0000 => userx1@test.ex R=r1 T=t1 H=127.0.0.1 [127.0.0.1] C="250 OK '
     'id=10HmaY-000000005vi-0000"',
     "exim.delivered",
     {"queue_id": "10HmaX-000000005vi-0000", "recipient": "userx1@test.ex", "status": "sent",
      "relay": "127.0.0.1 [127.0.0.1]", "text": "250 OK id=10HmaY-000000005vi-0000"}),
    ("exim",
     '10HmaX-000000005vi-0000 -> userx2@test.ex R=r1 T=t1 H=127.0.0.1 [127.0.0.1] C="250 OK '
     'id=10HmaY-000000005vi-0000"',
     "exim.delivered",
     {"queue_id": "10HmaX-000000005vi-0000", "recipient": "userx2@test.ex", "status": "sent",
      "relay": "127.0.0.1 [127.0.0.1]", "text": "250 OK id=10HmaY-000000005vi-0000"}),
    # a Mailman router/transport: the transport is the relay
    ("exim",
     "1mQx0a-0004Zk-2b => mylist <mylist@lists.example.org> R=mailman_router T=mailman_transport",
     "exim.delivered",
     {"queue_id": "1mQx0a-0004Zk-2b", "recipient": "mylist", "orig_to": "mylist@lists.example.org",
      "status": "sent", "relay": "mailman_transport"}),
    # an alias pipe: the command runs to the <parent>
    ("exim",
     "1mQx0a-0004Zk-2b => |/usr/lib/mailman/mail/mailman post mylist <mylist@lists.example.org> "
     "R=system_aliases T=address_pipe",
     "exim.delivered",
     {"queue_id": "1mQx0a-0004Zk-2b", "recipient": "|/usr/lib/mailman/mail/mailman post mylist",
      "orig_to": "mylist@lists.example.org", "status": "sent", "relay": "address_pipe"}),
    ("exim",
     "1mQx0b-0004Zk-3c => joe@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.25] "
     'X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C="250 2.0.0 Ok: queued as 4F1E2D3C5B"',
     "exim.delivered",
     {"queue_id": "1mQx0b-0004Zk-3c", "recipient": "joe@example.com", "status": "sent",
      "relay": "mx.example.com [192.0.2.25]", "text": "250 2.0.0 Ok: queued as 4F1E2D3C5B",
      "queued_as": "4F1E2D3C5B"}),
    ("exim",
     "1j1Z2g-00Faoy-Uh ** admin@example.net R=virtual_aliases: No such person at this address.",
     "exim.bounced",
     {"queue_id": "1j1Z2g-00Faoy-Uh", "recipient": "admin@example.net", "status": "bounced",
      "text": "No such person at this address."}),
    ("exim",
     "10HmaX-000000005vi-0000 ** d3@myhost.test.ex R=ut4 T=ut4 H=127.0.0.1 [127.0.0.1] : SMTP error from "
     "remote mail server after RCPT TO:<d3@myhost.test.ex>: 550 hard error",
     "exim.bounced",
     {"queue_id": "10HmaX-000000005vi-0000", "recipient": "d3@myhost.test.ex", "status": "bounced",
      "text": "SMTP error from remote mail server after RCPT TO:<d3@myhost.test.ex>: 550 hard error",
      "relay": "127.0.0.1 [127.0.0.1]"}),
    # Exim's test suite uses addresses with spaces: the first token is the recipient
    ("exim",
     '10HmbC-000000005vi-0000 ** :fail: fail message@special <":fail: fail message"@special> R=special : fail '
     "message",
     "exim.bounced",
     {"queue_id": "10HmbC-000000005vi-0000", "recipient": ":fail:", "orig_to": '":fail: fail message"@special',
      "status": "bounced", "text": "fail message"}),
    # deferral reason after 'defer (errno): '
    ("exim",
     "10HmaX-000000005vi-0000 == alwaysdefer@myhost.test.ex <toplevel@myhost.test.ex> R=r0 defer (-1): Always",
     "exim.deferred",
     {"queue_id": "10HmaX-000000005vi-0000", "recipient": "alwaysdefer@myhost.test.ex",
      "orig_to": "toplevel@myhost.test.ex", "status": "deferred", "text": "Always"}),
    ("exim",
     "10HmaX-000000005vi-0000 == d2@myhost.test.ex R=ut4 T=ut4 defer (-44) H=127.0.0.1 [127.0.0.1]: SMTP error "
     "from remote mail server after RCPT TO:<d2@myhost.test.ex>: 450 soft error",
     "exim.deferred",
     {"queue_id": "10HmaX-000000005vi-0000", "recipient": "d2@myhost.test.ex", "status": "deferred",
      "text": "SMTP error from remote mail server after RCPT TO:<d2@myhost.test.ex>: 450 soft error",
      "relay": "127.0.0.1 [127.0.0.1]"}),
    ("exim",
     "10HmaY-000000005vi-0000 Completed",
     "exim.completed",
     {"queue_id": "10HmaY-000000005vi-0000"}),
    ("exim",
     "H=mx.tillions.com [182.18.24.93] F=<buh@caladan.ebay.sun.com> rejected RCPT <ruslan@maslovskiy.com.ua>: "
     "Sender verify failed",
     "exim.reject",
     {"recipient": "ruslan@maslovskiy.com.ua", "text": "Sender verify failed", "status": "reject",
      "client": "mx.tillions.com [182.18.24.93]", "sender": "buh@caladan.ebay.sun.com"}),
    ("exim",
     "1Ai79e-0000Dq-8i F=uzwltcmwto24@melissacam.biz H=lsanca1-ar3-4-47-028-040.lsanca1.elnk.dsl.genuity.net "
     "[4.47.28.40] P=smtp rejected by local_scan(): Rejected: hits=7.5 required=5.0 trigger=5.0",
     "exim.reject",
     {"queue_id": "1Ai79e-0000Dq-8i", "text": "Rejected: hits=7.5 required=5.0 trigger=5.0", "status": "reject",
      "client": "lsanca1-ar3-4-47-028-040.lsanca1.elnk.dsl.genuity.net [4.47.28.40]",
      "sender": "uzwltcmwto24@melissacam.biz"}),
]


@pytest.mark.parametrize("family,line,name,fields", CASES)
def test_event_lines(family, line, name, fields):
    pat, got = REGISTRY.match(family, line)
    assert (pat.name, got) == (name, fields)
    assert pat.event is not None


# --- lines that are recognised and ignored ------------------------------------------------------

IGNORED_CASES = [
    ("postfix/smtpd", "connect from 061238241086.static.ctinets.com[61.238.241.86]", "postfix.smtpd.session"),
    ("postfix/smtpd", "connect from unknown[2001:968:9999:20:88b:9b7d:2a54:2bd2]:49821", "postfix.smtpd.session"),
    ("postfix/smtpd", "disconnect from example.net[158.247.23.50] ehlo=2 starttls=1 mail=1 rcpt=0/1 bdat=0/1 "
                      "commands=4/6", "postfix.smtpd.session"),
    ("postfix/smtpd", "disconnect from unknown[unknown] commands=0/0", "postfix.smtpd.session"),
    ("postfix/smtpd", "lost connection after DATA (0 bytes) from unknown[72.13.58.7]", "postfix.smtpd.session"),
    ("postfix/smtpd", "NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]", "postfix.smtpd.session"),
    ("postfix/smtpd", "timeout after END-OF-MESSAGE from unknown[72.13.58.7]", "postfix.smtpd.session"),
    ("postfix/smtpd", "too many errors after RCPT from example.com[192.0.2.11]", "postfix.smtpd.session"),
    ("postfix/smtpd", "improper command pipelining after AUTH from unknown[1.2.3.4]: QUIT", "postfix.smtpd.session"),
    ("postfix/smtpd", "Trusted TLS connection established from mail.example.net[192.0.2.7]: TLSv1.3 with cipher "
                      "TLS_AES_256_GCM_SHA384 (256/256 bits)", "postfix.smtpd.session"),
    ("postfix/smtpd", "SSL_accept error from eu-smtp-delivery-201.mimecast.com[207.82.80.201]: 0",
     "postfix.smtpd.session"),
    ("postfix/smtpd", "NOQUEUE: abort: TLS from unknown[192.0.2.7]: handshake failure", "postfix.smtpd.session"),
    ("postfix/smtpd", "discarding EHLO keywords: CHUNKING ETRN DSN 8BITMIME", "postfix.smtpd.session"),
    ("postfix/smtpd", "warning: hostname bad.example.com does not resolve to address 192.0.2.44: Name or service "
                      "not known", "postfix.smtpd.session"),  # one of IGNORED_PREFIXES
    ("postfix/smtpd", "warning: unknown[82.221.106.233]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
     "postfix.smtpd.noise"),
    ("postfix/smtpd", "warning: non-SMTP command from unknown[192.168.1.1]: GET / HTTP/1.1", "postfix.smtpd.noise"),
    ("postfix/smtpd", "table hash:/etc/postfix/x has changed -- restarting", "postfix.smtpd.noise"),
    ("postfix/cleanup", "3mL1Hq0Tgvz7sWh: resent-message-id=<3mL1Hq0Tgvz7sWh@mx14.example.net>",
     "postfix.cleanup.resent_message_id"),
    ("postfix/cleanup", "warning: dict_ldap_get_values[1]: DN uid=x,ou=people,dc=example,dc=com not found, skipping",
     "postfix.cleanup.noise"),
    ("postfix/qmgr", "ED06590130AA1C9D6D862: skipped, still being delivered", "postfix.qmgr.skipped"),
    ("postfix/qmgr", "warning: lots of deferred mail, that is bad for performance", "postfix.qmgr.noise"),
    ("postfix/smtp", "connect to aspmx.l.google.com[2a00:1450:400b:c02::1a]:25: Network is unreachable",
     "postfix.smtp.session"),
    ("postfix/smtp", "Verified TLS connection established to mail.sys4.de[2001:1578:400:111::7]:25: TLSv1 with "
                     "cipher ECDHE-RSA-AES256-SHA (256/256 bits)", "postfix.smtp.session"),
    ("postfix/smtp", "B0ADE20FC7: enabling PIX workarounds: disable_esmtp delay_dotcrlf for "
                     "example.com[93.184.216.34]:25", "postfix.smtp.session"),
    ("postfix/smtp", "D0F29603B4: SASL authentication failed; server xyz.example.com[1.2.3.4] said: 535 5.7.8 "
                     "Error: authentication failed: authentication failure", "postfix.smtp.session"),
    ("postfix/smtp", "40197AA: host mg2.egov.bg[213.91.191.86] refused to talk to me: 450 4.3.2 try again later",
     "postfix.smtp.session"),
    ("postfix/smtp", "78D6B41: conversation with mx00.gmx.com[74.208.5.4] timed out while receiving the initial "
                     "server greeting", "postfix.smtp.session"),
    ("postfix/smtp", "certificate verification failed for mail.example.com[113.169.17.115]:25: self-signed "
                     "certificate.", "postfix.smtp.session"),
    ("postfix/smtp", "SSL_connect error to mail.example.org[112.63.65.2]:25: -1", "postfix.smtp.session"),
    ("postfix/smtp", "warning: numeric domain name in resource data of MX record for mail5.example.com: "
                     "207.67.19.85", "postfix.smtp.noise"),
    ("postfix/lmtp", "connect to mail.example.com[private/dovecot-lmtp]: No such file or directory",
     "postfix.lmtp.session"),
    ("postfix/postsuper", "Renamed to match inode number: 2 messages", "postfix.postsuper.summary"),
    ("postfix/postsuper", "Force-expired: 3 messages", "postfix.postsuper.summary"),
    ("postfix/postscreen", "PASS NEW [2607:f8b0:4003:c01::23a]:36051", "postfix.postscreen.session"),
    ("postfix/postscreen", "BLACKLISTED [61.238.241.86]:53024", "postfix.postscreen.session"),
    ("postfix/postscreen", "DENYLISTED [61.238.241.86]:53024", "postfix.postscreen.session"),
    ("postfix/postscreen", "DNSBL rank 3 for [111.73.45.149]:1038", "postfix.postscreen.session"),
    ("postfix/postscreen", "NON-SMTP COMMAND from [93.174.93.51]:45284 after CONNECT: GET / HTTP/1.1",
     "postfix.postscreen.session"),
    ("postfix/postscreen", "BARE NEWLINE from [88.208.233.4]:42606 after .", "postfix.postscreen.session"),
    ("postfix/postscreen", "DISCONNECT [216.81.72.72]:43421", "postfix.postscreen.session"),
    ("postfix/postscreen", "NOQUEUE: reject: RCPT from [27.157.200.233]:4984: 550 5.7.1 Service unavailable; client "
                           "[27.157.200.233] blocked using zen.spamhaus.org; from=<hcdvbnm@qhhn.com>, "
                           "to=<4ECEA00F.9040306@example.com>, proto=ESMTP, helo=<qhhn.com>",
     "postfix.postscreen.session"),
    ("postfix/anvil", "statistics: max connection count 1 for (smtpd:2604:8d00:0:1::3) at Oct 26 17:46:59",
     "postfix.anvil.statistics"),
    ("postfix/scache", "statistics: max simultaneous domains=1 addresses=1 connection=1",
     "postfix.scache.statistics"),
    ("postfix/dnsblog", "addr 2607:f8b0:4003:c01::23a listed by domain list.dnswl.org as 127.0.5.1",
     "postfix.dnsblog.listed"),
    ("postfix/master", "warning: process /usr/libexec/postfix/smtpd pid 46234 killed by signal 11",
     "postfix.master.noise"),
    ("postfix/tlsmgr", "warning: request to update table btree:/var/spool/postfix/smtpd_scache in non-postfix "
                       "directory /var/spool/postfix", "postfix.tlsmgr.noise"),
    ("postfix/tlsproxy", "CONNECT from [82.118.17.142]:51637", "postfix.tlsproxy.session"),
    ("postfix/trivial-rewrite", "warning: dict_ldap_lookup: Search error -1: Can't contact LDAP server ",
     "postfix.trivial-rewrite.noise"),
    ("postfix/verify", "cache ??????? partial cleanup: retained=1 dropped=0 entries", "postfix.verify.cache"),
    ("postfix/postdrop", "warning: uid=0: File too large", "postfix.postdrop.noise"),
    ("postfix/sendmail", "fatal: root(0): message file too big", "postfix.sendmail.noise"),
    ("postfix/postqueue", "fatal: Queue report unavailable - mail system is down", "postfix.postqueue.noise"),
    ("postfix/postfix-script", "stopping the Postfix mail system", "postfix.postfix-script.lifecycle"),
    ("postfix/postmap", "warning: /etc/postfix/conf.d/users.db: duplicate entry: \"xxx@yyy.com\"",
     "postfix.postmap.noise"),
    ("postfix/postlog", "nightly backup done", "postfix.postlog.any"),
    ("sendmail", "u0CB32qX026592: [192.0.2.1]: possible SMTP attack: command=AUTH, count=5", "sendmail.session"),
    ("sendmail", "26H8MRrS025411: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication "
                 "failure: checkpass failed, relay=[192.0.2.9]", "sendmail.session"),
    ("sendmail", "u9A0GtpL018001: rejecting commands from example.com [1.2.3.4] due to pre-greeting traffic after "
                 "6 seconds", "sendmail.session"),
    ("sendmail", "s1D0GoSs025815: [217.193.142.180]: vrfy info [rejected]", "sendmail.session"),
    ("sendmail", "x2TMXH7Y023221: internettl.org [104.152.52.29] (may be forged) did not issue MAIL/EXPN/VRFY/ETRN "
                 "during connection to TLSMTA", "sendmail.session"),
    ("sendmail", "NOQUEUE: SYSERR(nobody): can not write to queue directory /var/spool/clientmqueue/",
     "sendmail.session"),
    ("exim", "10HmaX-000000005vi-0000 frozen by ACL", "exim.message_note"),
    ("exim", "10HmaX-000000005vi-0000 H=127.0.0.1 [127.0.0.1]: SMTP timeout after pipelined MAIL "
             "FROM:<CALLER@myhost.test.ex> SIZE=ssss: Connection timed out", "exim.message_note"),
    ("exim", "10HmaX-000000005vi-0000 Accept non-SMTP", "exim.message_note"),
    ("exim", "1VxHWD-000NuW-83 SA: Action: silently tossed message: score=35.8 required=5.0 trigger=30.0",
     "exim.message_note"),
    ("exim", "10HmbA-000000005vi-0000 *> accept <accept@y> R=accept T=appendfile", "exim.suppressed"),
    ("exim", "End queue run: pid=p1234 -qf", "exim.session"),
    ("exim", "SMTP call from [192.0.2.109] dropped: too many syntax or protocol errors (last command was "
             "\"AUTH LOGIN\")", "exim.session"),
    ("exim", "SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection "
             "from H=[211.148.195.192]:25936 I=[1.2.3.4]:25 input=\"GET / HTTP/1.1\\r\\n\\r\\n\"", "exim.session"),
    ("exim", "H=test.sa.com [1.2.3.4]:18146 temporarily rejected connection in \"connect\" ACL: \"Host is "
             "ratelimited (1.9/1h max:1.2)\"", "exim.session"),
    ("exim", "H=tata.test.biz [1.2.3.4]:41584 sender verify fail for <toto@test.biz>: The mail server does not "
             "recognize toto@test.biz as a valid sender.", "exim.session"),
    ("exim", "2021-07-17 23:20:49 plain_server authenticator failed for ([192.0.2.17]) [192.0.2.27]: 535 Incorrect "
             "authentication data", "exim.session"),
    ("exim", "no IP address found for host test.example.com (during SMTP connection from [192.0.2.9])",
     "exim.session"),
]


@pytest.mark.parametrize("family,line,name", IGNORED_CASES)
def test_ignored_lines(family, line, name):
    pat, _ = REGISTRY.match(family, line)
    assert (pat.name, pat.event) == (name, None)


# --- lines nobody claims ------------------------------------------------------------------------

NO_MATCH_CASES = [
    ("postfix/smtp", "3mPVKl0Mhjz7sXv: to=<56597@con"),  # cut before status=: nothing to trust
    ("postfix/smtp", "something postfix never logged"),
    ("postfix/qmgr", "3mPVKl0Mhjz7sXv: from=<a@example.com>, size=12"),
    ("postfix/smtpd", "NOQUEUE: reject: RCPT from nowhere: 550 5.7.1 no client"),
    ("postfix/bounce", "sender non-delivery notification: not-a-queue-id"),
    ("sendmail", "u1IJTV2r001590: to=<joe@example.com>, mailer=esmtp, stat=Sent"),  # no delay=
    ("sendmail", "starting the mail system"),
    ("exim", "10HmaX-000000005vi-0000"),
    ("exim", "something exim never logged"),
    ("smrsh", "uid 8 tried something"),
]


@pytest.mark.parametrize("family,line", NO_MATCH_CASES)
def test_unknown_lines_are_not_claimed(family, line):
    assert REGISTRY.match(family, line) is None


# --- the registry itself ------------------------------------------------------------------------

ALL = postfix.PATTERNS + sendmail.PATTERNS + exim.PATTERNS


def test_pattern_names_start_with_their_family():
    def prefix(family):
        return family.replace("/", ".") + "."
    assert [p.name for p in ALL if not p.name.startswith(prefix(p.family))] == []


def test_samples_yield_only_event_columns():
    # derive functions add fields the regex does not name (status, client, code, ...)
    bad = [(p.name, sorted(set(p.match(s)) - FIELD_COLUMNS)) for p in ALL for s in p.samples
           if set(p.match(s)) - FIELD_COLUMNS]
    assert bad == []


def test_delivery_agents_share_one_delivery_pattern_and_try_it_first():
    agents = ("smtp", "lmtp", "local", "virtual", "pipe", "error", "discard")
    firsts = {d: REGISTRY.families[f"postfix/{d}"][0] for d in agents}
    assert {d: (p.name, p.regex) for d, p in firsts.items()} == {
        d: (f"postfix.{d}.delivery", postfix.DELIVERY) for d in agents}
    assert REGISTRY.families["postfix/qmgr"][2].regex == postfix.DELIVERY


def test_queued_as_takes_the_last_hop():
    assert postfix.queued_as({"text": "250 Ok: queued as AB12; then queued as CD34."}) == {
        "text": "250 Ok: queued as AB12; then queued as CD34.", "queued_as": "CD34"}
    assert postfix.queued_as({"text": "forwarded as 3mLQKK4rDdz7sVS"})["queued_as"] == "3mLQKK4rDdz7sVS"
    assert "queued_as" not in postfix.queued_as({"text": "250 2.0.0 OK 1539154772 az9 - gsmtp"})


# --- the real-lines corpus ----------------------------------------------------------------------
# Files holding Postfix/Sendmail/Exim message bodies, or whole lines whose envelope a small local
# regex can strip (the envelope parser has its own tests). mailman.log and envelopes.log are not
# MTA text. expected.jsonl names fields its own way; EXPECTED_TO_COLUMN maps them onto event
# columns, and fields without a column (helo, proto, client_ip, ...) are not checked.

BODY_FILES = ("postfix-grok.log", "postfix-parser-bodies.log", "lua-sandbox-sendmail.log")
LINE_FILES = ("fail2ban-postfix.log", "crowdsec-postfix.log", "postfix-exporter.log", "youyo-test.log",
              "youyo-test-iso8601.log", "youyo-test-milter.log", "maillogger.log", "postfix-parser-syslog.log",
              "ossec-wazuh.log", "fail2ban-sendmail.log", "fail2ban-exim.log", "crowdsec-exim.log",
              "logstash-exim.log", "exim-testsuite.log")

#: corpus lines no pattern claims, and why that is right
KNOWN_UNPARSED = {
    ("postfix-parser-bodies.log", 47): "delivery line cut before status=",
    ("postfix-parser-syslog.log", 7): "delivery line cut before status=",
}

_STAMP = r"(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*)"
# STAMP [<fac.pri>] HOST TAG[PID]: MESSAGE, the colon may be missing (ref 1.8)
_TAGGED = re.compile(_STAMP + r" (?:<[\w.]+> )?\S+ (?P<tag>[^\s\[\]:]+)(?:\[\d+\]:?|:) (?P<body>.*)")
# HOST exim[PID]: MESSAGE without a stamp (fail2ban), and Exim's own main log
_HOST_TAG = re.compile(r"\S+ (?P<tag>exim4?)\[\d+\]: (?P<body>.*)")
_EXIM_MAIN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})? (?:\[\d+\] )?(?P<body>.*)")
_EXIM_MESSAGE = re.compile(_EXIM_MAIN.pattern.removesuffix("(?P<body>.*)") + exim.EXIM_ID + " ")


def _records() -> list[dict]:
    if not CORPUS.is_dir():
        return []
    wanted = set(BODY_FILES + LINE_FILES)
    with open(CORPUS / "expected.jsonl", encoding="utf-8") as fh:
        return [r for r in map(json.loads, fh) if r["file"] in wanted]


def family_and_body(rec: dict) -> tuple[str | None, str | None]:
    """The pattern family and message text of a corpus line; (None, None) if it is not ours."""
    line, file, src = rec["line"], rec["file"], rec.get("source_fields") or {}
    if file == "postfix-grok.log":
        grok = src["grok_pattern"]
        if grok == "POSTFIX_TLS_FEATURES":
            return None, None  # a tls= value, not a log line
        return "postfix/" + {"SCRIPT": "postfix-script"}.get(grok[8:], grok[8:].lower().replace("_", "-")), line
    if file == "postfix-parser-bodies.log" and src["type"] != "syslog" and not _TAGGED.fullmatch(line):
        return src["type"], line
    if file == "lua-sandbox-sendmail.log":
        return "sendmail", line
    if "exim" in file and _EXIM_MESSAGE.match(line):  # "STAMP ID ..." would look like "STAMP HOST TAG:"
        return "exim", _EXIM_MAIN.fullmatch(line)["body"]
    for rx in (_TAGGED, _HOST_TAG):
        m = rx.fullmatch(line)
        if m:
            return family_of(m["tag"])[0], m["body"]
    m = _EXIM_MAIN.fullmatch(line)
    if m and ("exim" in file or file == "ossec-wazuh.log"):
        return "exim", m["body"]
    return None, None  # e.g. youyo-test-milter.log 1, cut at the start of its time stamp


_ACTION_EVENT = {"removed": "removed", "requeued": "requeued", "placed on hold": "hold",
                 "released from hold": "released", "skipped, still being delivered": None}
_FLAG = {"<=": ("queued", None), "=>": ("delivery", "sent"), "->": ("delivery", "sent"),
         "**": ("delivery", "bounced"), "==": ("delivery", "deferred"), "*>": (None, None)}


def expected_columns(rec: dict) -> tuple[str | None, dict]:
    """The event (when the corpus implies one) and event-column values of a corpus record."""
    event, cols, line = None, {}, rec["line"]
    for key, value in rec["fields"].items():
        if key in ("queue_id", "orig_to", "relay", "delays", "dsn", "size", "nrcpt", "client", "queued_as",
                   "status"):
            cols[key] = value
        elif key == "from":
            cols["sender"] = "" if value == "<>" else value  # Exim's "<= <>"
        elif key == "to":
            cols["recipient"] = value
        elif key == "nrcpts":
            cols["nrcpt"] = value
        elif key == "delay":
            cols["delay"] = sendmail._seconds(value) if ":" in value else value
        elif key in ("status_text", "reject_text"):
            cols["text"] = value
        elif key in ("forwarded_as", "bounce_queue_id"):
            cols["queued_as"] = value
        elif key == "notification":
            cols["text"] = value + " notification"
        elif key == "message_id":  # the corpus strips <>, mmtrace keeps them
            cols["message_id"] = f"<{value}>" if f"<{value}>" in line else value
        elif key == "stat":
            cols["status"] = "sent" if value.startswith("Sent") else (
                "deferred" if value.startswith("Deferred") else "bounced")
            if value.startswith("Sent ("):
                cols["text"] = value[6:-1]
        elif key == "action" and value in _ACTION_EVENT:
            event = _ACTION_EVENT[value]
        elif key == "action":
            cols["status"] = value
        elif key == "flag":
            event, status = _FLAG[value]
            if status:
                cols["status"] = status
    return event, cols


RECORDS = _records()
needs_corpus = pytest.mark.skipif(not RECORDS, reason=f"corpus not found at {CORPUS}")


@needs_corpus
def test_corpus_has_the_files_this_test_reads():
    assert {r["file"] for r in RECORDS} == set(BODY_FILES + LINE_FILES)


@needs_corpus
def test_every_corpus_line_is_parsed_or_ignored():
    unparsed = {}
    for rec in RECORDS:
        family, body = family_and_body(rec)
        if family is not None and family in REGISTRY.families and REGISTRY.match(family, body) is None:
            unparsed[(rec["file"], rec["line_no"])] = body
    assert set(unparsed) == set(KNOWN_UNPARSED)


EVENT_RECORDS = [pytest.param(r, id=f"{r['file']}:{r['line_no']}") for r in RECORDS
                 if (fb := family_and_body(r))[0] in REGISTRY.families
                 and (hit := REGISTRY.match(*fb)) is not None and hit[0].event is not None]


@needs_corpus
@pytest.mark.parametrize("rec", EVENT_RECORDS)
def test_corpus_fields(rec):
    pat, got = REGISTRY.match(*family_and_body(rec))
    event, cols = expected_columns(rec)
    assert {k: got.get(k) for k in cols} == cols
    if event is not None:
        assert pat.event == event


@needs_corpus
def test_corpus_lines_the_corpus_calls_events_are_not_ignored():
    # a corpus action/flag that means an event (removed, held, delivered) must not land on an ignored pattern
    missed = []
    for rec in RECORDS:
        family, body = family_and_body(rec)
        hit = REGISTRY.match(family, body) if family in REGISTRY.families else None
        if hit is not None and hit[0].event is None and expected_columns(rec)[0] is not None:
            missed.append((rec["file"], rec["line_no"], hit[0].name))
    assert missed == []
