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
