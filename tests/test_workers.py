"""Reading maillogs in byte ranges on several cores gives exactly what one reader gives."""

import shutil
from pathlib import Path

import pandas as pd

import tracer
from tracer import workers
from tracer.sources import discover

ROOT = Path(__file__).resolve().parents[1]


def _site(tmp_path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "sample_logs", site, ignore=shutil.ignore_patterns("*.md", "*.json"))
    log = site / "lists-be" / "var" / "log"
    live = (log / "maillog").read_text().splitlines()
    old = (log / "maillog-20130822").read_text().splitlines()
    (log / "maillog-20130822").write_text("\n".join(old + live[:60]) + "\n")  # 60 lines in both files
    return site


def _table(t):
    cols = ["host", "path", "line", "pattern", "queue_id", "message_id", "ts"]
    return t.events[cols].sort_values(["path", "line"]).reset_index(drop=True)


def test_ranges_cut_at_line_starts_and_number_lines_as_a_whole_read(tmp_path):
    p = tmp_path / "maillog"
    p.write_bytes(b"".join(b"line %d\n" % i for i in range(1, 1001)))
    rs = workers.ranges(str(p), 3)
    assert rs[0][0] == 0 and rs[-1][1] == p.stat().st_size and len(rs) == 3
    seen = []
    for start, end, first in rs:
        for block, no in workers._range_blocks(str(p), start, end, first, size=700):  # blocks cut mid-range
            for text in block.decode().splitlines():
                assert text == f"line {no}"
                seen.append(no)
                no += 1
    assert seen == list(range(1, 1001))


def test_parallel_reading_matches_sequential_reading(tmp_path, monkeypatch):
    site = _site(tmp_path)
    monkeypatch.setattr(workers, "SPLIT_BYTES", 10_000)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 3)
    seq = tracer.load([str(site)], parallel=False)
    par = tracer.load([str(site)], parallel=True)
    assert workers.worth_it(discover([str(site)])[0])
    pd.testing.assert_frame_equal(_table(par), _table(seq))
    assert par.lines == seq.lines and par.lines["ignored"] >= 60
    assert par.posts["state"].value_counts().to_dict() == seq.posts["state"].value_counts().to_dict()
