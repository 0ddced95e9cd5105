"""load(summary=True): runs of plain outbound sent lines kept as their first and last row, with the
same verdicts, counts and latencies as the full load; and the per-block dedup that comes with it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tracer
from tracer import fastscan, render
from tracer.dedup import MARGIN, Seen, block_span, second_of_year
from tracer.sentruns import SentRuns

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p for p in (ROOT / "tests" / "scenarios").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def generated_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(out), "--lines", "30000", "-q"],
                   check=True)
    return out


def _postmortem(path, summary: bool) -> tuple[dict, "tracer.Trace"]:
    t = tracer.load([str(path)], summary=summary)
    return json.loads(render.postmortem_json(t)), t


@pytest.mark.parametrize("site", [ROOT / "sample_logs", *SCENARIOS], ids=lambda p: p.name)
def test_summary_gives_the_full_postmortem_on_the_sample_and_scenario_sites(site):
    assert _postmortem(site, True)[0] == _postmortem(site, False)[0]


def test_summary_gives_the_full_postmortem_and_latencies_on_a_busy_generated_day_with_far_fewer_rows(generated_site):
    full, t_full = _postmortem(generated_site, False)
    short, t_short = _postmortem(generated_site, True)
    assert short == full
    assert len(t_short.events) * 4 < len(t_full.events)
    cols = ["key", "state", "recipients", "delivered", "deferred", "bounced", "first_delivery_at", "last_delivery_at"]
    a, b = t_full.posts[cols].set_index("key"), t_short.posts[cols].set_index("key")
    assert a.equals(b.loc[a.index])
    assert t_short.events["n_lines"].sum() == t_full.events["n_lines"].sum() == len(t_full.events)


def _block(*lines: str) -> "fastscan.Scan":
    return fastscan.scan_block(("\n".join(lines) + "\n").encode(), 1)


SENT = ("Aug 22 09:14:{s:02d} lists-be postfix/smtp[2211]: 4A1C2E0123: to=<{r}@example.org>, "
        "relay=mx.example.org[192.0.2.1]:25, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (250 Ok)")


def test_a_run_of_sent_lines_keeps_its_first_and_last_and_counts_the_rest_on_the_last():
    scan = _block(*(SENT.format(s=i, r=f"u{i}") for i in range(10)))
    table, n_lines = SentRuns().summarise(scan.table)
    assert table.column("recipient").to_pylist() == ["u0@example.org", "u9@example.org"]
    assert n_lines.tolist() == [1, 9]


def test_a_recipient_deferred_before_keeps_its_sent_line_whole():
    deferred = SENT.format(s=0, r="late").replace("status=sent (250 Ok)", "status=deferred (451 try later)")
    runs = SentRuns()
    runs.summarise(_block(deferred).table)  # an earlier block
    table, n_lines = runs.summarise(_block(*(SENT.format(s=i, r=f"u{i}") for i in range(1, 6)),
                                           SENT.format(s=7, r="late"), SENT.format(s=8, r="u8")).table)
    assert "late@example.org" in table.column("recipient").to_pylist()
    assert n_lines.sum() == 7 and table.num_rows == 3


def test_unsent_pairs_are_remembered_exactly_across_many_blocks_and_shared_marks():
    from tracer.sentruns import _MARK_BITS

    rng = np.random.default_rng(7)
    runs, noted = SentRuns(), set()
    twins = rng.integers(0, 1 << 40, 50, dtype=np.int64) << _MARK_BITS  # same marks, other pairs
    for _ in range(200):  # the set is merged many times over
        new = rng.integers(0, 1 << 62, int(rng.integers(0, 300)), dtype=np.int64)
        runs.note_unsent(new)
        noted.update(new.tolist())
        asked = np.concatenate([rng.integers(0, 1 << 62, 500, dtype=np.int64),
                                rng.choice(np.array(sorted(noted), dtype=np.int64), 200), twins,
                                twins + 1])
        runs.note_unsent(twins[:5])
        noted.update(twins[:5].tolist())
        assert runs.unsent(asked).tolist() == [int(a) in noted for a in asked.tolist()]
    assert not SentRuns().unsent(twins).any()


def test_hand_offs_into_mailman_and_short_runs_are_never_summarised():
    into = SENT.replace("postfix/smtp", "postfix/local").replace("relay=mx.example.org[192.0.2.1]:25",
                                                                 "relay=local").replace("250 Ok", "delivered to "
                                                                                        "command: /usr/lib/mailman/"
                                                                                        "mail/mailman post x")
    scan = _block(*(into.format(s=i, r=f"list{i}") for i in range(5)), SENT.format(s=9, r="a"),
                  SENT.format(s=9, r="b"))
    table, n_lines = SentRuns().summarise(scan.table)
    assert table.num_rows == 7 and n_lines.tolist() == [1] * 7


def test_second_of_year_reads_bsd_and_iso_stamps_and_orders_them():
    bsd = second_of_year(b"Aug 22 00:01:02 mx postfix/qmgr[1]: x")
    assert bsd == second_of_year(b"2013-08-22T00:01:02+02:00 mx postfix/qmgr[1]: x")
    assert second_of_year(b"Jan  1 00:00:00 x") == 0 < bsd
    assert second_of_year(b"garbage") is None
    assert block_span(b"Aug 22 00:01:02 a\nAug 22 00:00:59 b\r\n\n") == (bsd - 3, bsd)


def test_seen_catches_repeats_in_overlapping_blocks_and_forgets_blocks_long_past():
    seen = Seen()
    day = 86400 * 230
    for d in range(30):  # a month of daily files, one block each, every line repeated the next day once
        seen.begin((day + d * 86400, day + d * 86400 + 86399))
        keys = np.arange(d * 100, d * 100 + 100, dtype=np.int64)
        assert seen.fresh(keys).all()
        assert len(seen.blocks) <= 2  # yesterday's block ended before today's began: forgotten
    seen.begin((day + 29 * 86400 + 86000, day + 29 * 86400 + 86399))  # overlaps the last day
    fresh = seen.fresh(np.array([2950, 2950, 999_999], dtype=np.int64))
    assert fresh.tolist() == [False, False, True]


def test_seen_forgets_nothing_it_cannot_place_in_time():
    seen = Seen()
    seen.begin(None)
    seen.fresh(np.array([1, 2], dtype=np.int64))
    seen.begin((10 * MARGIN, 11 * MARGIN))
    assert seen.fresh(np.array([2, 3], dtype=np.int64)).tolist() == [False, True]
