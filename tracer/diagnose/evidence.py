"""Site-wide evidence the rules look up by time: shunts, lock breaks, rows by event kind."""

from __future__ import annotations

import pandas as pd

_FILEBASE_TIME = r"^(\d+\.\d+)\+"


def by_event(events: pd.DataFrame) -> dict[str, list[int]]:
    """event kind -> row numbers, for the rarer kinds rules search near a time."""
    wanted = ["wrapper_error", "smrsh_refused", "runner_exception", "traceback", "shunted", "lock_broken",
              "lock_timeout", "smtp_cannot_connect", "post_script_error"]
    sub = events[events["event"].isin(wanted)]
    return {k: list(g.index) for k, g in sub.groupby("event")}


def shunts(events: pd.DataFrame) -> list[dict]:
    """Each ``SHUNTING: <time>+<sha1>`` with the exception logged just before it by the same process.

    The ``<time>`` prefix is the message's ``received_time``: when it first reached
    Mailman, kept across every re-queue (reference mailman2-logs.md 3.3).
    """
    out = []
    sh = events[events["event"] == "shunted"]
    exc = events[events["event"].isin(["runner_exception", "traceback"])]
    for r in sh.itertuples():
        m = pd.Series([r.filebase]).str.extract(_FILEBASE_TIME)[0].iloc[0]
        if not isinstance(m, str):
            continue
        before = exc[(exc["host"] == r.host) & (exc["ts"] <= r.ts) &
                     (exc["ts"] >= r.ts - pd.Timedelta(seconds=5)) & (exc["pid"] == r.pid).fillna(False)]
        texts = [t for t in before.sort_values("ts")["text"].dropna().tolist() if t]
        out.append({"host": r.host, "ts": r.ts, "filebase": r.filebase, "epoch": float(m),
                    "exception": texts[-1] if texts else "", "rows": list(before.index) + [r.Index]})
    return out


def lock_breaks(events: pd.DataFrame) -> dict[str, list[int]]:
    """list name -> rows of ``<list>.lock lifetime has expired, breaking``."""
    lb = events[(events["event"] == "lock_broken") & events["list"].notna()]
    return {k: list(g.index) for k, g in lb.groupby("list")}
