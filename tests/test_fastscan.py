"""tracer.fastscan: the C scanner, its pure-Python fallback and the ``_FAST`` regex agree line for line."""

import functools
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tracer import fastscan
from tracer.formats.postfix import _delivery_text
from tracer.parse import _FAST

ROOT = Path(__file__).resolve().parents[1]
MAILLOGS = sorted(ROOT.glob("sample_logs/*/var/log/maillog*")) + sorted(ROOT.glob("tests/scenarios/*/site/*/var/log/maillog"))
STRINGS = fastscan.STRINGS

needs_c = pytest.mark.skipif(not fastscan.AVAILABLE, reason="tracer._fastscan is not built (no C compiler at "
                             "install time?): only the pure-Python scan is tested")
# the delivery scan: C without the KINDS shapes, which the fallback leaves to the registry (tested below)
SCANS = [pytest.param(fastscan.scan_block_py, id="python"),
         pytest.param(functools.partial(fastscan._scan_c, kinds=False), id="c", marks=needs_c)]

BASE = ("Aug 22 09:14:02 lists-be postfix/smtp[2211]: 4A1C2E0123: to=<ann@example.org>, "
        "relay=mx.example.org[192.0.2.1]:25, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok: queued as 9F8E7D6C5B)")


def _regex(text: str) -> dict | None:
    """What tracer.parse's fast lane makes of a line: _FAST, then the delivery pattern's derive."""
    m = _FAST.match(text)
    if m is None:
        return None
    fields = _delivery_text(m.groupdict())
    row = dict(zip(("ts_text", "syslog_host", "program", "daemon"), m.group(1, 2, 3, 4)), pid=int(m.group(5)))
    row.update({c: fields.get(c) for c in STRINGS[4:]})
    return row


def _pieces(block: bytes) -> list[bytes]:
    """The lines of a block as the scanners cut them."""
    lines = block.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")  # as tracer.sources.read_lines does
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _general_path(text: str):
    """What the general path (envelope, then the pattern registry) makes of one line."""
    from tracer.formats import default_registry
    from tracer.parse import FileResult, _parse_syslog
    from tracer.sources import Source

    res = FileResult(Source("h", "p", "maillog"), "maillog", None)
    records = _parse_syslog([text], default_registry(), res, None, fast=False)
    return res, records.rows


def _registry_ignores(text: str) -> bool:
    """The general path counts the line as ignored."""
    res, _ = _general_path(text)
    return (res.parsed, res.ignored, res.unparsed) == (0, 1, 0)


def _registry_fields(text: str) -> dict | None:
    """The registry's event for one line, in the columns of a kind row (missing groups None)."""
    _, rows = _general_path(text)
    if not rows:
        return None
    (r,) = rows
    return {"pattern": r["pattern"], "pid": r["pid"], **{c: r.get(c) for c in fastscan.GROUPS}}


def _check_kinds(block: bytes, kinds: pa.Table, first_line: int = 1) -> int:
    """Every kind row has its line's key and exactly the registry's pattern and fields; returns rows."""
    lines = _pieces(block)
    for row in kinds.to_pylist():
        raw = lines[row.pop("line") - first_line]
        assert row.pop("key") == fastscan.line_key(raw)
        row["pattern"] = fastscan.KINDS[row.pop("kind")]
        assert row == _registry_fields(_decode(raw)), raw
    return kinds.num_rows


def _check_against_regex(block: bytes, table: pa.Table, rest: np.ndarray, first_line: int = 1,
                         kinds: pa.Table | None = None) -> int:
    """Every row equals the regex's fields; every line is a row, a kind row or rest once, or else
    one the registry ignores too; returns rows."""
    lines = _pieces(block)
    rows = table.to_pylist()
    seen = [r["line"] for r in rows] + rest[:, 0].tolist()
    if kinds is not None:
        seen += kinds.column("line").to_pylist()
        _check_kinds(block, kinds, first_line)
    assert len(seen) == len(set(seen)) and set(seen) <= set(range(first_line, first_line + len(lines)))
    skipped = set(range(first_line, first_line + len(lines))) - set(seen)
    assert all(_registry_ignores(_decode(lines[no - first_line])) for no in skipped)
    for row in rows:
        raw = lines[row.pop("line") - first_line]
        assert row.pop("key") == fastscan.line_key(raw)
        pair, run, flags = row.pop("pair"), row.pop("run"), row.pop("flags")
        assert row == _regex(_decode(raw)), raw
        assert pair == fastscan.pair_key(row["queue_id"], row["recipient"])
        assert run == fastscan.run_key(row["syslog_host"], row["program"], row["queue_id"])
        assert flags == fastscan.row_flags(row["daemon"], row["status"], row["recipient"], row["relay"], row["text"])
    return len(rows)


def _unaccepted_regex_lines(block: bytes, table: pa.Table) -> list[str]:
    done = set(table.column("line").to_pylist())
    return [t for no, raw in enumerate(_pieces(block), 1) if no not in done and _regex(t := _decode(raw))]


def _same(a: fastscan.Scan, b: fastscan.Scan) -> None:
    assert a.table.schema == b.table.schema == fastscan.SCHEMA
    assert a.table.to_pylist() == b.table.to_pylist()
    assert a.rest.tolist() == b.rest.tolist()
    assert (a.lines, a.ignored) == (b.lines, b.ignored)
    assert a.kinds.equals(b.kinds)


