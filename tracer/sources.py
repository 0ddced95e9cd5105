"""Input files: discovery, host attribution, rotation order, decompression.

A site is a directory whose top-level subdirectories are hosts
(``site/lists-be/var/log/maillog``); ``--host NAME=PATH`` assigns a file or
directory explicitly. Files are recognised by name (with rotation suffixes
stripped) and otherwise by their first lines. Reading never raises on bad
bytes: a corrupt archive ends that file with a warning, and the rest runs.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from .errors import InputError, UsageError

MAILLOG_NAMES = frozenset({"maillog", "mail.log", "mail", "syslog", "mail.info", "mainlog", "messages"})
MAILMAN_LOGS = ("vette", "post", "smtp", "smtp-failure", "error", "qrunner", "locks", "bounce", "subscribe")
#: Mailman logs mmtrace recognises but has no use for: read nothing from them
SKIPPED_NAMES = frozenset({"mischief", "security", "fromusenet", "config", "digest", "debug",
                           "access_log", "error_log", "ssl_access_log", "ssl_error_log", "cron", "secure"})

_COMPRESSED = re.compile(r"\.(gz|bz2|xz)$")
# logrotate suffixes: maillog.1, maillog-20130822, mail.log.2013-08-22, postfix logrotate 20130822-101500
_ROTATION = re.compile(r"(?:[.-](\d{8}(?:-\d{6})?)|\.(\d{4}-\d{2}-\d{2})|\.(\d{1,3}))$")


@dataclass(frozen=True)
class Source:
    """One input file attributed to a host; ``log`` is None when the content must tell."""

    host: str
    path: str  # as given (or "-")
    log: str | None
    order: tuple = ()  # sort key: older rotations first

    @property
    def display(self) -> str:
        return f"{self.host}:{self.path}"


def log_name(path: str) -> tuple[str | None, tuple]:
    """(log kind from the file name, rotation sort key); kind None = decide by content.

    >>> log_name("/var/log/mailman/smtp-failure.2.gz")
    ('smtp-failure', (0, -2))
    >>> log_name("maillog-20130822")[0]
    'maillog'
    """
    base = os.path.basename(path)
    base = _COMPRESSED.sub("", base)
    key: tuple = (1, 0)  # the live file sorts last (newest)
    m = _ROTATION.search(base)
    if m and base[: m.start()]:
        stem = base[: m.start()]
        if _known(stem):
            if m.group(3):
                key = (0, -int(m.group(3)))
            else:
                key = (0, int(re.sub(r"\D", "", m.group(1) or m.group(2))[:8]))
            base = stem
    if base in MAILLOG_NAMES:
        return "maillog", key
    if base in MAILMAN_LOGS:
        return base, key
    if base in SKIPPED_NAMES:
        return "skip", key
    return None, key


def _known(stem: str) -> bool:
    return stem in MAILLOG_NAMES or stem in MAILMAN_LOGS or stem in SKIPPED_NAMES


def parse_host_option(spec: str) -> tuple[str, str]:
    """``NAME=PATH`` from ``--host``."""
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise UsageError(f"--host expects NAME=PATH, got {spec!r}")
    return name, path


def discover(paths: list[str], hosts: list[str] | None = None) -> tuple[list[Source], list[str]]:
    """All input files, attributed to hosts, each host's rotations oldest first.

    Returns the sources and warnings (hosts or directories without logs). A path
    that does not exist raises :class:`InputError`.
    """
    found: list[Source] = []
    warnings: list[str] = []
    for spec in hosts or []:
        name, path = parse_host_option(spec)
        found += _walk_host(name, Path(path), warnings, explicit=True)
    for p in paths:
        if p == "-":
            found.append(Source("stdin", "-", None))
            continue
        path = Path(p)
        if not path.exists():
            raise InputError(f"{p}: no such file or directory")
        if path.is_file():
            kind, key = log_name(p)
            if kind != "skip":
                # a lone file belongs to "local" until its syslog host field says otherwise
                found.append(Source("local", p, kind, key))
            continue
        subdirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
        top_files = sorted(f for f in path.iterdir() if f.is_file() and not f.name.startswith("."))
        if subdirs and not any(log_name(str(f))[0] for f in top_files):
            for d in subdirs:
                found += _walk_host(d.name, d, warnings)
        else:
            found += _walk_host(path.resolve().name, path, warnings)
    found.sort(key=lambda s: (s.host, s.log or "", s.order, s.path))
    return found, warnings


def _walk_host(host: str, root: Path, warnings: list[str], explicit: bool = False) -> list[Source]:
    if root.is_file():
        kind, key = log_name(str(root))
        return [] if kind == "skip" else [Source(host, str(root), kind, key)]
    if not root.exists():
        raise InputError(f"--host {host}={root}: no such file or directory")
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith(".") or fn.endswith((".md", ".json", ".py", ".pck", ".txt")):
                continue
            full = os.path.join(dirpath, fn)
            kind, key = log_name(full)
            if kind == "skip":
                continue
            out.append(Source(host, full, kind, key))
    if not out:
        warnings.append(f"host {host}: no log files under {root}; posts passing through it are "
                        f"reported as unknown there, not lost")
    return out


def open_bytes(path: str) -> BinaryIO:
    """Open a possibly compressed file by its magic bytes (not its name)."""
    if path == "-":
        return sys.stdin.buffer
    f = open(path, "rb")
    head = f.peek(6)[:6] if hasattr(f, "peek") else b""
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=f)  # type: ignore[return-value]
    if head.startswith(b"BZh"):
        return bz2.BZ2File(f)  # type: ignore[return-value]
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(f)  # type: ignore[return-value]
    if path.endswith((".gz", ".bz2", ".xz")):
        f.close()
        raise InputError(f"{path} is not a {path.rsplit('.', 1)[1]} file (first bytes {head[:5]!r}); "
                         f"rename it or pass it uncompressed")
    return f  # type: ignore[return-value]


def _open_noting(path: str, problems: list[str]) -> BinaryIO | None:
    """:func:`open_bytes`, or None with the reason noted in ``problems``."""
    try:
        return open_bytes(path)
    except InputError as exc:
        problems.append(str(exc))
    except OSError as exc:
        problems.append(f"{path}: cannot read: {exc.strerror or exc}")
    return None


def read_lines(path: str, problems: list[str]) -> Iterator[str]:
    """Decoded lines without line ends; a damaged archive stops with a note in ``problems``.

    Mailman writes UTF-8 and Latin-1 bytes into one file, so each line is decoded
    as UTF-8 and falls back to Latin-1 (which never fails).
    """
    fh = _open_noting(path, problems)
    if fh is None:
        return
    try:
        for raw in fh:
            raw = raw.rstrip(b"\r\n")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield raw.decode("latin-1")
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        problems.append(f"{path}: archive is damaged or truncated ({exc}); "
                        f"lines before the damage were read")
    finally:
        if path != "-":
            fh.close()


def line_blocks(fh: BinaryIO, size: int) -> Iterator[tuple[bytes, int, int]]:
    """``(data, cut, offset)`` from ``size``-byte reads: ``data[:cut]`` is whole lines (the last
    block may end without a newline), ``data[0]`` is byte ``offset`` of the stream."""
    carry, offset = b"", 0
    while True:
        chunk = fh.read(size)
        data = carry + chunk
        cut = data.rfind(b"\n") + 1 if chunk else len(data)
        if cut:
            yield data, cut, offset
        if not chunk:
            return
        carry, offset = data[cut:], offset + cut


def grep_lines(path: str, tokens: list[bytes], problems: list[str],
               block: int = 32 * 2**20) -> tuple[list[tuple[int, str]], int]:
    """``([(line number, decoded line)] of lines holding any token, total lines)`` by scanning bytes.

    Each literal token is found with ``bytes.find`` over whole blocks (C speed,
    like ``grep -F``), not line by line; only the hit lines are decoded.
    """
    hits: list[tuple[int, str]] = []
    total = 0
    try:
        fh = open_bytes(path)
    except (InputError, OSError) as exc:
        problems.append(str(exc))
        return hits, 0
    try:
        for data, cut, _ in line_blocks(fh, block):
            body = data[:cut]
            starts = set()
            for tok in tokens:
                i = body.find(tok)
                while i >= 0:
                    starts.add(body.rfind(b"\n", 0, i) + 1)
                    i = body.find(tok, i + len(tok))
            pos, line = 0, total + 1
            for start in sorted(starts):
                line += body.count(b"\n", pos, start)
                pos = start
                end = body.find(b"\n", start)
                raw = body[start:len(body) if end < 0 else end].rstrip(b"\r")
                try:
                    hits.append((line, raw.decode("utf-8")))
                except UnicodeDecodeError:
                    hits.append((line, raw.decode("latin-1")))
            total += body.count(b"\n") + (1 if not body.endswith(b"\n") else 0)
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        problems.append(f"{path}: archive is damaged or truncated ({exc}); lines before the damage were read")
    finally:
        if path != "-":
            fh.close()
    return hits, total


def read_blocks(path: str, problems: list[str], size: int = 16 * 2**20,
                piece: int = 2**20, on_read: Callable[[int], None] | None = None,
                ring: int = 3) -> Iterator[tuple[memoryview, None]]:
    """``(block, None)``: the file's bytes in blocks of whole lines, decompressed.

    The parser works on blocks (a C scan over the bytes), not on decoded lines, and
    numbers the lines itself (the scan counts them). Blocks are read into ``ring``
    buffers used in turn, so a block is valid until ``ring - 1`` more have been
    read: fresh memory for each block cost more than the scan (every new page
    faults). Reads go ``piece`` bytes at a time so that a damaged archive still
    yields every whole line before the damage, as :func:`read_lines` does.
    ``on_read`` hears how many bytes of a plain file were read (a progress bar).
    """
    fh = _open_noting(path, problems)
    if fh is None:
        return
    plain = on_read if isinstance(fh, io.BufferedReader) else None
    bufs = [bytearray(size + piece) for _ in range(max(ring, 2))]
    turn, carry, eof = 0, b"", False
    try:
        while not eof:
            buf = bufs[turn % len(bufs)]
            turn += 1
            have = len(carry)
            target = max(size, have + piece)  # a line longer than a block still gets read on
            if len(buf) < target:  # then a bigger buffer (one still in use must not be resized)
                buf = bufs[(turn - 1) % len(bufs)] = bytearray(target)
            buf[:have] = carry
            view = memoryview(buf)
            try:
                while have < target:
                    got = fh.readinto(view[have:min(have + piece, target)])
                    if not got:
                        eof = True
                        break
                    have += got
                    if plain is not None:
                        plain(got)
            except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
                eof = True
                problems.append(f"{path}: archive is damaged or truncated ({exc}); "
                                f"lines before the damage were read")
                have = buf.rfind(b"\n", 0, have) + 1  # whole lines only
            cut = have if eof else buf.rfind(b"\n", 0, have) + 1
            if not cut and not eof:  # no line end yet: read on, into a bigger buffer
                carry = bytes(view[:have])
                continue
            carry = bytes(view[cut:have])
            if cut:
                yield view[:cut], None
    finally:
        if path != "-":
            fh.close()
