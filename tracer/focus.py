"""``mmtrace message``: find one message's maillog lines by searching bytes, and remember what was found.

The lines that can belong to a message are those holding one of its *tokens*:
its Message-ID, and the queue IDs of every transaction whose lines carry that
Message-ID (inbound and each outbound chunk); a queue ID given instead leads to
its Message-ID first (:func:`find`). Each maillog is searched with ``find`` over
whole blocks (C speed, like ``grep -F``): the first pass over a file reads it
into one reused buffer and counts its lines; later passes look at memory-mapped
windows and count nothing. Only the hit lines are decoded.

What a search learns about a file is kept in its :class:`FileIndex` and, with a
:class:`~tracer.cache.Store`, on disk: the line count, the line number at a line
start about every MiB (so a later search for new tokens counts no newlines), and
the lines each token was found on. Another ``mmtrace message`` on the same files
reads the lines of a token it has seen without opening the file, and searches
only for tokens it has not.

The CLI starts the search in a child process (:func:`start`) before it imports
pandas, so both cores work: the child reads bytes while the parent imports
pandas and then parses the Mailman logs (:func:`parse_sources`).

This module imports nothing heavy; the child never loads pandas.
"""

from __future__ import annotations

import bisect
import io
import json
import logging
import mmap
import os
import re
import stat
import sys
from typing import Iterator

from .cache import Store, settled, signature
from .errors import InputError
from .sources import MAILMAN_LOGS, Source, discover, grep_lines, line_blocks, open_bytes

log = logging.getLogger(__name__)

BLOCK = 32 * 2**20  # the bytes searched at once (grep_lines reads the same blocks)
try:  # the C extension alone: tracer.fastscan would import numpy and pyarrow into the search process
    from ._fastscan import count_newlines as _count_c
except ImportError:
    _count_c = None
MARK = 2**20  # a line-number mark about every MiB

_QID_IN_LINE = re.compile(r"\]:? (?:(?:warning|error|fatal|panic): )?([0-9A-Za-z]{6,}): ")
_MSGID_OF_QID = re.compile(r": message-id=(<[^>\s]*>)|msgid=(<[^>\s]*>)")


class Focus(tuple):
    """The tokens of one message; ``found`` holds, per maillog path, ``(hits, total lines, problems)``
    already searched for exactly these tokens, so :func:`focus_hits` does not read the file again."""

    found: dict[str, tuple[list[tuple[int, str]], int, list[str]]]

    def __new__(cls, tokens, found: dict | None = None, indexes: list | None = None):
        self = super().__new__(cls, tokens)
        self.found = found or {}
        self.indexes = indexes or []  # the FileIndex of each maillog searched, for save()
        return self

    def save(self) -> None:
        """Store what the search learnt about each file (see :meth:`FileIndex.save`)."""
        for idx in self.indexes:
            idx.save()


def focus_hits(path: str, focus, problems: list[str]) -> tuple[list[tuple[int, str]], int]:
    """``(hits, total lines)`` of ``path`` for the tokens ``focus``, from the search that found them if there was one."""
    found = getattr(focus, "found", None)
    if found and path in found:
        hits, total, probs = found[path]
        problems.extend(probs)
        return list(hits), total
    return grep_lines(path, [t.encode() for t in focus], problems)


# ---- searching one file -----------------------------------------------------------