# --- real logs ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_block() -> bytes:
    return b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in MAILLOGS)


@pytest.fixture(scope="module")
def generated_block(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(out), "--lines", "20000", "-q"],
                   check=True)
    return (out / "lists-be" / "var" / "log" / "maillog").read_bytes()


def test_every_canonical_delivery_line_of_the_sample_and_scenario_logs_is_a_row(sample_block):
    table, rest, lines, ignored, kinds = fastscan.scan_block(sample_block, 1)
    assert _check_against_regex(sample_block, table, rest, kinds=kinds) > 300
    assert _unaccepted_regex_lines(sample_block, table) == []
    assert table.num_rows + len(rest) + ignored + kinds.num_rows == lines == len(_pieces(sample_block))


def test_every_delivery_line_of_a_generated_day_is_a_row_with_the_regex_fields(generated_block):
    table, rest, lines, ignored, kinds = fastscan.scan_block(generated_block, 1)  # C when built; the fallback is held to it below
    assert _check_against_regex(generated_block, table, rest, kinds=kinds) > 15000
    assert _unaccepted_regex_lines(generated_block, table) == []
    assert ignored > 500 and table.num_rows + len(rest) + ignored + kinds.num_rows == lines


SESSION = "Aug 22 09:14:02 lists-be postfix/smtpd[2211]: connect from mx.example.org[192.0.2.1]"
IGNORED_VARIANTS = {  # (line, counted ignored by the scan); the registry ignores every one of them
    "connect": (SESSION, True),
    "disconnect": (SESSION.replace("connect from", "disconnect from") + " ehlo=1 mail=1 rcpt=1 data=1 quit=1", True),
    "lost connection": (SESSION.replace("connect from", "lost connection after DATA from"), True),
    "timeout": (SESSION.replace("connect from", "timeout after END-OF-MESSAGE from"), True),
    "anvil statistics": (SESSION.replace("smtpd[2211]: connect from", "anvil[99]: statistics: max cache size 1 at "
                                         "Aug 22 09:10:00 for"), True),
    "scache statistics": (SESSION.replace("smtpd[2211]: connect from", "scache[7]: statistics: domain lookup hits=0"
                                          " miss=1 success=0%"), True),
    "instance and service": (SESSION.replace("postfix/smtpd", "postfix-in/submission/smtpd"), True),
    "fraction": (SESSION.replace("09:14:02", "09:14:02.123456"), True),
    "NOQUEUE lost connection (general path)": (SESSION.replace("connect from", "NOQUEUE: lost connection after "
                                                                               "CONNECT from"), False),
    "TLS (general path)": (SESSION.replace("connect from", "Anonymous TLS connection established from"), False),
    "non-ASCII (general path)": (SESSION.replace("mx.example", "mx.exämple"), False),
    "PRI (general path)": ("<22>" + SESSION, False),
    "fac.pri tag (general path)": (SESSION.replace("lists-be", "<mail.info> lists-be"), False),
    "postfix- (general path)": (SESSION.replace("postfix/smtpd", "postfix-/smtpd"), False),
}


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("name", sorted(IGNORED_VARIANTS))
def test_ignored_lines_are_counted_by_the_scan_only_where_the_registry_ignores_them(scan, name):
    line, counted = IGNORED_VARIANTS[name]
    assert _registry_ignores(line)
    table, rest, lines, ignored, _ = scan((line + "\n").encode("utf-8"), 1)
    assert (table.num_rows, lines, ignored, len(rest)) == (0, 1, int(counted), int(not counted))


def test_the_scan_counts_no_line_as_ignored_that_the_registry_would_keep():
    for daemon, prefix in fastscan.IGNORE:  # a line of each ignored shape, but of a daemon with events
        line = SESSION.replace("smtpd[2211]: connect from", f"qmgr[1]: {prefix.decode()}")
        assert fastscan.scan_block((line + "\n").encode(), 1).ignored == 0


@needs_c
def test_c_and_python_scans_give_identical_tables_and_rest(sample_block, generated_block):
    for block in (sample_block, generated_block):
        _same(fastscan._scan_c(block, 7, kinds=False), fastscan.scan_block_py(block, 7))


# --- hand-written lines -------------------------------------------------------------------------------

