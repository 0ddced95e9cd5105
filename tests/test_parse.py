"""Line accounting and the fast lane: it must agree with the general path line for line."""

from pathlib import Path

import pytest

from tracer.formats import default_registry
from tracer.formats.envelope import parse_envelope
from tracer.formats.programs import family_of
from tracer.parse import _FAST, parse_file, sniff
from tracer.sources import Source

ROOT = Path(__file__).resolve().parents[1]
MAILLOGS = sorted(ROOT.glob("sample_logs/*/var/log/maillog*")) + sorted(ROOT.glob("tests/scenarios/*/site/*/var/log/maillog"))


def _slow(text):
    env = parse_envelope(text)
    family, instance = family_of(env.program)
    pat, fields = default_registry().match(family, env.message)
    return pat.name, {k: v for k, v in fields.items() if v is not None}


def test_fast_lane_gives_the_fields_of_the_general_path():
    checked = 0
    texts = [t for p in MAILLOGS for t in p.read_text(encoding="utf-8", errors="replace").splitlines()]
    for text in texts:
        m = _FAST.match(text)
        if m is None:
            continue
        name, fields = _slow(text)
        fast = {k: v for k, v in m.groupdict().items() if v is not None}
        reg = default_registry()
        pat = next(p for p in reg if p.name == name)
        assert name == f"postfix.{m.group(4)}.delivery"
        assert {k: v for k, v in pat.derive(fast).items() if v is not None} == fields
        checked += 1
    assert checked > 300


def test_every_line_is_counted_once(tmp_path):
    log = tmp_path / "maillog"
    log.write_bytes(
        b"Aug 22 09:14:02 be postfix/qmgr[1890]: 4A1C2E0123: removed\n"  # parsed
        b"Aug 22 09:14:02 be postfix/qmgr[1890]: 4A1C2E0123: removed\n"  # duplicate: ignored
        b"Aug 22 09:14:03 be dovecot: imap-login: Login: user=<x>\n"  # another daemon: ignored
        b"Aug 22 09:14:04 be postfix/qmgr[1890]: 4A1C2E0123: frobnicated\n"  # unparsed
        b"\x00\x01\xff binary junk\n"  # unparsed
        b"\n")  # blank: ignored
    res = parse_file(Source("be", str(log), "maillog"), seen=set())
    assert (res.total, res.parsed, res.ignored, res.unparsed) == (6, 1, 3, 2)
    assert [(n, why) for n, why, _ in res.unparsed_lines] == [(4, "no postfix/qmgr pattern matches"),
                                                            (5, "no syslog envelope")]


def test_files_without_a_known_name_are_recognised_by_content():
    assert sniff(["Aug 22 09:14:05 2013 (4321) <a@b> smtp to dev for 3 recips, completed in 0.2 seconds"]) == "smtp"
    assert sniff(["Aug 22 09:14:02 be postfix/qmgr[1890]: 4A1C2E0123: removed"]) == "maillog"
    assert sniff(["hello world"]) is None


def test_focused_load_tells_each_post_the_same_story_as_a_full_load():
    import tracer

    site = str(ROOT / "sample_logs")
    full = tracer.load([site])
    for lc in full.lifecycles.values():
        focused = tracer.load([site], focus=lc.message_id).lifecycle(lc.message_id)
        assert (focused.state, [x.code for x in focused.findings]) == (lc.state, [x.code for x in lc.findings])
        assert focused.lifecycle.rows and len(focused.lifecycle.rows) == len(lc.rows)


# --- the C scan's kinds inside a real parse ---------------------------------------------------------------

