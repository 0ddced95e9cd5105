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
                 "runner_reopen", "master_stopped", "master_restarting")

RUNNER_COLUMNS = ["host", "runner", "slices", "first_seen", "last_seen", "starts", "exits", "restarts",
                  "state", "dead_slices"]


def runner_table(events: pd.DataFrame, down: pd.DataFrame) -> pd.DataFrame:
    """host × runner: slices, first/last seen, starts, exits, restarts and the state at the end.

    ``state`` comes from the outages still open at the end of the logs
    (:func:`tracer.diagnose.downtime.downtimes`): ``running``, ``stopped`` (by
    mailmanctl), ``dead`` (exited, not restarted) or ``slice-missing`` (some of
    its slices dead while others run).
    """
    q = events[events["event"].isin(RUNNER_EVENTS) & events["runner"].notna()]
    still = down[down["down_until"].isna()] if len(down) else down
    rows = []
    for (host, runner), grp in q.groupby(["host", "runner"], sort=True):
        slices = int(grp["slices"].max()) if grp["slices"].notna().any() else 1
        exits = grp[grp["event"] == "runner_exit"]
        dead = still[(still["host"] == host) & (still["runner"] == runner)] if len(still) else still
        if len(dead) == 0:
            state = "running"
        elif len(dead) < slices:
            state = "slice-missing"
        else:
            state = "stopped" if dead["reason"].str.contains("mailmanctl").all() else "dead"
        rows.append({
            "host": host, "runner": runner, "slices": slices,
            "first_seen": grp["ts"].min(), "last_seen": grp["ts"].max(),
            "starts": int((grp["event"] == "runner_started").sum()),
            "exits": int(len(exits)), "restarts": int(exits["status"].eq("restarting").sum()),
            "state": state, "dead_slices": sorted(int(x) for x in dead["slice"]) if len(dead) else [],
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
