"""Which qrunners ran where and when, from each host's qrunner log (FAQ 4.78 items 2 and 6).

mailmanctl logs no "started" line for itself; each runner logs ``X qrunner
started.`` and the master logs ``Master qrunner detected subprocess exit`` with
the slice and whether it restarts (reference mailman2-logs.md 2.5).
"""

from __future__ import annotations

import pandas as pd

DEFAULT_RUNNERS = ("ArchRunner", "BounceRunner", "CommandRunner", "IncomingRunner",
                   "NewsRunner", "OutgoingRunner", "VirginRunner", "RetryRunner")

RUNNER_EVENTS = ("runner_started", "runner_exiting", "runner_signal", "runner_exit", "runner_restart_limit",
                 "master_stopped", "master_restarting")

RUNNER_COLUMNS = ["host", "runner", "slices", "first_seen", "last_seen", "starts", "exits", "restarts",
                  "state", "dead_slices"]


def runner_table(events: pd.DataFrame) -> pd.DataFrame:
    """host × runner: slices, first/last seen, starts, exits, restarts and the state at the end.

    ``state`` is ``running`` (last word was a start or a restarting exit),
    ``stopped`` (a clean stop: SIGTERM / sts 15 / not restarting after the master
    stopped) or ``dead`` (exited without restart while the master kept running).
    """
    q = events[events["event"].isin(RUNNER_EVENTS)].sort_values("ts", kind="stable")
    rows = []
    for (host, runner), grp in q[q["runner"].notna()].groupby(["host", "runner"], sort=True):
        slices = int(grp["slices"].max()) if grp["slices"].notna().any() else 1
        exits = grp[grp["event"] == "runner_exit"]
        restarting = exits["status"].eq("restarting")
        dead: set[int] = set()
        state = "running"
        for r in grp.itertuples():
            if r.event == "runner_started":
                state = "running"
                dead.clear()
            elif r.event == "runner_exit":
                sl = int(r.slice) if pd.notna(r.slice) else 1
                if str(r.status) == "restarting":
                    dead.discard(sl)
                else:
                    dead.add(sl)
                    stopped = str(r.code) == "15" or str(r.text) in ("sig: 15", "sig: SIGTERM")
                    state = "stopped" if stopped else "dead"
            elif r.event == "runner_restart_limit":
                state = "dead"
            elif r.event in ("runner_exiting", "runner_signal") and state == "running":
                state = "stopping"
        if state == "stopping":
            state = "stopped"
        if state == "running" and dead:
            state = "slice-missing"
        rows.append({
            "host": host, "runner": runner, "slices": slices,
            "first_seen": grp["ts"].min(), "last_seen": grp["ts"].max(),
            "starts": int((grp["event"] == "runner_started").sum()),
            "exits": int(len(exits)), "restarts": int(restarting.sum()),
            "state": state, "dead_slices": sorted(dead),
        })
    return pd.DataFrame(rows, columns=RUNNER_COLUMNS)


def incoming_runner_evidence(events: pd.DataFrame) -> dict[str, list[int]]:
    """host -> event rows proving an IncomingRunner worked there.

    A qrunner log line about IncomingRunner, or a vette line only the
    IncomingRunner writes (held, auto-discard/reject).
    """
    mask = (events["runner"] == "IncomingRunner") | events["event"].isin(["held", "auto_discarded", "auto_rejected"])
    ev = events[mask.fillna(False)]
    return {h: list(g.index) for h, g in ev.groupby("host")}


def mailman_hosts(events: pd.DataFrame) -> dict[str, set[str]]:
    """host -> the Mailman logs it has lines in (to tell 'no runners' from 'no logs')."""
    mm = events[~events["log"].eq("maillog")]
    return {h: set(g["log"].dropna()) for h, g in mm.groupby("host")}
