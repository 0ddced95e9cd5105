"""The canonical Postfix delivery line, parsed a block at a time into Arrow columns.

Why: on a busy list server ~93% of the maillog is one line shape, the BSD-syslog
Postfix delivery line::

    Aug  2 09:14:02 lists-be postfix/smtp[2211]: 4A1C2E0123: to=<a@b.c>, relay=mx.b.c[192.0.2.1]:25,
    delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F8E7D6C5B)

and matching it with the ``_FAST`` regex of :mod:`tracer.parse` costs ~2.4 µs a
line, most of the parse time (profile of a busy list server's day). The C
extension ``tracer._fastscan`` parses that shape in ~0.25 µs, with its line key,
straight into Arrow buffers (no Python object per row), and
hands every other line back as *rest* for the Python path. It releases the GIL,
so threads can scan blocks in parallel.

The next commonest lines (qmgr ``from=``/``removed``, cleanup ``message-id=``,
smtpd ``client=`` and ``NOQUEUE: reject``, bounce notifications: :data:`KINDS`)
stay in *rest* with a kind and the spans of their fields, which
:func:`finish_scan` gathers into a second table; the registry would spend
~20 µs on each.

:func:`scan_block` uses the extension when it was built (:data:`AVAILABLE`) and an
equivalent pure-Python scan (``_FAST`` + ``_delivery_text``) otherwise. The shape
accepted is a strict subset of ``_FAST``: no ``<PRI>``, addresses in ``<>`` and
not a quoted localpart, printable ASCII only, a pid of at most 18 digits; the
fields of an accepted line are exactly those of ``_FAST`` + ``_delivery_text``.
"""

from __future__ import annotations

import functools
import re
import struct
import warnings
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from .formats.postfix import IGNORED_PREFIXES, _delivery_text

try:
    from . import _fastscan
except ImportError:  # not compiled (no compiler at install time): the Python scan below
    _fastscan = None

#: True when the C extension is loaded
AVAILABLE = _fastscan is not None

#: string columns, in the order the C scanner returns them
STRINGS = ("ts_text", "syslog_host", "program", "daemon", "queue_id", "recipient", "orig_to", "relay",
           "delay", "delays", "dsn", "status", "text", "queued_as")
NULLABLE = frozenset({"queue_id", "orig_to", "delays", "dsn", "text", "queued_as"})
SCHEMA = pa.schema(
    [pa.field("line", pa.int64(), False)]
    + [pa.field(c, pa.large_string(), c in NULLABLE) for c in STRINGS[:4]]
    + [pa.field("pid", pa.int64(), False)]
    + [pa.field(c, pa.large_string(), c in NULLABLE) for c in STRINGS[4:]]
    + [pa.field(c, pa.int64(), False) for c in ("key", "pair", "run", "flags")])
#: the layout of ``_fastscan.scan``'s return value this module reads
LAYOUT = 8
#: ``flags`` bits: status=sent; and an smtp/lmtp delivery naming Mailman nowhere (recipient, relay,
#: text), i.e. one of a list's many outbound recipients, never a hand-off into Mailman
FLAG_SENT, FLAG_PLAIN = 1, 2


#: ``(daemon, message prefix)`` of the lines the registry ignores that the scan counts itself
IGNORE = tuple((d.encode(), p.encode()) for d, ps in IGNORED_PREFIXES.items() for p in ps)

#: The next commonest Postfix lines, which the C scan also parses (its ``other_line``): kind number
#: -> the registry pattern it stands for. Each kind accepts a strict subset of what its pattern
#: matches and yields the same groups (``tests/test_fastscan.py`` holds it to the registry).
KINDS = {1: "postfix.qmgr.queued", 2: "postfix.qmgr.removed", 3: "postfix.cleanup.message_id",
         4: "postfix.smtpd.client", 5: "postfix.smtpd.reject", 6: "postfix.bounce.notification"}
#: the string columns of a kind row, in the C scan's order (its G_* groups)
GROUPS = ("ts_text", "syslog_host", "program", "queue_id", "status", "sender", "recipient", "client", "text",
          "message_id", "queued_as", "size", "nrcpt")