def _blocks(fh, mapped: bool = False) -> Iterator[tuple[bytearray | bytes | mmap.mmap, int, int, int]]:
    """``(buffer, lo, cut, offset)``: ``buffer[lo:cut]`` is whole lines; ``buffer[0]`` is byte ``offset`` of the file.

    A plain file is read into one reused buffer (memory bounded by the longest
    line), or with ``mapped`` looked at through a window of memory-mapped pages
    (no copy at all, but no ``count`` either); a decompressing reader is read in
    ``BLOCK`` reads, as :func:`grep_lines` does, so a damaged archive yields the
    same lines before the damage. The last block may end without a newline.
    """
    offset = 0
    if mapped and isinstance(fh, io.BufferedReader):
        try:
            size = os.fstat(fh.fileno()).st_size if stat.S_ISREG(os.fstat(fh.fileno()).st_mode) else None
        except (OSError, ValueError):
            size = None
        if size is not None:
            yield from _windows(fh, size)
            return
    if isinstance(fh, io.BufferedReader):
        buf = bytearray(BLOCK)
        view = memoryview(buf)
        have = 0
        while True:
            if have == len(buf):  # one line longer than the buffer: make room
                view.release()
                buf.extend(bytes(len(buf)))
                view = memoryview(buf)
            n = fh.readinto(view[have:])
            end = have + (n or 0)
            if n:
                cut = buf.rfind(b"\n", 0, end) + 1
                if cut == 0:
                    have = end
                    continue
            else:
                cut = end
            if cut:
                yield buf, 0, cut, offset
            if not n:
                return
            buf[: end - cut] = buf[cut:end]
            have, offset = end - cut, offset + cut
    for data, cut, offset in line_blocks(fh, BLOCK):
        yield data, 0, cut, offset


def _windows(fh, size: int):
    """:func:`_blocks` of a plain file through ``BLOCK``-sized memory maps, one at a time."""
    gran = mmap.ALLOCATIONGRANULARITY
    start = 0  # the next line to look at
    while start < size:
        base = start - start % gran
        length = min(max(BLOCK, gran), size - base)
        while True:
            m = mmap.mmap(fh.fileno(), length, access=mmap.ACCESS_READ, offset=base)
            if hasattr(m, "madvise"):
                m.madvise(mmap.MADV_SEQUENTIAL)  # read ahead and map in larger runs: fewer page faults
            if base + length >= size:
                cut = length
                break
            cut = m.rfind(b"\n", start - base, length) + 1
            if cut:
                break
            m.close()  # one line longer than the window: widen it
            length = min(2 * length, size - base)
        try:
            yield m, start - base, cut, base
        finally:
            m.close()
        start = base + cut


def _decode(raw) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _scan(path: str, tokens: list[bytes], marks: list[list[int]] | None,
          from_line: dict[bytes, int] | None = None):
    """One pass over ``path``: ``(per-token [(line, text)], total lines, marks, problems)``.

    Without ``marks`` every newline is counted (total and fresh marks); with the
    marks of an earlier pass over the same file only the stretch from the mark
    before each hit is counted, and total and marks come back as None.

    ``from_line`` (with ``marks``) windows a queue ID's search: it starts a MiB of
    lines before the line where the ID was first seen (its ``client=`` and
    ``pickup`` lines come just before its ``message-id=`` line) and stops at its
    ``removed`` line, which ends a Postfix transaction. A busy day's post has
    dozens of outbound queue IDs; searching each through the whole file was most
    of a cold ``message`` run.
    """
    problems: list[str] = []
    per: dict[bytes, list[tuple[int, str]]] = {t: [] for t in tokens}
    try:
        fh = open_bytes(path)
    except (InputError, OSError) as exc:
        problems.append(str(exc))
        return per, 0, [], problems
    counting = marks is None
    new_marks: list[list[int]] = []
    known = marks if marks is not None else new_marks
    known_at = [m[0] for m in known]
    newlines, last, line0 = 0, b"\n", 1  # line0: number of the first line of the block
    start_at = _window_starts(from_line, marks) if from_line and not counting else {}
    ended: set[bytes] = set()
    try:
        for buf, lo, cut, offset in _blocks(fh, mapped=not counting or _count_c is not None):
            count = _newlines(buf)
            if counting:  # count all newlines of the block, leaving a mark about every MiB
                pos, line, p = lo, line0, lo + MARK  # a mapped window starts at lo, not 0
                while p < cut:
                    j = buf.find(b"\n", p - 1, cut)
                    if j < 0 or j + 1 >= cut:
                        break
                    line += count(pos, j + 1)
                    pos = j + 1
                    new_marks.append([offset + pos, line])
                    known_at.append(offset + pos)
                    p = pos + MARK
                block_newlines = (line - line0) + count(pos, cut)
                newlines += block_newlines
                last = bytes(buf[cut - 1: cut])
            starts: dict[int, list[bytes]] = {}
            for tok in tokens:
                if tok in ended:
                    continue
                a = max(lo, start_at.get(tok, 0) - offset)
                i = buf.find(tok, a, cut) if a < cut else -1
                while i >= 0:
                    s = buf.rfind(b"\n", lo, i) + 1 or lo
                    starts.setdefault(s, []).append(tok)
                    e = buf.find(b"\n", i, cut)
                    if tok in start_at and buf[i:(cut if e < 0 else e)].rstrip(b"\r") == tok + b": removed":
                        ended.add(tok)
                        break
                    i = -1 if e < 0 else buf.find(tok, e + 1, cut)
            # line numbers: from the block start or the nearest mark before, whichever is closer
            at, line = lo, line0

            def line_of(s: int) -> int:
                nonlocal at, line
                k = bisect.bisect_right(known_at, offset + s) - 1
                if k >= 0 and known_at[k] - offset > at:
                    at, line = known_at[k] - offset, known[k][1]
                line += count(at, s)
                at = s
                return line

            for s in sorted(starts):
                e = buf.find(b"\n", s, cut)
                text = _decode(buf[s: cut if e < 0 else e].rstrip(b"\r"))
                no = line_of(s)
                for tok in starts[s]:
                    per[tok].append((no, text))
            line0 = line0 + block_newlines if counting else line_of(cut)
    except (EOFError, OSError, *_archive_errors()) as exc:
        problems.append(f"{path}: archive is damaged or truncated ({exc}); lines before the damage were read")
    finally:
        if path != "-":
            fh.close()
    if not counting:
        return per, None, None, problems
    total = newlines + (1 if last != b"\n" else 0)
    return per, total, new_marks, problems


