"""The ``mmtrace`` command: a thin typer veneer over :func:`tracer.load` and the renderers.

Exit codes: 0 every post delivered (or still legitimately pending), 1 a post is
stalled, failed or partial or a host finding exists, 2 usage or input error.
"""

from __future__ import annotations

import logging
import os
import sys
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .errors import TracerError

if TYPE_CHECKING:
    from .trace import Trace

# pandas and everything built on it are imported inside the commands, so that
# `message` can start its byte search in a child process first (tracer.focus.start)

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Trace Mailman 2.1 list posts across hosts through MTA and Mailman logs.")


class Format(str, Enum):
    text = "text"
    json = "json"


Paths = Annotated[list[str], typer.Argument(help="Log files, host directories or a site directory (ROOT/<host>/...); - for stdin.")]
HostOpt = Annotated[Optional[list[str]], typer.Option("--host", help="NAME=PATH: read PATH as host NAME (repeatable).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", help="Ignore events before this time (local time unless it has an offset).")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="Ignore events at or after this time.")]
YearOpt = Annotated[Optional[int], typer.Option("--year", help="Year of the last line of yearless syslog files.")]
TzOpt = Annotated[Optional[list[str]], typer.Option("--tz", help="Area/City for all hosts, or HOST=Area/City (repeatable). Default: this machine's zone.")]
GraceOpt = Annotated[float, typer.Option("--grace", help="Minutes before the end of the logs in which an unfinished post counts as in flight.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Fail (exit 2) if any line could not be parsed.")]
SkewOpt = Annotated[bool, typer.Option("--skew-correction/--no-skew-correction", help="Correct host clock offsets estimated from causal pairs.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache (MMTRACE_CACHE_DIR, else $XDG_CACHE_HOME/mmtrace or ~/.cache/mmtrace).")]


def _load(paths, host, since, until, year, tz, grace, strict, skew=True, focus=None, cache=True,
          summary=False) -> "Trace":
    from .trace import load

    return load(paths, hosts=host, since=since, until=until, year=year, tz=tz, grace=f"{grace}min", strict=strict,
                skew_correction=skew, focus=focus, cache=cache, summary=summary)


def _fail(exc: Exception) -> None:
    typer.echo(f"Error: {exc}", err=True)
    raise typer.Exit(2)


def _notes(trace: "Trace", fmt: Format) -> None:
    from . import render

    if fmt is Format.json:  # text output prints them itself; JSON carries them in "problems"
        for p in trace.problems:
            typer.echo(f"note: {render.text.safe(p)}", err=True)


@app.command()
def message(ident: Annotated[str, typer.Argument(help="Message-ID (with or without <>) or MTA queue ID.")],
            paths: Paths, host: HostOpt = None, format: FormatOpt = Format.text, since: SinceOpt = None,
            until: UntilOpt = None, year: YearOpt = None, tz: TzOpt = None, grace: GraceOpt = 15.0,
            strict: StrictOpt = False, skew: SkewOpt = True, no_cache: NoCacheOpt = False) -> None:
    """One post's timeline across hosts, its state and the verdict.

    The output is cached (see --no-cache): run again on unchanged files, it is
    printed at once; files already searched are not read again for the same
    post, and for another post only searched for what is new.

    Example: mmtrace message '<5216A1B2.8030105@example.org>' sample_logs/
    """
    from .cache import Store, get_result, put_result, result_key
    from .focus import start

    store = None if no_cache else Store()
    args = ("message", {"ident": ident, "host": host, "format": format.value, "since": since, "until": until,
                        "year": year, "tz": tz, "grace": grace, "strict": strict, "skew": skew}, paths, host)
    key = result_key(*args) if store is not None else None
    done = get_result(store, key) if key is not None else None
    if done is not None:
        _emit(*done)
    ahead = start(paths, host, ident, store)  # the byte search runs while pandas is imported
    try:
        trace = _load(paths, host, since, until, year, tz, grace, strict, skew, focus=ahead or ident,
                      cache=not no_cache)
        view = trace.lifecycle(ident)
    except KeyError as exc:
        out, err, code = "", f"Error: {exc.args[0]}\n", 1
    except TracerError as exc:
        _fail(exc)
    else:
        from . import render
        from .diagnose import PROBLEM_STATES

        err = "".join(f"note: {render.text.safe(p)}\n" for p in trace.problems) if format is Format.json else ""
        out = render.message_json(trace, view) if format is Format.json else render.message_text(trace, view)
        code = 1 if view.state in PROBLEM_STATES else 0
    finally:
        if ahead is not None:
            ahead.close()
    if key is not None:
        put_result(store, key, out, err, code, args)
    _emit(out, err, code)