def _variant(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


ACCEPTED = {
    "space-padded day": (_variant("Aug 22", "Aug  2"), {"ts_text": "Aug  2 09:14:02"}),
    "unpadded day": (_variant("Aug 22", "Aug 2"), {"ts_text": "Aug 2 09:14:02"}),
    "zero-padded day": (_variant("Aug 22", "Aug 02"), {"ts_text": "Aug 02 09:14:02"}),
    "fraction of a second": (_variant("09:14:02", "09:14:02.123456"), {"ts_text": "Aug 22 09:14:02.123456"}),
    "nanoseconds": (_variant("09:14:02", "09:14:02.123456789"), {"ts_text": "Aug 22 09:14:02.123456789"}),
    "postmulti instance": (_variant("postfix/smtp", "postfix-out/smtp"), {"program": "postfix-out/smtp", "daemon": "smtp"}),
    "syslog_name with a service": (_variant("postfix/smtp", "postfix-smo/submission/lmtp"),
                                   {"program": "postfix-smo/submission/lmtp", "daemon": "lmtp"}),
    "host with brackets": (_variant("lists-be", "be[1]"), {"syslog_host": "be[1]"}),
    "no queue ID": (_variant("4A1C2E0123: ", ""), {"queue_id": None, "recipient": "ann@example.org"}),
    "long base-52 queue ID": (_variant("4A1C2E0123", "3mPVKl0Mhjz7sXv"), {"queue_id": "3mPVKl0Mhjz7sXv"}),
    "empty recipient": (_variant("to=<ann@example.org>", "to=<>"), {"recipient": ""}),
    "orig_to": (_variant(">, relay", ">, orig_to=<list@lists.example.edu>, relay"),
                {"orig_to": "list@lists.example.edu"}),
    "empty orig_to": (_variant(">, relay", ">, orig_to=<>, relay"), {"orig_to": ""}),
    "empty relay": (_variant("mx.example.org[192.0.2.1]:25", ""), {"relay": ""}),
    "conn_use": (_variant(":25, delay", ":25, conn_use=3, delay"), {"relay": "mx.example.org[192.0.2.1]:25"}),
    "tls": (_variant(", dsn=", ", tls=TLSv1.3 TLS_AES_256_GCM_SHA384, dsn="), {"dsn": "2.0.0"}),
    "no delays and no dsn": (_variant("delays=0.1/0/0/0.2, dsn=2.0.0, ", ""), {"delays": None, "dsn": None}),
    "no text": (_variant(" (250 2.0.0 Ok: queued as 9F8E7D6C5B)", ""), {"text": None, "queued_as": None}),
    "status with a dash": (_variant("status=sent", "status=force-expired"), {"status": "force-expired"}),
    "text cut short keeps its last character": (_variant("9F8E7D6C5B)", "9F8E7D6C5"),
                                                {"text": "250 2.0.0 Ok: queued as 9F8E7D6C5", "queued_as": "9F8E7D6C5"}),
    "nested parentheses lose only the last": (
        _variant("(250 2.0.0 Ok: queued as 9F8E7D6C5B)", "(host mx said: 550 5.1.1 unknown (in reply to RCPT TO command))"),
        {"text": "host mx said: 550 5.1.1 unknown (in reply to RCPT TO command)", "queued_as": None}),
    "empty text": (_variant("(250 2.0.0 Ok: queued as 9F8E7D6C5B)", "("), {"text": "", "queued_as": None}),
    "only a parenthesis": (_variant("(250 2.0.0 Ok: queued as 9F8E7D6C5B)", "()"), {"text": "", "queued_as": None}),
    "queued as with a full stop": (_variant("9F8E7D6C5B)", "9F8E7D6C5B.)"), {"queued_as": "9F8E7D6C5B"}),
    "queued as of only dots is empty, not missing": (_variant("9F8E7D6C5B)", "...)"), {"queued_as": ""}),
    "the last of two queued as": (
        _variant("(250 2.0.0 Ok: queued as 9F8E7D6C5B)",
                 "(250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 7A7A7A7A7A; queued as 4B4B4B4B4B)"),
        {"queued_as": "4B4B4B4B4B"}),
    "queued as matches do not overlap": (_variant("9F8E7D6C5B)", "fooqueued as BAR)"), {"queued_as": "fooqueued"}),
    "queued as before forwarded as": (_variant("9F8E7D6C5B)", "X1, forwarded as Y2)"), {"queued_as": "X1"}),
    "forwarded as": (_variant("(250 2.0.0 Ok: queued as 9F8E7D6C5B)", "(forwarded as 3C3C3C3C3C)"),
                     {"queued_as": "3C3C3C3C3C"}),
    "queued as with nothing after it": (_variant("queued as 9F8E7D6C5B)", "queued as )"), {"queued_as": None}),
    "local delivery": ("Aug 22 09:14:03 be postfix/local[7]: 5B5B5B5B5B: to=<list@lists.example.edu>, relay=local, "
                       "delay=0.07, delays=0.04/0/0/0.03, dsn=2.0.0, status=sent "
                       '(delivered to command: /usr/lib/mailman/mail/mailman post list)',
                       {"daemon": "local", "relay": "local", "pid": 7}),
    "eighteen-digit pid": (_variant("[2211]", "[123456789012345678]"), {"pid": 123456789012345678}),
    "a quote inside the address": (_variant("to=<ann@example.org>", 'to=<a"n"n@example.org>'), {"recipient": 'a"n"n@example.org'}),
}

REJECTED = {  # True: the regex accepts it, C (and the Python fallback) leave it to the slow path
    "syslog priority": ("<22>" + BASE, True),
    "quoted localpart": (_variant("to=<ann@example.org>", 'to=<"a,n"@example.org>'), True),
    "unbracketed recipient": (_variant("to=<ann@example.org>", "to=ann@example.org"), True),
    "recipient without >": (_variant("to=<ann@example.org>", "to=<ann@example.org"), True),
    "unbracketed orig_to": (_variant(">, relay", ">, orig_to=list@x, relay"), True),
    "nineteen-digit pid": (_variant("[2211]", "[1234567890123456789]"), True),
    "non-ASCII": (_variant("ann@", "jürgen@"), True),
    "a tab": (_variant("Ok: ", "Ok:\t"), True),
    "two carriage returns": (BASE + "\r\r", True),
    "ten fraction digits": (_variant("09:14:02", "09:14:02.1234567891"), False),
    "English month only": (_variant("Aug", "Aoû"), False),
    "three-digit day": (_variant("Aug 22", "Aug 122"), False),
    "not a delivery daemon": (_variant("postfix/smtp", "postfix/smtpd"), False),
    "empty path component": (_variant("postfix/smtp", "postfix//smtp"), False),
    "empty instance": (_variant("postfix/smtp", "postfix-/smtp"), False),
    "not postfix": (_variant("postfix/smtp", "postfixx/smtp"), False),
    "queue ID too short": (_variant("4A1C2E0123", "4A1C2"), False),
    "lower-case hex queue ID": (_variant("4A1C2E0123", "4a1c2e0123"), False),
    "NOQUEUE": (_variant("4A1C2E0123", "NOQUEUE"), False),
    "no relay": (_variant("relay=mx.example.org[192.0.2.1]:25, ", ""), False),
    "conn_use without a number": (_variant(":25, delay", ":25, conn_use=x, delay"), False),
    "empty delays": (_variant("delays=0.1/0/0/0.2", "delays="), False),
    "four-digit dsn part": (_variant("dsn=2.0.0", "dsn=2.0.0000"), False),
    "junk after status": (_variant(" (250", " junk (250"), False),
    "no space before text": (_variant(" (250", "(250"), False),
    "truncated in the relay": (BASE[:BASE.index("relay=") + 10], False),
    "empty line": ("", False),
    "a qmgr line": ("Aug 22 09:14:02 be postfix/qmgr[1890]: 4A1C2E0123: removed", False),
    "a connect failure": ("Aug 22 09:14:02 be postfix/smtp[1]: connect to mx.example.org[192.0.2.1]:25: "
                          "Connection refused", False),
    "an ISO stamp": ("2013-08-22T09:14:02+02:00" + BASE[15:], False),
}


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("name", ACCEPTED)
def test_canonical_variants_give_the_regex_fields(scan, name):
    line, expected = ACCEPTED[name]
    block = line.encode() + b"\n"
    table, rest, *_ = scan(block, 1)
    assert table.num_rows == 1 and rest.shape == (0, 3)
    row = table.to_pylist()[0]
    assert {k: row[k] for k in expected} == expected
    _check_against_regex(block, table, rest)


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("name", REJECTED)
def test_other_lines_are_left_to_the_slow_path(scan, name):
    line, regex_accepts = REJECTED[name]
    block = line.encode() + b"\n"
    table, rest, *_ = scan(block, 1)
    assert table.num_rows == 0
    assert rest.tolist() == [[1, 0, len(_pieces(block)[0])]]
    assert (_regex(_decode(_pieces(block)[0])) is not None) == regex_accepts


@pytest.mark.parametrize("scan", SCANS)
def test_crlf_line_ends_lose_the_carriage_return_and_the_key_ignores_it(scan):
    table, rest, *_ = scan(BASE.encode() + b"\r\n" + BASE.encode() + b"\r", 1)
    assert table.column("text").to_pylist() == ["250 2.0.0 Ok: queued as 9F8E7D6C5B"] * 2
    assert table.column("key").to_pylist() == [fastscan.line_key(BASE.encode())] * 2


@pytest.mark.parametrize("scan", SCANS)
def test_rest_gives_line_numbers_and_byte_offsets_from_first_line(scan):
    lines = [b"junk", BASE.encode(), b"", b"Aug 22 09:14:02 be postfix/qmgr[1]: 4A1C2E0123: removed\r",
             "caf\u00e9".encode(), BASE.encode(), b"last line without a newline"]
    block = b"\n".join(lines)
    table, rest, *_ = scan(block, 100)
    assert table.column("line").to_pylist() == [101, 105]
    assert rest[:, 0].tolist() == [100, 102, 103, 104, 106]
    assert [block[s:e] for s, e in rest[:, 1:].tolist()] == [b"junk", b"", lines[3][:-1], lines[4], lines[6]]
    assert rest.dtype == np.int64


@pytest.mark.parametrize("scan", SCANS)
def test_a_final_newline_ends_the_last_line_and_starts_none(scan):
    one = BASE.encode()
    assert scan(one + b"\n", 1)[0].num_rows == scan(one, 1)[0].num_rows == 1
    assert scan(b"\n", 1)[1].tolist() == [[1, 0, 0]]
    table, rest, *_ = scan(b"", 1)
    assert table.num_rows == 0 and rest.shape == (0, 3) and table.schema == fastscan.SCHEMA


@pytest.mark.parametrize("scan", SCANS)
def test_missing_optional_groups_are_null_and_empty_matches_are_empty_strings(scan):
    line = "Aug 22 09:14:02 be postfix/error[9]: to=<>, relay=, delay=0, status=bounced"
    row = scan(line.encode(), 1)[0].to_pylist()[0]
    assert row["recipient"] == "" and row["relay"] == ""
    assert [row[c] for c in ("queue_id", "orig_to", "delays", "dsn", "text", "queued_as")] == [None] * 6


@needs_c
def test_c_keys_equal_the_python_reference_for_every_length_and_field_split():
    rng = random.Random(822)
    lines = [BASE[:n] for n in range(40, len(BASE) + 1)]  # every tail length, every word boundary
    lines += ["".join(rng.choice("abcdefgh<>@.: ") for _ in range(rng.randint(40, 300))) for _ in range(300)]
    keys = {}
    for line in lines:
        table = fastscan._scan_c(f"{line}\n".encode(), 1)
        if table.kinds.num_rows:
            keys[line] = table.kinds.column("key")[0].as_py()
    for n in list(range(50, 90)) + [300, 301, 307]:  # queue IDs, recipients, hosts of every length: pair and run keys
        line = BASE.replace("4A1C2E0123", "4A1C2E0123ABCDEF"[:6 + n % 10]).replace("ann@", "a" * (n - 49) + "@")
        line = line.replace("lists-be", "h" * (n % 13 + 1))
        row = fastscan._scan_c((line + "\n").encode(), 1).table.to_pylist()[0]
        assert row["key"] == fastscan.line_key(line.encode())
        assert row["pair"] == fastscan.pair_key(row["queue_id"], row["recipient"])
        assert row["run"] == fastscan.run_key(row["syslog_host"], row["program"], row["queue_id"])
    assert all(k == fastscan.line_key(line.encode()) for line, k in keys.items())


def test_keys_are_63_bit_and_tell_near_lines_apart():
    base = BASE.encode()
    near = [base[:i] + bytes([base[i] ^ 1]) + base[i + 1:] for i in range(len(base))]  # one bit off, anywhere
    near += [base[:n] for n in range(len(base))] + [base + b"\0", b"\0", b"\0\0"]
    keys = [fastscan.line_key(x) for x in [base] + near]  # base[:0] is the empty line
    assert len(set(keys)) == len(keys)
    assert all(0 <= k < 2**63 for k in keys)


def test_table_schema_is_arrow_strings_and_int64():
    assert fastscan.SCHEMA.names == ["line", "ts_text", "syslog_host", "program", "daemon", "pid", "queue_id",
                                     "recipient", "orig_to", "relay", "delay", "delays", "dsn", "status", "text",
                                     "queued_as", "key", "pair", "run", "flags"]
    assert {str(t) for t in fastscan.SCHEMA.types} == {"int64", "large_string"}  # what pandas keeps without a copy


FLAG_CASES = [  # (old, new) applied to BASE, the flags the row must carry
    (None, None, fastscan.FLAG_SENT | fastscan.FLAG_PLAIN),
    ("postfix/smtp[", "postfix/lmtp[", fastscan.FLAG_SENT | fastscan.FLAG_PLAIN),
    ("status=sent", "status=deferred", 0),
    ("status=sent", "status=bounced", 0),
    ("postfix/smtp[", "postfix/local[", fastscan.FLAG_SENT),
    ("postfix/smtp[", "postfix/pipe[", fastscan.FLAG_SENT),
    ("to=<", "to=<MailMan-owner-", fastscan.FLAG_SENT),
    ("relay=", "relay=MAILMAN.", fastscan.FLAG_SENT),
    ("(250", "(delivered via mailman service; 250", fastscan.FLAG_SENT),
]


@pytest.mark.parametrize("old,new,flags", FLAG_CASES)
def test_flags_mark_plain_outbound_sent_lines_only(old, new, flags):
    line = BASE if old is None else _variant(old, new)
    table, rest, *_ = fastscan.scan_block((line + "\n").encode(), 1)
    assert len(rest) == 0
    assert table.column("flags").to_pylist() == [flags]


@needs_c
def test_mailman_is_found_at_every_position_and_in_any_case_where_python_finds_it():
    rng = random.Random(5)
    lines = []
    for _ in range(400):
        word = "".join(c.upper() if rng.random() < 0.5 else c for c in rng.choice(["mailman", "mailmen", "mailma"]))
        pad = "x" * rng.randint(0, 40)
        cut = rng.randint(0, len(pad))
        where = rng.choice(["to=<", "relay=", "(250 "])
        lines.append(_variant(where, where + pad[:cut] + word + pad[cut:]))
    block = ("\n".join(lines) + "\n").encode()
    c_flags = fastscan._scan_c(block, 1).table.column("flags").to_pylist()
    assert c_flags == fastscan.scan_block_py(block, 1).table.column("flags").to_pylist()
    assert {fastscan.FLAG_SENT, fastscan.FLAG_SENT | fastscan.FLAG_PLAIN} == set(c_flags)


def test_pair_key_is_shared_by_a_recipients_lines_and_run_key_by_a_transactions():
    deferred = _variant("status=sent", "status=deferred")
    other = BASE.replace("to=<", "to=<x")
    table = fastscan.scan_block("\n".join([BASE, deferred, other]).encode(), 1).table
    pair, run = table.column("pair").to_pylist(), table.column("run").to_pylist()
    assert pair[0] == pair[1] != pair[2]
    assert run[0] == run[1] == run[2]


@needs_c
def test_c_scan_accepts_any_bytes_like_block():
    block = (BASE + "\n").encode() * 3
    expected = fastscan._scan_c(block, 1)
    for other in (bytearray(block), memoryview(block)):
        _same(fastscan._scan_c(other, 1), expected)


@needs_c
def test_c_scans_in_threads_give_the_same_results(generated_block):
    from concurrent.futures import ThreadPoolExecutor

    expected = fastscan._scan_c(generated_block, 1)
    with ThreadPoolExecutor(4) as pool:  # the scan drops the GIL and retakes it to grow its buffers
        for table, rest, *_ in pool.map(lambda _: fastscan._scan_c(generated_block, 1), range(6)):
            assert table.equals(expected[0]) and np.array_equal(rest, expected[1])


@needs_c
def test_buffers_reused_from_an_earlier_block_hold_nothing_of_it(generated_block, sample_block):
    from tracer import _fastscan

    _fastscan.release()
    fresh = [fastscan._scan_c(b, 1) for b in (sample_block, generated_block)]
    for first, second in ((generated_block, sample_block), (sample_block, generated_block)):
        fastscan._scan_c(first, 1)  # freed at once: its buffers go to the pool
        again = fastscan._scan_c(second, 1)
        _same(again, fresh[0] if second is sample_block else fresh[1])
    del again
    assert _fastscan.release() > 0  # the freed buffers were pooled, and release() frees them
    assert _fastscan.release() == 0


@needs_c
def test_c_scan_handles_a_line_longer_than_its_reserve_step():
    text = "x " * (3 << 20)  # a 6 MiB reply text: more than the 4 MiB the scanner reserves at a time
    block = (BASE + "\n" + _variant("Ok: queued as 9F8E7D6C5B", text + "queued as Z") + "\n" + BASE).encode()
    table, rest, *_ = fastscan._scan_c(block, 1)
    assert table.num_rows == 3 and table.column("queued_as").to_pylist() == ["9F8E7D6C5B", "Z", "9F8E7D6C5B"]
    _check_against_regex(block, table, rest)


def _damaged(seeds: list[str], n: int, seed: int) -> list[str]:
    """``n`` copies of random seed lines, each with one to three characters inserted, deleted or
    replaced by ones that matter to the shapes (delimiters, digits, hex, a tab, non-ASCII)."""
    rng = random.Random(seed)
    alphabet = "<>,.:;()[]/ -=\"0123456789AaBbFfqsx" + "\t\u00e9"
    lines = []
    for _ in range(n):
        chars = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(chars) + 1)
            op = rng.random()
            if op < 0.4:
                chars.insert(i, rng.choice(alphabet))
            elif op < 0.7 and i < len(chars):
                del chars[i]
            elif i < len(chars):
                chars[i] = rng.choice(alphabet)
        lines.append("".join(chars))
    return lines