def _newlines(buf):
    """``count(a, b)``: the newlines in ``buf[a:b]``, without copying an mmap'd window when the C
    extension is built (a gigabyte copied to be counted cost most of a cold search)."""
    if _count_c is not None:
        return lambda a, b: _count_c(buf, a, b)
    if isinstance(buf, mmap.mmap):
        return lambda a, b: buf[a:b].count(b"\n")
    return lambda a, b: buf.count(b"\n", a, b)


def _window_starts(from_line: dict[bytes, int], marks: list[list[int]]) -> dict[bytes, int]:
    """token -> byte offset to search from: the mark before the one at or before its first line."""
    lines = [m[1] for m in marks]
    out = {}
    for tok, first in from_line.items():
        k = bisect.bisect_right(lines, first) - 2  # one mark (about a MiB) of margin
        out[tok] = marks[k][0] if k >= 0 else 0
    return out


def _archive_errors() -> tuple:
    import lzma
    import zlib

    return (lzma.LZMAError, zlib.error)


class FileIndex:
    """What is known about one maillog: line count, line marks, and token -> ``[(line, text)]``.

    With a :class:`~tracer.cache.Store`, the line count and marks are one entry
    (kind ``scan``) and the lines of each token another (kind ``hits``), each
    used only while the file's :func:`~tracer.cache.signature` is unchanged; a
    run reads the entries of the tokens it asks for, nothing else.
    """

    def __init__(self, path: str, store: Store | None = None):
        self.path, self.store = path, store
        self.sig = signature(path) if store is not None else None
        self.total: int | None = None
        self.marks: list[list[int]] = []
        self.tokens: dict[str, list[tuple[int, str]]] = {}
        self.problems: list[str] = []
        self.new: list[tuple[str, str]] = []  # (cache name, token) searched in this run, to store
        self.new_marks = False
        if self.sig is not None:
            self._load_marks()

    def _key(self, *more):
        here = os.path.abspath(__file__)
        try:
            code = [os.path.getsize(here), os.stat(here).st_mtime_ns]
        except OSError:
            code = None
        return [self.sig[0], code, *more]

    def _load_marks(self) -> None:
        data = self.store.get_json("scan", self._key())
        if not data or data.get("sig") != self.sig:
            return
        try:
            total, marks = data["total"], data["marks"]
            if not (isinstance(total, int) and all(len(m) == 2 and all(isinstance(x, int) for x in m)
                                                   for m in marks)):
                raise ValueError("not integers")
        except (KeyError, TypeError, ValueError) as exc:
            log.debug("mmtrace cache: ignoring a malformed scan entry for %s: %s", self.path, exc)
            return
        self.total, self.marks = total, marks

    def _load_hits(self, token: str) -> list[tuple[int, str]] | None:
        if self.sig is None or self.total is None:
            return None
        data = self.store.get_json("hits", self._key(token))
        if not data or data.get("sig") != self.sig:
            return None
        try:
            return [(int(no), str(text)) for no, text in data["hits"]]
        except (KeyError, TypeError, ValueError) as exc:
            log.debug("mmtrace cache: ignoring a malformed hits entry for %s: %s", self.path, exc)
            return None

    def hits(self, tokens: list[str], from_line: dict[str, int] | None = None) -> tuple[list[tuple[int, str]], int]:
        """Lines holding any of ``tokens`` in file order, and the file's line count; searches only what is new.

        ``from_line`` windows the search of those tokens (see :func:`_scan`). What a
        windowed search finds is not every line of the token (a short queue ID is
        reused later in the day), so it is stored under the token *and* its window.
        """
        tokens = [t for t in dict.fromkeys(tokens) if t]
        windows = {t: n for t, n in (from_line or {}).items() if self.total is not None}
        name = lambda t: f"{t}@{windows[t]}" if t in windows else t  # noqa: E731
        missing = []
        for t in tokens:
            if t not in self.tokens:
                got = self._load_hits(name(t))
                if got is None:
                    missing.append(t)
                else:
                    self.tokens[t] = got
        if missing or self.total is None:
            fresh = self.total is None
            window = {t.encode(): windows[t] for t in missing if t in windows}
            per, total, marks, self.problems = _scan(self.path, [t.encode() for t in missing],
                                                     None if fresh else self.marks, window)
            if fresh:
                self.total, self.marks, self.new_marks = total, marks, True
            for t in missing:
                self.tokens[t] = per[t.encode()]
            self.new += [(name(t), t) for t in missing]
        lines = {no: text for t in tokens for no, text in self.tokens[t]}
        return sorted(lines.items()), self.total

    def save(self) -> None:
        """Store what this run learnt, unless the file changed meanwhile, is too fresh, or was not read whole."""
        if self.store is None or self.sig is None or self.problems or self.total is None:
            return
        if not (self.new or self.new_marks) or signature(self.path) != self.sig or not settled(self.sig):
            return
        if self.new_marks:
            self.store.put_json("scan", self._key(), {"sig": self.sig, "total": self.total, "marks": self.marks})
        for stored_as, t in self.new:
            self.store.put_json("hits", self._key(stored_as), {"sig": self.sig, "hits": self.tokens[t]})
        self.new, self.new_marks = [], False


