"""Mailman 2.1 log files: one pattern family per log file.

The patterns match a whole entry as :func:`split_entries` rebuilds it
(:mod:`tracer.formats.mailman_entries`). Families are the log file names
(``vette``, ``post``, ``smtp``, ``smtp-failure``, ``error``, ``qrunner``,
``locks``, ``bounce``, ``subscribe``, plus the unused ``mischief``,
``security``, ``fromusenet`` and ``config``). Format strings are quoted from
the reference (section 2 and Appendix A); the Mailman version that writes a
variant is noted beside it.
"""

from __future__ import annotations

import re

from .mailman_entries import ENTRY_START, Entry, split_entries  # noqa: F401 - re-exported for parse
from .registry import Pattern

_S = re.S

# --- derive helpers: fix fields after a match -----------------------------------------------

_LABEL_PREFIX = re.compile(r"[A-Za-z_]\w*\(\d+\): ?")


def _one_line(text: str) -> str:
    """Lines joined by one space: Utils.wrap()ped reasons, multi-line SMTP replies, browser \\r\\n."""
    return " ".join(s.strip() for s in text.splitlines() if s.strip())


def _join_text(f: dict) -> dict:
    if "text" in f:
        f["text"] = _one_line(f["text"])
    return f


def _exception_line(lines: list[str]) -> str | None:
    """The last unindented, non-blank line of a traceback (its exception), label prefixes removed."""
    for line in reversed(lines):
        m = _LABEL_PREFIX.match(line)
        if m:
            line = line[m.end():]
        if line.strip() and not line[0].isspace():
            return line.rstrip()
    return None


def _traceback(f: dict) -> dict:
    exc = _exception_line(f.pop("text", "").split("\n"))
    if exc is not None:
        f["text"] = exc
    return f


def _cgi_error(f: dict) -> dict:
    # scripts/driver: '[----- Traceback ------]', the traceback, then '[----- Python Information -----]'
    lines = f.pop("text", "").split("\n")
    tb = [i for i, ln in enumerate(lines) if ln.startswith("Traceback (most recent call last):")]
    if tb:
        body = lines[tb[0] + 1:]
        end = next((i for i, ln in enumerate(body) if ln.startswith("[----- ")), len(body))
        exc = _exception_line(body[:end])
        if exc is not None:
            f["text"] = exc
    return f


def _moderator_note(f: dict) -> dict:
    # ListAdmin escapes '%' as '%%' for a syslog() call that never interpolates (reference 1.3)
    f["sender"] = f["sender"].replace("%%", "%")
    f["subject"] = re.sub(r"\r?\n(?=[ \t])", "", f["subject"]).replace("%%", "%")  # unfold
    if "text" in f:
        f["text"] = _one_line(f["text"].replace("%%", "%"))
    return f


def _auto_rejected(f: dict) -> dict:
    # text captured as "<handler>,\n        reason: <reason...>"
    handler, _, reason = f["text"].partition(",\n")
    reason = reason.lstrip()[len("reason:"):]
    f["text"] = f"{handler}: {_one_line(reason)}"
    return f


def _post_failure(f: dict) -> dict:
    f["status"] = "failures"
    return f


def _runner_exit(f: dict) -> dict:
    f["text"] = f"sig: {f['text']}"
    if f.get("code") == "None":
        del f["code"]
    f["status"] = "restarting" if "status" in f else "not restarting"
    return f


def _lock_list(f: dict) -> dict:
    # <list>.lock is a MailList lock; not '<site>.lock', 'gate_news.lock' or '<list>-arch.lock'
    name = f["text"]
    if name.endswith(".lock"):
        base = name[:-5]
        if base and base[0] != "<" and base != "gate_news" and not base.endswith("-arch"):
            f["list"] = base
    return f


# --- vette: moderation decisions (reference 2.1) ----------------------------------------------