def _emit(out: str, err: str, code: int) -> None:
    if err:
        typer.echo(err, err=True, nl=False)
    typer.echo(out, nl=False)
    raise typer.Exit(code)


@app.command()
def postmortem(paths: Paths, host: HostOpt = None, format: FormatOpt = Format.text, since: SinceOpt = None,
               until: UntilOpt = None, year: YearOpt = None, tz: TzOpt = None, grace: GraceOpt = 15.0,
               strict: StrictOpt = False, skew: SkewOpt = True,
               show_unparsed: Annotated[bool, typer.Option("--show-unparsed", help="List unparsed lines with the nearest pattern.")] = False) -> None:
    """Every post over the logs: totals by state, list and host; what was lost, where and why.

    Example: mmtrace postmortem sample_logs/ --format json
    """
    from . import render
    from .diagnose import PROBLEM_STATES

    try:
        trace = _load(paths, host, since, until, year, tz, grace, strict, skew, summary=True)
        out = render.postmortem_json(trace) if format is Format.json else render.postmortem_text(trace)
    except TracerError as exc:
        _fail(exc)
    _notes(trace, format)
    typer.echo(out, nl=False)
    if show_unparsed:
        typer.echo(render.unparsed_text(trace), err=True, nl=False)
    problem = trace.posts["state"].isin(list(PROBLEM_STATES)).any() or bool(trace.diagnosis.host_findings)
    raise typer.Exit(1 if problem else 0)


@app.command()
def latency(paths: Paths, by: Annotated[str, typer.Option("--by", help="Group by list, host, hour or none.")] = "list",
            host: HostOpt = None, format: FormatOpt = Format.text, since: SinceOpt = None, until: UntilOpt = None,
            year: YearOpt = None, tz: TzOpt = None, grace: GraceOpt = 15.0, strict: StrictOpt = False) -> None:
    """Stage latencies (p50/p90/p99/max seconds) per list, host or hour.

    Example: mmtrace latency sample_logs/ --by hour
    """
    from . import render
    from .latency import latency_summary

    try:
        trace = _load(paths, host, since, until, year, tz, grace, strict, summary=True)
        table = latency_summary(trace.posts, by=by)
    except TracerError as exc:
        _fail(exc)
    _notes(trace, format)
    typer.echo(render.latency_json(table) if format is Format.json else render.latency_text(table, by), nl=False)


#: set for the command's own process unless the environment says otherwise, before numpy and
#: pyarrow load: glibc's allocator, whose thresholds tracer.memory sets per stage (mimalloc zeroed a
#: fresh 2 MiB page for ever more of the parse's Arrow buffers: 0.5 s and 25 MiB more at 5M lines),
#: and no OpenBLAS threads spinning on the two cores the parse uses (mmtrace does no linear algebra)
_ENVIRONMENT = {"ARROW_DEFAULT_MEMORY_POOL": "system", "OPENBLAS_NUM_THREADS": "1"}


def main() -> None:  # pragma: no cover - console entry
    for name, value in _ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    _exit(code)


def _exit(code) -> None:
    """Leave without tearing the heap down: freeing a busy day's tables object by object took
    ~0.4 s after the output was written. Output is flushed first; nothing else needs an exit hook
    (the message search's child is closed by the command itself)."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more can be said
            code = code or 1
    os._exit(code or 0)