# ---- one message ----------------------------------------------------------------------


def find(sources: list[Source], ident, store: Store | None = None, save: bool = True) -> Focus:
    """The :class:`Focus` of ``ident`` (Message-ID with or without <>, or a queue ID) over ``sources``.

    ``ident`` may also be a :class:`Pending` search started by :func:`start`;
    if that failed, the search runs here. ``save=False`` leaves storing what was
    learnt to :meth:`Focus.save`.
    """
    if isinstance(ident, Pending):
        done = ident.result(sources)
        if done is not None:
            return done
        ident = ident.ident
    bare = ident.strip().strip("<>")
    maillogs = [s for s in sources if s.log in (None, "maillog") and s.path != "-"]
    index: dict[str, FileIndex] = {}
    for s in maillogs:
        if s.path not in index:
            index[s.path] = FileIndex(s.path, store)

    def lines_of(token: str) -> list[str]:
        return [text for s in maillogs for _, text in index[s.path].hits([token])[0]]

    tokens = {bare}
    if "@" not in bare:  # a queue ID: find its Message-ID, then proceed as for one
        for text in lines_of(bare):
            m = _MSGID_OF_QID.search(text)
            if m:
                bare = (m.group(1) or m.group(2)).strip("<>")
                tokens.add(bare)
                break
    if "@" in bare:
        for text in lines_of(bare):
            m = _QID_IN_LINE.search(text)
            if m:
                tokens.add(m.group(1))
    focus = tuple(sorted(tokens))
    found = {}
    for path, idx in index.items():
        first_seen: dict[str, int] = {}  # queue ID -> the line where this file showed it with the Message-ID
        for no, text in idx.tokens.get(bare, []):
            m = _QID_IN_LINE.search(text)
            if m and m.group(1) != bare:
                first_seen.setdefault(m.group(1), no)
        hits, total = idx.hits(list(focus), first_seen)
        found[path] = (hits, total, list(idx.problems))
    done = Focus(focus, found, list(index.values()))
    if save:
        done.save()
    return done


