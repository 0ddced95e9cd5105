"""mmtrace: trace GNU Mailman 2.1 list posts across hosts through MTA and Mailman logs.

The pipeline follows the data: read files (:mod:`tracer.sources`) -> parse lines
(:mod:`tracer.parse`, :mod:`tracer.formats`) -> events table (:mod:`tracer.schema`)
-> lifecycles (:mod:`tracer.correlate`) -> states and findings
(:mod:`tracer.diagnose`) -> text or JSON (:mod:`tracer.render`).

    >>> import tracer
    >>> t = tracer.load(["sample_logs/"])                 # doctest: +SKIP
    >>> t.posts[t.posts.state == "stalled"]               # doctest: +SKIP

Names are imported on first use, so ``import tracer.formats`` stays cheap.
"""

from importlib import import_module

_WHERE = {
    "Finding": "diagnose.rules",
    "InputError": "errors",
    "Lifecycle": "correlate",
    "LifecycleView": "tables",
    "StrictError": "errors",
    "Trace": "trace",
    "TracerError": "errors",
    "UsageError": "errors",
    "load": "trace",
}

__all__ = sorted(_WHERE)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'tracer' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
