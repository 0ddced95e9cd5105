"""Mailman 2.1 logs: entry splitting and the pattern families (reference mailman2-logs.md 1, 2, A).

Lines marked "(observed)" in the reference are used verbatim; the others are built
from the quoted format strings.
"""

import dataclasses
import json
from pathlib import Path

import pytest

from tracer.formats import mailman
from tracer.formats.mailman import ENTRY_START, FAMILIES, classify, split_entries
from tracer.formats.registry import Registry

REGISTRY = Registry(mailman.PATTERNS)
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-lines"
TB_IOERROR = "IOError :  [Errno 13] Permission denied: '/var/spool/mailman/in/x.pck.tmp'"


def _entry(line, n_lines, ts, pid, label, text):
    return {"line": line, "n_lines": n_lines, "ts": ts, "pid": pid, "label": label, "text": text}


# --- ENTRY_START -------------------------------------------------------------------------------

START_CASES = [
    ("Nov 21 17:08:19 2026 (1116) MyList post from joe@example.com held, message-id=<abc@example.com>: x",
     {"ts": "Nov 21 17:08:19 2026", "label": None, "pid": "1116",
      "msg": "MyList post from joe@example.com held, message-id=<abc@example.com>: x"}),
    # the stderr logger's trailing space is still there; split_entries strips it
    ("Nov 21 17:08:26 2026 qrunner(1714): post script, list not found: nosuchlist ",
     {"ts": "Nov 21 17:08:26 2026", "label": "qrunner", "pid": "1714",
      "msg": "post script, list not found: nosuchlist "}),
    # only the one separator space goes: a locks stack line keeps its two-space indent
    ('Nov 21 17:08:45 2026 (2082)   File "sim4.py", line 10, in <module>',
     {"ts": "Nov 21 17:08:45 2026", "label": None, "pid": "2082", "msg": '  File "sim4.py", line 10, in <module>'}),
    ("Nov 21 17:09:00 2026 mailmanctl(3001): ",
     {"ts": "Nov 21 17:09:00 2026", "label": "mailmanctl", "pid": "3001", "msg": ""}),
    ("post(1715): Traceback (most recent call last):", None),  # label-only continuation
    ('  File "sim1.py", line 32, in <module>', None),
    ("(pid: 4321, sig: None, sts: 1, class: IncomingRunner, slice: 1/1) [restarting]", None),
    ("Aug 22 09:14:02 lists-be postfix/qmgr[1890]: 4A1C2E0123: removed", None),  # syslog, no year
    ("Nov 21 17:08:26 2026 qrunner(1714) no colon", None),
    ("Nov 21 17:08:19 2026 (1116): colon without label", {
        "ts": "Nov 21 17:08:19 2026", "label": None, "pid": "1116", "msg": ": colon without label"}),
]


@pytest.mark.parametrize("line,expected", START_CASES)
def test_entry_start(line, expected):
    m = ENTRY_START.match(line)
    assert (m and m.groupdict()) == expected


# --- split_entries -----------------------------------------------------------------------------

