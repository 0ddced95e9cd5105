"""Lines -> events: each file through its envelope and the pattern registry.

Pure apart from reading the file it is given. Every physical line ends up in
exactly one of three counts: *parsed* (it produced an event), *ignored*
(recognised but of no use for tracing: other daemons, session noise,
duplicates from overlapping files) or *unparsed* (nobody recognised it; kept
with its reason so ``--show-unparsed`` can list it).
"""

from __future__ import annotations

import functools
import itertools
from collections import deque
from concurrent.futures import ThreadPoolExecutor
import os
import re
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .formats import default_registry, mailman
from .formats.envelope import _BSD_TS, parse_envelope
from .formats.postfix import DELIVERY
from .formats.programs import family_of
from .formats.registry import Registry
from .dedup import Seen
from .fastscan import pair_key
from .sources import MAILMAN_LOGS, Source, read_blocks, read_lines

#: unparsed lines kept verbatim per file; the rest are only counted
UNPARSED_KEEP = 200
#: Mailman logs with no line about a message (member bounce scores, subscriptions): ``mmtrace
#: message`` counts their lines as ignored without parsing them
UNTRACED_LOGS = frozenset({"bounce", "subscribe"})
#: threads scanning a maillog's next blocks while the reading thread handles the scanned ones
SCAN_THREADS = 1
_SNIFF = 50
_SAMPLE_DELIVERY = "4A1C2E0123: to=<a@b.c>, relay=local, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (x)"