_VETTE = [
    # Handlers/Hold.py, all 2.1.x: '%s post from %s held, message-id=%s: %s' (real_name, sender,
    # raw Message-ID or 'n/a', Utils.wrap()ped reason that may continue on unstamped lines)
    Pattern("mailman.vette.held", "vette",
            r"(?P<list>\S+) post from (?P<sender>\S*) held, "
            r"message-id=(?P<message_id><[^>\n]*>|.*?): (?P<text>.*)\Z",
            "held", flags=_S, derive=_join_text, samples=(
                "MyList post from joe@example.com held, message-id=<abc@example.com>: "
                "Post by non-member to a members-only list",
                "Physics-L post from  held, message-id=n/a: Message body is too big: 48211 bytes with a\n"
                "limit of 40 KB",
            )),
    # ListAdmin.py: 2.1.9-2.1.17 'held message approved, message-id: %s';
    # 2.1.18+ '%s: held message approved, message-id: %s' (internal_name)
    Pattern("mailman.vette.approved", "vette",
            r"(?:(?P<list>\S+): )?held message approved, message-id: (?P<message_id>.*)\Z",
            "approved", flags=_S, samples=(
                "held message approved, message-id: <abc@example.com>",
                "mylist: held message approved, message-id: <abc@example.com>",
            )),
    # ListAdmin.py: '%(listname)s: Refused posting:\n\tFrom: %(sender)s\n\tSubject: %(subject)s'
    # [+ '\n\tReason: ' + comment], '%' doubled; the comment may go on over untabbed lines
    Pattern("mailman.vette.moderator_rejected", "vette",
            r"(?P<list>\S+): Refused posting:\n\tFrom: (?P<sender>[^\n]*)\n"
            r"\tSubject: (?P<subject>.*?)(?:\n\tReason: (?P<text>.*))?\Z",
            "moderator_rejected", flags=_S, derive=_moderator_note, samples=(
                "mylist: Refused posting:\n\tFrom: joe@example.com\n\tSubject: Hello\n"
                "\tReason: Non-members are not allowed to post messages to this list.",
            )),
    Pattern("mailman.vette.moderator_discarded", "vette",
            r"(?P<list>\S+): Discarded posting:\n\tFrom: (?P<sender>[^\n]*)\n"
            r"\tSubject: (?P<subject>.*?)(?:\n\tReason: (?P<text>.*))?\Z",
            "moderator_discarded", flags=_S, derive=_moderator_note, samples=(
                "mylist: Discarded posting:\n\tFrom: joe@example.com\n"
                "\tSubject: 100%% off =?utf-8?q?caf=C3=A9?=\n\tReason: Spam",
                "mylist: Discarded posting:\n\tFrom: joe@example.com\n\tSubject: (no subject)",
            )),
    # Queue/IncomingRunner.py 2.1.19+: "Message discarded, msgid: %s'\n        list: %s,\n
    # handler: %s" -- the stray ' after the Message-ID is in the source
    Pattern("mailman.vette.auto_discarded", "vette",
            r"Message discarded, msgid: (?P<message_id>.*?)'\n[ \t]+list: (?P<list>[^\n]*),\n"
            r"[ \t]+handler: (?P<text>[^\n]*)\Z",
            "auto_discarded", flags=_S, samples=(
                "Message discarded, msgid: <abc@example.com>'\n        list: MyList,\n        handler: Moderate",
            )),
    # 2.1.9-2.1.18: 'Message discarded, msgid: %s' (no list, no handler)
    Pattern("mailman.vette.auto_discarded_old", "vette",
            r"Message discarded, msgid: (?!.*'\n[ \t]+list: )(?P<message_id>.*)\Z",
            "auto_discarded", flags=_S, samples=(
                "Message discarded, msgid: <abc@example.com>",
                "Message discarded, msgid: n/a",
            )),
    # 2.1.16+: 'Message rejected, msgid: %s\n        list: %s,\n        handler: %s,\n
    # reason: %s' -- the reason (e.notice()) often continues on unindented lines
    Pattern("mailman.vette.auto_rejected", "vette",
            r"Message rejected, msgid: (?P<message_id>.*?)\n[ \t]+list: (?P<list>[^\n]*),\n"
            r"[ \t]+handler: (?P<text>[^\n]*,\n[ \t]+reason: .*)\Z",
            "auto_rejected", flags=_S, derive=_auto_rejected, samples=(
                "Message rejected, msgid: <abc@example.com>\n        list: MyList,\n"
                "        handler: Moderate,\n        reason: You are not allowed to post to this "
                "mailing list, and your message has been\nautomatically rejected.",
            )),
    # Queue/CommandRunner.py (mail to -request etc., not posts)
    Pattern("mailman.vette.no_command", "vette",
            r"No command, message discarded, msgid: .*\Z", None, flags=_S,
            samples=("No command, message discarded, msgid: <abc@example.com>",)),
    Pattern("mailman.vette.precedence", "vette",
            r"Precedence: .* message discarded by: \S+\Z", None,
            samples=("Precedence: bulk message discarded by: mylist-request@example.com",)),
    Pattern("mailman.vette.replied_and_discard", "vette", r"replied and discard\Z", None,
            samples=("replied and discard",)),
    Pattern("mailman.vette.autoresponse", "vette",
            r"-request/hold autoresponse (?:discarded|limit hit) for: .*\Z", None,
            samples=("-request/hold autoresponse limit hit for: joe@example.com",)),
    # ListAdmin.py: held/discarded/rejected (un)subscription requests (discarded/rejected 2.1.13+)
    Pattern("mailman.vette.subscription_request", "vette",
            r"\S+: (?:held|discarded|rejected) (?:un)?subscription request from .*\Z", None, flags=_S,
            samples=("mylist: held subscription request from joe@example.com",
                     "mylist: rejected unsubscription request from joe@example.com\n\tReason: no")),
    # MailList.py bans: 2.1.12 '%s banned subscription: %s (matched: %s)'; 2.1.39 adds
    # '%s%s (matched|Spamhaus IP)', '(Spamhaus DBL)', 'banned invitation', 'banned address change'
    Pattern("mailman.vette.banned", "vette",
            r"\S+ banned (?:subscription|invitation|address change): .*\Z", None,
            samples=("mylist banned subscription: joe@example.com (matched: ^.*@example\\.com$)",)),
    # Utils.py DMARC: 2.1.18 and RHEL 6 dmarc.patch without list name; 2.1.21+ '%s: ' prefix, p=none
    Pattern("mailman.vette.dmarc", "vette",
            r"(?:\S+: )?DMARC lookup for .* found p=(?:reject|quarantine|none) in .*\Z", None,
            samples=("DMARC lookup for joe@example.com (example.com) found p=reject in "
                     "_dmarc.example.com = v=DMARC1; p=reject;",
                     "MyList: DMARC lookup for joe@example.com (example.com) found p=none in "
                     "_dmarc.example.com = v=DMARC1; p=none;")),
    # Handlers/SpamDetect.py 2.1.21+
    Pattern("mailman.vette.verbose_moderated", "vette",
            r"\S+: Automatically Moderated .* for verbose postings\.\Z", None,
            samples=("MyList: Automatically Moderated joe@example.com for verbose postings.",)),
    # MailList.py 2.1.20+
    Pattern("mailman.vette.auto_approved_subscribe", "vette",
            r"\S+: auto approved subscribe from .*\Z", None,
            samples=("mylist: auto approved subscribe from joe@example.com",)),
]