SPLIT_CASES = {
    # reference 1.2 B (observed): vette note with %% kept, 2.1.19+ discard, runner traceback
    # ending in a blank line, SHUNTING
    "syslog-multiline": ([
        "Nov 21 17:08:19 2026 (1116) mylist: Discarded posting:",
        "\tFrom: joe@example.com",
        "\tSubject: 100%% off =?utf-8?q?caf=C3=A9?=",
        "\tReason: Spam",
        "Nov 21 17:08:19 2026 (1116) Message discarded, msgid: <abc@example.com>'",
        "        list: MyList,",
        "        handler: Moderate",
        "Nov 21 17:08:19 2026 (1116) Uncaught runner exception: integer division or modulo by zero",
        "Nov 21 17:08:19 2026 (1116) Traceback (most recent call last):",
        '  File "sim1.py", line 32, in <module>',
        "    1/0",
        "ZeroDivisionError: integer division or modulo by zero",
        "",
        "Nov 21 17:08:19 2026 (1116) SHUNTING: 1234567890.1234569+0123456789abcdef0123456789abcdef01234567",
    ], [
        _entry(1, 4, "Nov 21 17:08:19 2026", 1116, None,
               "mylist: Discarded posting:\n\tFrom: joe@example.com\n"
               "\tSubject: 100%% off =?utf-8?q?caf=C3=A9?=\n\tReason: Spam"),
        _entry(5, 3, "Nov 21 17:08:19 2026", 1116, None,
               "Message discarded, msgid: <abc@example.com>'\n        list: MyList,\n        handler: Moderate"),
        _entry(8, 1, "Nov 21 17:08:19 2026", 1116, None,
               "Uncaught runner exception: integer division or modulo by zero"),
        _entry(9, 5, "Nov 21 17:08:19 2026", 1116, None,
               'Traceback (most recent call last):\n  File "sim1.py", line 32, in <module>\n    1/0\n'
               "ZeroDivisionError: integer division or modulo by zero\n"),
        _entry(14, 1, "Nov 21 17:08:19 2026", 1116, None,
               "SHUNTING: 1234567890.1234569+0123456789abcdef0123456789abcdef01234567"),
    ]),
    # reference 1.2 C (observed): scripts/post stamps only its first line; label-only lines
    # lose their prefix, every line its one trailing space
    "post-label-only-continuation": ([
        "Nov 21 17:08:26 2026 post(1715): post script, list not found: nosuchlist ",
        "post(1715): Traceback (most recent call last):",
        'post(1715):   File "sim2.py", line 14, in <module>',
        "post(1715):      f()",
        f"post(1715): {TB_IOERROR} ",
    ], [
        _entry(1, 5, "Nov 21 17:08:26 2026", 1715, "post",
               "post script, list not found: nosuchlist\nTraceback (most recent call last):\n"
               f'  File "sim2.py", line 14, in <module>\n     f()\n{TB_IOERROR}'),
    ]),
    # bin/qrunner -s stamps every line; one process's consecutive lines make one entry
    "qrunner-label-every-line-stamped": ([
        "Nov 21 17:08:26 2026 qrunner(1714): Traceback (most recent call last):",
        'Nov 21 17:08:26 2026 qrunner(1714):   File "sim2.py", line 14, in <module>',
        "Nov 21 17:08:26 2026 qrunner(1714):      f()",
        f"Nov 21 17:08:27 2026 qrunner(1714): {TB_IOERROR} ",
        "Nov 21 17:08:27 2026 qrunner(1799): Traceback (most recent call last):",
    ], [
        _entry(1, 4, "Nov 21 17:08:26 2026", 1714, "qrunner",
               f'Traceback (most recent call last):\n  File "sim2.py", line 14, in <module>\n     f()\n{TB_IOERROR}'),
        _entry(5, 1, "Nov 21 17:08:27 2026", 1799, "qrunner", "Traceback (most recent call last):"),
    ]),
    # reference 1.2 C (observed) CGI block: an unprefixed line inside it ('[GCC ...] ') and tabs
    "admin-cgi-block": ([
        "Nov 21 17:08:33 2026 admin(2077): @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ ",
        "admin(2077): [----- Mailman Version: 2.1.12 -----] ",
        "admin(2077): [----- Traceback ------] ",
        "admin(2077): Traceback (most recent call last):",
        'admin(2077):   File "sim3.py", line 6, in <module>',
        "admin(2077):     raise AttributeError('Generator instance has no __call__ method')",
        "admin(2077): AttributeError: Generator instance has no __call__ method",
        "admin(2077): [----- Python Information -----] ",
        "admin(2077): sys.version     =   2.7.18 (default, May  9 2026, 07:29:50) ",
        "[GCC 12.2.0] ",
        "admin(2077): [----- Environment Variables -----] ",
        "admin(2077): \tSCRIPT_NAME: /mailman/admindb ",
        "admin(2077): \tPATH_INFO: /mylist ",
    ], [
        _entry(1, 13, "Nov 21 17:08:33 2026", 2077, "admin",
               "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n[----- Mailman Version: 2.1.12 -----]\n"
               "[----- Traceback ------]\nTraceback (most recent call last):\n"
               '  File "sim3.py", line 6, in <module>\n'
               "    raise AttributeError('Generator instance has no __call__ method')\n"
               "AttributeError: Generator instance has no __call__ method\n[----- Python Information -----]\n"
               "sys.version     =   2.7.18 (default, May  9 2026, 07:29:50)\n[GCC 12.2.0]\n"
               "[----- Environment Variables -----]\n\tSCRIPT_NAME: /mailman/admindb\n\tPATH_INFO: /mylist"),
    ]),
    # reference 2.5 (observed): the master's exit message is two lines; '' for restarting
    # leaves a trailing space, kept in a syslog() entry
    "qrunner-exit-two-lines": ([
        "Nov 21 17:08:19 2026 (1116) Master qrunner detected subprocess exit",
        "(pid: 4321, sig: None, sts: 1, class: IncomingRunner, slice: 1/1) [restarting]",
        "Nov 21 17:08:20 2026 (1116) Master qrunner detected subprocess exit",
        "(pid: 4322, sig: None, sts: 15, class: OutgoingRunner, slice: 1/1) ",
    ], [
        _entry(1, 2, "Nov 21 17:08:19 2026", 1116, None, "Master qrunner detected subprocess exit\n"
               "(pid: 4321, sig: None, sts: 1, class: IncomingRunner, slice: 1/1) [restarting]"),
        _entry(3, 2, "Nov 21 17:08:20 2026", 1116, None, "Master qrunner detected subprocess exit\n"
               "(pid: 4322, sig: None, sts: 15, class: OutgoingRunner, slice: 1/1) "),
    ]),
    # reference 1.2 D (observed): every stack line of the locks log is stamped, so its own entry
    "locks-stamped-stack": ([
        "Nov 21 17:08:45 2026 (2082) mylist.lock lifetime has expired, breaking",
        'Nov 21 17:08:45 2026 (2082)   File "sim4.py", line 10, in <module>',
        "Nov 21 17:08:45 2026 (2082)     b.lock(timeout=30)",
    ], [
        _entry(1, 1, "Nov 21 17:08:45 2026", 2082, None, "mylist.lock lifetime has expired, breaking"),
        _entry(2, 1, "Nov 21 17:08:45 2026", 2082, None, '  File "sim4.py", line 10, in <module>'),
        _entry(3, 1, "Nov 21 17:08:45 2026", 2082, None, "    b.lock(timeout=30)"),
    ]),
    # a rotated or cut file that starts inside an entry
    "orphan-continuation-at-start": ([
        "    1/0",
        "ZeroDivisionError: integer division or modulo by zero",
        "",
        "Nov 21 17:08:19 2026 (1116) SHUNTING: 1+ab",
    ], [
        _entry(1, 3, None, None, None, "    1/0\nZeroDivisionError: integer division or modulo by zero\n"),
        _entry(4, 1, "Nov 21 17:08:19 2026", 1116, None, "SHUNTING: 1+ab"),
    ]),
    # a stderr print of a message ending in "\n": its final "\n" is a stamped, empty write
    "mailmanctl-print": ([
        "Nov 21 17:09:00 2026 mailmanctl(3001): The master qrunner lock could not be acquired because "
        "it appears as if another",
        "master qrunner is already running.",
        "Nov 21 17:09:00 2026 mailmanctl(3001): ",
    ], [
        _entry(1, 3, "Nov 21 17:09:00 2026", 3001, "mailmanctl",
               "The master qrunner lock could not be acquired because it appears as if another\n"
               "master qrunner is already running.\n"),
    ]),
    "empty-input": ([], []),
}


@pytest.mark.parametrize("lines,expected", SPLIT_CASES.values(), ids=SPLIT_CASES.keys())
def test_split_entries(lines, expected):
    assert [dataclasses.asdict(e) for e in split_entries(lines)] == expected


def test_split_entries_numbers_from_start():
    lines = ["tail of an older entry", "Nov 21 17:08:19 2026 (1116) SHUNTING: 1+ab"]
    assert [(e.line, e.n_lines) for e in split_entries(lines, start=41)] == [(41, 1), (42, 1)]


def test_split_entries_is_lazy():
    def lines():
        yield "Nov 21 17:08:19 2026 (1116) SHUNTING: 1+ab"
        yield "Nov 21 17:08:20 2026 (1116) SHUNTING: 2+cd"
        raise AssertionError("read past the second entry's start")

    assert next(split_entries(lines())).text == "SHUNTING: 1+ab"


# --- patterns: family, entry text -> pattern, event, fields --------------------------------------