@dataclass
class FileResult:
    """What one file yielded: its events (timestamps still as text) and its line accounting."""

    source: Source
    log: str | None
    frame: pd.DataFrame
    total: int = 0
    parsed: int = 0
    ignored: int = 0
    unparsed: int = 0
    unparsed_lines: list[tuple[int, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    mtime_year: int | None = None


def parse_file(source: Source, registry: Registry | None = None, seen: set | None = None,
               focus: tuple[str, ...] | None = None, keys: bool = False,
               on_read: Callable[[int], None] | None = None, summary: bool = False) -> FileResult:
    """Parse one file. ``seen`` (shared per host) drops lines already read from another file.

    With ``focus``, maillog lines it does not find are counted as ignored without
    being parsed (``mmtrace message``: only one message's lines matter).
    ``summary`` summarises runs of plain outbound sent lines (:mod:`tracer.sentruns`).
    """
    registry = registry or default_registry()
    problems: list[str] = []
    lines = read_lines(source.path, problems)
    head = list(itertools.islice(lines, _SNIFF))
    log = source.log or sniff(head)
    everything = itertools.chain(head, lines)
    res = FileResult(source, log, pd.DataFrame(), problems=problems)
    if source.path != "-":
        try:
            res.mtime_year = pd.Timestamp(os.path.getmtime(source.path), unit="s").year
        except OSError:
            pass
    if log == "maillog":
        if focus is not None and source.path != "-":
            from .focus import focus_hits  # the search that found the tokens already holds these lines

            hits, total = focus_hits(source.path, focus, problems)
            records = _parse_syslog(hits, registry, res, seen, numbered=True)
            res.ignored += total - len(hits)  # not about the message: never parsed
        elif focus is not None:  # stdin cannot be scanned twice
            numbered = list(enumerate(everything, 1))
            hits = [(n, t) for n, t in numbered if any(tok in t for tok in focus)]
            records = _parse_syslog(hits, registry, res, seen, numbered=True)
            res.ignored += len(numbered) - len(hits)
        elif source.path != "-" and not problems:
            lines.close()  # the bytes are read again, in blocks
            records = _parse_blocks(read_blocks(source.path, problems, on_read=on_read, ring=SCAN_THREADS + 2),
                                    registry, res, seen, keys, summary)
        else:
            records = _parse_syslog(everything, registry, res, seen, keys=keys)
    elif log in MAILMAN_LOGS and focus is not None and log in UNTRACED_LOGS:
        res.ignored += sum(1 for _ in everything)  # about members, not messages: never part of one post's story
        records = _Chunks()
    elif log in MAILMAN_LOGS:
        records = _parse_mailman(everything, log, registry, res, seen)
    else:
        n = sum(1 for _ in everything)
        res.total = res.unparsed = n
        if n:
            problems.append(f"{source.path}: not a log format mmtrace knows ({n} lines skipped)")
        records = _Chunks()
    res.frame = records if isinstance(records, pd.DataFrame) else records.frame()
    res.total = res.parsed + res.ignored + res.unparsed
    return res


class _Chunks:
    """Parsed records, turned into compact DataFrame chunks every CHUNK rows.

    Dicts cost about a kilobyte a row; a chunk of Arrow-backed columns a tenth of
    that, so memory stays bounded by the events kept, not by the dicts built.
    """

    CHUNK = 50_000

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.frames: list[pd.DataFrame] = []

    def append(self, fields: dict) -> None:
        self.rows.append(fields)
        if len(self.rows) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            df = pd.DataFrame.from_records(self.rows)
            obj = [c for c in df.columns if df[c].dtype == object and c not in ("line", "pid")]
            self.frames.append(df.astype({c: "string" for c in obj}))
            self.rows = []

    def frame(self) -> pd.DataFrame:
        self.flush()
        if not self.frames:
            return pd.DataFrame()
        return self.frames[0] if len(self.frames) == 1 else pd.concat(self.frames, ignore_index=True)


def sniff(head: list[str]) -> str | None:
    """Which log a file is, from its first lines: Mailman entries, else syslog envelopes."""
    stamped = [ln for ln in head if mailman.ENTRY_START.match(ln)]
    if stamped and len(stamped) * 2 >= sum(1 for ln in head if ln.strip()):
        entries = [e.text for e in mailman.split_entries(head)]
        kind = mailman.classify(entries)
        if kind:
            return kind
    if any(parse_envelope(ln) is not None for ln in head if ln.strip()):
        return "maillog"
    return None


def _unparsed(res: FileResult, line_no: int, reason: str, text: str, n: int = 1) -> None:
    res.unparsed += n
    if len(res.unparsed_lines) < UNPARSED_KEEP:
        res.unparsed_lines.append((line_no, reason, text[:500]))


# Fast lane for the line that is ~90% of a busy list server's maillog: a classic
# syslog Postfix delivery line. It is the envelope's BSD shape and the registry's
# own DELIVERY regex in one match, so it yields exactly what the slow path yields
# (tests/test_parse.py checks that line by line).
_FAST = re.compile(r"(?:<\d{1,3}>)?(" + _BSD_TS + r") (\S+) (postfix(?:-[^/\s\[]+)?(?:/[^/\s\[]+)*/"
                   r"(smtp|lmtp|local|virtual|pipe|error|discard))\[(\d+)\]: (?=\S+: to=|to=)" + DELIVERY)


def _no_match(_text: str) -> None:
    return None


def _repeated(seen: set | None, key) -> bool:
    """True if this host already had this line (overlapping rotations, loghost + local copy)."""
    if seen is None:
        return False
    h = hash(key)
    if h in seen:
        return True
    seen.add(h)
    return False


def stable_key(text: str) -> int:
    """A 63-bit line fingerprint that is the same in every process (``hash()`` is salted per process)."""
    b = text.encode("utf-8", "surrogatepass")
    return ((zlib.crc32(b) << 31) ^ zlib.adler32(b) ^ len(b)) & 0x7FFFFFFFFFFFFFFF


def _parse_syslog(lines: Iterable, registry: Registry, res: FileResult, seen: set | None,
                  numbered: bool = False, keys: bool = False, records: "_Chunks | None" = None,
                  fast: bool = True, unsent: list[int] | None = None) -> "_Chunks":
    """Maillog lines -> records. ``keys`` adds ``_k`` (:func:`stable_key`) so a parent process
    can drop lines repeated across files that different workers read. ``fast=False`` skips the
    delivery-line regex (lines the block scanner passed on are seldom deliveries; the registry
    still parses those that are, to the same fields). ``unsent`` collects the
    :func:`tracer.fastscan.pair_key` of delivery lines whose status is not ``sent``
    (:mod:`tracer.sentruns` keeps those recipients' later sent lines whole)."""
    records = _Chunks() if records is None else records
    path = res.source.path
    families = registry.families
    fast_match = _FAST.match if fast else _no_match
    delivery = {d: registry.match(f"postfix/{d}", _SAMPLE_DELIVERY)[0] for d in
                ("smtp", "lmtp", "local", "virtual", "pipe", "error", "discard")}
    for no, text in (lines if numbered else enumerate(lines, 1)):
        m = fast_match(text)
        if m is not None:
            if _repeated(seen, text):
                res.ignored += 1
                continue
            ts, host, program, daemon, pid = m.group(1, 2, 3, 4, 5)
            pat = delivery[daemon]
            fields = m.groupdict()  # None groups are missing values; the table casts them to NA
            fields = pat.derive(fields) if pat.derive is not None else fields
            fields.update(ts_text=ts, ts_kind="bsd", path=path, line=no, pattern=pat.name, event="delivery",
                          program=program, syslog_host=host, instance=family_of(program)[1], pid=int(pid))
            if keys:
                fields["_k"] = stable_key(text)
            res.parsed += 1
            records.append(fields)
            continue
        if not text.strip():
            res.ignored += 1
            continue
        env = parse_envelope(text)
        if env is None:
            _unparsed(res, no, "no syslog envelope", text)
            continue
        if env.program is None:
            res.ignored += 1
            continue
        family, instance = family_of(env.program)
        if family is None or family not in families:
            res.ignored += 1  # another daemon's line in the same maillog
            continue
        if _repeated(seen, text):
            res.ignored += 1
            continue
        hit = registry.match(family, env.message)
        if hit is None:
            _unparsed(res, no, f"no {family} pattern matches", text)
            continue
        pat, fields = hit
        if pat.event is None:
            res.ignored += 1
            continue
        res.parsed += 1
        fields.update(ts_text=env.ts, ts_kind=env.kind, path=path, line=no, pattern=pat.name,
                      event=pat.event, program=env.program, syslog_host=env.syslog_host,
                      instance=instance)
        if env.pid is not None:
            fields.setdefault("pid", env.pid)
        if keys:
            fields["_k"] = stable_key(text)
        if unsent is not None and pat.event == "delivery" and fields.get("status") != "sent":
            unsent.append(pair_key(fields.get("queue_id"), fields.get("recipient")))
        records.append(fields)
    return records


def _parse_blocks(blocks: Iterable[tuple[bytes, int]], registry: Registry, res: FileResult,
                  seen: set | None, keys: bool = False, summary: bool = False) -> pd.DataFrame:
    """A maillog's blocks -> its events: the scanned delivery lines, then the others.

    The canonical Postfix delivery lines (~93% of a busy maillog) are parsed by
    :mod:`tracer.fastscan` straight into Arrow columns; every other line takes
    the general path of :func:`_parse_syslog`. Each block's scanned rows are
    deduplicated (:mod:`tracer.dedup`), with ``summary`` summarised
    (:mod:`tracer.sentruns`) and cast to the event columns before the next block,
    so memory holds what is kept, not the file. The two parts are not
    interleaved back into line order: that copy of every column costs more than
    the scan itself (each fresh page faults), and whoever needs file order sorts
    by ``line`` (see :func:`tracer.correlate.assign_transactions`).
    """
    from .dedup import block_span
    from .fastscan import finish_scan, scanned_lines, start_scan
    from .sentruns import SentRuns

    tables, records = [], _Chunks()
    next_line = [1]

    runs = SentRuns() if summary else None
    unsent: list[int] | None = [] if summary else None
    names: dict[str, str] = {}
    kinds = kinds_agree(registry)
    others: list[pa.Table] = []

    def general(block: bytes, first: int | None, scanned) -> None:
        """A scanned block, in file order: a block without a first line number (:func:`read_blocks`
        does not count) starts where the one before ended."""
        raw = scanned.result()
        first = next_line[0] if first is None else first
        next_line[0] = first + scanned_lines(raw)
        table, rest, _, ignored, known = finish_scan(raw, block, first)
        res.ignored += ignored
        if isinstance(seen, Seen):
            seen.begin(block_span(block))
        if len(rest):
            _parse_syslog(((no, _decode(bytes(block[a:b]))) for no, a, b in rest.tolist()), registry, res, seen,
                          numbered=True, keys=keys, records=records, fast=False, unsent=unsent)
        if unsent:
            runs.note_unsent(np.array(unsent, dtype=np.int64))
            unsent.clear()
        if not table.num_rows and not known.num_rows:
            return
        fresh = _fresh(seen, np.concatenate([table.column("key").to_numpy(), known.column("key").to_numpy()]))
        if not fresh.all():
            res.ignored += int((~fresh).sum())
            n = table.num_rows
            table, known = table.filter(pa.array(fresh[:n])), known.filter(pa.array(fresh[n:]))
        res.parsed += table.num_rows + known.num_rows
        if known.num_rows:
            others.append(_kind_events(known, registry, res.source.path, keys, names))
        if not table.num_rows:
            return
        n_lines = None
        if runs is not None:
            table, n_lines = runs.summarise(table)
        tables.append(_fast_table(table, registry, res.source.path, keys, names, n_lines))

    # The scan releases the GIL: SCAN_THREADS threads scan the next blocks (numbered from 0, put in
    # place by general) while this one handles what they passed on; the blocks' ring holds
    # SCAN_THREADS + 2. On two cores one scan thread is as fast as two (this thread's share of the
    # work now equals the scan's) and holds one block less in memory.
    with ThreadPoolExecutor(max_workers=SCAN_THREADS) as pool:
        pending: deque = deque()
        for block, first in blocks:
            pending.append((block, first, pool.submit(start_scan, block, 0, kinds)))
            if len(pending) > SCAN_THREADS:
                general(*pending.popleft())
        while pending:
            general(*pending.popleft())
    if others:
        tables.append(pa.concat_tables(others))
    fast = pa.concat_tables(tables, promote_options="permissive") if tables else None
    slow = records.frame()
    if fast is None:
        return slow
    if not slow.empty:  # fast rows first, then the others: row order is not line order within a file
        slow_table = _aligned(pa.Table.from_pandas(slow, preserve_index=False), fast.schema)
        fast = pa.concat_tables([fast, slow_table], promote_options="permissive")
    return fast.to_pandas(types_mapper=_PANDAS_TYPES.get)


def _aligned(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with columns typed like ``schema``'s: all-missing ones (pandas gives them as double)
    and numbers still as regex text, which the cast to the event schema would coerce anyway."""
    for i, f in enumerate(table.schema):
        want = schema.field(f.name).type if f.name in schema.names else None
        if want is None or f.type == want:
            continue
        col = table.column(i)
        if col.null_count == table.num_rows:
            table = table.set_column(i, f.name, pa.nulls(table.num_rows, want))
        elif pa.types.is_floating(want) and not pa.types.is_floating(f.type):
            values = pd.to_numeric(col.to_pandas(), errors="coerce").astype("float64")
            table = table.set_column(i, f.name, pa.array(values, pa.float64(), from_pandas=True))
    return table


#: Arrow -> pandas dtypes for the event frames (pandas' Arrow-backed strings are large_string)
_PANDAS_TYPES = {pa.large_string(): pd.StringDtype("pyarrow"), pa.string(): pd.StringDtype("pyarrow")}


def _decode(raw: bytes) -> str:
    raw = raw.rstrip(b"\r")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _fresh(seen, keys: np.ndarray) -> np.ndarray:
    """Rows whose line this host has not had yet."""
    if seen is None:
        return np.ones(len(keys), dtype=bool)
    if isinstance(seen, Seen):
        return seen.fresh(keys)
    add = seen.add
    return np.fromiter((not (k in seen or add(k)) for k in keys.tolist()), dtype=bool, count=len(keys))


def _fast_table(t: pa.Table, registry: Registry, path: str, keys: bool, names: dict,
                n_lines: np.ndarray | None = None) -> pa.Table:
    """A block's scanned delivery rows with the event columns the general path gives them, in Arrow."""
    n = t.num_rows

    extra = {
        "pattern": _recode(t.column("daemon"), lambda d: names.setdefault(
            d, registry.match(f"postfix/{d}", _SAMPLE_DELIVERY)[0].name)),
        "instance": _recode(t.column("program"), lambda p: family_of(p)[1]),
        "event": pa.repeat(pa.scalar("delivery", pa.large_string()), n),
        "ts_kind": pa.repeat(pa.scalar("bsd", pa.large_string()), n),
        "path": pa.repeat(pa.scalar(path, pa.large_string()), n),
        "n_lines": pa.array(np.ones(n, dtype=np.int64) if n_lines is None else n_lines, pa.int64()),
    }
    cols, fields = [], []
    for f in t.schema:
        if f.name in ("daemon", "key", "pair", "run", "flags"):
            continue
        a = t.column(f.name)
        a = a.cast(pa.float64()) if f.name == "delay" else (a.cast(pa.large_string()) if a.type == pa.string() else a)
        cols.append(a)
        fields.append(f.name)
    for k, a in extra.items():
        cols.append(a)
        fields.append(k)
    if keys:
        cols.append(t.column("key"))
        fields.append("_k")
    return pa.table(cols, names=fields)


@functools.lru_cache(maxsize=8)
def kinds_agree(registry: Registry) -> bool:
    """The registry has the default registry's patterns for the daemons whose lines the C scan parses
    as :data:`tracer.fastscan.KINDS`: a registry of one's own must see every line itself."""
    from .fastscan import KINDS

    default = default_registry()
    families = {name.rsplit(".", 1)[0].replace(".", "/") for name in KINDS.values()}
    return registry is default or all(registry.families.get(f) == default.families.get(f) for f in families)


def _kind_events(t: pa.Table, registry: Registry, path: str, keys: bool, names: dict) -> pa.Table:
    """A block's rows of :data:`tracer.fastscan.KINDS` shapes with the event columns the registry gives them."""
    from .fastscan import GROUPS, KINDS

    n = t.num_rows
    kind = t.column("kind").to_numpy()
    uniq = np.unique(kind)
    pats = {k: names.setdefault(KINDS[k], _pattern(registry, KINDS[k])) for k in uniq.tolist()}

    def by_kind(attr: str) -> pa.Array:
        values = pa.array([getattr(pats[k], attr) for k in uniq.tolist()], pa.large_string())
        return pa.DictionaryArray.from_arrays(pa.array(np.searchsorted(uniq, kind).astype(np.int32)),
                                              values).cast(pa.large_string())

    cols = {c: t.column(c) for c in ("line", "pid") + GROUPS}
    cols.update(
        pattern=by_kind("name"), event=by_kind("event"),
        instance=_recode(t.column("program"), lambda p: family_of(p)[1]),
        ts_kind=pa.repeat(pa.scalar("bsd", pa.large_string()), n),
        path=pa.repeat(pa.scalar(path, pa.large_string()), n),
        n_lines=pa.array(np.ones(n, dtype=np.int64), pa.int64()))
    if keys:
        cols["_k"] = t.column("key")
    return pa.table(cols)


def _pattern(registry: Registry, name: str):
    family = "postfix/" + name.split(".")[1]
    return next(p for p in registry.families[family] if p.name == name)


def _recode(col, fn) -> pa.Array:
    """A function of a low-cardinality column, computed once per distinct value."""
    d = pc.dictionary_encode(col).combine_chunks()
    values = pa.array([fn(v) for v in d.dictionary.to_pylist()], pa.large_string())
    return pa.DictionaryArray.from_arrays(d.indices, values).cast(pa.large_string())


def _parse_mailman(lines: Iterable[str], log: str, registry: Registry, res: FileResult,
                   seen: set | None) -> list[dict]:
    records = _Chunks()
    path = res.source.path
    for entry in mailman.split_entries(lines):
        if entry.ts is None:
            _unparsed(res, entry.line, "continuation line before the first entry", entry.text, entry.n_lines)
            continue
        if _repeated(getattr(seen, "mailman", seen), (log, entry.ts, entry.pid, entry.text)):
            res.ignored += entry.n_lines
            continue
        hit = registry.match(log, entry.text)
        if hit is None:
            _unparsed(res, entry.line, f"no {log} pattern matches", entry.text, entry.n_lines)
            continue
        pat, fields = hit
        if pat.event is None:
            res.ignored += entry.n_lines
            continue
        res.parsed += entry.n_lines
        fields.update(ts_text=entry.ts, ts_kind="mailman", path=path, line=entry.line,
                      pattern=pat.name, event=pat.event, program=entry.label or "mailman")
        if entry.pid is not None:
            fields.setdefault("pid", entry.pid)
        records.append(fields)
    return records


def iter_parse(sources: list[Source], registry: Registry | None = None,
               focus: tuple[str, ...] | None = None,
               on_read: Callable[[int], None] | None = None, summary: bool = False) -> Iterator[FileResult]:
    """Parse sources in order, deduplicating lines per host across overlapping files."""
    seen: dict[str, Seen] = {}
    for src in sources:
        yield parse_file(src, registry, seen.setdefault(src.host, Seen()), focus, on_read=on_read, summary=summary)


def focus_pattern(sources: list[Source], ident: str) -> tuple[str, ...]:
    """Literal tokens (Message-ID, queue IDs) found in every maillog line that can belong to ``ident``.

    Searches the bytes first and parses nothing (:func:`tracer.focus.find`); the
    result also carries the lines it found, so :func:`parse_file` does not search again.
    """
    from .focus import find

    return find(sources, ident)
