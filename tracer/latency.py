"""Stage latency percentiles over ``Trace.posts`` (the ``mmtrace latency`` command and notebooks).

    >>> import tracer
    >>> t = tracer.load(["sample_logs/"])                    # doctest: +SKIP
    >>> latency_summary(t.posts, by="list")                  # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from .errors import UsageError

#: stage name -> latency column of Trace.posts
STAGES = {
    "mta_in->mailman": "mta_in_to_mailman_s",
    "held->approved": "held_to_approved_s",
    "approved->posted": "approved_to_posted_s",
    "posted->handed_off": "posted_to_handed_off_s",
    "handed_off->first_delivery": "handed_off_to_first_delivery_s",
    "handed_off->last_delivery": "handed_off_to_last_delivery_s",
    "end_to_end": "end_to_end_s",
}
GROUPINGS = ("list", "host", "hour", "none")


def latency_summary(posts: pd.DataFrame, by: str = "list") -> pd.DataFrame:
    """Rows ``(group, stage)`` with count, p50, p90, p99 and max seconds.

    ``by`` is ``list``, ``host`` (the host that handed the post to the MTA, else
    its first host), ``hour`` (hour of day the post arrived) or ``none``.
    """
    if by not in GROUPINGS:
        raise UsageError(f"--by must be one of {', '.join(GROUPINGS)}, not {by!r}")
    long = posts.melt(id_vars=["key", "list", "hosts", "received_at"], value_vars=list(STAGES.values()),
                      var_name="column", value_name="seconds").dropna(subset=["seconds"])
    long["stage"] = long["column"].map({v: k for k, v in STAGES.items()})
    if by == "list":
        long["group"] = long["list"].fillna("?")
    elif by == "host":
        long["group"] = long["hosts"].fillna("").str.split(",").str[0]
    elif by == "hour":
        long["group"] = long["received_at"].dt.strftime("%H:00")
    else:
        long["group"] = "all"
    g = long.groupby(["group", "stage"], sort=True)["seconds"]
    out = pd.DataFrame({
        "count": g.size(),
        "p50": g.quantile(0.5), "p90": g.quantile(0.9), "p99": g.quantile(0.99), "max": g.max(),
    }).reset_index()
    order = {s: i for i, s in enumerate(STAGES)}
    return out.sort_values(["group", "stage"], key=lambda s: s.map(order) if s.name == "stage" else s) \
        .reset_index(drop=True)