MATCH_CASES = [
    # vette (2.1)
    ("vette", "MyList post from joe@example.com held, message-id=<abc@example.com>: "
              "Post by non-member to a members-only list",  # reference 1.2 A (observed)
     "mailman.vette.held", "held",
     {"list": "MyList", "sender": "joe@example.com", "message_id": "<abc@example.com>",
      "text": "Post by non-member to a members-only list"}),
    # Utils.wrap() put the long 2.1.26+ regexp reason on a second, unstamped line
    ("vette", "Physics-L post from a@b.c held, message-id=<x: y@z>: Header matched regexp:\n"
              r"^Subject:.*(?:cheap|discount)\s+(?:watches|pills|meds|software|degrees)",
     "mailman.vette.held", "held",
     {"list": "Physics-L", "sender": "a@b.c", "message_id": "<x: y@z>",
      "text": r"Header matched regexp: ^Subject:.*(?:cheap|discount)\s+(?:watches|pills|meds|software|degrees)"}),
    ("vette", "Physics-L post from  held, message-id=n/a: Message has implicit destination",
     "mailman.vette.held", "held",
     {"list": "Physics-L", "sender": "", "message_id": "n/a", "text": "Message has implicit destination"}),
    ("vette", "held message approved, message-id: <abc@example.com>",  # 2.1.9-2.1.17
     "mailman.vette.approved", "approved", {"message_id": "<abc@example.com>"}),
    ("vette", "physics-l: held message approved, message-id: <abc@example.com>",  # 2.1.18+
     "mailman.vette.approved", "approved", {"list": "physics-l", "message_id": "<abc@example.com>"}),
    ("vette", "held message approved, message-id: n/a",
     "mailman.vette.approved", "approved", {"message_id": "n/a"}),
    ("vette", "mylist: Discarded posting:\n\tFrom: joe@example.com\n"
              "\tSubject: 100%% off =?utf-8?q?caf=C3=A9?=\n\tReason: Spam",  # reference 1.2 B (observed)
     "mailman.vette.moderator_discarded", "moderator_discarded",
     {"list": "mylist", "sender": "joe@example.com", "subject": "100% off =?utf-8?q?caf=C3=A9?=", "text": "Spam"}),
    # cron/checkdbs auto_discard() and e-mail confirmations give no Reason line
    ("vette", "mylist: Discarded posting:\n\tFrom: joe@example.com\n\tSubject: Hello",
     "mailman.vette.moderator_discarded", "moderator_discarded",
     {"list": "mylist", "sender": "joe@example.com", "subject": "Hello"}),
    # a textarea comment over untabbed lines with \r; a folded encoded subject is unfolded
    ("vette", "physics-l: Refused posting:\n\tFrom: joe@example.com\n"
              "\tSubject: =?utf-8?q?Re:_50%%_off?=\n =?utf-8?q?today?=\n"
              "\tReason: Non-members are not allowed to post messages to this list.\r\n"
              "Please subscribe first.\r\n\r\nThe owner",
     "mailman.vette.moderator_rejected", "moderator_rejected",
     {"list": "physics-l", "sender": "joe@example.com", "subject": "=?utf-8?q?Re:_50%_off?= =?utf-8?q?today?=",
      "text": "Non-members are not allowed to post messages to this list. Please subscribe first. The owner"}),
    ("vette", "Message discarded, msgid: <abc@example.com>",  # 2.1.9-2.1.18
     "mailman.vette.auto_discarded_old", "auto_discarded", {"message_id": "<abc@example.com>"}),
    ("vette", "Message discarded, msgid: n/a",
     "mailman.vette.auto_discarded_old", "auto_discarded", {"message_id": "n/a"}),
    # 2.1.19+: the stray ' after the Message-ID is in Mailman's source
    ("vette", "Message discarded, msgid: <abc@example.com>'\n        list: MyList,\n        handler: Moderate",
     "mailman.vette.auto_discarded", "auto_discarded",
     {"message_id": "<abc@example.com>", "list": "MyList", "text": "Moderate"}),
    ("vette", "Message rejected, msgid: <abc@example.com>\n        list: MyList,\n        handler: Moderate,\n"
              "        reason: You are not allowed to post to this mailing list, and your message has been\n"
              "automatically rejected.  If you think that your messages are being rejected in\n"
              "error, contact the mailing list owner at mylist-owner@example.com.",  # 2.1.16+
     "mailman.vette.auto_rejected", "auto_rejected",
     {"message_id": "<abc@example.com>", "list": "MyList",
      "text": "Moderate: You are not allowed to post to this mailing list, and your message has been "
              "automatically rejected.  If you think that your messages are being rejected in error, "
              "contact the mailing list owner at mylist-owner@example.com."}),
    # post (2.2)
    ("post", "post to mylist from joe@example.com, size=1234, message-id=<abc@example.com>, success",
     "mailman.post.success", "post",
     {"list": "mylist", "sender": "joe@example.com", "size": "1234", "message_id": "<abc@example.com>",
      "status": "success"}),
    ("post", "post to mylist from joe@example.com, size=1234, message-id=<abc@example.com>, 2 failures",
     "mailman.post.failures", "post",
     {"list": "mylist", "sender": "joe@example.com", "size": "1234", "message_id": "<abc@example.com>",
      "code": "2", "status": "failures"}),
    ("post", "post to mylist from joe@example.com, size=1234, success",
     "mailman.post.sendmail_success", "post",
     {"list": "mylist", "sender": "joe@example.com", "size": "1234", "status": "success"}),
    ("post", "post to mylist from joe@example.com, size=1234, failure=75",
     "mailman.post.sendmail_failure", "post",
     {"list": "mylist", "sender": "joe@example.com", "size": "1234", "code": "75", "status": "failures"}),
    # smtp (2.3)
    ("smtp", "<abc@example.com> smtp to mylist for 250 recips, completed in 3.512 seconds",
     "mailman.smtp.handoff", "smtp",
     {"message_id": "<abc@example.com>", "list": "mylist", "nrcpt": "250", "delay": "3.512"}),
    ("smtp", "n/a smtp to l for 1 recips, completed in 1.500 seconds",  # reference 2.3 (observed)
     "mailman.smtp.handoff", "smtp", {"message_id": "n/a", "list": "l", "nrcpt": "1", "delay": "1.500"}),
    # smtp-failure (2.3)
    ("smtp-failure", "delivery to joe@example.com failed with code 550: 5.1.1 <joe@example.com>: "
                     "Recipient address rejected: User unknown",
     "mailman.smtp-failure.recipient", "smtp_failure",
     {"recipient": "joe@example.com", "code": "550",
      "text": "5.1.1 <joe@example.com>: Recipient address rejected: User unknown"}),
    ("smtp-failure", "delivery to joe@example.com failed with code 451: 4.3.0 Temporary failure\n"
                     "4.3.0 try again later",  # a multi-line SMTP reply
     "mailman.smtp-failure.recipient", "smtp_failure",
     {"recipient": "joe@example.com", "code": "451", "text": "4.3.0 Temporary failure 4.3.0 try again later"}),
    ("smtp-failure", "delivery to joe@example.com failed with code -1: [Errno 111] Connection refused",
     "mailman.smtp-failure.recipient", "smtp_failure",
     {"recipient": "joe@example.com", "code": "-1", "text": "[Errno 111] Connection refused"}),
    ("smtp-failure", "All recipients refused: {'joe@example.com': (550, '5.1.1 User unknown')}, msgid: None",
     "mailman.smtp-failure.refused", "smtp_refused",
     {"text": "{'joe@example.com': (550, '5.1.1 User unknown')}", "message_id": "None"}),
    ("smtp-failure", "SMTP session failure: 554, 5.7.1 Message rejected, msgid: <abc@example.com>",
     "mailman.smtp-failure.session", "smtp_session_failure",
     {"code": "554", "text": "5.7.1 Message rejected", "message_id": "<abc@example.com>"}),
    ("smtp-failure", "Low level smtp error: [Errno 111] Connection refused, msgid: <abc@example.com>",
     "mailman.smtp-failure.low_level", "smtp_low_level",
     {"text": "[Errno 111] Connection refused", "message_id": "<abc@example.com>"}),
    ("smtp-failure", "SMTP TLS error: [Errno 1] _ssl.c:510: error:14077410:SSL routines",  # 2.1.23+
     "mailman.smtp-failure.connect", "smtp_connect_error",
     {"text": "SMTP TLS error: [Errno 1] _ssl.c:510: error:14077410:SSL routines"}),
    ("smtp-failure", "SMTP EHLO error: (421, 'Service not available')",
     "mailman.smtp-failure.connect", "smtp_connect_error", {"text": "SMTP EHLO error: (421, 'Service not available')"}),
    ("smtp-failure", "SMTP HELO error: (501, 'Syntax error')",
     "mailman.smtp-failure.connect", "smtp_connect_error", {"text": "SMTP HELO error: (501, 'Syntax error')"}),
    ("smtp-failure", "SMTP AUTH error: (535, '5.7.8 Error: authentication failed')",
     "mailman.smtp-failure.connect", "smtp_connect_error",
     {"text": "SMTP AUTH error: (535, '5.7.8 Error: authentication failed')"}),
    ("smtp-failure", "SMTP - no suitable authentication method found: No suitable authentication method found.",
     "mailman.smtp-failure.connect", "smtp_connect_error",
     {"text": "SMTP - no suitable authentication method found: No suitable authentication method found."}),
    # error (2.4, 1.2 C)
    ("error", "Uncaught runner exception: Generator instance has no __call__ method",
     "mailman.error.runner_exception", "runner_exception", {"text": "Generator instance has no __call__ method"}),
    ("error", 'Traceback (most recent call last):\n  File "sim1.py", line 32, in <module>\n    1/0\n'
              "ZeroDivisionError: integer division or modulo by zero\n",
     "mailman.error.traceback", "traceback", {"text": "ZeroDivisionError: integer division or modulo by zero"}),
    # another process's label-only line left inside the entry still yields the exception line
    ("error", 'Traceback (most recent call last):\n  File "sim2.py", line 14, in <module>\n'
              "post(1715): AttributeError: Generator instance has no __call__ method",
     "mailman.error.traceback", "traceback", {"text": "AttributeError: Generator instance has no __call__ method"}),
    ("error", 'Traceback (most recent call last):\n  File "sim2.py", line 14, in <module>',  # cut short
     "mailman.error.traceback", "traceback", {}),
    ("error", "SHUNTING: 1795281018.351492+cff8ddb70123456789abcdef0123456789abcdef",
     "mailman.error.shunted", "shunted", {"filebase": "1795281018.351492+cff8ddb70123456789abcdef0123456789abcdef"}),
    ("error", "SHUNTING FAILED, preserving original entry: 1795281018.351492+edd4ba9e0123456789abcdef0123456789abcdef",
     "mailman.error.shunt_failed", "shunt_failed",
     {"filebase": "1795281018.351492+edd4ba9e0123456789abcdef0123456789abcdef"}),
    ("error", "Skipping and preserving unparseable message: "
              "1255006475.2939999+0123456789abcdef0123456789abcdef01234567",
     "mailman.error.unparseable", "unparseable",
     {"filebase": "1255006475.2939999+0123456789abcdef0123456789abcdef01234567"}),
    ("error", "Ignoring unparseable message: 1255006475.2939999+0123456789abcdef0123456789abcdef01234567",
     "mailman.error.unparseable", "unparseable",
     {"filebase": "1255006475.2939999+0123456789abcdef0123456789abcdef01234567"}),
    ("error", "Dequeuing message destined for missing list: oldlist",
     "mailman.error.missing_list", "missing_list", {"list": "oldlist"}),
    ("error", "Cannot connect to SMTP server localhost on port smtp",
     "mailman.error.smtp_cannot_connect", "smtp_cannot_connect",
     {"text": "Cannot connect to SMTP server localhost on port smtp"}),
    ("error", "post script, list not found: nosuchlist\nTraceback (most recent call last):\n"
              f'  File "sim2.py", line 14, in <module>\n     f()\n{TB_IOERROR}',
     "mailman.error.post_script", "post_script_error",
     {"text": "post script, list not found: nosuchlist", "list": "nosuchlist"}),
    ("error", "post script got no listname.",
     "mailman.error.post_script", "post_script_error", {"text": "post script got no listname."}),
    ("error", "The master qrunner lock could not be acquired, because it appears as if some\n"
              "process on some other host may have acquired it.  We can't test for stale\n"
              "locks across host boundaries, so you'll have to do this manually.  Or, if you\n"
              "know the lock is stale, re-run mailmanctl with the -s flag.\n\n"
              "Lock file: /var/lock/mailman/master-qrunner\nLock host: lists-fe\n\nExiting.",
     "mailman.error.mailmanctl", "mailmanctl_error",
     {"text": "The master qrunner lock could not be acquired, because it appears as if some process on some "
              "other host may have acquired it.  We can't test for stale locks across host boundaries, so "
              "you'll have to do this manually.  Or, if you know the lock is stale, re-run mailmanctl with "
              "the -s flag. Lock file: /var/lock/mailman/master-qrunner Lock host: lists-fe Exiting."}),
    ("error", "Stale pid file removed.", "mailman.error.mailmanctl", "mailmanctl_error",
     {"text": "Stale pid file removed."}),
    ("error", "PID unreadable in: /var/run/mailman/master-qrunner.pid", "mailman.error.mailmanctl",
     "mailmanctl_error", {"text": "PID unreadable in: /var/run/mailman/master-qrunner.pid"}),
    ("error", "Could not process HELD_MESSAGE: 17", "mailman.error.held_lost", "held_lost", {"text": "17"}),
    # qrunner (2.5)
    ("qrunner", "IncomingRunner qrunner started.", "mailman.qrunner.started", "runner_started",
     {"runner": "IncomingRunner"}),
    # logrotate's reopen is the runner's only line on a quiet day: evidence it is alive
    ("qrunner", "VirginRunner qrunner caught SIGHUP.  Reopening logs.", "mailman.qrunner.sighup", "runner_reopen",
     {"runner": "VirginRunner"}),
    ("qrunner", "IncomingRunner qrunner exiting.", "mailman.qrunner.exiting", "runner_exiting",
     {"runner": "IncomingRunner"}),
    ("qrunner", "VirginRunner qrunner caught SIGINT.  Stopping.", "mailman.qrunner.signal", "runner_signal",
     {"runner": "VirginRunner", "text": "SIGINT"}),
    ("qrunner", "Master qrunner detected subprocess exit\n"
                "(pid: 4321, sig: None, sts: 1, class: IncomingRunner, slice: 1/1) [restarting]",
     "mailman.qrunner.subprocess_exit", "runner_exit",
     {"text": "sig: None", "code": "1", "runner": "IncomingRunner", "slice": "1", "slices": "1",
      "status": "restarting"}),
    # killed by a signal (OOM killer): sts None is dropped, not stored as text
    ("qrunner", "Master qrunner detected subprocess exit\n"
                "(pid: 4400, sig: 9, sts: None, class: OutgoingRunner, slice: 2/4) [restarting]",
     "mailman.qrunner.subprocess_exit", "runner_exit",
     {"text": "sig: 9", "runner": "OutgoingRunner", "slice": "2", "slices": "4", "status": "restarting"}),
    ("qrunner", "Master qrunner detected subprocess exit\n"
                "(pid: 4401, sig: None, sts: 15, class: ArchRunner, slice: 1/1) ",
     "mailman.qrunner.subprocess_exit", "runner_exit",
     {"text": "sig: None", "code": "15", "runner": "ArchRunner", "slice": "1", "slices": "1",
      "status": "not restarting"}),
    ("qrunner", "Qrunner IncomingRunner reached maximum restart limit of 10, not restarting.",
     "mailman.qrunner.restart_limit", "runner_restart_limit", {"runner": "IncomingRunner", "code": "10"}),
    ("qrunner", "Master watcher caught SIGTERM.  Exiting.", "mailman.qrunner.master_sigterm", "master_stopped", {}),
    ("qrunner", "Master watcher caught SIGINT.  Restarting.", "mailman.qrunner.master_sigint",
     "master_restarting", {}),
    # locks (2.6)
    ("locks", "mylist.lock lifetime has expired, breaking", "mailman.locks.broken", "lock_broken",
     {"text": "mylist.lock", "list": "mylist"}),
    ("locks", "master-qrunner lifetime has expired, breaking", "mailman.locks.broken", "lock_broken",
     {"text": "master-qrunner"}),
    ("locks", "mylist-arch.lock timed out", "mailman.locks.timeout", "lock_timeout", {"text": "mylist-arch.lock"}),
    ("locks", "gate_news.lock timed out", "mailman.locks.timeout", "lock_timeout", {"text": "gate_news.lock"}),
    ("locks", "mylist.lock timed out", "mailman.locks.timeout", "lock_timeout",
     {"text": "mylist.lock", "list": "mylist"}),
    # bounce and subscribe (2.7)
    ("bounce", "mylist: joe@example.com bounce score: 1.0", "mailman.bounce.score", "bounce_score",
     {"list": "mylist", "recipient": "joe@example.com", "text": "bounce score: 1.0"}),
    ("bounce", "mylist: joe@example.com current bounce score: 2.0", "mailman.bounce.score", "bounce_score",
     {"list": "mylist", "recipient": "joe@example.com", "text": "current bounce score: 2.0"}),
    ("bounce", "mylist: joe@example.com disabling due to probe bounce received", "mailman.bounce.disabled",
     "bounce_disabled", {"list": "mylist", "recipient": "joe@example.com",
                         "text": "disabling due to probe bounce received"}),
    ("bounce", "mylist: joe@example.com disabling due to bounce score 5.0 >= 5.0", "mailman.bounce.disabled",
     "bounce_disabled", {"list": "mylist", "recipient": "joe@example.com",
                         "text": "disabling due to bounce score 5.0 >= 5.0"}),
    ("subscribe", "mylist: joe@example.com auto-unsubscribed [reason: BYBOUNCE]",
     "mailman.subscribe.auto_unsubscribed", "unsubscribed",
     {"list": "mylist", "recipient": "joe@example.com", "text": "BYBOUNCE"}),
]


