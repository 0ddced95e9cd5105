"""The sample site made messy the way real sites are must give the same verdicts.

The transformation (done here, from ``sample_logs/``): the day moves to New Year's
Eve so it crosses Dec 31 -> Jan 1; the back-end's maillog is rewritten in rsyslog
RFC 3339 format and split into a gzip rotation plus a live file that repeats the
rotation's last block (overlapping rotation); the front-end's clock runs four
minutes fast.
"""

import gzip
import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import tracer

ROOT = Path(__file__).resolve().parents[1]
ZONE = ZoneInfo("America/New_York")
SHIFT = datetime(2014, 1, 1) - datetime(2013, 8, 22)  # Aug 22 00:00 -> Jan 1 00:00
SKEW = timedelta(minutes=4)
BSD = re.compile(r"^(\w{3}) ([ \d]\d) (\d\d:\d\d:\d\d) ")
MAILMAN = re.compile(r"^(\w{3} \d\d \d\d:\d\d:\d\d \d{4}) ")


def _bsd_to(line: str, fmt, skew=timedelta(0)) -> str:
    m = BSD.match(line)
    if not m:
        return line
    t = datetime.strptime(f"{m[1]} {m[2].strip()} 2013 {m[3]}", "%b %d %Y %H:%M:%S") + SHIFT + skew
    return fmt(t) + line[m.end() - 1:]


def _mailman_to(line: str, skew=timedelta(0)) -> str:
    m = MAILMAN.match(line)
    if not m:
        return line
    t = datetime.strptime(m[1], "%b %d %H:%M:%S %Y") + SHIFT + skew
    return t.strftime("%b %d %H:%M:%S %Y") + line[m.end() - 1:]


def _rfc3339(t: datetime) -> str:
    return t.replace(tzinfo=ZONE).isoformat(timespec="microseconds")


def _bsd(t: datetime) -> str:
    return t.strftime("%b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S")


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("messy") / "site"
    shutil.copytree(ROOT / "sample_logs", site, ignore=shutil.ignore_patterns("*.md", "*.json"))
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        host_skew = SKEW if "lists-fe" in path.parts else timedelta(0)
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        if path.name.startswith("maillog"):
            fmt = _rfc3339 if "lists-be" in path.parts else _bsd
            lines = [_bsd_to(ln, fmt, host_skew) for ln in lines]
        else:
            lines = [_mailman_to(ln, host_skew) for ln in lines]
        path.write_text("".join(ln + "\n" for ln in lines), encoding="utf-8", errors="surrogateescape")
    be = site / "lists-be" / "var" / "log"
    old = (be / "maillog-20130822").read_text().splitlines()
    live = (be / "maillog").read_text().splitlines()
    cut = len(live) // 2
    rotated = old + live[:cut]
    (be / "maillog-20130822").unlink()
    with gzip.open(be / "maillog.1.gz", "wt") as fh:
        fh.write("".join(ln + "\n" for ln in rotated))
    (be / "maillog").write_text("".join(ln + "\n" for ln in live[cut - 40:]))  # 40 lines read twice
    return site


def _verdicts(trace):
    return {lc.message_id: (lc.list, lc.state, sorted(x.code for x in lc.findings))
            for lc in trace.lifecycles.values()}


def test_messy_site_gives_the_clean_verdicts(messy):
    expected = json.loads((ROOT / "sample_logs" / "expected.json").read_text())
    trace = tracer.load([str(messy)], tz=["America/New_York"])
    assert _verdicts(trace) == {k: (v["list"], v["state"], sorted(v["findings"])) for k, v in expected.items()}
    assert trace.lines["unparsed"] == 0


def test_the_day_crosses_new_year(messy):
    trace = tracer.load([str(messy)], tz=["America/New_York"])
    years = trace.events["ts"].dt.tz_convert("America/New_York").dt.year.value_counts().to_dict()
    assert set(years) == {2013, 2014}
    first = trace.events["ts"].min().tz_convert("America/New_York")
    assert (first.month, first.day) == (12, 31)


def test_front_end_clock_offset_is_estimated_and_corrected(messy):
    trace = tracer.load([str(messy)], tz=["America/New_York"])
    fe = trace.clocks["lists-fe"]
    assert fe["pairs"] >= 2 and 230 <= fe["clock_offset_s"] <= 250 and fe["corrected"]
    assert trace.clocks["lists-be"]["clock_offset_s"] == 0.0
    # after correction the front-end approvals precede the back-end hand-offs they caused
    posts = trace.posts.dropna(subset=["approved_at", "handed_off_at"])
    assert len(posts) >= 2 and ((posts["handed_off_at"] - posts["approved_at"]).dt.total_seconds().between(0, 60)).all()


def test_without_skew_correction_the_offset_is_reported_but_times_stay(messy):
    trace = tracer.load([str(messy)], tz=["America/New_York"], skew_correction=False)
    assert trace.clocks["lists-fe"]["corrected"] is False
    posts = trace.posts.dropna(subset=["approved_at", "handed_off_at"])
    assert ((posts["handed_off_at"] - posts["approved_at"]).dt.total_seconds() < 0).any()


def test_overlapping_rotation_counts_repeated_lines_once(messy):
    trace = tracer.load([str(messy)], tz=["America/New_York"])
    files = trace.files.set_index("path")
    live = files.loc[str(messy / "lists-be" / "var" / "log" / "maillog")]
    assert live["total"] == live["parsed"] + live["ignored"] + live["unparsed"]
    clean = tracer.load([str(ROOT / "sample_logs")])
    assert len(trace.events[trace.events["log"] == "maillog"]) == len(clean.events[clean.events["log"] == "maillog"])