# --- post: SMTP_LOG_SUCCESS / SMTP_LOG_REFUSED defaults, Sendmail.py, Cleanse.py (2.2) -------

_POST = [
    # 'post to %(listname)s from %(sender)s, size=%(size)d, message-id=%(msg_message-id)s, success'
    Pattern("mailman.post.success", "post",
            r"post to (?P<list>\S+) from (?P<sender>\S*), size=(?P<size>\d+), "
            r"message-id=(?P<message_id>.*), (?P<status>success)\Z",
            "post", flags=_S, samples=(
                "post to mylist from joe@example.com, size=1234, message-id=<abc@example.com>, success",
            )),
    # '..., message-id=%(msg_message-id)s, %(#refused)d failures'
    Pattern("mailman.post.failures", "post",
            r"post to (?P<list>\S+) from (?P<sender>\S*), size=(?P<size>\d+), "
            r"message-id=(?P<message_id>.*), (?P<code>\d+) (?P<status>failures)\Z",
            "post", flags=_S, samples=(
                "post to mylist from joe@example.com, size=1234, message-id=n/a, 3 failures",
            )),
    # Handlers/Sendmail.py (DELIVERY_MODULE = 'Sendmail'): no Message-ID
    Pattern("mailman.post.sendmail_success", "post",
            r"post to (?P<list>\S+) from (?P<sender>\S*), size=(?P<size>\d+), (?P<status>success)\Z",
            "post", samples=("post to mylist from joe@example.com, size=1234, success",)),
    # 'post to %s from %s, size=%d, failure=%d': the sendmail program's exit status
    Pattern("mailman.post.sendmail_failure", "post",
            r"post to (?P<list>\S+) from (?P<sender>\S*), size=(?P<size>\d+), failure=(?P<code>-?\d+)\Z",
            "post", derive=_post_failure,
            samples=("post to mylist from joe@example.com, size=1234, failure=75",)),
    # Handlers/Cleanse.py: 'post to %s from %s anonymized' (the From: header, may hold spaces)
    Pattern("mailman.post.anonymized", "post", r"post to \S+ from .* anonymized\Z", None, flags=_S,
            samples=("post to mylist from Joe Bloggs <joe@example.com> anonymized",)),
]

# --- smtp: SMTP_LOG_EVERY_MESSAGE and the VERP skip (2.3) -------------------------------------

_SMTP = [
    # '%(msg_message-id)s smtp to %(listname)s for %(#recips)d recips, completed in %(time).3f seconds'
    Pattern("mailman.smtp.handoff", "smtp",
            r"(?P<message_id>.*) smtp to (?P<list>\S+) for (?P<nrcpt>\d+) recips, "
            r"completed in (?P<delay>-?\d+(?:\.\d+)?) seconds\Z",
            "smtp", flags=_S, samples=(
                "<abc@example.com> smtp to mylist for 250 recips, completed in 3.512 seconds",
                "n/a smtp to l for 1 recips, completed in 1.500 seconds",
            )),
    Pattern("mailman.smtp.verp_skip", "smtp", r"Skipping VERP delivery to unqual recip: .*\Z", None,
            samples=("Skipping VERP delivery to unqual recip: joe",)),
]

# --- smtp-failure: SMTP_LOG_EACH_FAILURE, bulkdeliver() and Connection (2.3) -----------------

