"""Summarised outbound ``sent`` lines: what a post-mortem keeps of a list's fan-out.

Nine lines in ten of a busy list server's maillog say that one more list
member's copy was sent. A post-mortem needs how many were, when the first and
the last went, and every recipient whose copy was *not* sent. So, per block of
lines, a run of plain sent lines of one transaction (:data:`tracer.fastscan.FLAG_PLAIN`:
an smtp/lmtp delivery that is no hand-off into Mailman) is kept as its first and
its last line; ``n_lines`` on the last says how many lines it stands for.

Kept whole, always: every line that is not a plain sent line, and the sent line
of a recipient whose earlier attempt in the same transaction was not sent (its
final status decides whether the post reached it). A run of one or two lines is
kept whole, so the hand-off of one message to another site host keeps its
``queued as`` (clock-skew pairs). ``--since``/``--until`` cut a summarised run
at its first or last line's time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .fastscan import FLAG_PLAIN, FLAG_SENT


#: the pairs' marks: a few per cent of a day's pairs are unsent, so most lookups end at their mark
_MARK_BITS = 22
_MARK_MASK = (1 << _MARK_BITS) - 1


class SentRuns:
    """The state a host's blocks share: (queue ID, recipient) pairs that had a status other than sent.

    Every block asks for tens of thousands of pairs, and the set grows by a few hundred a block:
    a hash table of the set rebuilt for each question cost more than the rest of the summary. A
    pair is looked up only if its mark (a flag per low bits of the pair) is set, then in two sorted
    arrays: the set, and the pairs noted since it was last merged (at most an eighth of it).
    """

    def __init__(self) -> None:
        self._marks = np.zeros(1 << _MARK_BITS, dtype=bool)
        self._sorted = np.empty(0, dtype=np.int64)
        self._recent = np.empty(0, dtype=np.int64)

    def note_unsent(self, pairs: np.ndarray) -> None:
        pairs = np.asarray(pairs, dtype=np.int64)
        if not len(pairs):
            return
        self._marks[pairs & _MARK_MASK] = True
        self._recent = _merged(self._recent, np.sort(pairs))
        if 8 * len(self._recent) > len(self._sorted):
            self._sorted, self._recent = _merged(self._sorted, self._recent), self._recent[:0]

    def unsent(self, pairs: np.ndarray) -> np.ndarray:
        """Mask: the pair had a status other than sent before."""
        out = np.zeros(len(pairs), dtype=bool)
        if len(pairs) and len(self._sorted):
            maybe = np.flatnonzero(self._marks[pairs & _MARK_MASK])
            if len(maybe):
                cand = pairs[maybe]
                out[maybe] = _member(cand, self._sorted) | _member(cand, self._recent)
        return out

    def summarise(self, table: pa.Table) -> tuple[pa.Table, np.ndarray]:
        """A block's scanned rows (line order) -> the rows kept (without the pair, run and flags
        columns, which only this step reads) and their ``n_lines``."""
        flags = table.column("flags").to_numpy()
        pair = table.column("pair").to_numpy()
        self.note_unsent(pair[(flags & FLAG_SENT) == 0])
        plain = np.flatnonzero(flags & FLAG_PLAIN)
        if len(plain):
            plain = plain[~self.unsent(pair[plain])]
        n_lines = np.ones(table.num_rows, dtype=np.int64)
        if len(plain) < 3:
            return table.drop_columns(["pair", "run", "flags"]), n_lines
        codes, uniq = pd.factorize(table.column("run").to_numpy()[plain])
        first = np.full(len(uniq), len(plain))
        np.minimum.at(first, codes, np.arange(len(plain)))
        last = np.full(len(uniq), -1)
        np.maximum.at(last, codes, np.arange(len(plain)))
        count = np.bincount(codes, minlength=len(uniq))
        keep = np.ones(table.num_rows, dtype=bool)
        keep[plain] = False
        keep[plain[first]] = True
        keep[plain[last]] = True
        long = count > 1
        n_lines[plain[last[long]]] = count[long] - 1  # the first line stands for itself
        used = table.drop_columns(["pair", "run", "flags"])  # read above, not by the event table: not copied
        return used.filter(pa.array(keep)), n_lines[keep]  # filter: a third of the cost of take


def _merged(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two sorted arrays as one (repeats kept: they do not change membership). The stable sort of
    two sorted runs is a linear merge; np.union1d hashes and sorts them again."""
    return np.sort(np.concatenate([a, b]), kind="stable")


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Mask: the value is in the sorted array."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values
