"""The cache of ``mmtrace message``: it never changes a result, notices changed files, and a broken or
unwritable cache only costs time. Every test has its own cache directory (MMTRACE_CACHE_DIR)."""

import gzip
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import tracer
from tracer import focus
from tracer.cache import Store
from tracer.cli import app
from tracer.focus import FileIndex, find, start
from tracer.sources import discover, grep_lines

ROOT = Path(__file__).resolve().parents[1]
STALLED = "<B87D38BE-CD80-4CCB-908D-D75632F3F319@uni.example.net>"
DELIVERED = "<5215FB6E.7927443@example.org>"
OUT_QID = "9CC2E8CB7F"  # DELIVERED's outbound transaction on lists-be
LATE_HANDOFF = (
    "Aug 22 18:42:00 lists-be postfix/smtpd[29001]: 5A5A5A5A5A: client=localhost.localdomain[127.0.0.1]\n"
    f"Aug 22 18:42:00 lists-be postfix/cleanup[29002]: 5A5A5A5A5A: message-id={STALLED}\n"
    "Aug 22 18:42:00 lists-be postfix/qmgr[1551]: 5A5A5A5A5A: from=<physics-l-bounces@lists.example.edu>, "
    "size=4614, nrcpt=1 (queue active)\n"
    "Aug 22 18:42:01 lists-be postfix/smtp[29003]: 5A5A5A5A5A: to=<late@example.net>, "
    "relay=mx.example.net[192.0.2.99]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced "
    "(host mx.example.net[192.0.2.99] said: 550 5.1.1 unknown user)\n")
runner = CliRunner()


#: a moment long past (the sample day, 2013-08-22): the cache keeps nothing about a file modified just now
SETTLED = 1377129600.0


def _age(root: Path, seconds: float = 3600) -> None:
    """Date every file back to a settled time (``seconds`` apart gives different mtimes for the same bytes)."""
    t = SETTLED - seconds
    for p in [root] if root.is_file() else root.rglob("*"):
        if p.is_file():
            os.utime(p, (t, t))