@needs_c
def test_c_and_python_agree_on_randomly_damaged_delivery_lines():
    seeds = [BASE, ACCEPTED["local delivery"][0], ACCEPTED["orig_to"][0], ACCEPTED["tls"][0],
             ACCEPTED["the last of two queued as"][0], ACCEPTED["no text"][0], ACCEPTED["conn_use"][0]]
    seeds += [line for line, _ in IGNORED_VARIANTS.values()]
    lines = _damaged(seeds, 10000, 20130822)
    block = "\n".join(lines).encode()
    c = fastscan._scan_c(block, 1, kinds=False)
    _same(c, fastscan.scan_block_py(block, 1))
    _check_against_regex(block, c.table, c.rest)
    assert 0 < c.table.num_rows < len(lines) and 0 < c.ignored < len(lines)


# --- the KINDS shapes: the next commonest Postfix lines, parsed by C to the registry's fields -----------

_ENV = "Aug 22 09:14:02 lists-be postfix/{daemon}[2211]: "
QUEUED = _ENV.format(daemon="qmgr") + "4A1C2E0123: from=<list-bounces@lists.example.edu>, size=3421, nrcpt=500 (queue active)"
REMOVED = _ENV.format(daemon="qmgr") + "4A1C2E0123: removed"
MESSAGE_ID = _ENV.format(daemon="cleanup") + "4A1C2E0123: message-id=<52158CDF.9307019@astro38.example.com>"
CLIENT = _ENV.format(daemon="smtpd") + "4A1C2E0123: client=mail.example.com[192.0.2.7]"
REJECT = (_ENV.format(daemon="smtpd") + "NOQUEUE: reject: RCPT from dsl-198.example.net[198.51.100.9]: 554 5.7.1 "
          "Service unavailable; Client host [198.51.100.9] blocked using zen.spamhaus.org; "
          "from=<wei@example.ru> to=<wei41@lists.example.edu> proto=ESMTP helo=<localhost>")
