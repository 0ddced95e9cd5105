"""Reading big maillogs on every core: byte ranges in worker processes, merged in order.

A plain (uncompressed) maillog larger than ``SPLIT_BYTES`` is cut at line
boundaries into one range per core; each range is parsed in a worker and the
results are put back together in file order, with line numbers as if read
whole. Workers cannot share the per-host set of lines already seen, so each
parsed row carries a process-independent fingerprint and the parent drops rows
repeated across files (overlapping rotations) afterwards, counting them as
ignored, as the sequential reader does.

Opt-in (``load(parallel=True)``): on the two-core machine of the benchmark it
is slower than the sequential reader, whose C scan already runs beside the
Python path on the second core, because a worker's parsed rows must be
pickled back. It may pay on machines with many cores and many big files.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import pandas as pd

from .formats import default_registry
from .parse import UNPARSED_KEEP, FileResult, _parse_blocks, parse_file
from .sources import Source

SPLIT_BYTES = 32 * 2**20
_BLOCK = 16 * 2**20


def worth_it(sources: list[Source]) -> bool:
    """Parallel reading pays off only for big plain maillogs and more than one core."""
    return (os.cpu_count() or 1) > 1 and any(_splittable(s) for s in sources)


def _splittable(s: Source) -> bool:
    try:
        return s.log == "maillog" and s.path != "-" and os.path.getsize(s.path) > SPLIT_BYTES and _plain(s.path)
    except OSError:
        return False


def _plain(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(6)
    return not (head.startswith(b"\x1f\x8b") or head.startswith(b"BZh") or head.startswith(b"\xfd7zXZ\x00"))


def ranges(path: str, parts: int) -> list[tuple[int, int, int]]:
    """``(start, end, first_line)`` byte ranges cut just after a newline, with their first line number."""
    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as fh:
        for i in range(1, parts):
            fh.seek(size * i // parts)
            fh.readline()
            pos = fh.tell()
            if cuts[-1] < pos < size:
                cuts.append(pos)
        cuts.append(size)
        firsts, line, pos = [1], 1, 0
        for cut in cuts[1:-1]:
            fh.seek(pos)
            while pos < cut:  # count newlines block by block: ~0.1 s a GB
                block = fh.read(min(_BLOCK, cut - pos))
                line += block.count(b"\n")
                pos += len(block)
            firsts.append(line)
    return [(a, b, n) for (a, b), n in zip(zip(cuts, cuts[1:]), firsts)]


def _range_blocks(path: str, start: int, end: int, first: int, size: int = _BLOCK):
    """``(block, first line)`` over bytes ``start:end`` (cut at newlines) of a plain file."""
    with open(path, "rb") as fh:
        fh.seek(start)
        pos, line, carry = start, first, b""
        while pos < end:
            chunk = fh.read(min(size, end - pos))
            if not chunk:
                break
            pos += len(chunk)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1 if pos < end else len(data)
            if cut:
                yield data[:cut], line
                line += data.count(b"\n", 0, cut)
            carry = data[cut:]


def _parse_range(source: Source, start: int, end: int, first: int) -> FileResult:
    res = FileResult(source, "maillog", pd.DataFrame())
    res.frame = _parse_blocks(_range_blocks(source.path, start, end, first), default_registry(), res, None,
                              keys=True)
    res.total = res.parsed + res.ignored + res.unparsed
    return res


def _parse_whole(source: Source) -> FileResult:
    return parse_file(source, seen=None, keys=True)


def parse_parallel(sources: list[Source], on_done=None) -> list[FileResult]:
    """Parse ``sources`` on every core; results in source order, cross-file repeats dropped per host."""
    jobs: list[tuple[int, tuple]] = []
    cores = os.cpu_count() or 1
    for i, s in enumerate(sources):
        if _splittable(s):
            jobs += [(i, (_parse_range, s, a, b, n)) for a, b, n in ranges(s.path, cores)]
        else:
            jobs.append((i, (_parse_whole, s)))
    parts: dict[int, list[FileResult]] = {}
    with ProcessPoolExecutor(max_workers=cores) as pool:
        futures = [(i, pool.submit(job[0], *job[1:])) for i, job in jobs]
        for i, fut in futures:
            parts.setdefault(i, []).append(fut.result())
            if on_done is not None:
                on_done()
    results = [_merge(sources[i], parts[i]) for i in range(len(sources))]
    _drop_repeats(results)
    return results


def _merge(source: Source, parts: list[FileResult]) -> FileResult:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    frames = [p.frame for p in parts if not p.frame.empty]
    merged = replace(first, frame=pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
                     unparsed_lines=[u for p in parts for u in p.unparsed_lines][:UNPARSED_KEEP],
                     problems=[x for p in parts for x in p.problems])
    for k in ("total", "parsed", "ignored", "unparsed"):
        setattr(merged, k, sum(getattr(p, k) for p in parts))
    merged.mtime_year = pd.Timestamp(os.path.getmtime(source.path), unit="s").year
    return merged


def _drop_repeats(results: list[FileResult]) -> None:
    """Per host, in reading order: a row whose line was already read from an earlier file is dropped."""
    seen: dict[str, set] = {}
    for r in results:
        if r.frame.empty or "_k" not in r.frame:
            continue
        keys = r.frame["_k"]
        host_seen = seen.setdefault(r.source.host, set())
        dup = keys.duplicated() | keys.isin(host_seen)
        host_seen.update(keys[~dup].tolist())
        n = int(dup.sum())
        r.frame = r.frame[~dup].drop(columns="_k").reset_index(drop=True)
        r.parsed -= n
        r.ignored += n
