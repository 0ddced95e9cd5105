"""``load()`` and :class:`Trace`: the library entry point the CLI and notebooks share.

    >>> import tracer
    >>> t = tracer.load(["sample_logs/"])          # doctest: +SKIP
    >>> t.posts.groupby("state").size()            # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

import pandas as pd

from . import memory, skew, timestamps, workers
from .correlate import Correlation, Lifecycle, correlate
from .diagnose import Diagnosis, diagnose
from .errors import StrictError, UsageError
from .formats.registry import Registry
from .cache import Store
from .focus import parse_sources
from .parse import FileResult, iter_parse
from .schema import cast_events, empty_events
from .sources import discover



def parse_tz_options(specs: Iterable[str] | None) -> tuple[str | None, dict[str, str]]:
    """``--tz Area/City`` (all hosts) and ``--tz HOST=Area/City`` -> (default zone, per-host zones)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    default, per_host = None, {}
    for spec in specs or []:
        host, sep, zone = spec.partition("=")
        if not sep:
            host, zone = "", spec
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(f"--tz {spec}: unknown time zone {zone!r}; use an IANA name like Europe/Berlin")
        if host:
            per_host[host] = zone
        else:
            default = zone
    return default, per_host


@dataclass
class Trace:
    """Everything mmtrace read and concluded; tables are pandas DataFrames.

    ``events`` one row per parsed log entry; ``files`` line accounting per file;
    ``unparsed`` the lines nobody recognised; ``posts``, ``deliveries``,
    ``findings`` and ``hosts`` are computed on first use.
    """

    events: pd.DataFrame
    files: pd.DataFrame
    unparsed: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    grace: pd.Timedelta = pd.Timedelta(minutes=15)
    display_tz: str | None = None
    clocks: dict[str, dict] = field(default_factory=dict)  # host -> clock_offset_s, pairs, corrected
    focus: str | None = None  # load(focus=...): the one post that was read in full

    # ---- stages, computed once -------------------------------------------------
    @cached_property
    def correlation(self) -> Correlation:
        return correlate(self.events)

    @cached_property
    def diagnosis(self) -> Diagnosis:
        only = None
        if self.focus:  # only that post's maillog lines were read: the others cannot be judged
            from .tables import match_lifecycle

            lc = match_lifecycle(self.correlation, self.focus)
            only = [lc.key] if lc is not None else []
        return diagnose(self.events, self.correlation, self.grace, self.format_ts, only=only)

    @property
    def lifecycles(self) -> dict[str, Lifecycle]:
        self.diagnosis  # noqa: B018 - states are set by diagnose
        return self.correlation.lifecycles

    def format_ts(self, ts) -> str | None:
        return timestamps.format_ts(ts, self.display_tz)

    # ---- the tables notebooks use ------------------------------------------------
    @cached_property
    def lines(self) -> dict[str, int]:
        """Totals of the line accounting: total = parsed + ignored + unparsed."""
        f = self.files
        return {k: int(f[k].sum()) if len(f) else 0 for k in ("total", "parsed", "ignored", "unparsed")}

    @cached_property
    def posts(self) -> pd.DataFrame:
        from .tables import posts_table

        return posts_table(self)

    @cached_property
    def deliveries(self) -> pd.DataFrame:
        from .tables import deliveries_table

        return deliveries_table(self)

    @cached_property
    def findings(self) -> pd.DataFrame:
        from .tables import findings_table

        return findings_table(self)

    @cached_property
    def hosts(self) -> pd.DataFrame:
        """The runner table: host × runner × slices × first/last seen × exits/restarts × state."""
        return self.diagnosis.runners

    def lifecycle(self, ident: str) -> "LifecycleView":
        """The post whose Message-ID (with or without <>) or MTA queue ID is ``ident``."""
        from .tables import find_lifecycle

        return find_lifecycle(self, ident)