_SMTP_FAILURE = [
    # 'delivery to %(recipient)s failed with code %(failcode)d: %(failmsg)s'; a multi-line SMTP
    # reply continues on unstamped lines. The \s+ also takes the corpus excerpt (README.PGP-SMIME)
    # that its author wrapped after "failed with".
    Pattern("mailman.smtp-failure.recipient", "smtp-failure",
            r"delivery to (?P<recipient>.*?) failed with\s+code (?P<code>-?\d+): (?P<text>.*)\Z",
            "smtp_failure", flags=_S, derive=_join_text, samples=(
                "delivery to joe@example.com failed with code 550: 5.1.1 <joe@example.com>: "
                "Recipient address rejected: User unknown",
                "delivery to joe@example.com failed with code -1: [Errno 111] Connection refused",
            )),
    # 'All recipients refused: %s, msgid: %s' (msg['message-id']: 'None' when absent)
    Pattern("mailman.smtp-failure.refused", "smtp-failure",
            r"All recipients refused: (?P<text>.*), msgid: (?P<message_id>.*)\Z",
            "smtp_refused", flags=_S, derive=_join_text, samples=(
                "All recipients refused: {'joe@example.com': (550, '5.1.1 User unknown')}, msgid: None",
            )),
    # 'SMTP session failure: %s, %s, msgid: %s' (smtp_code, smtp_error)
    Pattern("mailman.smtp-failure.session", "smtp-failure",
            r"SMTP session failure: (?P<code>-?\d+), (?P<text>.*), msgid: (?P<message_id>.*)\Z",
            "smtp_session_failure", flags=_S, derive=_join_text, samples=(
                "SMTP session failure: 554, 5.7.1 Message rejected\nas spam, msgid: <abc@example.com>",
            )),
    # 'Low level smtp error: %s, msgid: %s'
    Pattern("mailman.smtp-failure.low_level", "smtp-failure",
            r"Low level smtp error: (?P<text>.*), msgid: (?P<message_id>.*)\Z",
            "smtp_low_level", flags=_S, derive=_join_text, samples=(
                "Low level smtp error: [Errno 111] Connection refused, msgid: <abc@example.com>",
            )),
    # 2.1.23+ Connection.__connect: 'SMTP TLS|EHLO|HELO|AUTH error: %s',
    # 'SMTP - no suitable authentication method found: %s'
    Pattern("mailman.smtp-failure.connect", "smtp-failure",
            r"(?P<text>SMTP (?:(?:TLS|EHLO|HELO|AUTH) error|- no suitable authentication method found): .*)\Z",
            "smtp_connect_error", flags=_S, derive=_join_text, samples=(
                "SMTP AUTH error: (535, '5.7.8 Error: authentication failed')",
                "SMTP - no suitable authentication method found: No suitable authentication method found.",
            )),
]

# --- error: runners, switchboard, CGIs, stderr captures (2.4, 1.2 C, Appendix A) -------------

# the other mail scripts print "<script> script, list not found: %(listname)s" like scripts/post
_SCRIPTS = "mailcmd|bounces|confirm|mailowner|owner|join|leave"
_ERROR_OTHER = "|".join([
    r"Bouncer: ", r"User .* had a false password for list ", r"IOError reading list extension: ",
    r"Failed config\.pck write, retaining old state\.", r"couldn't load config file ",
    r"All .* fallbacks were corrupt, giving up", r"fixing corrupt config file, using: ",
    r"Bad reply_to_address \".*\" cleared for list: ", r"Bad topic (?:pattern )?\".*\" for list: ",
    r"\S+ in \S+ (?:has bad regexp|references own list|references non-existent list)",
    r"Bad authcontext: ", r"Warning: Possible malformed path attack ",
    r"urandom not available, passwords not secure", r"broken template: ",
    r"Unable to retrieve data from ", r"DNS lookup for dmarc_moderation_action for list ",
    r"DNSException: ", r"multiple DMARC entries in results for ", r"RRset of TXT records for ",
    r"VERY BAD NEWS\.  Unknown pending request type ", r"VERP(?:_PROBE)?_REGEXP doesn't yield ",
    r"child process leaked thru: ", r"Could not rename maildir file: ",
    r"Message apparently not for any list: ", r"Unknown sub-queue: ", r"\(NNTPDirect\) ",
    r"error opening list: ",
    # Switchboard: 2.1.9 'Failed to unlink backup file: %s'; 2.1.11+ 'unlink/preserve' (+ '\n%s' 2.1.16+)
    r"Failed to unlink(?:/preserve)? backup file: ", r"Unpickling \.bak exception: ",
    r"\.bak file max count, preserving file: ",
    r"command failed: ",  # MTA/Postfix.py _update_maps, format built at run time (not quoted)
    r"(?:Ex|In)clude list \S+ (?:is a self reference|not found|is not in the same domain)\.",
    r"ANONYMOUS_LIST_KEEP_HEADERS: ignored bad regexp ", r"list: \S+: can't decode ",
    r"Exception while calculating ", r"HTML->text/plain error: ", r"Bad autoreply text for list: ",
    r"HTML sanitizer exited with non-zero status: ", r"ignoring header_filter_rules invalid pattern: ",
    r"send_digests\(\) failed: ", r"NNTP gateway improperly configured: ",
    r"Archive file access failure:", r"external archiver non-zero exit status: ",
    r"Archive working file .* present\.", r"uncaught archiver exception at filepos: ",
    r"Bad URL specification: ", r"Private archive file not found: ",
    r"(?:link|directory) .* not deleted due to permission problems",
    r"Warning: unable to setgroups\(", r"\S+ disabled BYBOUNCE lacks bounce info, list: ",
    r"password-less member .* for list ",
])