@pytest.mark.parametrize("family,text,name,event,fields", MATCH_CASES)
def test_pattern_fields(family, text, name, event, fields):
    pat, got = REGISTRY.match(family, text)
    assert (pat.name, pat.event, got) == (name, event, fields)


def test_cgi_block_gives_the_exception_line():
    (entry,) = split_entries(SPLIT_CASES["admin-cgi-block"][0])
    pat, got = REGISTRY.match("error", entry.text)
    assert (pat.name, pat.event, got) == (
        "mailman.error.cgi", "cgi_error", {"text": "AttributeError: Generator instance has no __call__ method"})


# --- every other format string of these logs is recognised and ignored --------------------------

IGNORED_CASES = [
    ("vette", "No command, message discarded, msgid: <abc@example.com>", "mailman.vette.no_command"),
    ("vette", "Precedence: bulk message discarded by: mylist-request@example.com", "mailman.vette.precedence"),
    ("vette", "replied and discard", "mailman.vette.replied_and_discard"),
    ("vette", "-request/hold autoresponse discarded for: joe@example.com", "mailman.vette.autoresponse"),
    ("vette", "-request/hold autoresponse limit hit for: joe@example.com", "mailman.vette.autoresponse"),
    ("vette", "mylist: held subscription request from joe@example.com", "mailman.vette.subscription_request"),
    ("vette", "mylist: held unsubscription request from joe@example.com", "mailman.vette.subscription_request"),
    ("vette", "mylist: discarded subscription request from joe@example.com", "mailman.vette.subscription_request"),
    ("vette", "mylist: rejected unsubscription request from joe@example.com\n\tReason: go away",
     "mailman.vette.subscription_request"),
    ("vette", "mylist banned subscription: joe@example.com (matched: ^joe@)", "mailman.vette.banned"),
    ("vette", "mylist banned subscription: joe@example.com from 192.0.2.1 (Spamhaus IP)", "mailman.vette.banned"),
    ("vette", "mylist banned subscription: joe@example.com (Spamhaus DBL)", "mailman.vette.banned"),
    ("vette", "mylist banned invitation: joe@example.com (matched: ^joe@)", "mailman.vette.banned"),
    ("vette", "mylist banned address change: a@example.com -> joe@example.com (matched: ^joe@)",
     "mailman.vette.banned"),
    ("vette", "DMARC lookup for joe@example.com (example.com) found p=quarantine in _dmarc.example.com = "
              "v=DMARC1; p=quarantine", "mailman.vette.dmarc"),  # 2.1.18, RHEL 6 backport
    ("vette", "MyList: DMARC lookup for joe@example.com (example.com) found p=reject in _dmarc.example.com = "
              "v=DMARC1; p=reject", "mailman.vette.dmarc"),  # 2.1.21+
    ("vette", "MyList: Automatically Moderated joe@example.com for verbose postings.",
     "mailman.vette.verbose_moderated"),
    ("vette", "mylist: auto approved subscribe from joe@example.com", "mailman.vette.auto_approved_subscribe"),
    ("post", "post to mylist from Joe Bloggs <joe@example.com> anonymized", "mailman.post.anonymized"),
    ("smtp", "Skipping VERP delivery to unqual recip: joe", "mailman.smtp.verp_skip"),
    ("error", "mailcmd script, list not found: nosuchlist", "mailman.error.script_error"),
    ("error", "bounces script got no listname.", "mailman.error.script_error"),
    ("error", 'admin: No such list "nosuch": \n', "mailman.error.cgi_no_such_list"),
    ("error", 'listinfo: No such list "nosuch": ', "mailman.error.cgi_no_such_list"),
    ("error", 'No such list "nosuch": ', "mailman.error.cgi_no_such_list"),  # before 2.1.18
    ("error", "Bouncer: mylist: Include list self reference", "mailman.error.other"),
    ("error", 'Bouncer: mylist: Include list "other" not found.', "mailman.error.other"),
    ("error", "User joe@example.com had a false password for list mylist", "mailman.error.other"),
    ("error", "IOError reading list extension: [Errno 2] x", "mailman.error.other"),
    ("error", "Failed config.pck write, retaining old state.\n[Errno 28] No space left on device",
     "mailman.error.other"),
    ("error", "couldn't load config file /var/lib/mailman/lists/x/config.pck\nEOFError", "mailman.error.other"),
    ("error", "All mylist fallbacks were corrupt, giving up", "mailman.error.other"),
    ("error", "fixing corrupt config file, using: /var/lib/mailman/lists/x/config.pck.last", "mailman.error.other"),
    ("error", 'Bad reply_to_address "x" cleared for list: mylist', "mailman.error.other"),
    ("error", 'Bad topic "x" for list: mylist', "mailman.error.other"),
    ('error', 'Bad topic pattern "x(" for list: mylist', "mailman.error.other"),
    ("error", 'accept_these_nonmembers in mylist has bad regexp "x(": unbalanced', "mailman.error.other"),
    ("error", "accept_these_nonmembers in mylist references own list", "mailman.error.other"),
    ("error", "accept_these_nonmembers in mylist references non-existent list other", "mailman.error.other"),
    ("error", "Bad authcontext: 7", "mailman.error.other"),
    ("error", "Warning: Possible malformed path attack domain=x remote=192.0.2.1", "mailman.error.other"),
    ("error", "urandom not available, passwords not secure", "mailman.error.other"),
    ("error", "broken template: listinfo.html\nKeyError", "mailman.error.other"),
    ("error", "Unable to retrieve data from https://publicsuffix.org/list: timeout", "mailman.error.other"),
    ("error", "DNS lookup for dmarc_moderation_action for list mylist not available", "mailman.error.other"),
    ("error", "DNSException: No Nameservers available for joe@example.com (_dmarc.example.com)",
     "mailman.error.other"),
    ("error", "DNSException: Unable to query DMARC policy for joe@example.com (_dmarc.example.com). timeout",
     "mailman.error.other"),
    ("error", "multiple DMARC entries in results for _dmarc.example.com,\n       processing each to be strict",
     "mailman.error.other"),
    ("error", "RRset of TXT records for _dmarc.example.com has 2 v=DMARC1 entries;\n"
              "       ignoring them per RFC 7849", "mailman.error.other"),
    ("error", "VERY BAD NEWS.  Unknown pending request type `9' found for list: mylist", "mailman.error.other"),
    ("error", "VERP_REGEXP doesn't yield the right match groups: x", "mailman.error.other"),
    ("error", "VERP_PROBE_REGEXP doesn't yield the right match groups: x", "mailman.error.other"),
    ("error", "child process leaked thru: IncomingRunner", "mailman.error.other"),
    ("error", "Could not rename maildir file: /x", "mailman.error.other"),
    ("error", "Message apparently not for any list: x", "mailman.error.other"),
    ("error", "Unknown sub-queue: x", "mailman.error.other"),
    ('error', '(NNTPDirect) NNTP error for list "mylist": 441 posting failed', "mailman.error.other"),
    ('error', '(NNTPDirect) socket error for list "mylist": timed out', "mailman.error.other"),
    ("error", "error opening list: mylist\n[Errno 13] Permission denied", "mailman.error.other"),
    ("error", "Failed to unlink backup file: /var/spool/mailman/out/1+ab.bak", "mailman.error.other"),  # 2.1.9
    ("error", "Failed to unlink/preserve backup file: /var/spool/mailman/out/1+ab.bak",  # 2.1.11-2.1.15
     "mailman.error.other"),
    ("error", "Unpickling .bak exception: EOFError\npreserving file: 1+ab", "mailman.error.other"),
    ("error", ".bak file max count, preserving file: 1+ab", "mailman.error.other"),
    ("error", "command failed: /usr/sbin/postmap /etc/mailman/aliases (status: 1, Operation not permitted)",
     "mailman.error.other"),
    ("error", "Exclude list other is a self reference.", "mailman.error.other"),
    ("error", "Include list other not found.", "mailman.error.other"),
    ("error", "Include list other is not in the same domain.", "mailman.error.other"),
    ("error", "ANONYMOUS_LIST_KEEP_HEADERS: ignored bad regexp x(: unbalanced", "mailman.error.other"),
    ("error", 'list: mylist: can\'t decode "x" as us-ascii', "mailman.error.other"),
    ("error", "Exception while calculating msg_footer:\nKeyError: 'x'", "mailman.error.other"),
    ("error", "HTML->text/plain error: 256", "mailman.error.other"),
    ("error", "Bad autoreply text for list: mylist\n%(x)s", "mailman.error.other"),
    ("error", "HTML sanitizer exited with non-zero status: 1", "mailman.error.other"),
    ("error", "ignoring header_filter_rules invalid pattern: x(", "mailman.error.other"),
    ("error", "send_digests() failed: [Errno 28] No space left on device", "mailman.error.other"),
    ("error", "NNTP gateway improperly configured: mylist", "mailman.error.other"),
    ("error", "Archive file access failure:\n\t/var/lib/mailman/archives/private/mylist.mbox [Errno 13]",
     "mailman.error.other"),
    ("error", "external archiver non-zero exit status: 1\n", "mailman.error.other"),
    ("error", "Archive working file /x present.  Check /y for possibly unarchived msgs", "mailman.error.other"),
    ("error", "uncaught archiver exception at filepos: 1234", "mailman.error.other"),
    ("error", "Bad URL specification: /x", "mailman.error.other"),
    ("error", "Private archive file not found: /x", "mailman.error.other"),
    ("error", "link /x not deleted due to permission problems", "mailman.error.other"),
    ("error", "directory /x not deleted due to permission problems", "mailman.error.other"),
    ("error", "Warning: unable to setgroups([41])", "mailman.error.other"),
    ("error", "joe@example.com disabled BYBOUNCE lacks bounce info, list: mylist", "mailman.error.other"),
    ("error", "password-less member joe@example.com for list mylist", "mailman.error.other"),
    ("error", "", "mailman.error.blank"),
    ("qrunner", "Master watcher caught SIGHUP.  Re-opening log files.", "mailman.qrunner.master_sighup"),
    ("qrunner", "Main qrunner loop started.", "mailman.qrunner.main_loop"),
    ("qrunner", "Main qrunner loop exiting.", "mailman.qrunner.main_loop"),
    ("qrunner", "Now doing a IncomingRunner qrunner iteration", "mailman.qrunner.iteration"),
    ("qrunner", "ESRCH on pid: 4321", "mailman.qrunner.esrch"),
    ("locks", "mylist.lock unexpected link error: [Errno 18] Invalid cross-device link", "mailman.locks.other"),
    ("locks", "mylist.lock unexpected linkcount: 3", "mailman.locks.other"),
    ("locks", "mylist.lock laying claim", "mailman.locks.other"),
    ("locks", "mylist.lock got the lock", "mailman.locks.other"),
    ("locks", "mylist.lock already locked", "mailman.locks.other"),
    ("locks", "mylist.lock waiting for claim", "mailman.locks.other"),
    ("locks", "mylist.lock unlocked", "mailman.locks.other"),
    ("locks", "mylist.lock transferred the lock", "mailman.locks.other"),
    ("locks", "mylist.lock took possession of the lock", "mailman.locks.other"),
    ("locks", '  File ".../Mailman/LockFile.py", line 416, in __writelog', "mailman.locks.stack"),
    ("locks", "    traceback.print_stack(file=logf)", "mailman.locks.stack"),
    ("bounce", "mylist: joe@example.com residual bounce received", "mailman.bounce.other"),
    ("bounce", "mylist: joe@example.com has stale bounce info, resetting", "mailman.bounce.other"),
    ("bounce", "mylist: joe@example.com deleted after exhausting notices", "mailman.bounce.other"),
    ("bounce", "sending mylist list probe to: joe@example.com (score 5.0 >= 5.0)", "mailman.bounce.probe"),
    ("bounce", "<BounceRunner at 140234567> processing 2 queued bounces", "mailman.bounce.processing"),
    ("bounce", "mylist: forwarding unrecognized, message-id: <bounce@example.org>", "mailman.bounce.unrecognized"),
    ("bounce", "bounce message w/no discernable addresses: <bounce@example.org>",  # 2.1.9: no list
     "mailman.bounce.unrecognized"),
    ("bounce", "NotAMemberError when sending disabled notice: joe@example.com", "mailman.bounce.disabled_notice"),
    ("subscribe", "mylist: new joe@example.com, admin mass sub", "mailman.subscribe.member"),
    ("subscribe", "mylist: changed member address from a@example.com to joe@example.com",
     "mailman.subscribe.member"),
    ("mischief", "admin form submitted with CSRF token issued for joe@example.com.", "mailman.mischief.any"),
    ("mischief", "Form for user joe@example.com submitted with CSRF token issued for a@example.com.",
     "mailman.mischief.any"),
    ("mischief", "joe@example.com was invited to mylist but confirmed to other", "mailman.mischief.any"),
    ("mischief", "Hostile listname: ../x", "mailman.mischief.any"),  # RHEL 6 CVE-2015-2775 patch
    ("mischief", "Unsub attempt of non-member w/ private rosters: joe@example.com", "mailman.mischief.any"),
    ("mischief", "Login failure with private rosters: joe@example.com from 192.0.2.1", "mailman.mischief.any"),
    ("mischief", "Private archive hostile path: ../x", "mailman.mischief.any"),
    ("mischief", "Attempt to sneakily delete a list: mylist", "mailman.mischief.any"),
    ("mischief", "Attempt to self subscribe joe@example.com: 192.0.2.1", "mailman.mischief.any"),
    ("security", "Authorization failed (private): user=joe@example.com: list=mylist: remote=192.0.2.1",
     "mailman.security.auth_failed"),
    ("fromusenet", "error opening connection to nntp_host: news\ntimed out", "mailman.fromusenet.any"),
    ("fromusenet", "email package exception for news.example:1234\nHeaderParseError", "mailman.fromusenet.any"),
    ("fromusenet", "posted to list mylist:    1234", "mailman.fromusenet.any"),
    ("fromusenet", "NNTP error for list mylist:    1234", "mailman.fromusenet.any"),
    ("fromusenet", "mylist: couldn't open newsgroup comp.x: skipping\n411 no such group", "mailman.fromusenet.any"),
    ("fromusenet", "mylist: [1..20]", "mailman.fromusenet.any"),
    ("fromusenet", "mylist caught up to article 20", "mailman.fromusenet.any"),
    ("fromusenet", "gating 3 articles [18..20]", "mailman.fromusenet.any"),
    ("fromusenet", "Could not acquire list lock: mylist", "mailman.fromusenet.any"),
    ("fromusenet", "mylist watermark: 20", "mailman.fromusenet.any"),
    ("fromusenet", "Could not acquire gate_news lock", "mailman.fromusenet.any"),
    ("config", "bad regexp in bounce_matching_header line: To: x(\n\nunbalanced (cause: error)",
     "mailman.config.bad_header"),
    ("smtp", 'Bad format "%(msg_message-id)s smtp %(x)d": KeyError(\'x\',): \'x\'', "mailman.smtp.bad_format"),
]