def load(paths: Iterable[str], hosts: Iterable[str] | None = None, since=None, until=None,
         year: int | None = None, tz: Iterable[str] | None = None, grace: str | pd.Timedelta = "15min",
         registry: Registry | None = None, strict: bool = False, progress: bool | None = None,
         skew_correction: bool = True, focus: str | None = None, parallel: bool = False,
         cache: bool = True, summary: bool = False) -> Trace:
    """Read logs from files, directories (``ROOT/<host>/...``) and ``--host NAME=PATH`` specs.

    ``parallel`` parses big maillogs in worker processes (:mod:`tracer.workers`). It is
    off by default: since the delivery lines are scanned in C (with the next block
    scanned on a second core by a thread), shipping a million parsed rows back from
    a worker costs more than it saves on two cores.

    ``summary`` keeps of each run of a transaction's plain outbound ``sent`` lines
    only the first and the last row (``n_lines`` counts the lines a row stands for;
    see :mod:`tracer.sentruns`): the verdicts, counts and latencies are the same,
    ``events`` and ``deliveries`` are a tenth of the size. ``mmtrace postmortem``
    and ``latency`` use it; a notebook that wants every recipient's line does not.

    ``focus`` (a Message-ID or queue ID) reads only the maillog lines that can
    belong to that message, after a byte search; Mailman logs are read whole.
    Only that post is judged: the others' maillog lines were never read.
    With ``focus`` and ``cache``, what the search found and the parsed Mailman logs
    are kept in the on-disk cache (:mod:`tracer.cache`) for the next run on the same files.

    >>> t = load(["sample_logs/"], since="2013-08-22")   # doctest: +SKIP
    """
    sources, problems = discover(list(paths), list(hosts or []))
    default_tz, host_tz = parse_tz_options(tz)
    results: list[FileResult] = []
    memory.return_pages()
    bar = _progress(sources, progress)
    store = Store() if focus and cache else None
    if parallel and not focus and registry is None and workers.worth_it(sources):
        results = workers.parse_parallel(sources)
        problems += [p for r in results for p in r.problems]
    else:
        on_read = bar.read if bar is not None else None
        parsed = parse_sources(sources, registry, focus, store) if focus else iter_parse(
            sources, registry, on_read=on_read, summary=summary)
        for res in parsed:
            results.append(res)
            problems += res.problems
            if bar is not None:
                bar.done(res.source)
    if bar is not None:
        bar.close()
    memory.give_back()  # the parse's buffers, freed but kept by the allocators
    memory.reuse_pages()
    events = _events(results, year, default_tz, host_tz)
    memory.give_back()  # and the per-file frames the event table was built from
    clocks = skew.estimate_offsets(events)
    if skew_correction:
        events = skew.correct(events, clocks)
    for c in clocks.values():
        c["corrected"] = bool(skew_correction and abs(c["clock_offset_s"]) >= 2.0)
    if since is not None:
        events = events[events["ts"] >= _utc(since, default_tz)]
    if until is not None:
        events = events[events["ts"] < _utc(until, default_tz)]
    events = events.reset_index(drop=True)
    files = pd.DataFrame([{"host": r.source.host, "path": r.source.path, "log": r.log, "total": r.total,
                           "parsed": r.parsed, "ignored": r.ignored, "unparsed": r.unparsed} for r in results],
                         columns=["host", "path", "log", "total", "parsed", "ignored", "unparsed"])
    unparsed = pd.DataFrame([{"host": r.source.host, "path": r.source.path, "line": n, "reason": why, "text": txt}
                             for r in results for n, why, txt in r.unparsed_lines],
                            columns=["host", "path", "line", "reason", "text"])
    if strict and len(files) and files["unparsed"].sum():
        first = unparsed.iloc[0] if len(unparsed) else None
        where = f"; first at {first.host}:{first.path}:{first.line} ({first.reason})" if first is not None else ""
        raise StrictError(f"--strict: {int(files['unparsed'].sum())} unparsed line(s){where}")
    ident = getattr(focus, "ident", focus)  # a search already running in a child process carries its ID
    return Trace(events, files, unparsed, problems, pd.Timedelta(grace), default_tz, clocks, ident)