_ERROR = [
    # Queue/Runner.py _log(): 'Uncaught runner exception: %s', then the traceback entry
    Pattern("mailman.error.runner_exception", "error",
            r"Uncaught runner exception: (?P<text>.*)\Z", "runner_exception", flags=_S, derive=_join_text,
            samples=("Uncaught runner exception: integer division or modulo by zero",)),
    # syslog('error', s.getvalue()) of traceback.print_exc(): ends in a blank line; a stderr
    # traceback (qrunner(pid):, post(pid): ...) arrives here with its labels removed
    Pattern("mailman.error.traceback", "error",
            r"Traceback \(most recent call last\):(?P<text>\n.*)?\Z", "traceback", flags=_S,
            derive=_traceback, samples=(
                'Traceback (most recent call last):\n  File "sim1.py", line 32, in <module>\n'
                "    1/0\nZeroDivisionError: integer division or modulo by zero\n",
                'Traceback (most recent call last):\n  File "sim2.py", line 14, in <module>\n'
                "     f()\nIOError :  [Errno 13] Permission denied: '/var/spool/mailman/in/x.pck.tmp'",
            )),
    Pattern("mailman.error.shunted", "error", r"SHUNTING: (?P<filebase>\S+)\s*\Z", "shunted",
            samples=("SHUNTING: 1234567890.1234569+0123456789abcdef0123456789abcdef01234567",)),
    Pattern("mailman.error.shunt_failed", "error",
            r"SHUNTING FAILED, preserving original entry: (?P<filebase>\S+)\s*\Z", "shunt_failed",
            samples=("SHUNTING FAILED, preserving original entry: "
                     "1795281018.351492+edd4ba9e0123456789abcdef0123456789abcdef",)),
    # 2.1.9 only 'Ignoring ...'; 2.1.11+ 'Skipping and preserving ...' with QRUNNER_SAVE_BAD_MESSAGES
    Pattern("mailman.error.unparseable", "error",
            r"(?:Skipping and preserving|Ignoring) unparseable message: (?P<filebase>\S+)\s*\Z",
            "unparseable", samples=(
                "Skipping and preserving unparseable message: "
                "1795281018.351492+edd4ba9e0123456789abcdef0123456789abcdef",
                "Ignoring unparseable message: 1255006475.2939999+0123456789abcdef0123456789abcdef01234567",
            )),
    Pattern("mailman.error.missing_list", "error",
            r"Dequeuing message destined for missing list: (?P<list>\S+)\s*\Z", "missing_list",
            samples=("Dequeuing message destined for missing list: oldlist",)),
    # Queue/OutgoingRunner.py: 'Cannot connect to SMTP server %s on port %s'
    Pattern("mailman.error.smtp_cannot_connect", "error",
            r"(?P<text>Cannot connect to SMTP server \S+ on port \S+)\s*\Z", "smtp_cannot_connect",
            samples=("Cannot connect to SMTP server localhost on port smtp",)),
    # scripts/post through LogStdErr("error", "post"): the traceback that follows stays in the entry
    Pattern("mailman.error.post_script", "error",
            r"(?P<text>post script(?:, list not found: (?P<list>\S+)| got no listname\.))\s*(?:\n.*)?\Z",
            "post_script_error", flags=_S, samples=(
                "post script, list not found: nosuchlist",
                "post script, list not found: nosuchlist\nTraceback (most recent call last):\n"
                '  File "sim2.py", line 14, in <module>\n     f()\n'
                "IOError :  [Errno 13] Permission denied: '/var/spool/mailman/in/x.pck.tmp'",
            )),
    Pattern("mailman.error.script_error", "error",
            rf"(?:{_SCRIPTS}) script(?:, list not found: \S+| got no listname\.)\s*(?:\n.*)?\Z", None,
            flags=_S, samples=("mailcmd script, list not found: nosuchlist",)),
    # scripts/driver print_traceback()/print_environment() under the admin(pid): label
    Pattern("mailman.error.cgi", "error", r"@{20,}[ \t]*(?P<text>\n.*)?\Z", "cgi_error", flags=_S,
            derive=_cgi_error, samples=(
                "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n[----- Mailman Version: 2.1.12 -----]\n"
                "[----- Traceback ------]\nTraceback (most recent call last):\n"
                '  File "sim3.py", line 6, in <module>\n'
                "    raise AttributeError('Generator instance has no __call__ method')\n"
                "AttributeError: Generator instance has no __call__ method\n"
                "[----- Python Information -----]\n"
                "sys.version     =   2.7.18 (default, May  9 2026, 07:29:50)\n[GCC 12.2.0]\n"
                "[----- Environment Variables -----]\n\tSCRIPT_NAME: /mailman/admindb\n\tPATH_INFO: /mylist",
            )),
    # bin/mailmanctl: printed to stderr (mailmanctl(pid):), 'Site list is missing' also by syslog()
    Pattern("mailman.error.mailmanctl", "error",
            r"(?P<text>The master qrunner lock could not be acquired.*|Site list is missing: .*"
            r"|PID unreadable in: .*|Is qrunner even running\?|No child with pid: .*"
            r"|Stale pid file removed\.)\Z", "mailmanctl_error", flags=_S, derive=_join_text, samples=(
                "The master qrunner lock could not be acquired.  It appears as though there is\n"
                "a stale master qrunner lock.  Try re-running mailmanctl with the -s flag.\n",
                "Site list is missing: mailman",
            )),
    # MailList.ProcessConfirmation: an e-mail approve/discard for a request already handled
    Pattern("mailman.error.held_lost", "error", r"Could not process HELD_MESSAGE: (?P<text>.*)\Z",
            "held_lost", samples=("Could not process HELD_MESSAGE: 17",)),
    Pattern("mailman.error.cgi_no_such_list", "error",
            r"(?:\w+: )?No such list \".*\": .*\Z", None, flags=_S,
            samples=('admindb: No such list "nosuch": \n',)),
    Pattern("mailman.error.other", "error", rf"(?:{_ERROR_OTHER}).*\Z", None, flags=_S, samples=(
        "Failed to unlink/preserve backup file: /var/spool/mailman/out/1+ab.bak\n[Errno 2] No such file",
        ".bak file max count, preserving file: 1795281018.351492+edd4ba9e0123456789abcdef0123456789abcdef",
        "error opening list: mylist\n[Errno 13] Permission denied",
    )),
    # not in the reference: Python's warnings.formatwarning() and smtplib debug (2.1.23+) on stderr
    Pattern("mailman.error.python_warning", "error", r"\S+\.py:\d+: \w*Warning: .*\Z", None, flags=_S,
            samples=("/usr/lib/mailman/Mailman/Utils.py:32: DeprecationWarning: the sha module is "
                     "deprecated; use the hashlib module instead\n  import sha",)),
    Pattern("mailman.error.smtplib_debug", "error", r"(?:connect|send|reply|data):(?: .*)?\Z", None,
            flags=_S, samples=("send: 'ehlo lists.example.com\\r\\n'",)),
    # a stderr print of an empty line, or an empty syslog() message
    Pattern("mailman.error.blank", "error", r"\s*\Z", None, samples=("",)),
]

