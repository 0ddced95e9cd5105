"""Exceptions mmtrace raises for structural problems (bad lines are data, not exceptions).

    TracerError                 anything mmtrace refuses to do; the message says how to fix it
    ├── InputError              a path, archive or host assignment that cannot be read
    ├── UsageError              an impossible option (bad --host, --tz, --since ...)
    ├── StrictError             --strict and some line could not be parsed
    └── RegistryError           a format pattern contradicts its own sample lines (a bug)
"""

from __future__ import annotations


class TracerError(Exception):
    """Base class: mmtrace cannot go on, and the message says why and what to do."""


class InputError(TracerError):
    """A file, directory or archive that cannot be read as a log."""


class UsageError(TracerError):
    """An option value that makes no sense."""


class StrictError(TracerError):
    """Raised under --strict when any input line is unparsed."""


class RegistryError(TracerError):
    """A pattern in the format registry is inconsistent with its samples."""