def focus_pattern(sources: list[Source], ident: str) -> Focus:
    """Literal tokens (Message-ID, queue IDs) found in every maillog line that can belong to ``ident``."""
    return find(sources, ident)


# ---- the search in a child process ------------------------------------------------------


class Pending:
    """A :func:`find` running in a child process; :meth:`result` waits for it."""

    def __init__(self, ident: str, sources: list[Source], proc, conn):
        self.ident, self.sources, self.proc, self.conn = ident, sources, proc, conn
        self.received = False

    def result(self, sources: list[Source]) -> Focus | None:
        """The child's :class:`Focus`, or None if it failed or searched other files than ``sources``."""
        if list(sources) != self.sources:
            self.close()
            return None
        try:
            data = json.loads(self.conn.recv_bytes())
            self.received = True  # the child now writes the cache; close() waits for that
            return Focus(tuple(data["tokens"]), {p: ([(int(n), t) for n, t in hits], total, probs)
                                                 for p, (hits, total, probs) in data["found"].items()})
        except (EOFError, OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("mmtrace: the search process failed (%s); searching here", exc)
            return None
        finally:
            self.conn.close()

    def close(self) -> None:
        """Let the child finish writing the cache, or end it if its answer was never taken."""
        self.conn.close()
        if self.received:
            self.proc.join(timeout=30)
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join()


def _child(conn, sources: list[Source], ident: str, root: str | None) -> None:
    focus = None
    try:
        focus = find(sources, ident, Store(root) if root is not None else None, save=False)
        payload = {"tokens": list(focus), "found": {p: [hits, total, probs]
                                                      for p, (hits, total, probs) in focus.found.items()}}
    except BaseException as exc:  # noqa: BLE001 - the parent then searches itself
        payload = {"error": repr(exc)}  # no "tokens": result() falls back
    try:
        conn.send_bytes(json.dumps(payload).encode())
    finally:
        conn.close()
    if focus is not None:  # the parent goes on meanwhile
        focus.save()


def start(paths: list[str], hosts: list[str] | None, ident: str, store: Store | None) -> Pending | None:
    """Start :func:`find` in a forked child, before the caller imports pandas; None where that cannot work
    (no ``fork``, or heavy libraries already loaded: forking those is unsafe), and the caller searches itself."""
    try:
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods() or "numpy" in sys.modules:
            return None
        sources, _ = discover(list(paths), list(hosts or []))
        if not any(s.log in (None, "maillog") and s.path != "-" for s in sources):
            return None
        ctx = multiprocessing.get_context("fork")
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, sources, ident, store.root if store else None), daemon=True)
        proc.start()
        send.close()
    except Exception as exc:  # noqa: BLE001 - bad paths are reported by the real run
        log.debug("mmtrace: not searching in a child process: %s", exc)
        return None
    return Pending(ident, sources, proc, recv)


# ---- Mailman logs ----------------------------------------------------------------------


