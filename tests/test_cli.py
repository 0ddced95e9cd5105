"""The mmtrace command on the bundled sample site: output contract, exit codes, bad input."""

import json
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tracer.cli import app

ROOT = Path(__file__).resolve().parents[1]
SITE = str(ROOT / "sample_logs")
STALLED = "<B87D38BE-CD80-4CCB-908D-D75632F3F319@uni.example.net>"
DELIVERED = "<5215FB6E.7927443@example.org>"
runner = CliRunner()
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def run(*args):
    return runner.invoke(app, list(args))


def test_postmortem_json_follows_the_contract_and_exits_1_on_stalled_posts():
    res = run("postmortem", SITE, "--format", "json")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert sorted(out) == ["host_findings", "hosts", "lines", "posts", "problems", "summary"]
    assert out["summary"] == {"delivered": 14, "partial": 0, "held": 2, "discarded": 1, "rejected": 1,
                              "stalled": 3, "failed": 0, "in_flight": 0, "unknown": 0}
    lines = out["lines"]
    assert lines["total"] == lines["parsed"] + lines["ignored"] + lines["unparsed"] > 0
    assert sorted(out["hosts"]) == ["lists-be", "lists-fe"]
    assert {r["runner"] for r in out["hosts"]["lists-be"]["runners"]} >= {"IncomingRunner", "OutgoingRunner"}
    assert out["hosts"]["lists-fe"]["runners"] == []
    post = next(p for p in out["posts"] if p["message_id"] == STALLED)
    assert sorted(post) == ["delivered", "findings", "hosts", "list", "message_id", "recipients", "sender",
                            "state", "stopped_at"]
    assert (post["list"], post["state"], post["hosts"]) == ("physics-l", "stalled", ["lists-be", "lists-fe"])
    assert post["stopped_at"]["stage"] == "approved" and post["stopped_at"]["host"] == "lists-fe"
    assert ISO.match(post["stopped_at"]["ts"])
    (finding,) = post["findings"]
    assert finding["code"] == "approved-on-host-without-runner" and finding["host"] == "lists-fe"
    assert finding["evidence"] == [f"lists-be:{SITE}/lists-be/var/log/mailman/vette:1",
                                   f"lists-fe:{SITE}/lists-fe/var/log/mailman/vette:1"]
    assert "Fix: " in finding["detail"]
    assert out["host_findings"][0]["code"] == "no-runners"


def test_message_tells_the_story_of_a_vanished_approval():
    res = run("message", STALLED.strip("<>"), SITE)
    assert res.exit_code == 1
    text = res.stdout
    assert "state: stalled" in text
    assert "stopped at: approved on lists-fe" in text
    assert "approved-on-host-without-runner (host lists-fe)" in text
    assert f"evidence: lists-fe:{SITE}/lists-fe/var/log/mailman/vette:1" in text
    rows = [ln.split()[1:4] for ln in text.splitlines() if ISO.match(ln.strip().split(" ")[0] or "-")]
    assert [r[2] for r in rows] == ["client", "message_id", "queued", "delivery", "removed", "held", "approved"]
    assert rows[-1][:2] == ["lists-fe", "vette"]


def test_message_json_carries_the_events_in_time_order():
    res = run("message", DELIVERED, SITE, "--format", "json")
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["state"] == "delivered" and out["stopped_at"] is None
    assert out["recipients"] == out["delivered"] == 8
    ts = [e["ts"] for e in out["events"]]
    assert ts == sorted(ts) and all(ISO.match(t) for t in ts)
    assert sorted(out["events"][0]) == ["detail", "event", "host", "log", "source", "ts"]
    assert {e["event"] for e in out["events"]} >= {"delivery", "smtp", "post", "removed"}


def test_message_by_outbound_queue_id_finds_the_same_post():
    by_id = json.loads(run("message", DELIVERED, SITE, "--format", "json").stdout)
    src = [e["source"] for e in by_id["events"] if e["event"] == "queued"][-1]
    path, line = src.split(":", 1)[1].rsplit(":", 1)
    qid = Path(path).read_text().splitlines()[int(line) - 1].split(": ")[1]
    by_qid = json.loads(run("message", qid, SITE, "--format", "json").stdout)
    assert by_qid["message_id"] == DELIVERED


def test_unknown_message_is_exit_1_with_a_plain_message():
    res = run("message", "<nope@example.org>", SITE)
    assert res.exit_code == 1
    assert "does not appear in any log read" in res.stderr


def test_missing_path_is_exit_2():
    res = run("postmortem", "/nonexistent/site")
    assert res.exit_code == 2
    assert res.stderr == "Error: /nonexistent/site: no such file or directory\n"


def test_strict_fails_on_an_unparsed_line(tmp_path):
    log = tmp_path / "be" / "maillog"
    log.parent.mkdir()
    log.write_text("Aug 22 09:14:02 lists-be postfix/qmgr[1890]: 4A1C2E0123: removed\n"
                   "Aug 22 09:14:03 lists-be postfix/qmgr[1890]: 4A1C2E0123: something nobody logs\n")
    assert run("postmortem", str(tmp_path)).exit_code == 0
    res = run("postmortem", str(tmp_path), "--strict")
    assert res.exit_code == 2
    assert "--strict: 1 unparsed line(s); first at be:" in res.stderr


def test_terminal_output_strips_control_characters(tmp_path):
    vette = tmp_path / "mail" / "vette"
    vette.parent.mkdir()
    vette.write_text("Aug 22 09:41:30 2013 (2811) Evil post from x\x1b[2J@evil.example held, "
                     "message-id=<a\x1b]0;pwned\x07@b>: Post to moderated list\n")
    res = run("postmortem", str(tmp_path))
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout
    assert "<a?]0;pwned?@b>" in res.stdout


def test_python_dash_m_tracer_runs_the_command():
    proc = subprocess.run([sys.executable, "-m", "tracer", "postmortem", SITE, "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]["stalled"] == 3


def test_the_command_leaves_with_its_exit_code_and_flushed_error_message(tmp_path):
    missing = tmp_path / "nowhere"
    proc = subprocess.run([sys.executable, "-m", "tracer", "postmortem", str(missing)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr == f"Error: {missing}: no such file or directory\n" and proc.stdout == ""


def test_a_corrupt_archive_is_named_and_the_rest_still_runs(tmp_path):
    import shutil

    site = tmp_path / "site"
    shutil.copytree(ROOT / "sample_logs", site)
    bad = site / "lists-be" / "var" / "log" / "maillog-20130821.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate data")
    res = run("postmortem", str(site), "--format", "json")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert any(str(bad) in p and "damaged or truncated" in p for p in out["problems"])
    assert f"note: {bad}" in res.stderr
    assert out["summary"]["stalled"] == 3


def test_maillog_on_stdin_without_mailman_logs_reports_posts_as_unknown_not_lost():
    maillog = (ROOT / "sample_logs" / "lists-be" / "var" / "log" / "maillog").read_text()
    res = runner.invoke(app, ["postmortem", "-", "--format", "json", "--year", "2013"], input=maillog)
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["summary"]["unknown"] == len(out["posts"]) > 0
    assert {f["code"] for p in out["posts"] for f in p["findings"]} == {"mailman-logs-missing"}
    assert all(p["stopped_at"]["ts"].startswith("2013-") for p in out["posts"])