# --- qrunner: bin/qrunner and the bin/mailmanctl master watcher (2.5) -------------------------

_QRUNNER = [
    Pattern("mailman.qrunner.started", "qrunner", r"(?P<runner>\w+) qrunner started\.\Z",
            "runner_started", samples=("IncomingRunner qrunner started.",)),
    Pattern("mailman.qrunner.exiting", "qrunner", r"(?P<runner>\w+) qrunner exiting\.\Z",
            "runner_exiting", samples=("IncomingRunner qrunner exiting.",)),
    Pattern("mailman.qrunner.signal", "qrunner",
            r"(?P<runner>\w+) qrunner caught (?P<text>SIGTERM|SIGINT)\.  Stopping\.\Z",
            "runner_signal", samples=("OutgoingRunner qrunner caught SIGTERM.  Stopping.",
                                      "OutgoingRunner qrunner caught SIGINT.  Stopping.")),
    # logrotate's `mailmanctl reopen`: on a quiet day the only proof a runner is alive
    Pattern("mailman.qrunner.sighup", "qrunner", r"(?P<runner>\w+) qrunner caught SIGHUP\.  Reopening logs\.\Z",
            "runner_reopen",
            samples=("VirginRunner qrunner caught SIGHUP.  Reopening logs.",)),
    # 'Master qrunner detected subprocess exit\n(pid: %d, sig: %s, sts: %s, class: %s, slice: %d/%d) %s'
    # sig and sts are an int or None; the last field is '[restarting]' or '' (a trailing space)
    Pattern("mailman.qrunner.subprocess_exit", "qrunner",
            r"Master qrunner detected subprocess exit\n\(pid: \d+, sig: (?P<text>-?\d+|None), "
            r"sts: (?P<code>-?\d+|None), class: (?P<runner>\w+), slice: (?P<slice>\d+)/(?P<slices>\d+)\)"
            r" ?(?P<status>\[restarting\])?[ \t]*\Z",
            "runner_exit", derive=_runner_exit, samples=(
                "Master qrunner detected subprocess exit\n"
                "(pid: 4321, sig: None, sts: 1, class: IncomingRunner, slice: 1/1) [restarting]",
                "Master qrunner detected subprocess exit\n"
                "(pid: 4322, sig: None, sts: 15, class: OutgoingRunner, slice: 2/4) ",
            )),
    Pattern("mailman.qrunner.restart_limit", "qrunner",
            r"Qrunner (?P<runner>\w+) reached maximum restart limit of (?P<code>\d+), not restarting\.\Z",
            "runner_restart_limit",
            samples=("Qrunner IncomingRunner reached maximum restart limit of 10, not restarting.",)),
    Pattern("mailman.qrunner.master_sigterm", "qrunner", r"Master watcher caught SIGTERM\.  Exiting\.\Z",
            "master_stopped", samples=("Master watcher caught SIGTERM.  Exiting.",)),
    Pattern("mailman.qrunner.master_sigint", "qrunner", r"Master watcher caught SIGINT\.  Restarting\.\Z",
            "master_restarting", samples=("Master watcher caught SIGINT.  Restarting.",)),
    Pattern("mailman.qrunner.master_sighup", "qrunner",
            r"Master watcher caught SIGHUP\.  Re-opening log files\.\Z", None,
            samples=("Master watcher caught SIGHUP.  Re-opening log files.",)),
    Pattern("mailman.qrunner.main_loop", "qrunner", r"Main qrunner loop (?:started|exiting)\.\Z", None,
            samples=("Main qrunner loop started.",)),
    Pattern("mailman.qrunner.iteration", "qrunner", r"Now doing a \w+ qrunner iteration\Z", None,
            samples=("Now doing a IncomingRunner qrunner iteration",)),
    Pattern("mailman.qrunner.esrch", "qrunner", r"ESRCH on pid: \d+\Z", None,
            samples=("ESRCH on pid: 4321",)),
]

