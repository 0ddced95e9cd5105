"""Lines a host already had: overlapping rotations and a loghost's copy are counted once.

A repeated line has the same bytes, so the same time stamp. Fingerprints are
therefore kept per block of lines together with the block's time span, and a
block is checked only against the blocks whose span overlaps its own. Blocks
that ended well before the block being read are dropped: a month of daily files
keeps the fingerprints of the hours that can still overlap, not of the month.

Spans are seconds since 1 January of the stamp's own year (syslog stamps have
no year); a block whose stamps cannot be read has no span and is always checked.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: how far out of order (seconds) the lines of a file may be logged and still be matched
MARGIN = 300
_HALF_YEAR = 183 * 86400
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
_DAYS_BEFORE = np.cumsum([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30]).tolist()  # leap-safe: only order matters
_STAMP = re.compile(rb"(?:<\d{1,3}>)?(?:([A-Z][a-z]{2}) {1,2}(\d{1,2}) |\d{4}-(\d\d)-(\d\d)[T ])(\d\d):(\d\d):(\d\d)")


def second_of_year(line: bytes) -> int | None:
    """Seconds since 1 January of a line's BSD (``Aug 22 00:01:02``) or ISO stamp, else None.

    >>> second_of_year(b"Jan  1 00:01:02 mx postfix/qmgr[1]: x")
    62
    """
    m = _STAMP.match(line)
    if m is None:
        return None
    mon, day, imon, iday, hh, mm, ss = m.groups()
    month = _MONTHS.get(mon.decode()) if mon else int(imon) - 1
    if month is None or not 0 <= month < 12:
        return None
    days = _DAYS_BEFORE[month] + int(day or iday) - 1
    return days * 86400 + int(hh) * 3600 + int(mm) * 60 + int(ss)


def block_span(block) -> tuple[int, int] | None:
    """(first, last) second of a block of lines (bytes or a memoryview), from its first and last
    line; None if unreadable."""
    block = memoryview(block)
    end = len(block)
    while end and block[end - 1] in (10, 13):
        end -= 1
    tail = bytes(block[max(0, end - 4096):end])  # not the whole block: the last line is short
    if b"\n" not in tail and end > len(tail):
        tail = bytes(block[:end])
    first = second_of_year(bytes(block[:40]))
    last = second_of_year(tail[tail.rfind(b"\n") + 1:][:40])
    if first is None or last is None:
        return None
    return (first, last) if first <= last else (last, first)


class _Block:
    __slots__ = ("span", "keys", "texts")

    def __init__(self, span: tuple[int, int] | None) -> None:
        self.span = span
        self.keys = np.empty(0, dtype=np.int64)  # fingerprints of the scanned lines
        self.texts: set = set()  # hashes of the lines parsed one by one


class Seen:
    """One host's fingerprints, per block with its time span (see the module docstring).

    The parser calls :meth:`begin` for each block, then :meth:`fresh` with the
    block's scanned fingerprints; ``in`` and :meth:`add` are the one-line API of
    the general path (a plain ``set`` does the same without the bookkeeping).
    ``mailman`` holds the Mailman entries, whose files have no blocks.
    """

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.live: list[_Block] = []
        self.current: _Block | None = None
        self.mailman: set = set()

    def begin(self, span: tuple[int, int] | None) -> None:
        """A new block: forget the blocks that ended before it, pick those it can repeat."""
        if span is not None:
            start = span[0] - MARGIN
            self.blocks = [b for b in self.blocks if b.span is None or not _before(b.span, start)]
        self.live = [b for b in self.blocks if _overlap(b.span, span)]
        self.current = _Block(span)
        self.blocks.append(self.current)

    def _block(self) -> _Block:
        """The block being read; lines parsed outside a block scan (stdin, a file read whole) share one."""
        if self.current is None:
            self.begin(None)
        return self.current

    def fresh(self, keys: np.ndarray) -> np.ndarray:
        """Mask of the fingerprints not seen before (in this block or an overlapping one); they are kept."""
        cur = self._block()
        s = pd.Series(keys)
        dup = s.duplicated().to_numpy().copy()
        for b in self.live:
            if len(b.keys) and len(keys):
                dup |= s.isin(b.keys).to_numpy()  # a hash table: sorted lookups cost five times more
        new = keys[~dup]
        cur.keys = new if not len(cur.keys) else np.concatenate([cur.keys, new])
        return ~dup

    def __contains__(self, h) -> bool:
        return h in self._block().texts or any(h in b.texts for b in self.live)

    def add(self, h) -> None:
        self._block().texts.add(h)


def _before(span: tuple[int, int], start: int) -> bool:
    """The block ended before ``start`` (a span more than half a year later is last year's)."""
    return span[1] < start or span[0] - start > _HALF_YEAR


def _overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    if a is None or b is None:
        return True
    return a[0] <= b[1] + MARGIN and b[0] <= a[1] + MARGIN
