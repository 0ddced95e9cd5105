"""Every real line of the shared corpus is accounted for by the full reader.

Other daemons' lines (cron, dovecot, kernel, ...) must come out *ignored*, never
*unparsed*; the only unparsed lines are the damaged ones listed here, each with
why. Skipped when ../shared is absent (a user's clone does not have it).
"""

from pathlib import Path

import pytest

from tracer.parse import parse_file
from tracer.sources import Source

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-lines"
BODIES = {"postfix-grok.log", "postfix-parser-bodies.log", "lua-sandbox-sendmail.log"}  # no envelope at all
DAMAGED = {
    ("envelopes.log", 25), ("envelopes.log", 26), ("envelopes.log", 28),  # macOS TAB continuations
    ("envelopes.log", 56),  # OSSEC's "2015 2015 Nov 13" year-prefixed syslog-ng form
    ("fail2ban-exim.log", 15),  # host and tag before Exim's own stamp, no syslog stamp
    ("postfix-parser-syslog.log", 7),  # cut before status=
    ("youyo-test-milter.log", 1),  # first character of the stamp lost
}
FILES = sorted(p for p in CORPUS.glob("*.log") if p.name not in BODIES | {"mailman.log"}) if CORPUS.exists() else []


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not present in this checkout")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_line_is_parsed_or_ignored_unless_damaged(path):
    res = parse_file(Source("h", str(path), "maillog"))
    assert res.total == len(path.read_text(encoding="utf-8").splitlines())
    assert res.total == res.parsed + res.ignored + res.unparsed
    assert {(path.name, n) for n, _, _ in res.unparsed_lines} == {d for d in DAMAGED if d[0] == path.name}