@pytest.mark.parametrize("family,text,name", IGNORED_CASES)
def test_recognised_but_unused(family, text, name):
    pat, _ = REGISTRY.match(family, text)
    assert (pat.name, pat.event) == (name, None)


NO_MATCH_CASES = [
    ("vette", "MyList post from joe@example.com held"),
    ("vette", "mylist: Refused posting:\n\tFrom: joe@example.com"),  # no Subject line
    ("post", "post to mylist from joe@example.com, size=1234, message-id=<abc@example.com>, done"),
    ("smtp", "<abc@example.com> smtp to mylist for some recips, completed in 1.000 seconds"),
    ("qrunner", "IncomingRunner qrunner started"),  # no full stop
    ("qrunner", "Master qrunner detected subprocess exit"),  # second line missing
    ("locks", "mylist.lock is on fire"),
    ("error", "Something nobody logs"),
    ("bounce", "mylist: joe@example.com bounced"),
]


@pytest.mark.parametrize("family,text", NO_MATCH_CASES)
def test_unknown_text_is_not_matched(family, text):
    assert REGISTRY.match(family, text) is None


# --- the registry itself -----------------------------------------------------------------------

def test_pattern_names_families_and_samples():
    assert {p.family for p in mailman.PATTERNS} == set(FAMILIES)
    assert [p.name for p in mailman.PATTERNS if not p.name.startswith(f"mailman.{p.family}.")] == []
    assert [p.name for p in mailman.PATTERNS if p.event is not None and not p.samples] == []


