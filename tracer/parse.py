"""Lines -> events: each file through its envelope and the pattern registry.

Pure apart from reading the file it is given. Every physical line ends up in
exactly one of three counts: *parsed* (it produced an event), *ignored*
(recognised but of no use for tracing: other daemons, session noise,
duplicates from overlapping files) or *unparsed* (nobody recognised it; kept
with its reason so ``--show-unparsed`` can list it).
"""

from __future__ import annotations

import itertools
import os
import re
import zlib
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pandas as pd

from .formats import default_registry, mailman
from .formats.envelope import _BSD_TS, parse_envelope
from .formats.postfix import DELIVERY
from .formats.programs import family_of
from .formats.registry import Registry
from .sources import MAILMAN_LOGS, Source, grep_lines, read_lines

#: unparsed lines kept verbatim per file; the rest are only counted
UNPARSED_KEEP = 200
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
               focus: tuple[str, ...] | None = None, keys: bool = False) -> FileResult:
    """Parse one file. ``seen`` (shared per host) drops lines already read from another file.

    With ``focus``, maillog lines it does not find are counted as ignored without
    being parsed (``mmtrace message``: only one message's lines matter).
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
            hits, total = grep_lines(source.path, [t.encode() for t in focus], problems)
            records = _parse_syslog(hits, registry, res, seen, numbered=True)
            res.ignored += total - len(hits)  # not about the message: never parsed
        elif focus is not None:  # stdin cannot be scanned twice
            numbered = list(enumerate(everything, 1))
            hits = [(n, t) for n, t in numbered if any(tok in t for tok in focus)]
            records = _parse_syslog(hits, registry, res, seen, numbered=True)
            res.ignored += len(numbered) - len(hits)
        else:
            records = _parse_syslog(everything, registry, res, seen, keys=keys)
    elif log in MAILMAN_LOGS:
        records = _parse_mailman(everything, log, registry, res, seen)
    else:
        n = sum(1 for _ in everything)
        res.total = res.unparsed = n
        if n:
            problems.append(f"{source.path}: not a log format mmtrace knows ({n} lines skipped)")
        records = _Chunks()
    res.frame = records.frame()
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
                  numbered: bool = False, keys: bool = False) -> "_Chunks":
    """Maillog lines -> records. ``keys`` adds ``_k`` (:func:`stable_key`) so a parent process
    can drop lines repeated across files that different workers read."""
    records = _Chunks()
    path = res.source.path
    families = registry.families
    fast_match = _FAST.match
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
        records.append(fields)
    return records


def _parse_mailman(lines: Iterable[str], log: str, registry: Registry, res: FileResult,
                   seen: set | None) -> list[dict]:
    records = _Chunks()
    path = res.source.path
    for entry in mailman.split_entries(lines):
        if entry.ts is None:
            _unparsed(res, entry.line, "continuation line before the first entry", entry.text, entry.n_lines)
            continue
        if _repeated(seen, (log, entry.ts, entry.pid, entry.text)):
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
               focus: tuple[str, ...] | None = None) -> Iterator[FileResult]:
    """Parse sources in order, deduplicating lines per host across overlapping files."""
    seen: dict[str, set] = {}
    for src in sources:
        yield parse_file(src, registry, seen.setdefault(src.host, set()), focus)


_QID_IN_LINE = re.compile(r"\]:? (?:(?:warning|error|fatal|panic): )?([0-9A-Za-z]{6,}): ")
_MSGID_OF_QID = re.compile(r": message-id=(<[^>\s]*>)|msgid=(<[^>\s]*>)")


def focus_pattern(sources: list[Source], ident: str) -> tuple[str, ...]:
    """Literal tokens (Message-ID, queue IDs) found in every maillog line that can belong to ``ident``.

    Searches the bytes first and parses nothing: lines with the Message-ID give the
    queue IDs of every transaction carrying it (inbound and each outbound chunk);
    a queue ID given instead leads to its Message-ID first.
    """
    bare = ident.strip().strip("<>")
    maillogs = [s for s in sources if s.log in (None, "maillog")]
    tokens = {bare}

    def scan(needle: str) -> list[str]:
        return [text for src in maillogs if src.path != "-" for _, text in grep_lines(src.path, [needle.encode()], [])[0]]

    if "@" not in bare:  # a queue ID: find its Message-ID, then proceed as for one
        for text in scan(bare):
            m = _MSGID_OF_QID.search(text)
            if m:
                bare = (m.group(1) or m.group(2)).strip("<>")
                tokens.add(bare)
                break
    if "@" in bare:
        for text in scan(bare):
            m = _QID_IN_LINE.search(text)
            if m:
                tokens.add(m.group(1))
    return tuple(sorted(tokens))