NOTIFICATION = _ENV.format(daemon="bounce") + "4A1C2E0123: sender non-delivery notification: 8DEB59EDC30"


def _kind_variant(base: str, old: str, new: str) -> str:
    assert old in base
    return base.replace(old, new)


KIND_ACCEPTED = {  # line -> (pattern, fields the kind row must carry)
    "queued": (QUEUED, {"sender": "list-bounces@lists.example.edu", "size": "3421", "nrcpt": "500"}),
    "queued, null sender": (_kind_variant(QUEUED, "list-bounces@lists.example.edu", ""), {"sender": ""}),
    "queued, deferred queue": (_kind_variant(QUEUED, "(queue active)", "(queue deferred)"), {"nrcpt": "500"}),
    "queued, base-52 queue ID": (_kind_variant(QUEUED, "4A1C2E0123", "3mPVKl0Mhjz7sXv"), {"queue_id": "3mPVKl0Mhjz7sXv"}),
    "queued, postmulti instance": (_kind_variant(QUEUED, "postfix/qmgr", "postfix-out/qmgr"), {"program": "postfix-out/qmgr"}),
    "queued, space in the sender": (_kind_variant(QUEUED, "list-bounces@", "list bounces@"), {"sender": "list bounces@lists.example.edu"}),
    "removed": (REMOVED, {"queue_id": "4A1C2E0123", "status": None}),
    "removed, fraction of a second": (_kind_variant(REMOVED, "09:14:02", "09:14:02.5"), {"ts_text": "Aug 22 09:14:02.5"}),
    "message-id": (MESSAGE_ID, {"message_id": "<52158CDF.9307019@astro38.example.com>"}),
    "message-id, empty": (_kind_variant(MESSAGE_ID, "<52158CDF.9307019@astro38.example.com>", ""), {"message_id": ""}),
    "message-id, without <>": (_kind_variant(MESSAGE_ID, "<52158CDF.9307019@astro38.example.com>", "foo bar"),
                               {"message_id": "foo bar"}),
    "client": (CLIENT, {"client": "mail.example.com[192.0.2.7]", "text": None}),
    "client with a port": (_kind_variant(CLIENT, "2.7]", "2.7]:41234"), {"client": "mail.example.com[192.0.2.7]:41234"}),
    "client with SASL": (CLIENT + ", sasl_method=PLAIN, sasl_username=ann",
                         {"text": "sasl_method=PLAIN, sasl_username=ann"}),
    "client, unknown name": (_kind_variant(CLIENT, "mail.example.com", "unknown"), {"client": "unknown[192.0.2.7]"}),
    "reject": (REJECT, {"queue_id": "NOQUEUE", "status": "reject", "client": "dsl-198.example.net[198.51.100.9]",
                        "sender": "wei@example.ru", "recipient": "wei41@lists.example.edu",
                        "text": "554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using "
                                "zen.spamhaus.org"}),
    "reject with a queue ID": (_kind_variant(REJECT, "NOQUEUE", "4A1C2E0123"), {"queue_id": "4A1C2E0123"}),
    "milter-reject at end of message": (_kind_variant(REJECT, "reject: RCPT", "milter-reject: END-OF-MESSAGE"),
                                        {"status": "milter-reject"}),
    "reject at stage .": (_kind_variant(REJECT, "RCPT from", ". from"), {"status": "reject"}),
    "reject, client port": (_kind_variant(REJECT, "9]: 554", "9]:25: 554"), {"client": "dsl-198.example.net[198.51.100.9]:25"}),
    "reject, only to=": (_kind_variant(REJECT, "from=<wei@example.ru> ", ""), {"sender": None,
                                                                              "recipient": "wei41@lists.example.edu"}),
    "reject, null sender": (_kind_variant(REJECT, "wei@example.ru", ""), {"sender": ""}),
    "reject, only proto=": (REJECT[:REJECT.index("from=<")] + "proto=SMTP", {"sender": None, "recipient": None}),
    "reject, sender cut short": (REJECT[:REJECT.index("from=<") + 9], {"sender": None, "recipient": None,
                                                                        "text": REJECT[REJECT.index(": 554") + 2:
                                                                                       REJECT.index("; from=")]}),
    "reject, no key=value tail": (REJECT[:REJECT.index("; from=")], {"sender": None}),
    "reject, empty text": (_kind_variant(REJECT, ": 554 5.7.1 Service unavailable; Client host [198.51.100.9] "
                                                 "blocked using zen.spamhaus.org;", ": ;"), {"text": ""}),
    "reject, two spaces before to=": (_kind_variant(REJECT, "> to=", ">  to="), {"recipient": None}),
    "reject, a > in the sender": (_kind_variant(REJECT, "wei@example.ru", "w>ei@example.ru"), {"sender": "w"}),
    "sender non-delivery notification": (NOTIFICATION, {"text": "sender non-delivery notification",
                                                        "queued_as": "8DEB59EDC30"}),
    "postmaster delay notification": (_kind_variant(NOTIFICATION, "sender non-delivery", "postmaster delay"),
                                      {"text": "postmaster delay notification"}),
    "delivery status notification": (_kind_variant(NOTIFICATION, "non-delivery", "delivery status"),
                                     {"text": "sender delivery status notification"}),
}

