"""Whole sites with one fault each: every post gets the expected state, findings and hosts.

A scenario is a folder ``tests/scenarios/<name>/`` with ``site/<host>/...`` logs and an
``expected.json``; adding a case means adding a folder. The bundled ``sample_logs/``
site is checked the same way against its own ``expected.json``.
"""

import json
from pathlib import Path

import pytest

import tracer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = sorted(p.parent for p in (HERE / "scenarios").glob("*/expected.json"))


def _got(trace):
    out = {}
    for lc in trace.lifecycles.values():
        out[lc.message_id or lc.key] = {
            "list": lc.list, "state": lc.state,
            "findings": sorted((x.code, x.host) for x in lc.findings)}
    return out


@pytest.mark.parametrize("folder", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_scenario_verdicts(folder):
    expected = json.loads((folder / "expected.json").read_text())
    trace = tracer.load([str(folder / "site")])
    got = _got(trace)
    want = {mid: {"list": p["list"], "state": p["state"],
                  "findings": sorted((f["code"], f["host"]) for f in p["findings"])}
            for mid, p in expected["posts"].items()}
    assert {k: got.get(k) for k in want} == want
    assert sorted(set(got) - set(want)) == []
    host_findings = sorted((x.code, x.host) for x in trace.diagnosis.host_findings)
    assert host_findings == sorted((f["code"], f["host"]) for f in expected.get("host_findings", []))
    assert trace.lines["total"] == trace.lines["parsed"] + trace.lines["ignored"] + trace.lines["unparsed"]
    assert trace.lines["unparsed"] == 0, trace.unparsed.to_string()


def test_sample_site_verdicts_match_its_story():
    expected = json.loads((ROOT / "sample_logs" / "expected.json").read_text())
    trace = tracer.load([str(ROOT / "sample_logs")])
    got = {k: {"list": v["list"], "state": v["state"], "findings": sorted(c for c, _ in v["findings"])}
           for k, v in _got(trace).items()}
    want = {k: {"list": v["list"], "state": v["state"], "findings": sorted(v["findings"])} for k, v in expected.items()}
    assert got == want
    assert [(x.code, x.host) for x in trace.diagnosis.host_findings] == [("no-runners", "lists-fe")]
    assert trace.lines["unparsed"] == 0