def test_every_sample_comes_out_of_split_entries_unchanged():
    # a sample is an entry text: stamping its lines (the first) and splitting gives it back
    for p in mailman.PATTERNS:
        for s in p.samples:
            lines = ["Nov 21 17:08:19 2026 (1116) " + s.split("\n")[0], *s.split("\n")[1:]]
            assert [e.text for e in split_entries(lines)] == [s], p.name


# --- classify ----------------------------------------------------------------------------------

CLASSIFY_CASES = [
    (["SHUNTING: 1+ab", "Uncaught runner exception: x", "mylist: joe@example.com bounce score: 1.0"], "error"),
    (["IncomingRunner qrunner started.", "Main qrunner loop started."], "qrunner"),
    (["post to l from a@b.c, size=1, message-id=<x>, success"], "post"),
    (["n/a smtp to l for 1 recips, completed in 1.500 seconds"], "smtp"),
    (["SHUNTING: 1+ab", "IncomingRunner qrunner started."], None),  # a tie
    (['Bad format "x": y', ""], None),  # fits any file
    (["Aug 22 09:14:02 lists-be postfix/qmgr[1890]: 4A1C2E0123: removed"], None),
    ([], None),
]


@pytest.mark.parametrize("texts,expected", CLASSIFY_CASES)
def test_classify(texts, expected):
    assert classify(texts) == expected