KIND_REJECTED = [  # left to the registry, which may or may not parse them
    _kind_variant(REMOVED, "removed", "removed "),
    _kind_variant(REMOVED, "4A1C2E0123", "4a1c2e0123"),
    _kind_variant(REMOVED, "postfix/qmgr", "postfix/oqmgr"),
    "<22>" + REMOVED,
    _kind_variant(REMOVED, "lists-be", "<mail.info> lists-be"),
    _kind_variant(QUEUED, "<list-bounces@lists.example.edu>", '<"list,bounces"@lists.example.edu>'),
    _kind_variant(QUEUED, "<list-bounces@lists.example.edu>", "list-bounces@lists.example.edu"),
    _kind_variant(QUEUED, "list-bounces@", "list,bounces@"),
    _kind_variant(QUEUED, "size=3421", "size=34x"),
    _kind_variant(QUEUED, "(queue active)", "(queue act-ive)"),
    _kind_variant(QUEUED, "(queue active)", "(queue active) "),
    _kind_variant(QUEUED, "4A1C2E0123: ", ""),
    _kind_variant(MESSAGE_ID, "4A1C2E0123: ", ""),
    _kind_variant(MESSAGE_ID, "message-id=", "resent-message-id="),
    _kind_variant(CLIENT, "[192.0.2.7]", "192.0.2.7"),
    _kind_variant(CLIENT, "2.7]", "2.7]:x"),
    _kind_variant(CLIENT, "2.7]", "2.7] "),
    _kind_variant(CLIENT, "mail.example.com", "mail example.com"),
    _kind_variant(REJECT, "RCPT from", "rcpt from"),
    _kind_variant(REJECT, "reject:", "reject_warning:"),
    _kind_variant(REJECT, "9]: 554", "9]:25x: 554"),
    _kind_variant(REJECT, "9]: 554", "9] 554"),
    _kind_variant(REJECT, "NOQUEUE", "NOQUEUEX"),
    _kind_variant(REJECT, "wei@", "wéi@"),
    _kind_variant(NOTIFICATION, "8DEB59EDC30", "8DEB59EDC30 "),
    _kind_variant(NOTIFICATION, "8DEB59EDC30", "8deb"),
    _kind_variant(NOTIFICATION, "sender non-delivery", "sender bounce"),
    _kind_variant(NOTIFICATION, "postfix/bounce", "postfix/qmgr"),
]