#: a rest row of the C scan: line, start, end, kind, pid, key, then (offset, length) per group
_R_KIND, _R_PID, _R_KEY, _R_GROUPS = 3, 4, 5, 6
REST_COLS = _R_GROUPS + 2 * len(GROUPS)
KIND_SCHEMA = pa.schema([pa.field(c, pa.int64(), False) for c in ("line", "pid", "key", "kind")]
                        + [pa.field(c, pa.large_string()) for c in GROUPS])

if AVAILABLE and (_fastscan.COLUMNS != STRINGS or getattr(_fastscan, "LAYOUT", None) != LAYOUT
                  or _fastscan.REST_COLS != REST_COLS or _fastscan.NKINDS != len(KINDS) + 1):
    # a stale build: parse in Python rather than misplace fields
    warnings.warn("tracer._fastscan does not match tracer/fastscan.py; rebuild it (pip install -e .)")
    _fastscan, AVAILABLE = None, False


class Scan(NamedTuple):
    """What :func:`scan_block` makes of a block."""

    table: pa.Table  # a row per canonical delivery line (SCHEMA)
    rest: np.ndarray  # int64 (k, 3): line number, start and end offset of every line left to Python
    lines: int  # lines in the block
    ignored: int  # lines counted as ignored (IGNORE): in neither table nor rest
    kinds: pa.Table = KIND_SCHEMA.empty_table()  # a row per line of a KINDS shape (KIND_SCHEMA)


def scan_block(block: bytes, first_line: int = 1, kinds: bool = True) -> Scan:
    """The canonical delivery lines of a block of whole lines numbered from ``first_line``, parsed.

    Lines are split at ``b"\\n"`` (no line after a final newline) and lose one
    trailing ``b"\\r"``; ``rest`` offsets exclude the ``\\r\\n``. Lines in the
    canonical envelope whose daemon and message prefix are in :data:`IGNORE` are
    only counted: the registry ignores them too (``tests/test_fastscan.py``).
    With ``kinds`` (C only), lines of a :data:`KINDS` shape are parsed into ``kinds``
    instead of being left in ``rest``. Blocks must be shorter than 2 GiB.
    """
    return finish_scan(start_scan(block, first_line, kinds), block)


def line_key(raw: bytes) -> int:
    """The ``key`` column: a 64-bit hash of the line's bytes, masked to 63 bits.

    Eight bytes a step (little-endian words), ``h = xorshift((h ^ word) * K2)``,
    even words in one lane and odd words in another (the C scan keeps two
    multiplies in flight); then the lanes combined, the zero-padded tail word with
    the length in its top byte, and murmur3's finalizer. The C scan computes the
    same. Not collision-resistant: a fingerprint for repeated lines, not a defence.
    """
    h = [_K1, _K3]
    full = len(raw) & ~7
    for j, (w,) in enumerate(_WORDS.iter_unpack(raw[:full])):
        x = ((h[j & 1] ^ w) * _K2) & _M64
        h[j & 1] = x ^ (x >> 31)
    a, b = h
    tail = int.from_bytes(raw[full:], "little")
    h = ((a ^ ((b << 29 | b >> 35) & _M64) ^ tail ^ ((len(raw) << 56) & _M64)) * _K2) & _M64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    h ^= h >> 33
    return h & 0x7FFFFFFFFFFFFFFF


_K1, _K2, _K3, _M64 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xFFFFFFFFFFFFFFFF
_WORDS = struct.Struct("<Q")


def pair_key(queue_id: str | None, recipient: str | None) -> int:
    """The ``pair`` column: :func:`line_key` of ``QUEUE_ID \\0 RECIPIENT`` (missing ones empty).

    A recipient's delivery lines in one transaction share it, which is how a run
    of plain ``sent`` lines is told from recipients that were deferred first.
    """
    return line_key(f"{queue_id or ''}\0{recipient or ''}".encode("utf-8", "surrogatepass"))


def run_key(syslog_host: str, program: str, queue_id: str | None) -> int:
    """The ``run`` column: :func:`line_key` of ``HOST \\0 PROGRAM \\0 QUEUE_ID \\0``: one transaction's lines."""
    return line_key(f"{syslog_host}\0{program}\0{queue_id or ''}\0".encode("utf-8", "surrogatepass"))


