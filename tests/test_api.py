"""The library API notebooks use: tables, one lifecycle, the latency summary and command."""

import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from typer.testing import CliRunner

import tracer
from tracer.cli import app
from tracer.latency import STAGES, latency_summary
from tracer.sources import discover

ROOT = Path(__file__).resolve().parents[1]
SITE = str(ROOT / "sample_logs")


@pytest.fixture(scope="module")
def t():
    return tracer.load([SITE])


def test_public_names_are_sorted_resolvable_and_documented():
    assert tracer.__all__ == sorted(tracer.__all__)
    for name in tracer.__all__:
        obj = getattr(tracer, name)
        assert obj.__doc__, name
    with pytest.raises(AttributeError):
        tracer.nothing_here  # noqa: B018


def test_events_have_explicit_dtypes_and_utc_times(t):
    assert str(t.events["ts"].dtype) == "datetime64[ns, UTC]"
    assert t.events["line"].dtype == "int64"
    assert t.events["event"].notna().all() and (t.events["line"] > 0).all()


def test_event_columns_have_the_schema_dtypes_loaded_or_empty(t):
    from tracer.schema import EVENT_COLUMNS, empty_events

    empty = empty_events()
    for col, dtype in EVENT_COLUMNS.items():
        assert str(t.events[col].dtype) == str(empty[col].dtype), col
    assert {c for c, d in EVENT_COLUMNS.items() if d == "category"} >= {"host", "event", "path", "pattern"}
    assert set(t.events["host"].cat.categories) == {"lists-be", "lists-fe"}
    # the string columns are one Arrow chunk each: a take by position must not concatenate hundreds
    assert t.events["text"].array.__arrow_array__().num_chunks == 1


def test_posts_carry_milestones_and_stage_latencies(t):
    p = t.posts
    assert set(STAGES.values()) <= set(p.columns)
    delivered = p[p["state"] == "delivered"]
    assert (delivered["end_to_end_s"] >= 0).all()
    assert (delivered["last_delivery_at"] >= delivered["first_delivery_at"]).all()
    approved = p[p["approved_at"].notna() & (p["state"] == "delivered")]
    assert set(approved["approved_host"]) == {"lists-be", "lists-fe"}
    assert (approved["approved_to_posted_s"].between(0, 120)).all()


def test_deliveries_split_delays_and_domains(t):
    d = t.deliveries
    assert len(d) == int(t.posts["recipients"].sum()) + int((d.duplicated(["post", "recipient"])).sum())
    row = d.dropna(subset=["delays"] if "delays" in d else ["delay_transmit"]).iloc[0]
    assert row["domain"] == row["recipient"].rsplit("@", 1)[1].lower()
    assert {"deferred", "sent"} <= set(d["status"])


def test_lifecycle_graph_nodes_are_event_rows(t):
    key = t.posts[t.posts["state"] == "delivered"].iloc[0]["key"]
    lc = t.lifecycle(key)
    g = lc.graph
    assert isinstance(g, nx.DiGraph) and set(g.nodes) == set(lc.lifecycle.rows)
    assert nx.is_directed_acyclic_graph(g) and nx.is_weakly_connected(g)
    assert {d["link"] for _, _, d in g.edges(data=True)} >= {"queue_id", "message_id"}
    assert list(lc.timeline.columns) == ["row", "ts", "host", "log", "event", "detail", "source"]
    assert "delivered" in repr(lc) and "<table" in lc._repr_html_()


def test_html_repr_escapes_log_content(tmp_path):
    vette = tmp_path / "mail" / "vette"
    vette.parent.mkdir()
    vette.write_text("Aug 22 09:41:30 2013 (2811) Evil post from <script>x@y held, "
                     "message-id=<a<b>@c>: Post to moderated list\n")
    lc = next(iter(tracer.load([str(tmp_path)]).lifecycles.values()))
    html = tracer.load([str(tmp_path)]).lifecycle(lc.key)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_latency_summary_by_list_has_percentiles(t):
    s = latency_summary(t.posts, by="list")
    assert list(s.columns) == ["group", "stage", "count", "p50", "p90", "p99", "max"]
    assert set(s["group"]) <= set(t.posts["list"])
    assert ((s["p50"] <= s["p90"]) & (s["p90"] <= s["p99"]) & (s["p99"] <= s["max"])).all()
    with pytest.raises(tracer.UsageError):
        latency_summary(t.posts, by="moon")


def test_latency_command_json_and_text():
    res = CliRunner().invoke(app, ["latency", SITE, "--by", "hour", "--format", "json"])
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert rows and all(r["group"].endswith(":00") for r in rows)
    text = CliRunner().invoke(app, ["latency", SITE]).stdout
    assert text.startswith("stage latency in seconds, by list") and "end_to_end" in text


def test_show_unparsed_names_the_nearest_pattern(tmp_path):
    log = tmp_path / "be" / "maillog"
    log.parent.mkdir()
    log.write_text("Aug 22 09:14:02 be postfix/qmgr[1890]: 4A1C2E0123: from=<a@b.c>, size=12, nrcpt=x (queue active)\n")
    res = CliRunner().invoke(app, ["postmortem", str(tmp_path), "--show-unparsed"])
    assert "unparsed lines: 1 (showing 1)" in res.stderr
    assert "nearest pattern postfix.qmgr.queued" in res.stderr


def test_progress_bar_counts_every_byte_read_and_is_silent_unless_asked(capsys, monkeypatch):
    import tqdm

    seen = {}
    real = tqdm.tqdm

    def spy(*args, **kwargs):
        bar = real(*args, **{**kwargs, "delay": 0})
        seen["bar"] = bar
        return bar

    monkeypatch.setattr(tqdm, "tqdm", spy)
    tracer.load([SITE], progress=True)
    sources, _ = discover([SITE], [])
    total = sum(Path(s.path).stat().st_size for s in sources)
    assert total > 0 and seen["bar"].total == total and seen["bar"].n == total
    capsys.readouterr()
    tracer.load([SITE], progress=None)  # stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""


def test_a_focused_load_judges_only_its_post_and_agrees_with_the_full_load(t):
    full = t.posts.set_index("message_id")
    for mid in full.index.dropna()[:5]:
        focused = tracer.load([SITE], focus=mid, cache=False)
        assert focused.posts["message_id"].tolist() == [mid]
        row = focused.posts.iloc[0]
        assert (row["state"], row["findings"]) == (full.at[mid, "state"], full.at[mid, "findings"])


def test_findings_are_wrapped_at_spaces_without_losing_a_word():
    from tracer.render.text import wrap

    words = ["gmail.com:", "4", "recipient(s),", "alt4.gmail-smtp-in.l.google.com[173.194.67.27]", "x" * 230, "said:"] * 9
    text = " ".join(words)
    out = wrap(text, width=100, indent="    ")
    lines = out.split("\n")
    assert all(ln.startswith("    ") and len(ln) <= 100 for ln in lines)
    assert "".join(ln[4:].replace(" ", "") for ln in lines) == text.replace(" ", "")  # long words cut, none lost
    assert wrap("", indent="  ") == ""