@needs_c
@pytest.mark.parametrize("name", KIND_ACCEPTED)
def test_kind_lines_give_the_registry_pattern_and_fields(name):
    line, expected = KIND_ACCEPTED[name]
    block = (line + "\n").encode()
    table, rest, lines, ignored, kinds = fastscan._scan_c(block, 1)
    assert (table.num_rows, len(rest), kinds.num_rows, lines) == (0, 0, 1, 1)
    row = kinds.to_pylist()[0]
    assert {k: row[k] for k in expected} == expected
    assert _check_kinds(block, kinds) == 1


@needs_c
@pytest.mark.parametrize("line", KIND_REJECTED)
def test_lines_near_a_kind_are_left_to_the_registry(line):
    block = (line + "\n").encode()
    scan = fastscan._scan_c(block, 1)
    assert scan.kinds.num_rows == 0 and len(scan.rest) == 1


@needs_c
def test_kinds_off_leaves_those_lines_to_the_registry():
    block = "\n".join(line for line, _ in KIND_ACCEPTED.values()).encode()
    assert fastscan._scan_c(block, 1).kinds.num_rows == len(KIND_ACCEPTED)
    off = fastscan._scan_c(block, 1, kinds=False)
    assert off.kinds.num_rows == 0 and len(off.rest) == len(KIND_ACCEPTED)