def parse_sources(sources: list[Source], registry, ident, store: Store | None):
    """:func:`tracer.parse.iter_parse` of a load focused on ``ident`` (a Message-ID or queue ID, or the
    :class:`Pending` search for it), with each Mailman log's result cached.

    The maillogs are parsed with the :func:`find` result; while a :class:`Pending`
    search still runs, the Mailman logs are parsed first (results still come in
    source order; a Mailman entry can only repeat another Mailman entry, so the
    per-host set of lines already seen tells the same). A Mailman log is cached
    only when it is its host's only file of that log (no rotations, no files whose
    kind only their content tells), so no other file's lines can repeat its
    entries, and only if its table survives the Arrow round trip unchanged.
    """
    from .parse import parse_file

    seen: dict[str, set] = {}
    solo = _solo_mailman(sources) if store is not None and registry is None else set()
    focus = None

    def parse(src: Source):
        nonlocal focus
        cached = _mailman_get(src, store) if src in solo else None
        if cached is not None:
            return cached
        if focus is None and src.log in (None, "maillog"):
            focus = find(sources, ident, store)
        sig = signature(src.path) if src in solo else None
        res = parse_file(src, registry, seen.setdefault(src.host, set()), focus or ())
        if sig is not None:
            _mailman_put(src, sig, res, store)
        return res

    early = {i: parse(s) for i, s in enumerate(sources)
             if isinstance(ident, Pending) and s.log not in (None, "maillog")}
    for i, src in enumerate(sources):
        yield early.pop(i) if i in early else parse(src)


def _solo_mailman(sources: list[Source]) -> set[Source]:
    by_host: dict[str, list[Source]] = {}
    for s in sources:
        by_host.setdefault(s.host, []).append(s)
    out = set()
    for group in by_host.values():
        for s in group:
            if (s.log in MAILMAN_LOGS and s.path != "-"
                    and not any(o is not s and o.log in (None, s.log) for o in group)):
                out.add(s)
    return out


def _mailman_key(src: Source, sig: list):
    from .cache import code_fingerprint

    return [sig[0], src.path, src.log, code_fingerprint()]


def _mailman_get(src: Source, store: Store):
    sig = signature(src.path)
    if sig is None:
        return None
    got = store.get_arrow("mailman", _mailman_key(src, sig))
    if got is None:
        return None
    table, meta = got
    if meta.get("sig") != sig:
        return None
    try:
        from .parse import FileResult

        frame = _frame(table, meta["empty"] is True)
        return FileResult(src, meta["log"], frame, total=int(meta["total"]), parsed=int(meta["parsed"]),
                          ignored=int(meta["ignored"]), unparsed=int(meta["unparsed"]),
                          unparsed_lines=[(int(n), str(why), str(text)) for n, why, text in meta["unparsed_lines"]],
                          problems=[], mtime_year=meta["mtime_year"])
    except Exception as exc:  # noqa: BLE001 - a malformed entry is a miss
        log.debug("mmtrace cache: ignoring a malformed Mailman entry for %s: %s", src.path, exc)
        return None


def _mailman_put(src: Source, sig: list, res, store: Store) -> None:
    if res.problems or not settled(sig) or signature(src.path) != sig:
        return
    try:
        import pandas as pd
        import pyarrow as pa

        empty = res.frame.shape == (0, 0)  # no events: pandas' plain empty frame, which Arrow cannot spell
        table = pa.table({}) if empty else pa.Table.from_pandas(res.frame)
        pd.testing.assert_frame_equal(_frame(table, empty), res.frame, check_exact=True, check_index_type=True,
                                      check_column_type=True)
    except Exception as exc:  # noqa: BLE001 - a table Arrow cannot carry exactly is not cached
        log.debug("mmtrace cache: not caching %s: %s", src.path, exc)
        return
    meta = {"sig": sig, "log": res.log, "total": res.total, "parsed": res.parsed, "ignored": res.ignored,
            "unparsed": res.unparsed, "unparsed_lines": [list(u) for u in res.unparsed_lines],
            "mtime_year": res.mtime_year, "empty": empty}
    store.put_arrow("mailman", _mailman_key(src, sig), table, meta)


def _frame(table, empty: bool):
    if empty:
        import pandas as pd

        return pd.DataFrame()
    return table.to_pandas()