def _utc(value, tz: str | None) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz or timestamps.local_zone_name())
    return ts.tz_convert("UTC")


def _progress(sources, progress: bool | None) -> "_Progress | None":
    """A progress bar on stderr when it is a terminal (or ``progress=True``); None otherwise."""
    if progress is None:
        progress = sys.stderr.isatty() and len(sources) > 0
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return _Progress(tqdm, sources)


class _Progress:
    """A tqdm bar over the input's bytes, shown once a run has taken a second: it moves with
    each block of a plain file and catches up at the end of each file (compressed ones, stdin)."""

    def __init__(self, tqdm, sources) -> None:
        self.sizes = {s.path: _size(s.path) for s in sources}
        self.bar = tqdm(total=sum(self.sizes.values()), unit="B", unit_scale=True, desc="reading",
                        file=sys.stderr, leave=False, delay=1.0)
        self.this_file = 0

    def read(self, n: int) -> None:
        self.this_file += n
        self.bar.update(n)

    def done(self, source) -> None:
        self.bar.update(max(0, self.sizes.get(source.path, 0) - self.this_file))
        self.this_file = 0

    def close(self) -> None:
        self.bar.close()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path) if path != "-" else 0
    except OSError:
        return 0


def _events(results: list[FileResult], year, default_tz, host_tz) -> pd.DataFrame:
    """Concatenate per-file frames, resolve timestamps per file, attribute loghost lines, cast dtypes."""
    hints = _year_hints(results)
    frames = []
    for res in results:
        fr, res.frame = res.frame, pd.DataFrame()  # hand the frame over: one copy in memory, not two
        if fr.empty:
            continue
        host = res.source.host
        if "syslog_host" in fr and res.log == "maillog":
            short = {h: _short_host(h) for h in fr["syslog_host"].dropna().unique()}
            if len(set(short.values()) - {None}) > 1 or host in ("local", "stdin"):
                fr["host"] = fr["syslog_host"].map(short).fillna(host)
            else:
                fr["host"] = host
        else:
            fr["host"] = host
        fr["log"] = res.log
        zone_of = lambda h: host_tz.get(h, default_tz)  # noqa: E731
        ts = pd.Series(pd.NaT, index=fr.index, dtype="datetime64[ns, UTC]")
        groups = fr.groupby("host", sort=False).groups
        for h, idx in groups.items():
            whole = len(groups) == 1  # the usual case: no copy of a million stamps
            ts.loc[idx] = timestamps.resolve(fr["ts_text"] if whole else fr.loc[idx, "ts_text"],
                                             fr["ts_kind"] if whole else fr.loc[idx, "ts_kind"],
                                             zone_of(h), year=year,
                                             year_hint=hints.get(h, res.mtime_year)).array
        fr = fr.drop(columns=["ts_text", "ts_kind"])
        fr["ts"] = ts
        frames.append(fr)
    if not frames:
        return empty_events()
    df = pd.concat(frames, ignore_index=True)
    del frames
    if "list" in df:
        df["list"] = df["list"].str.lower()
    return cast_events(df, consume=True)


def _short_host(name) -> str | None:
    if not isinstance(name, str) or not name or name == "-":
        return None
    if name.replace(".", "").isdigit() or ":" in name:
        return name
    return name.split(".", 1)[0]


def _year_hints(results: list[FileResult]) -> dict[str, int]:
    """host -> the latest year its Mailman logs carry (yearless syslog lines borrow it)."""
    hints: dict[str, int] = {}
    for r in results:
        if r.log != "maillog" and not r.frame.empty and "ts_text" in r.frame:
            years = pd.to_numeric(r.frame["ts_text"].str[-4:], errors="coerce").dropna()
            if len(years):
                hints[r.source.host] = max(hints.get(r.source.host, 0), int(years.max()))
    return hints
