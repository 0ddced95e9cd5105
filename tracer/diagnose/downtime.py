"""When each qrunner (slice) was down, from the qrunner log.

A runner slice is down from an exit that is not restarted (``sts: 15`` after
``mailmanctl stop``, a signal the master does not restart, or after ``reached
maximum restart limit``) until the next ``X qrunner started.`` on that host.
mailmanctl's ``Master watcher caught SIGTERM`` takes every runner down with it.
"""

from __future__ import annotations

import pandas as pd

from .runners import DEFAULT_RUNNERS

DOWN_COLUMNS = ["host", "runner", "slice", "slices", "down_from", "down_until", "row", "reason"]


def downtimes(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (host, runner, slice) outage; ``down_until`` is NaT when it never came back."""
    q = events[events["event"].isin(["runner_started", "runner_exit", "runner_restart_limit",
                                     "master_stopped"])].sort_values("ts", kind="stable")
    open_: dict[tuple, dict] = {}
    rows: list[dict] = []
    last_exit: dict[tuple, tuple[int, int]] = {}  # (host, runner) -> (slice, slices) of its last exit
    known: dict[tuple, int] = {}  # (host, runner) -> slices
    for r in q.itertuples():
        if r.event == "runner_exit" and isinstance(r.runner, str) and pd.notna(r.slices):
            known[(r.host, r.runner)] = max(known.get((r.host, r.runner), 1), int(r.slices))
    for r in q.itertuples():
        ev = r.event
        if ev == "runner_started":
            for k in [k for k in open_ if k[0] == r.host and k[1] == r.runner]:
                o = open_.pop(k)
                o["down_until"] = r.ts
                rows.append(o)
            continue
        if ev == "master_stopped":
            runners = {k[1] for k in known if k[0] == r.host} | set(DEFAULT_RUNNERS)
            for name in sorted(runners):
                for sl in range(1, known.get((r.host, name), 1) + 1):
                    _open(open_, r, name, sl, known.get((r.host, name), 1), "mailmanctl stopped (SIGTERM)")
            continue
        if not isinstance(r.runner, str):
            continue
        if ev == "runner_restart_limit":
            # mailmanctl still logs "[restarting]" on the exit before this line; the slice
            # that exited last is the one that stays dead (bin/mailmanctl, MAX_RESTARTS)
            sl, n = last_exit.get((r.host, r.runner), (1, known.get((r.host, r.runner), 1)))
            why = f"reached the maximum restart limit ({r.code}) and was not restarted"
            _open(open_, r, r.runner, sl, n, why)
            open_[(r.host, r.runner, sl)].update(reason=why, row=r.Index)
            continue
        sl = int(r.slice) if pd.notna(r.slice) else 1
        n = int(r.slices) if pd.notna(r.slices) else 1
        last_exit[(r.host, r.runner)] = (sl, n)
        if str(r.status) == "restarting":
            continue
        why = "stopped by mailmanctl" if str(r.code) == "15" else f"exited ({r.text}, sts {r.code}) and was not restarted"
        _open(open_, r, r.runner, sl, n, why)
    for o in open_.values():
        o["down_until"] = pd.NaT
        rows.append(o)
    df = pd.DataFrame(rows, columns=DOWN_COLUMNS)
    for c in ("down_from", "down_until"):
        df[c] = pd.to_datetime(df[c], utc=True).astype("datetime64[ns, UTC]")
    return df.sort_values(["host", "runner", "slice", "down_from"]).reset_index(drop=True)


def _open(open_: dict, r, runner: str, sl: int, n: int, reason: str) -> None:
    key = (r.host, runner, sl)
    if key not in open_:
        open_[key] = {"host": r.host, "runner": runner, "slice": sl, "slices": n, "down_from": r.ts,
                      "down_until": pd.NaT, "row": r.Index, "reason": reason}


def down_at(down: pd.DataFrame, runner: str, ts: pd.Timestamp, hosts: list[str] | None = None) -> pd.DataFrame:
    """Outages of ``runner`` covering ``ts`` (on ``hosts`` when given)."""
    if down.empty:
        return down
    m = (down["runner"] == runner) & (down["down_from"] <= ts) & (down["down_until"].isna() | (down["down_until"] > ts))
    if hosts is not None:
        m &= down["host"].isin(hosts)
    return down[m]