_TXN = [  # one inbound transaction and a reject, every line of a KINDS shape or a delivery
    "Aug 22 09:14:01 be postfix/smtpd[7]: NOQUEUE: reject: RCPT from x.example.net[192.0.2.9]: 554 5.7.1 "
    "Service unavailable; from=<s@example.net> to=<l@lists.example.edu> proto=ESMTP helo=<x>",
    "Aug 22 09:14:02 be postfix/smtpd[7]: 4A1C2E0123: client=mx.example.org[192.0.2.1]",
    "Aug 22 09:14:02 be postfix/cleanup[8]: 4A1C2E0123: message-id=<m1@example.org>",
    "Aug 22 09:14:02 be postfix/qmgr[9]: 4A1C2E0123: from=<a@example.org>, size=900, nrcpt=1 (queue active)",
    "Aug 22 09:14:03 be postfix/local[10]: 4A1C2E0123: to=<l@lists.example.edu>, relay=local, delay=0.5, "
    "delays=0.1/0/0/0.4, dsn=2.0.0, status=sent (delivered to command: /usr/lib/mailman/mail/mailman post l)",
    "Aug 22 09:14:03 be postfix/qmgr[9]: 4A1C2E0123: removed",
    "Aug 22 09:14:04 be postfix/bounce[11]: 5B5B5B5B5B: sender non-delivery notification: 6C6C6C6C6C",
]


def test_overlapping_rotations_count_each_scanned_line_once(tmp_path):
    import tracer

    site = tmp_path / "be" / "var" / "log"
    site.mkdir(parents=True)
    (site / "maillog.1").write_text("\n".join(_TXN[:5]) + "\n")
    (site / "maillog").write_text("\n".join(_TXN[3:]) + "\n")  # repeats lines 4 and 5 of the rotation
    whole = tmp_path / "whole" / "be" / "var" / "log"
    whole.mkdir(parents=True)
    (whole / "maillog").write_text("\n".join(_TXN) + "\n")
    split, one = tracer.load([str(tmp_path / "be")], hosts=None), tracer.load([str(whole.parents[2] / "be")])
    assert split.lines == {"total": 9, "parsed": 7, "ignored": 2, "unparsed": 0}
    cols = ["event", "pattern", "queue_id", "message_id", "sender", "recipient", "client", "status", "text", "ts"]
    a = split.events[cols].astype(object).sort_values("ts", kind="stable").reset_index(drop=True)
    b = one.events[cols].astype(object).sort_values("ts", kind="stable").reset_index(drop=True)
    assert a.equals(b) and len(a) == 7


def test_a_registry_of_ones_own_sees_the_lines_the_scan_would_parse(tmp_path):
    from tracer.formats.registry import Registry
    from tracer.parse import kinds_agree

    log = tmp_path / "maillog"
    log.write_text("\n".join(_TXN) + "\n")
    reg = default_registry()
    mine = Registry([p for p in reg if p.name != "postfix.qmgr.removed"])  # qmgr "removed" now unknown
    assert kinds_agree(reg) and not kinds_agree(mine)
    res = parse_file(Source("be", str(log), "maillog"), registry=mine, seen=set())
    assert (res.parsed, res.unparsed) == (6, 1)
    assert [why for _, why, _ in res.unparsed_lines] == ["no postfix/qmgr pattern matches"]
    assert (parse_file(Source("be", str(log), "maillog"), seen=set()).parsed) == 7


def test_one_message_does_not_parse_the_member_logs_but_counts_their_lines():
    import tracer
    from tracer.parse import UNTRACED_LOGS

    site = str(ROOT / "sample_logs")
    full = tracer.load([site])
    mid = next(lc.message_id for lc in full.lifecycles.values() if lc.message_id)
    focused = tracer.load([site], focus=mid, cache=False)
    f, g = full.files.set_index("path"), focused.files.set_index("path")
    member = f[f["log"].isin(UNTRACED_LOGS)]
    assert len(member) >= 2 and member["parsed"].sum() > 0  # the sample has bounce and subscribe logs
    assert (g.loc[member.index, "parsed"] == 0).all()
    assert (g.loc[member.index, "ignored"] == member["total"]).all()
    assert not focused.events["log"].isin(list(UNTRACED_LOGS)).any()