def row_flags(daemon: str, status: str, *named: str | None) -> int:
    """The ``flags`` column (:data:`FLAG_SENT`, :data:`FLAG_PLAIN`); ``named`` are recipient, relay and text."""
    if status != "sent":
        return 0
    if daemon not in ("smtp", "lmtp") or any("mailman" in (v or "").lower() for v in named):
        return FLAG_SENT
    return FLAG_SENT | FLAG_PLAIN


# --- C ---------------------------------------------------------------------------------------------

def _int64(buf: bytes, n: int) -> pa.Array:
    return pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(buf)])


def _string(offsets: bytes, data: bytes, validity: bytes | None, nulls: int, n: int) -> pa.Array:
    bitmap = None if validity is None else pa.py_buffer(validity)
    return pa.Array.from_buffers(pa.large_string(), n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)],
                                 null_count=nulls)


def start_scan(block: bytes, first_line: int = 1, kinds: bool = True):
    """:func:`scan_block` without building the Arrow table: the part a worker thread should run.

    The C scan holds the GIL only to start and to return; wrapping its buffers takes
    a few dozen Python calls, and a thread that needs the GIL that often waits on the
    thread parsing the other lines. :func:`finish_scan` wraps them (in that thread).
    """
    return _fastscan.scan(block, first_line, IGNORE, kinds) if AVAILABLE else scan_block_py(block, first_line)


def scanned_lines(raw) -> int:
    """How many lines the block :func:`start_scan` returned ``raw`` for had."""
    return raw.lines if isinstance(raw, Scan) else raw[9]


def finish_scan(raw, block, shift: int = 0) -> Scan:
    """The :class:`Scan` of what :func:`start_scan` returned for ``block`` (whose bytes the kind rows
    take), with ``shift`` added to every line number: blocks scanned side by side are numbered
    from 0 and put in place once the lines before them are counted."""
    if isinstance(raw, Scan):
        return raw if not shift else _shifted(raw, shift)
    n, line, pid, key, pair, run, flags, cols, rest, lines, ignored = raw
    arrays = dict(zip(STRINGS, (_string(*c, n) for c in cols)))
    arrays.update(line=pa.array(np.frombuffer(line, np.int64) + shift), pid=_int64(pid, n), key=_int64(key, n),
                  pair=_int64(pair, n), run=_int64(run, n), flags=_int64(flags, n))
    rest = np.frombuffer(rest, np.int64).reshape(-1, REST_COLS)
    known = rest[:, _R_KIND] != 0
    kinds = _kind_table(block, rest[known], shift) if known.any() else KIND_SCHEMA.empty_table()
    left = rest[~known, :3]
    left[:, 0] += shift  # a copy: the boolean index made it
    return Scan(pa.Table.from_arrays([arrays[f.name] for f in SCHEMA], schema=SCHEMA), left, lines, ignored, kinds)


def _shifted(scan: Scan, shift: int) -> Scan:
    """``scan`` (the Python scan's) with ``shift`` added to its line numbers."""
    table = scan.table.set_column(0, "line", pa.compute.add(scan.table.column("line"), shift))
    rest = scan.rest.copy()
    rest[:, 0] += shift
    kinds = scan.kinds.set_column(0, "line", pa.compute.add(scan.kinds.column("line"), shift))
    return scan._replace(table=table, rest=rest, kinds=kinds)