# --- locks: LockFile.py '%s %s\n' % (lock file basename, msg), then a stamped stack dump (2.6) -

_LOCKS = [
    Pattern("mailman.locks.broken", "locks", r"(?P<text>\S+) lifetime has expired, breaking\Z",
            "lock_broken", derive=_lock_list, samples=("mylist.lock lifetime has expired, breaking",
                                                       "master-qrunner lifetime has expired, breaking")),
    Pattern("mailman.locks.timeout", "locks", r"(?P<text>\S+) timed out\Z", "lock_timeout",
            derive=_lock_list, samples=("mylist.lock timed out",)),
    Pattern("mailman.locks.other", "locks",
            r"\S+ (?:unexpected link error: .*|unexpected linkcount: -?\d+|laying claim|got the lock"
            r"|already locked|waiting for claim|unlocked|transferred the lock|took possession of the lock)\Z",
            None, samples=("mylist.lock laying claim", "mylist.lock unexpected linkcount: 3")),
    # traceback.print_stack(): '  File "%s", line %d, in %s' and '    <source>', each stamped
    Pattern("mailman.locks.stack", "locks", r"  (?:File \"|  ).*\Z", None, samples=(
        '  File ".../Mailman/LockFile.py", line 306, in lock', "    important=True)")),
]

# --- bounce and subscribe (2.7) ----------------------------------------------------------------

_BOUNCE = [
    # Bouncer.registerBounce: '%s: %s bounce score: %s', '%s: %s current bounce score: %s'
    Pattern("mailman.bounce.score", "bounce",
            r"(?P<list>\S+): (?P<recipient>\S+) (?P<text>(?:current )?bounce score: \S+)\Z",
            "bounce_score", samples=("mylist: joe@example.com bounce score: 1.0",
                                     "mylist: joe@example.com current bounce score: 2.0")),
    # '%s: %s disabling due to probe bounce received' / '... due to bounce score %s >= %s'
    Pattern("mailman.bounce.disabled", "bounce",
            r"(?P<list>\S+): (?P<recipient>\S+) (?P<text>disabling due to .*)\Z", "bounce_disabled",
            samples=("mylist: joe@example.com disabling due to bounce score 5.0 >= 5.0",)),
    Pattern("mailman.bounce.other", "bounce",
            r"\S+: \S+ (?:residual bounce received|already scored a bounce for date \S+"
            r"|has stale bounce info, resetting|deleted after exhausting notices)\Z", None,
            samples=("mylist: joe@example.com already scored a bounce for date 22-Aug-2013",)),
    Pattern("mailman.bounce.probe", "bounce", r"sending \S+ list probe to: .* \(score .* >= .*\)\Z", None,
            samples=("sending mylist list probe to: joe@example.com (score 5.0 >= 5.0)",)),
    Pattern("mailman.bounce.processing", "bounce", r".* processing \d+ queued bounces\Z", None,
            samples=("<OutgoingRunner at 140234567> processing 3 queued bounces",)),
    Pattern("mailman.bounce.events_error", "bounce", r"Error reading bounce events: .*\Z", None, flags=_S,
            samples=("Error reading bounce events: EOFError",)),
    # BounceRunner: the '%s: ' list prefix arrived in 2.1.11
    Pattern("mailman.bounce.unrecognized", "bounce",
            r"(?:\S+: )?(?:bounce message w/no discernable addresses|(?:forwarding|discarding) "
            r"unrecognized, message-id): .*\Z", None, flags=_S,
            samples=("mylist: bounce message w/no discernable addresses: <bounce@example.org>",
                     "discarding unrecognized, message-id: <bounce@example.org>")),
    # cron/disabled
    Pattern("mailman.bounce.disabled_notice", "bounce",
            r"(?:Notifying disabled member .* for list: |NotAMemberError when sending disabled notice: ).*\Z",
            None, samples=("Notifying disabled member joe@example.com for list: mylist",)),
]