def _entries(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def message(*args) -> tuple[int, str, str]:
    res = runner.invoke(app, ["message", *map(str, args)])
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def site(tmp_path):
    d = tmp_path / "site"
    shutil.copytree(ROOT / "sample_logs", d)
    _age(d)
    return d


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("MMTRACE_CACHE_DIR", str(d))
    return d


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cached_runs_print_exactly_what_an_uncached_run_prints(site, cache, monkeypatch, fmt):
    idents = [DELIVERED, STALLED.strip("<>"), OUT_QID, "<nope@example.org>"]
    expected = {i: message(i, site, "--format", fmt, "--no-cache") for i in idents}
    assert _entries(cache) == []
    assert [expected[i][0] for i in idents] == [0, 1, 0, 1]
    for i in idents:
        assert message(i, site, "--format", fmt) == expected[i]  # fills the cache
    kinds = {e.split("/")[0] for e in _entries(cache)}
    assert kinds == {"scan", "hits", "mailman", "result"}

    def no_loading(*a, **k):
        raise AssertionError("a cached result must not read the logs again")

    monkeypatch.setattr("tracer.trace.load", no_loading)
    for i in idents:
        assert message(i, site, "--format", fmt) == expected[i]


def test_a_second_message_searches_only_for_its_new_tokens_and_reparses_no_mailman_log(site, cache, monkeypatch):
    scans, parsed = [], []
    real_scan, real_parse = focus._scan, tracer.parse.parse_file
    monkeypatch.setattr(focus, "_scan", lambda path, tokens, marks, *window: scans.append((path, tokens, marks is None))
                        or real_scan(path, tokens, marks, *window))
    monkeypatch.setattr(tracer.parse, "parse_file", lambda src, *a, **k: parsed.append(src.log) or real_parse(src, *a, **k))

    def trace(ident, cache=True):
        t = tracer.load([site], focus=ident, cache=cache)
        return t, t.lifecycle(ident)

    cold, cold_view = trace(DELIVERED)
    assert scans and all(fresh for _, _, fresh in scans[:3])  # the first pass over each maillog counts lines
    assert "vette" in parsed
    scans.clear(), parsed.clear()
    warm, warm_view = trace(DELIVERED)
    assert scans == []  # every token's lines came from the cache
    assert set(parsed) <= {"maillog"}  # the Mailman logs came from the cache
    for a, b in ((cold, warm), (cold, trace(DELIVERED, cache=False)[0])):
        pd.testing.assert_frame_equal(a.events, b.events)
        pd.testing.assert_frame_equal(a.files, b.files)
        pd.testing.assert_frame_equal(a.unparsed, b.unparsed)
        assert a.problems == b.problems
    assert (warm_view.state, [f.detail for f in warm_view.findings]) == (
        cold_view.state, [f.detail for f in cold_view.findings])

    scans.clear()
    other, view = trace(STALLED)
    assert scans and not any(fresh for _, _, fresh in scans)  # line numbers from the stored marks
    assert {t for _, tokens, _ in scans for t in tokens} <= {t.encode() for t in find(discover([str(site)])[0], STALLED)}
    plain, plain_view = trace(STALLED, cache=False)
    pd.testing.assert_frame_equal(other.events, plain.events)
    assert (view.state, [f.code for f in view.findings]) == ("stalled", ["approved-on-host-without-runner"])


def test_appended_lines_are_seen_and_a_touched_file_is_not_trusted(site, cache):
    before = message(STALLED, site)
    assert "state: stalled" in before[1] and "late@example.net" not in before[1]
    maillog = site / "lists-be" / "var" / "log" / "maillog"
    with open(maillog, "a") as fh:  # Mailman's hand-off of the post, hours later, bounced
        fh.write(LATE_HANDOFF)
    _age(maillog, 1800)  # another time than the cached copy's, and settled
    after = message(STALLED, site)
    assert after == message(STALLED, site, "--no-cache")
    assert "to=<late@example.net>" in after[1] and "outbound-bounced" in after[1]
    assert f"maillog:{len(maillog.read_text().splitlines())}" in after[1]

    smtp = site / "lists-be" / "var" / "log" / "mailman" / "smtp"
    with open(smtp, "a") as fh:  # and the Mailman line of that hand-off
        fh.write(f"Aug 22 18:42:00 2013 (1625) {STALLED} smtp to physics-l for 1 recips, completed in 0.100 seconds\n")
    _age(smtp, 1800)
    last = message(STALLED, site)
    assert last == message(STALLED, site, "--no-cache")
    assert "smtp to physics-l for 1 recips" in last[1] and last != after

    store = Store(str(cache))
    assert FileIndex(str(maillog), store).total is not None  # the search of the grown file was cached
    _age(maillog, 900)  # the same bytes with a new mtime: the entry no longer matches
    assert FileIndex(str(maillog), store).total is None
    assert message(STALLED, site) == last


def test_a_corrupt_cache_is_ignored_and_rewritten(site, cache):
    expected = message(DELIVERED, site, "--no-cache")
    assert message(DELIVERED, site) == expected
    files = [cache / e for e in _entries(cache)]
    assert files
    for i, p in enumerate(files):  # garbage, a torn write, and JSON of the wrong shape
        p.write_bytes([b"\x00\xffgarbage{", p.read_bytes()[: p.stat().st_size // 2], b'{"v": 1, "key": 3}'][i % 3])
    assert message(DELIVERED, site) == expected
    assert message(STALLED, site) == message(STALLED, site, "--no-cache")
    for e in _entries(cache):
        if e.endswith(".json"):
            assert "key" in json.loads((cache / e).read_text())


def test_an_unwritable_cache_dir_still_gives_the_answer(site, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("MMTRACE_CACHE_DIR", str(blocker / "cache"))
    expected = message(DELIVERED, site, "--no-cache")
    assert message(DELIVERED, site) == expected
    assert message(DELIVERED, site) == expected
    t = tracer.load([site], focus=DELIVERED)
    assert t.lifecycle(DELIVERED).state == "delivered"


def test_no_cache_neither_reads_nor_writes_the_cache(site, cache):
    expected = message(DELIVERED, site, "--no-cache")
    assert _entries(cache) == []
    assert message(DELIVERED, site) == expected
    (entry,) = [cache / e for e in _entries(cache) if e.startswith("result/")]
    data = json.loads(entry.read_text())
    entry.write_text(json.dumps(dict(data, stdout="from the cache\n")))
    assert message(DELIVERED, site)[1] == "from the cache\n"  # proves the entry is what a cached run prints
    before = _entries(cache)
    assert message(DELIVERED, site, "--no-cache") == expected
    assert _entries(cache) == before


def _lines(n: int) -> list[bytes]:
    out = []
    for i in range(1, n + 1):
        line = f"Aug 22 09:14:{i % 60:02d} be postfix/smtp[1]: Q{i:05d}: to=<u{i}@x>".encode()
        if i % 97 == 0:
            line += b"\r"  # CRLF line
        if i % 89 == 0:
            line += b" caf\xe9"  # Latin-1, not UTF-8
        if i == 300:
            line += b" " + b"x" * 9000 + b" Q00007:"  # longer than a block and a mapped window
        out.append(line)
    return out


@pytest.mark.parametrize("packed", [False, True])
def test_the_search_finds_what_grep_lines_finds_across_block_and_mark_edges(tmp_path, monkeypatch, packed):
    monkeypatch.setattr(focus, "BLOCK", 1000)
    monkeypatch.setattr(focus, "MARK", 150)
    data = b"\n".join(_lines(700))  # no newline at the end: the last line still counts
    path = tmp_path / ("maillog.gz" if packed else "maillog")
    path.write_bytes(gzip.compress(data) if packed else data)
    _age(path)
    store = Store(str(tmp_path / "cache"))
    first, second = [b"Q00007:", b"u250@", b"Q00700:"], [b"Q00097:", b"caf\xe9", b"Q00001:", b"Q00089:", b"absent"]

    def reference(tokens):
        problems = []
        hits, total = grep_lines(str(path), tokens, problems, block=1000)
        assert problems == []
        return hits, total

    def as_str(tokens):  # what the command passes: tokens are text, searched as UTF-8
        return [t.decode("latin-1") if t == b"caf\xe9" else t.decode() for t in tokens]

    idx = FileIndex(str(path), store)
    assert idx.hits(as_str(first)) == reference(first)
    assert idx.marks and idx.total == 700
    idx.save()
    again = FileIndex(str(path), store)
    assert (again.total, again.marks) == (700, idx.marks)
    ascii_second = [t for t in second if t != b"caf\xe9"]
    assert again.hits(as_str(ascii_second)) == reference(ascii_second)  # counted from the stored marks
    assert again.hits(as_str(first + ascii_second)) == reference(first + ascii_second)
    assert again.hits(["caf\xe9"]) == reference(["caf\xe9".encode()])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_a_message_found_in_a_child_process_is_the_one_found_here(site, cache, monkeypatch):
    monkeypatch.setattr(focus, "sys", types.SimpleNamespace(modules={}))  # as in a fresh `mmtrace`
    sources = discover([str(site)])[0]
    for ident in (DELIVERED, OUT_QID, "<nope@example.org>"):
        pending = start([str(site)], None, ident, Store(str(cache)))
        assert pending is not None
        got = pending.result(sources)
        pending.close()
        here = find(sources, ident)
        assert got == here and got.found == here.found


def test_the_installed_command_answers_the_same_with_its_search_process(site, cache):
    expected = message(DELIVERED, site, "--no-cache")
    env = dict(os.environ, MMTRACE_CACHE_DIR=str(cache))
    for extra in ([], ["--no-cache"], []):
        proc = subprocess.run([sys.executable, "-m", "tracer", "message", DELIVERED, str(site), *extra],
                              capture_output=True, text=True, cwd=ROOT, env=env)
        assert (proc.returncode, proc.stdout, proc.stderr) == expected