def _kind_table(block, rows: np.ndarray, shift: int = 0) -> pa.Table:
    """The KIND_SCHEMA table of the rest rows the C scan gave a kind: each group's bytes gathered
    from the block by its (offset, length) spans, in C, all rows at once."""
    rows = np.ascontiguousarray(rows)
    cols = [pa.array(rows[:, 0] + shift)] + [pa.array(rows[:, i]) for i in (_R_PID, _R_KEY, _R_KIND)]
    for g in range(len(GROUPS)):
        at = _R_GROUPS + 2 * g
        valid = rows[:, at + 1] >= 0
        nulls = int(len(rows) - valid.sum())
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
        offsets, data = _fastscan.gather(block, rows, REST_COLS, at, at + 1)
        cols.append(pa.Array.from_buffers(pa.large_string(), len(rows),
                                          [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=nulls))
    return pa.Table.from_arrays(cols, schema=KIND_SCHEMA)


def _scan_c(block: bytes, first_line: int, kinds: bool = True) -> Scan:
    return finish_scan(_fastscan.scan(block, first_line, IGNORE, kinds), block)


# --- pure Python: the same results from _FAST, slowly ------------------------------------------------

_BAD_BYTE = re.compile(rb"[^\x20-\x7e]")


@functools.cache
def _fast() -> re.Pattern:
    from .parse import _FAST  # imported late: tracer.parse uses this module

    return _FAST


def _lines(block: bytes):
    """``(start, end)`` of each line, as the C scanner cuts them."""
    pos, size = 0, len(block)
    while pos < size:
        nl = block.find(b"\n", pos)
        end = size if nl < 0 else nl
        nxt = size if nl < 0 else nl + 1
        if end > pos and block[end - 1] == 0x0D:
            end -= 1
        yield pos, end
        pos = nxt


def _bracketed(m: re.Match, group: str) -> bool:
    """The address group is absent, or written as ``<ADDR>`` without a quoted localpart."""
    if m.group(group) is None:
        return True
    start, end = m.span(group)
    text = m.string
    return text[start - 1] == "<" and text[end:end + 1] == ">" and text[start:start + 1] != '"'


def canonical_fields(raw: bytes) -> dict | None:
    """A row of :data:`SCHEMA` without ``line`` for one line in the canonical shape, else None."""
    if _BAD_BYTE.search(raw):
        return None
    text = raw.decode("ascii")
    m = _fast().match(text)
    if (m is None or text.startswith("<") or len(m.group(5)) > 18
            or not _bracketed(m, "recipient") or not _bracketed(m, "orig_to")):
        return None
    fields = _delivery_text(m.groupdict())
    row = dict(zip(("ts_text", "syslog_host", "program", "daemon"), m.group(1, 2, 3, 4)), pid=int(m.group(5)))
    row.update({c: fields.get(c) for c in STRINGS[4:]}, key=line_key(raw))
    row.update(pair=pair_key(row["queue_id"], row["recipient"]),
               run=run_key(row["syslog_host"], row["program"], row["queue_id"]),
               flags=row_flags(row["daemon"], row["status"], row["recipient"], row["relay"], row["text"]))
    return row


# the canonical envelope as the C scan reads it for IGNORE (see ignored_line in _fastscan.c)
_ENVELOPE = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]?\d \d\d:\d\d:\d\d(?:\.\d{1,9})? "
                       r"(?![<\[])[^ ]+(?<!:) postfix(?:-[^/ \[:()\]]+)?(?:/[^/ \[:()\]]+)*/([^/ \[:()\]]+)"
                       r"\[\d{1,18}\]: ")


def ignored_line(raw: bytes) -> bool:
    """The line is one :data:`IGNORE` names (the C scan's test, in Python)."""
    if len(raw) < 40 or _BAD_BYTE.search(raw):
        return False
    m = _ENVELOPE.match(raw.decode("ascii"))
    if m is None:
        return False
    msg = raw[m.end():]
    daemon = m.group(1).encode()
    return any(d == daemon and msg.startswith(p) for d, p in IGNORE)


def scan_block_py(block: bytes, first_line: int = 1) -> Scan:
    """:func:`scan_block` in pure Python (used when the extension is not built)."""
    block = bytes(block)
    rows: list[dict] = []
    rest: list[tuple[int, int, int]] = []
    lines = ignored = 0
    for no, (start, end) in enumerate(_lines(block), first_line):
        lines += 1
        row = canonical_fields(block[start:end])
        if row is not None:
            row["line"] = no
            rows.append(row)
        elif ignored_line(block[start:end]):
            ignored += 1
        else:
            rest.append((no, start, end))
    table = pa.Table.from_pylist(rows, schema=SCHEMA) if rows else SCHEMA.empty_table()
    return Scan(table, np.array(rest, dtype=np.int64).reshape(-1, 3), lines, ignored)


__all__ = ["AVAILABLE", "GROUPS", "IGNORE", "KINDS", "KIND_SCHEMA", "SCHEMA", "Scan", "ignored_line", "canonical_fields", "line_key", "pair_key", "row_flags", "run_key", "finish_scan", "scan_block", "scan_block_py",
           "scanned_lines", "start_scan"]
