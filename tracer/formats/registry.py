"""The pattern registry: format knowledge as data.

A :class:`Pattern` is a name, a regex whose named groups *are* event columns
(see :mod:`tracer.schema`), the event kind it produces, and real sample lines.
Patterns are grouped by *family*: the Postfix daemon (``postfix/smtp``), the
MTA (``sendmail``, ``exim``), the Mailman wrapper (``mailman-wrapper``) or the
Mailman log file (``vette``, ``post``, ...). Loading a registry fails when a
sample does not match its own pattern, when a sibling in the same family also
matches it, or when a group is not an event column, so the registry cannot
drift from the samples that justify it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import RegistryError
from ..schema import FIELD_COLUMNS


@dataclass(frozen=True)
class Pattern:
    """One named log-line shape.

    ``event=None`` marks a line that is recognised but not used by the tracer
    (counted as *ignored*, never as *unparsed*). ``derive`` may add or fix
    fields after the match (e.g. pull ``queued_as`` out of a status text).

    >>> p = Pattern("postfix.qmgr.removed", "postfix/qmgr", r"(?P<queue_id>[0-9A-F]+): removed$",
    ...             "removed", samples=("3F2B41C0A5: removed",))
    >>> p.match("3F2B41C0A5: removed")
    {'queue_id': '3F2B41C0A5'}
    """

    name: str
    family: str
    regex: str
    event: str | None
    samples: tuple[str, ...] = ()
    derive: Callable[[dict], dict] | None = None
    flags: int = 0
    compiled: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "compiled", re.compile(self.regex, self.flags))
        except re.error as exc:
            raise RegistryError(f"pattern {self.name}: bad regex: {exc}") from exc
        bad = set(self.compiled.groupindex) - FIELD_COLUMNS
        if bad:
            raise RegistryError(f"pattern {self.name}: groups {sorted(bad)} are not event columns")

    def match(self, text: str) -> dict | None:
        """Fields of ``text`` if it has this shape (None-valued groups dropped)."""
        m = self.compiled.match(text)
        if m is None:
            return None
        fields = {k: v for k, v in m.groupdict().items() if v is not None}
        if self.derive is not None:
            fields = self.derive(fields)
        return fields


class Registry:
    """Patterns by family, tried in order; the first match wins.

    >>> from tracer.formats import default_registry
    >>> default_registry().match("postfix/qmgr", "3F2B41C0A5: removed")[0].name
    'postfix.qmgr.removed'
    """

    def __init__(self, patterns: Iterable[Pattern], check_samples: bool = True):
        self.families: dict[str, list[Pattern]] = {}
        names: set[str] = set()
        for p in patterns:
            if p.name in names:
                raise RegistryError(f"pattern name {p.name} is used twice")
            names.add(p.name)
            self.families.setdefault(p.family, []).append(p)
        if check_samples:
            self.check_samples()

    def __iter__(self):
        for pats in self.families.values():
            yield from pats

    def check_samples(self) -> None:
        """Every sample matches its own pattern and no sibling in its family."""
        for family, pats in self.families.items():
            for p in pats:
                if not p.samples and p.event is not None:
                    raise RegistryError(f"pattern {p.name} has no sample line")
                for s in p.samples:
                    if p.compiled.match(s) is None:
                        raise RegistryError(f"pattern {p.name}: its sample does not match: {s!r}")
                    for q in pats:
                        if q is not p and q.compiled.match(s) is not None:
                            raise RegistryError(
                                f"pattern {p.name}: its sample also matches sibling {q.name}: {s!r}")

    def match(self, family: str, text: str) -> tuple[Pattern, dict] | None:
        """The first pattern of ``family`` that matches ``text``, with its fields."""
        for p in self.families.get(family, ()):
            fields = p.match(text)
            if fields is not None:
                return p, fields
        return None

    def nearest(self, family: str, text: str) -> str | None:
        """Name of the pattern whose literal prefix shares most with ``text`` (for --show-unparsed)."""
        best, best_len = None, -1
        for p in self.families.get(family, ()):
            n = _common_prefix_matchable(p.compiled, text)
            if n > best_len:
                best, best_len = p.name, n
        return best


def _common_prefix_matchable(rx: re.Pattern, text: str) -> int:
    """Longest prefix of ``text`` after which ``rx`` can still be partially matched (cheap heuristic)."""
    lo, hi = 0, len(text)
    # binary search on the longest prefix that the regex can match up to a truncated end
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if rx.match(text[:mid]) is not None or _prefix_ok(rx, text[:mid]):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _prefix_ok(rx: re.Pattern, prefix: str) -> bool:
    try:
        import regex as _regex  # optional: partial matching gives a precise answer
    except ImportError:  # pragma: no cover
        return False
    try:
        return _regex.match(rx.pattern, prefix, flags=rx.flags & ~re.UNICODE, partial=True) is not None
    except Exception:
        return False
