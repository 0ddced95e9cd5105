"""The on-disk cache of ``mmtrace message``: what one run found, so the next run on the same files is quick.

Three kinds of entries live under :func:`cache_dir` (``$MMTRACE_CACHE_DIR``, else
``$XDG_CACHE_HOME/mmtrace``, else ``~/.cache/mmtrace``):

* ``scan/``: per maillog, its line count and a line-number mark about every MiB;
  ``hits/``: per maillog and searched token, the lines it was found on (JSON;
  :class:`tracer.focus.FileIndex`);
* ``mailman/``: per Mailman log, its parsed events and line accounting (Arrow IPC
  with the accounting as JSON in the schema metadata);
* ``result/``: the complete output of one ``mmtrace message`` command, keyed by
  the command's arguments, every input file's :func:`signature`, the time zone
  and the code that produced it.

Every entry records the :func:`signature` of the file(s) it was made from (real
path, size, mtime, ctime, inode, device) and is used only while they still
match, so an appended, rewritten, rotated or replaced file is read afresh. A
file modified in the last few seconds is not cached at all (its next write could
keep the same size and time stamp on a file system with coarse times).

Nothing here can change a result or stop a run: entries are JSON or Arrow IPC
(never pickle), written to a temporary file and renamed into place, and an
unreadable, corrupt or unwritable cache is treated as empty, with a debug log.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
import time

log = logging.getLogger(__name__)

#: bump when the layout or meaning of an entry changes
VERSION = 1
#: files modified less than this many seconds ago are not cached
RACY_SECONDS = 2.0
#: most entries kept per kind; the least recently written go first
LIMITS = {"scan": 256, "hits": 4096, "mailman": 256, "result": 256}


def cache_dir() -> str:
    """Where the cache lives: ``$MMTRACE_CACHE_DIR``, ``$XDG_CACHE_HOME/mmtrace`` or ``~/.cache/mmtrace``."""
    explicit = os.environ.get("MMTRACE_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mmtrace")


def signature(path: str) -> list | None:
    """What identifies one version of a file: [real path, size, mtime_ns, ctime_ns, inode, device]; None for stdin
    or a file that cannot be stat'ed."""
    if path == "-":
        return None
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    return [real, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def settled(sig: list | None) -> bool:
    """True if the file behind ``sig`` was last modified long enough ago that it may be cached."""
    return sig is not None and time.time() - sig[2] / 1e9 >= RACY_SECONDS


def _digest(key) -> str:
    return hashlib.sha256(json.dumps([VERSION, key], sort_keys=True, default=str).encode()).hexdigest()[:40]


class Store:
    """One cache directory. Every method swallows I/O and format errors: a miss, never an exception."""

    def __init__(self, root: str | None = None):
        self.root = root if root is not None else cache_dir()

    def _file(self, kind: str, key, ext: str) -> str:
        return os.path.join(self.root, kind, f"{_digest(key)}.{ext}")

    # ---- JSON entries ---------------------------------------------------------
    def get_json(self, kind: str, key) -> dict | None:
        path = self._file(kind, key, "json")
        try:
            with open(path, "rb") as fh:
                data = json.loads(fh.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            log.debug("mmtrace cache: ignoring unreadable %s: %s", path, exc)
            return None
        if not isinstance(data, dict) or data.get("v") != VERSION or data.get("key") != json.loads(
                json.dumps(key, default=str)):
            log.debug("mmtrace cache: ignoring %s (other version or key)", path)
            return None
        return data

    def put_json(self, kind: str, key, data: dict) -> bool:
        body = dict(data, v=VERSION, key=key)
        try:
            raw = json.dumps(body, default=str, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            log.debug("mmtrace cache: cannot encode a %s entry: %s", kind, exc)
            return False
        return self._write(kind, self._file(kind, key, "json"), raw)

    # ---- Arrow IPC entries (tables; the JSON metadata rides in the schema) -----
    def get_arrow(self, kind: str, key):
        """(pyarrow.Table, metadata dict) or None."""
        path = self._file(kind, key, "arrow")
        try:
            import pyarrow as pa

            with pa.memory_map(path, "r") as src:
                table = pa.ipc.open_file(src).read_all()
            meta = json.loads((table.schema.metadata or {}).get(b"mmtrace", b"null"))
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a damaged file
            log.debug("mmtrace cache: ignoring unreadable %s: %s", path, exc)
            return None
        if not isinstance(meta, dict) or meta.get("v") != VERSION or meta.get("key") != json.loads(
                json.dumps(key, default=str)):
            log.debug("mmtrace cache: ignoring %s (other version or key)", path)
            return None
        return table, meta

    def put_arrow(self, kind: str, key, table, meta: dict) -> bool:
        try:
            import pyarrow as pa

            body = json.dumps(dict(meta, v=VERSION, key=key), default=str).encode()
            table = table.replace_schema_metadata(dict(table.schema.metadata or {}, mmtrace=body))
            sink = pa.BufferOutputStream()
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            raw = sink.getvalue().to_pybytes()
        except Exception as exc:  # noqa: BLE001
            log.debug("mmtrace cache: cannot encode a %s entry: %s", kind, exc)
            return False
        return self._write(kind, self._file(kind, key, "arrow"), raw)

    # ---- writing ---------------------------------------------------------------
    def _write(self, kind: str, path: str, raw: bytes) -> bool:
        """Write ``raw`` to ``path`` atomically (temporary file + rename), then trim the kind's directory."""
        folder = os.path.dirname(path)
        tmp = None
        try:
            os.makedirs(self.root, mode=0o700, exist_ok=True)  # private: entries quote log lines
            os.makedirs(folder, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            log.debug("mmtrace cache: cannot write %s: %s", path, exc)
            return False
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        self._trim(kind, folder)
        return True

    def _trim(self, kind: str, folder: str) -> None:
        limit = LIMITS.get(kind, 256)
        try:
            names = os.listdir(folder)
            for n in names:  # left behind by a process killed while writing
                if n.startswith(".tmp-"):
                    p = os.path.join(folder, n)
                    try:
                        if time.time() - os.stat(p).st_mtime > 3600:
                            os.unlink(p)
                    except OSError:
                        pass
            names = [n for n in names if not n.startswith(".")]
            if len(names) <= limit:
                return
            limit -= limit // 8  # trim a little further, so that not every write has to
            entries = []
            for n in names:
                p = os.path.join(folder, n)
                try:
                    entries.append((os.stat(p).st_mtime_ns, p))
                except OSError:
                    pass
            for _, p in sorted(entries)[: len(entries) - limit]:
                os.unlink(p)
        except OSError as exc:
            log.debug("mmtrace cache: cannot trim %s: %s", folder, exc)


def result_key(command: str, args: dict, paths, hosts) -> list | None:
    """The key of one command's output: its arguments, every input file (host, path, kind, :func:`signature`),
    the discovery warnings and :func:`code_fingerprint`; None when an input cannot be cached (stdin, a bad path)."""
    from .sources import discover

    try:
        sources, warnings = discover(list(paths), list(hosts or []))
    except Exception:  # noqa: BLE001 - the real run reports it
        return None
    files = []
    for s in sources:
        sig = signature(s.path)
        if sig is None:
            return None
        files.append([s.host, s.path, s.log, list(s.order), sig])
    return [command, args, files, warnings, code_fingerprint()]


def get_result(store: Store, key: list) -> tuple[str, str, int] | None:
    """(stdout, stderr, exit code) stored for ``key``."""
    data = store.get_json("result", key)
    if data is None:
        return None
    out, err, code = data.get("stdout"), data.get("stderr"), data.get("code")
    if not (isinstance(out, str) and isinstance(err, str) and code in (0, 1)):
        return None
    return out, err, code


def put_result(store: Store, key: list, out: str, err: str, code: int, args: tuple) -> None:
    """Store a command's output, if its inputs are settled and did not change while it ran (``args`` are
    the :func:`result_key` arguments, to check that)."""
    if code not in (0, 1) or not all(settled(f[4]) for f in key[2]) or result_key(*args) != key:
        return
    store.put_json("result", key, {"stdout": out, "stderr": err, "code": code})


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> list:
    """What the output of a command depends on besides its inputs: this package's source files, the
    libraries that compute it, Python itself, and this machine's time zone settings."""
    here = os.path.dirname(os.path.abspath(__file__))
    files = []
    for dirpath, dirnames, filenames in os.walk(here):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for fn in sorted(filenames):
            if fn.endswith((".py", ".so", ".pyd", ".c")):
                p = os.path.join(dirpath, fn)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                files.append([os.path.relpath(p, here), st.st_size, st.st_mtime_ns])
    libs = []
    from importlib.util import find_spec

    for name in ("pandas", "numpy", "pyarrow", "networkx", "dateutil", "regex", "tzdata"):
        try:
            spec = find_spec(name)
            origin = spec.origin if spec is not None else None
            libs.append([name, origin, os.stat(origin).st_mtime_ns if origin else None])
        except (ImportError, ValueError, OSError):
            libs.append([name, None, None])
    zone = [os.environ.get("TZ"), os.path.realpath("/etc/localtime")]
    try:
        with open("/etc/timezone", encoding="utf-8", errors="replace") as fh:
            zone.append(fh.read().strip())
    except OSError:
        zone.append(None)
    return [files, libs, sys.version, zone]