@pytest.mark.parametrize("family", FAMILIES)
def test_classify_recognises_each_family_from_its_samples(family):
    samples = [s for p in mailman.PATTERNS if p.family == family and not p.name.endswith(".bad_format")
               for s in p.samples]
    assert classify(samples) == family


# --- the real-lines corpus ---------------------------------------------------------------------

@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared corpus not present")
def test_corpus_mailman_log():
    lines = (CORPUS / "mailman.log").read_text(encoding="utf-8").splitlines()
    entries = list(split_entries(lines))
    assert [(e.line, e.n_lines, e.ts, e.pid, e.label) for e in entries] == [
        (1, 1, "Apr 26 13:22:11 2005", 23365, None),
        (2, 14, "Apr 26 13:22:11 2005", 23365, None),
        (16, 1, "Apr 26 13:22:11 2005", 23365, None),
        (17, 2, "Mar 24 15:29:28 2005", 5267, None),
    ]
    records = [json.loads(r) for r in (CORPUS / "expected.jsonl").read_text(encoding="utf-8").splitlines()]
    starts = {e.line: e for e in entries}
    for rec in (r for r in records if r["file"] == "mailman.log"):
        if "timestamp" in rec["fields"]:  # a stamped line starts an entry with its stamp and pid
            e = starts[rec["line_no"]]
            assert (e.ts, e.pid) == (rec["fields"]["timestamp"], int(rec["fields"]["pid"]))
        else:  # an unstamped line continues the entry before it
            assert rec["line_no"] not in starts
    # the excerpt quotes logs/error, then one logs/smtp-failure entry
    got = [(p.name, p.event, f) for p, f in (REGISTRY.match(fam, e.text) for fam, e in
                                             zip(["error", "error", "error", "smtp-failure"], entries))]
    assert got == [
        ("mailman.error.runner_exception", "runner_exception", {"text": "[Errno 32] Broken pipe"}),
        ("mailman.error.traceback", "traceback", {"text": "IOError: [Errno 32] Broken pipe"}),
        ("mailman.error.shunted", "shunted", {"filebase": "1114514530.3134+8c6726072985dc472532b1f538236a4365743440"}),
        # the document's author wrapped this entry after "failed with"
        ("mailman.smtp-failure.recipient", "smtp_failure",
         {"recipient": "joe@example.com", "code": "550", "text": "Encryption forced, but no keys found"}),
    ]
    assert classify([e.text for e in entries]) == "error"