@needs_c
def test_every_kind_row_of_randomly_damaged_lines_is_what_the_registry_makes_of_the_line():
    lines = _damaged([line for line, _ in KIND_ACCEPTED.values()], 6000, 4_78)
    block = "\n".join(lines).encode()
    table, rest, n, ignored, kinds = fastscan._scan_c(block, 1)
    assert _check_against_regex(block, table, rest, kinds=kinds) == 0
    assert 1000 < kinds.num_rows < len(lines) and len(rest) > 500  # both sides were exercised


@needs_c
def test_count_newlines_counts_any_buffer_and_range_like_bytes_count(tmp_path):
    import mmap

    rng = random.Random(3)
    data = bytes(rng.choice(b"ab\n\r\xff") for _ in range(5000))
    path = tmp_path / "f"
    path.write_bytes(data)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        for _ in range(300):  # every alignment, lengths around the 16- and 64-byte strides
            a = rng.randrange(0, 5000)
            b = a + rng.choice([0, 1, 15, 16, 17, 63, 64, 65, 1000, 6000])
            want = data[a:b].count(b"\n")
            assert fastscan._fastscan.count_newlines(m, a, b) == want
            assert fastscan._fastscan.count_newlines(bytearray(data), a, b) == want
    assert fastscan._fastscan.count_newlines(b"\n" * 100_000) == 100_000  # past 255 per byte counter


@needs_c
def test_gather_copies_each_rows_span_and_refuses_spans_outside_the_block():
    from tracer import _fastscan

    block = b"0123456789abcdef"
    rows = np.array([[7, 2, 3], [7, 0, -1], [7, 10, 6], [7, 5, 0]], dtype=np.int64)
    offsets, data = _fastscan.gather(block, rows, 3, 1, 2)
    assert np.frombuffer(offsets, np.int64).tolist() == [0, 3, 3, 9, 9] and data == b"234abcdef"
    for bad in ([[0, 11, 6]], [[0, -1, 2]]):
        with pytest.raises(ValueError, match="outside"):
            _fastscan.gather(block, np.array(bad, dtype=np.int64), 3, 1, 2)
    with pytest.raises(ValueError, match="matrix"):
        _fastscan.gather(block, rows, 3, 1, 3)
