"""Input discovery: hosts from directories, names and rotations, compressed and damaged files."""

import bz2
import gzip
import lzma

import pytest

from tracer.errors import InputError, UsageError
from tracer.sources import discover, log_name, parse_host_option, read_lines

LINE = "Aug 22 09:14:02 lists-be postfix/qmgr[1890]: 4A1C2E0123: removed"

NAME_CASES = [
    ("/var/log/maillog", "maillog"),
    ("/var/log/maillog-20130822", "maillog"),
    ("/var/log/maillog-20130822.gz", "maillog"),
    ("/var/log/mail.log.1", "maillog"),
    ("/var/log/mail.log.2.gz", "maillog"),
    ("/var/log/mailman/vette", "vette"),
    ("/var/log/mailman/smtp-failure.1", "smtp-failure"),
    ("/var/log/mailman/qrunner-20130822.bz2", "qrunner"),
    ("/var/log/mailman/mischief", "skip"),
    ("/tmp/capture.txt", None),
]


@pytest.mark.parametrize("path,kind", NAME_CASES)
def test_log_kind_comes_from_the_name_without_rotation_suffix(path, kind):
    assert log_name(path)[0] == kind


def test_rotations_sort_oldest_first():
    names = ["maillog", "maillog.1", "maillog.3.gz", "maillog.2.gz"]
    assert sorted(names, key=lambda n: log_name(n)[1]) == ["maillog.3.gz", "maillog.2.gz", "maillog.1", "maillog"]
    dated = ["maillog", "maillog-20130822", "maillog-20130815"]
    assert sorted(dated, key=lambda n: log_name(n)[1]) == ["maillog-20130815", "maillog-20130822", "maillog"]


def _site(tmp_path):
    be = tmp_path / "site" / "lists-be" / "var" / "log"
    (be / "mailman").mkdir(parents=True)
    (be / "maillog").write_text(LINE + "\n")
    with gzip.open(be / "maillog-20130821.gz", "wt") as fh:
        fh.write(LINE + "\n")
    (be / "mailman" / "vette").write_text("Aug 22 09:20:11 2013 (2811) Physics-L post from a@b.c held, "
                                          "message-id=<x@y>: Post to moderated list\n")
    fe = tmp_path / "site" / "lists-fe" / "var" / "log" / "mailman"
    fe.mkdir(parents=True)
    (fe / "vette").write_text("Aug 22 10:32:11 2013 (7001) held message approved, message-id: <x@y>\n")
    (tmp_path / "site" / "empty-host").mkdir()
    return tmp_path / "site"


def test_site_directory_makes_each_subdirectory_a_host(tmp_path):
    sources, warnings = discover([str(_site(tmp_path))])
    assert [(s.host, s.log, s.path.rsplit("/", 1)[1]) for s in sources] == [
        ("lists-be", "maillog", "maillog-20130821.gz"),
        ("lists-be", "maillog", "maillog"),
        ("lists-be", "vette", "vette"),
        ("lists-fe", "vette", "vette"),
    ]
    assert warnings == [f"host empty-host: no log files under {tmp_path / 'site' / 'empty-host'}; posts passing "
                        f"through it are reported as unknown there, not lost"]


def test_host_option_assigns_a_directory_to_a_named_host(tmp_path):
    site = _site(tmp_path)
    sources, _ = discover([], [f"backend={site / 'lists-be'}"])
    assert {s.host for s in sources} == {"backend"}


@pytest.mark.parametrize("spec", ["lists-be", "=x", "be="])
def test_host_option_without_name_and_path_is_a_usage_error(spec):
    with pytest.raises(UsageError, match="--host expects NAME=PATH"):
        parse_host_option(spec)


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        discover([str(tmp_path / "nope")])


@pytest.mark.parametrize("opener,suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2"), (lzma.open, ".xz")])
def test_compressed_files_are_read_by_magic_bytes(tmp_path, opener, suffix):
    p = tmp_path / f"maillog.1{suffix}"
    with opener(p, "wt") as fh:
        fh.write(LINE + "\n" + LINE + "\n")
    problems = []
    assert list(read_lines(str(p), problems)) == [LINE, LINE]
    assert problems == []


def test_truncated_gzip_keeps_the_lines_before_the_damage_and_says_so(tmp_path):
    p = tmp_path / "maillog.1.gz"
    data = gzip.compress(("\n".join([LINE] * 2000) + "\n").encode())
    p.write_bytes(data[: len(data) // 2])
    problems = []
    lines = list(read_lines(str(p), problems))
    assert 0 < len(lines) < 2000 and all(ln == LINE for ln in lines[:-1])
    assert len(problems) == 1 and problems[0].startswith(f"{p}: archive is damaged or truncated")


def test_a_gz_name_on_a_plain_file_is_reported_with_its_first_bytes(tmp_path):
    p = tmp_path / "vette.1.gz"
    p.write_text("Nov 21 17:08:19 2026 (1116) x\n")
    problems = []
    assert list(read_lines(str(p), problems)) == []
    assert problems == [f"{p} is not a gz file (first bytes b'Nov 2'); rename it or pass it uncompressed"]


def test_invalid_utf8_falls_back_to_latin1_per_line(tmp_path):
    p = tmp_path / "vette"
    p.write_bytes("Subject: caf\xe9\n".encode("latin-1") + "Subject: café\n".encode("utf-8"))
    assert list(read_lines(str(p), [])) == ["Subject: café", "Subject: café"]


def test_grep_lines_finds_tokens_with_line_numbers_across_block_edges(tmp_path):
    from tracer.sources import grep_lines

    p = tmp_path / "maillog"
    lines = [f"Aug 22 09:14:{i % 60:02d} be postfix/smtp[1]: Q{i:05d}: to=<u{i}@x>" for i in range(1, 501)]
    p.write_text("\n".join(lines))  # no newline at the end: the last line still counts
    problems = []
    hits, total = grep_lines(str(p), [b"Q00007:", b"Q00250:", b"Q00500:", b"u250@"], problems, block=1000)
    assert total == 500 and problems == []
    assert hits == [(7, lines[6]), (250, lines[249]), (500, lines[499])]


def test_read_blocks_gives_whole_lines_through_its_ring_of_buffers_even_past_a_block_long_line(tmp_path):
    from tracer.sources import read_blocks

    lines = [b"Aug 22 00:00:%02d host prog[1]: line %d" % (i % 60, i) for i in range(40)]
    lines[17] = b"x" * 300  # longer than a block
    path = tmp_path / "maillog"
    path.write_bytes(b"\n".join(lines))  # no final newline
    got, problems = [], []
    for block, _ in read_blocks(str(path), problems, size=64, piece=16, ring=2):
        assert bytes(block).endswith(b"\n") or bytes(block) == lines[-1] or bytes(block).endswith(lines[-1])
        got.append(bytes(block))  # a copy: the buffer is reused two blocks on
    assert b"".join(got) == path.read_bytes() and problems == []
    assert len(got) > 10


def test_read_blocks_stops_at_the_damage_of_a_truncated_gzip_with_the_whole_lines_before_it(tmp_path):
    import gzip

    from tracer.sources import read_blocks

    body = b"".join(b"Aug 22 00:00:00 host prog[1]: line %d\n" % i for i in range(5000))
    data = gzip.compress(body)
    path = tmp_path / "maillog.1.gz"
    path.write_bytes(data[: len(data) // 2])
    problems = []
    got = b"".join(bytes(b) for b, _ in read_blocks(str(path), problems, size=4096, piece=1024))
    assert problems and "damaged or truncated" in problems[0]
    assert got and body.startswith(got) and got.endswith(b"\n")