_SUBSCRIBE = [
    # Bouncer.sendNextNotification: '%s: %s auto-unsubscribed [reason: %s]'
    Pattern("mailman.subscribe.auto_unsubscribed", "subscribe",
            r"(?P<list>\S+): (?P<recipient>\S+) auto-unsubscribed \[reason: (?P<text>.*)\]\Z",
            "unsubscribed", samples=("mylist: joe@example.com auto-unsubscribed [reason: BYBOUNCE]",)),
    # '%s: new%s %s, %s', '%s: deleted %s%s', '%s: pending %s %s', 2.1.20+ 'changed member address'
    Pattern("mailman.subscribe.member", "subscribe",
            r"\S+: (?:new(?: \(digest\))? .*, .*|deleted .*|pending .*|changed member address from .* to .*)\Z",
            None, samples=('mylist: new (digest) "Joe Bloggs" <joe@example.com>, via web confirmation',
                           "mylist: deleted joe@example.com; via the member options page",
                           "mylist: pending joe@example.com 192.0.2.1")),
]

# --- recognised, never used: mischief, security (2.1.27+), fromusenet, config (Appendix A) -----

_UNUSED = [
    Pattern("mailman.mischief.any", "mischief",
            r"(?:admin form submitted with CSRF token |admindb form submitted with CSRF token "
            r"|Form for user .* submitted with CSRF token |.* was invited to .* but confirmed to "
            r"|Hostile listname: |(?:Unsub|Reminder) attempt of non-member w/ private rosters: "
            r"|Login failure with private rosters: |Private archive hostile path: "
            r"|Attempt to sneakily delete a list: |Attempt to self subscribe ).*\Z", None,
            samples=("Hostile listname: listname=../x: remote=192.0.2.1",)),
    Pattern("mailman.security.auth_failed", "security", r"Authorization failed \(\w+\): .*\Z", None,
            samples=("Authorization failed (admindb): list=mylist: remote=192.0.2.1",)),
    Pattern("mailman.fromusenet.any", "fromusenet",
            r"(?:error opening connection to nntp_host: |email package exception for |posted to list "
            r"|NNTP error for list |\S+: couldn't open newsgroup |\S+: \[\d+\.\.\d+\]|\S+ caught up to article "
            r"|nothing new for list |gating \d+ articles |Could not acquire list lock: "
            r"|\S+ watermark: |Could not acquire gate_news lock).*\Z", None, flags=_S,
            samples=("nothing new for list mylist",)),
    Pattern("mailman.config.bad_header", "config",
            r"bad (?:regexp in )?bounce_matching_header line: .*\Z", None, flags=_S,
            samples=("bad bounce_matching_header line: To\nmissing colon",)),
]

#: the Mailman log files this module knows, one pattern family each
FAMILIES = ("vette", "post", "smtp", "smtp-failure", "error", "qrunner", "locks", "bounce", "subscribe",
            "mischief", "security", "fromusenet", "config")

# _Syslog.write_ex: a format/argument mismatch logs 'Bad format "%s": %s: %s' in any file (1.3)
_BAD_FORMAT = [
    Pattern(f"mailman.{fam}.bad_format", fam, r"Bad format \".*\": .*\Z", None, flags=_S, samples=(
        "Bad format \"Bad %d thing\": TypeError('%d format: a number is required, not str',): "
        "%d format: a number is required, not str",))
    for fam in FAMILIES
]

PATTERNS: list[Pattern] = [*_VETTE, *_POST, *_SMTP, *_SMTP_FAILURE, *_ERROR, *_QRUNNER, *_LOCKS,
                           *_BOUNCE, *_SUBSCRIBE, *_UNUSED, *_BAD_FORMAT]

_GENERIC = ("mailman.error.blank",)  # patterns that say nothing about which file they are in


def classify(entries_text: list[str]) -> str | None:
    """Which Mailman log the entries come from: the family matching most of them.

    Patterns that fit any file (``Bad format``, blank) do not count; a tie is
    ``None`` rather than a guess.

    >>> classify(["SHUNTING: 1+ab", "Uncaught runner exception: boom"])
    'error'
    >>> classify(["no Mailman text here"]) is None
    True
    """
    families: dict[str, list[re.Pattern]] = {}
    for p in PATTERNS:
        if p.name not in _GENERIC and not p.name.endswith(".bad_format"):
            families.setdefault(p.family, []).append(p.compiled)
    scores = {fam: sum(1 for t in entries_text if any(rx.match(t) for rx in rxs))
              for fam, rxs in families.items()}
    best = max(scores.values(), default=0)
    winners = [fam for fam in FAMILIES if scores.get(fam) == best]
    return winners[0] if best and len(winners) == 1 else None
