"""Mailman 2.1 log entries: physical lines back into the ``syslog()`` writes they came from.

Every line Mailman 2.1.9-2.1.39 writes starts with ``Mon DD HH:MM:SS YYYY``
and ``(pid)`` (``syslog()`` entries) or ``label(pid):`` (stderr captured into
``error``). A multi-line message is one ``write()`` whose later lines carry no
stamp, so any line without a stamp continues the entry before it
(``../shared/reference/mailman2-logs.md`` 1.2, 1.4).

>>> [e.text for e in split_entries(["Aug 22 09:14:05 2013 (2811) SHUNTING: 1+ab"])]
['SHUNTING: 1+ab']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"

#: start of an entry: ``Mon DD HH:MM:SS YYYY (pid) msg`` or ``... label(pid): msg``
#: (StampedLogger: strftime("%b %d %H:%M:%S %Y ") + "(%d)" or "%s(%d):", then " " + msg)
ENTRY_START = re.compile(
    rf"(?P<ts>(?:{_MONTHS}) \d\d \d\d:\d\d:\d\d \d{{4}}) "
    r"(?P<label>[A-Za-z_]\w*)?\((?P<pid>\d+)\)(?(label):) ?(?P<msg>.*)")


@dataclass(slots=True)
class Entry:
    """One Mailman log entry: its first physical line, stamp and joined text.

    ``ts`` is ``None`` only for continuation lines before the first stamp of a
    file (a file cut by rotation or ``head``).

    >>> next(split_entries(["Nov 21 17:08:26 2026 post(1715): x ", "post(1715): y "]))
    Entry(line=1, n_lines=2, ts='Nov 21 17:08:26 2026', pid=1715, label='post', text='x\\ny')
    """

    line: int
    n_lines: int
    ts: str | None
    pid: int | None
    label: str | None
    text: str


def split_entries(lines: Iterable[str], start: int = 1) -> Iterator[Entry]:
    """Group physical lines (decoded, no newline) into entries; ``start`` numbers the first line.

    A line without a stamp continues the entry before it. In an entry written
    by a labelled stderr logger (``post(1715):``, ``qrunner(1714):``, ...) the
    one trailing space each ``print`` leaves is stripped, the ``label(pid):``
    prefix of unstamped continuation lines is removed, and consecutive stamped
    lines of the same ``label(pid)`` are joined: ``qrunner``, ``mailmanctl``
    and ``gate_news`` stamp every line of a traceback (reference 1.2 C).
    """
    match = ENTRY_START.match
    first = n = 0
    ts = label = pid = prefix = None
    parts: list[str] = []
    for no, line in enumerate(lines, start):
        m = match(line)
        if m is not None:
            new_ts, new_label, new_pid, msg = m.group("ts", "label", "pid", "msg")
            if new_label is not None:
                if msg.endswith(" "):
                    msg = msg[:-1]
                if n and new_label == label and new_pid == pid:
                    parts.append(msg)
                    n += 1
                    continue
            if n:
                yield Entry(first, n, ts, None if pid is None else int(pid), label, "\n".join(parts))
            first, n, ts, label, pid, parts = no, 1, new_ts, new_label, new_pid, [msg]
            prefix = None if new_label is None else f"{new_label}({new_pid}):"
            continue
        if not n:  # continuation lines before the first stamped entry
            first, ts, label, pid, prefix, parts = no, None, None, None, None, []
        if prefix is not None:
            if line.startswith(prefix):
                line = line[len(prefix) + 1:] if line[len(prefix):len(prefix) + 1] == " " else line[len(prefix):]
            if line.endswith(" "):
                line = line[:-1]
        parts.append(line)
        n += 1
    if n:
        yield Entry(first, n, ts, None if pid is None else int(pid), label, "\n".join(parts))
