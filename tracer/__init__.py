"""mmtrace: trace GNU Mailman 2.1 list posts across hosts through MTA and Mailman logs.

The pipeline follows the data: read files (:mod:`tracer.sources`) -> parse lines
(:mod:`tracer.parse`, :mod:`tracer.formats`) -> events table (:mod:`tracer.schema`)
-> lifecycles (:mod:`tracer.correlate`) -> states and findings
(:mod:`tracer.diagnose`) -> text or JSON (:mod:`tracer.render`).

    >>> import tracer
    >>> t = tracer.load(["sample_logs/"])                 # doctest: +SKIP
    >>> t.posts[t.posts.state == "stalled"]               # doctest: +SKIP
"""

from .correlate import Lifecycle, correlate
from .diagnose import Finding, diagnose
from .errors import InputError, StrictError, TracerError, UsageError
from .tables import LifecycleView
from .trace import Trace, load

__all__ = sorted([
    "Finding", "InputError", "Lifecycle", "LifecycleView", "StrictError", "Trace", "TracerError", "UsageError",
    "correlate", "diagnose", "load",
])
__version__ = "0.1.0"
