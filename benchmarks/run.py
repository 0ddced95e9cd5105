#!/usr/bin/env python3
"""Time mmtrace against simple baselines on one generated busy day.

    python benchmarks/run.py [--lines 1000000] [--data benchmarks/data] [--repeat N]

Generates the data set with benchmarks/generate.py unless it is already in
DATA/lines-N (cached by line count; regenerated if the generator changed), then
runs, in this one process and on the same files:

  baselines   grep -c postfix MAILLOG
              grep -F '<message-id>' MAILLOG
              python: bare read loop      (for line in open(MAILLOG, 'rb'))
              python: one regex per line  (a compiled bytes regex, .match on every line)
              cat MAILLOG > /dev/null     cold: the file dropped from the page cache first; what
                                          reading it from this machine's disk costs
              pflogsumm MAILLOG           (only when installed)
  mmtrace     mmtrace postmortem SITE --format json > /dev/null
              mmtrace message ID SITE     cold (the site's files dropped from the page cache first,
                                          empty mmtrace cache)
              mmtrace message ID SITE     warm (page cache warm, empty mmtrace cache)
              mmtrace message ID SITE     cached (run again: the mmtrace cache holds this message)
              mmtrace message ID2 SITE    cached, another message (the cache holds the first one)

mmtrace's cache (MMTRACE_CACHE_DIR) is a fresh temporary directory for every
timed message run, filled first by an untimed run where the row says so.

Each command is a separate process; wall time is measured here, peak RSS with
``/usr/bin/time -v`` when it is GNU time, else with getrusage(RUSAGE_CHILDREN)
in a tiny wrapper process. Prints a table and writes benchmarks/results-N.json.
mmtrace exit codes 0 and 1 are both success (1 = problems found in the logs).
Exit status: 0 if every command succeeded, 1 if one failed, 2 if there was no data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
GENERATE = BENCH / "generate.py"

READ_LOOP = """\
import sys
n = 0
for line in open(sys.argv[1], 'rb'):
    n += 1
print(n)
"""

# One regex of the kind a log parser applies to every line: the BSD syslog
# envelope, a Postfix program tag and a queue ID.
REGEX = rb"(\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\S+) postfix(?:-[^/\s]+)?/([\w/-]+)\[(\d+)\]: ([0-9A-F]{6,}|NOQUEUE): (.*)"
REGEX_LOOP = """\
import re, sys
rx = re.compile(%r)
n = 0
for line in open(sys.argv[1], 'rb'):
    if rx.match(line):
        n += 1
print(n)
""" % REGEX

# Fallback when GNU time is missing: run the command as our child and report the
# children's peak RSS. A fresh wrapper per command keeps the numbers separate
# (RUSAGE_CHILDREN is a running maximum over all children ever waited for).
RUSAGE_WRAPPER = """\
import json, resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
kib = ru.ru_maxrss / 1024 if sys.platform == 'darwin' else ru.ru_maxrss
with open(sys.argv[1], 'w') as f:
    json.dump({'maxrss_kib': kib}, f)
sys.exit(rc)
"""


def gnu_time() -> str | None:
    path = shutil.which("time", path="/usr/bin:/bin") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if not path:
        return None
    try:
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            r = subprocess.run([path, "-v", "-o", tf.name, "true"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=10)
            ok = r.returncode == 0 and "Maximum resident set size" in open(tf.name).read()
    except (OSError, subprocess.SubprocessError):
        ok = False
    return path if ok else None


def measure(cmd: list[str], *, timer: str | None, ok_codes: tuple[int, ...] = (0,), devnull: bool = False,
            env: dict | None = None) -> dict:
    """Run ``cmd`` once: wall seconds, peak RSS, exit code, the start of its output.

    stdout goes to a temporary file, not /dev/null: GNU grep notices /dev/null and
    stops at the first match (even with -c). ``devnull`` sends it to /dev/null.
    """
    with tempfile.TemporaryDirectory(prefix="mmtrace-bench-") as tmp:
        rfile = os.path.join(tmp, "rusage")
        efile = os.path.join(tmp, "stderr")
        ofile = os.devnull if devnull else os.path.join(tmp, "stdout")
        if timer:
            full = [timer, "-v", "-o", rfile, *cmd]
        else:
            full = [sys.executable, "-c", RUSAGE_WRAPPER, rfile, *cmd]
        with open(efile, "wb") as err, open(ofile, "wb") as out:
            t0 = time.perf_counter()
            try:
                rc = subprocess.run(full, stdout=out, stderr=err, cwd=REPO, env=env).returncode
            except OSError as exc:
                return {"seconds": None, "peak_rss_mib": None, "exit_code": None, "ok": False, "error": str(exc)}
            seconds = time.perf_counter() - t0
        with open(ofile, "rb") as f:
            head = f.read(300).decode("utf-8", "replace")
        rss_kib = None
        try:
            text = open(rfile).read()
            if timer:
                m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
                rss_kib = int(m.group(1)) if m else None
            else:
                rss_kib = json.loads(text)["maxrss_kib"]
        except (OSError, ValueError, KeyError):
            pass
        stderr = open(efile, "rb").read().decode("utf-8", "replace")
    res = {"seconds": round(seconds, 4), "peak_rss_mib": round(rss_kib / 1024, 1) if rss_kib else None,
           "exit_code": rc, "ok": rc in ok_codes}
    if not devnull:
        res["output_head"] = head.split("\n", 1)[0][:120]
    if not res["ok"]:
        res["error"] = "\n".join(stderr.strip().splitlines()[-8:])
    return res


def evict(site: Path) -> bool:
    """Drop the site's files from the page cache (best effort, no root needed)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    os.sync()
    for p in site.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def warm(site: Path) -> None:
    for p in site.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                while f.read(1 << 22):
                    pass


def dataset(data: Path, lines: int, hosts: int, seed: int) -> Path:
    name = f"lines-{lines}" + (f"-h{hosts}" if hosts != 2 else "") + (f"-s{seed}" if seed != 1 else "")
    ds = data / name
    man = ds / "manifest.json"
    want = {"lines": lines, "hosts": hosts, "seed": seed}
    gen_version = re.search(r"^GENERATOR_VERSION = (\d+)", GENERATE.read_text(), re.M)
    if man.exists():
        m = json.loads(man.read_text())
        if (m.get("generator_version") == int(gen_version.group(1))
                and all(m.get("params", {}).get(k) == v for k, v in want.items())):
            return ds
        print(f"{ds}: made by another generator version or with other parameters; regenerating", file=sys.stderr)
    if ds.exists():
        shutil.rmtree(ds)
    print(f"generating {lines:,} maillog lines into {ds} ...", file=sys.stderr)
    r = subprocess.run([sys.executable, str(GENERATE), str(ds), "--lines", str(lines), "--hosts", str(hosts),
                        "--seed", str(seed)])
    if r.returncode != 0 or not man.exists():
        print(f"error: {GENERATE.name} failed (exit {r.returncode})", file=sys.stderr)
        sys.exit(2)
    return ds


def mmtrace_command(opt: str | None) -> list[str]:
    if opt:
        return shlex.split(opt)
    exe = shutil.which("mmtrace")
    return [exe] if exe else [sys.executable, "-m", "tracer"]


def bytecode() -> None:
    """Compile the tracer package's modules once, as installing a wheel does: an editable install
    with PYTHONDONTWRITEBYTECODE set would compile them again in every timed run."""
    found = subprocess.run([sys.executable, "-c", "import tracer, os; print(os.path.dirname(tracer.__file__))"],
                           capture_output=True, text=True, cwd=REPO)
    if found.returncode == 0 and found.stdout.strip():
        subprocess.run([sys.executable, "-m", "compileall", "-q", found.stdout.strip()],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def environment(timer: str | None) -> dict:
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
    grep_v = out(["grep", "--version"])
    commit = out(["git", "rev-parse", "--short", "HEAD"])
    dirty = out(["git", "status", "--porcelain", "--untracked-files=no"])
    return {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cpus": os.cpu_count(), "mem_gib": mem, "grep": grep_v.splitlines()[0] if grep_v else None,
            "rss_from": "GNU time -v" if timer else "getrusage(RUSAGE_CHILDREN)",
            "mmtrace_commit": (commit + ("-dirty" if dirty else "")) if commit else None}


def ratio(x: float | None) -> str:
    if not x:
        return ""
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def table(rows: list[dict]) -> str:
    head = ("command", "seconds", "lines/s", "peak RSS MiB", "x read loop", "x grep -c")
    body = []
    for r in rows:
        if r["seconds"] is None or not r["ok"]:
            body.append((r["name"], f"FAILED (exit {r['exit_code']})", "", "", "", ""))
            continue
        body.append((r["name"], f"{r['seconds']:.3f}", f"{r['lines_per_s']:,.0f}",
                     f"{r['peak_rss_mib']:.1f}" if r["peak_rss_mib"] is not None else "?",
                     ratio(r.get("x_read_loop")), ratio(r.get("x_grep_c"))))
    w = [max(len(head[i]), *(len(b[i]) for b in body)) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(row)).rstrip()  # noqa: E731
    return "\n".join([fmt(head), "  ".join("-" * x for x in w), *map(fmt, body)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000, help="maillog lines of the data set (default 1000000)")
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="where data sets are cached (default benchmarks/data)")
    ap.add_argument("--hosts", type=int, default=2, help="hosts in the generated site (default 2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs per command; the fastest is reported (default 1)")
    ap.add_argument("--mmtrace", help="how to start mmtrace (default: mmtrace on PATH, else python -m tracer)")
    ap.add_argument("--output", type=Path, help="results file (default benchmarks/results-LINES.json)")
    args = ap.parse_args(argv)

    ds = dataset(args.data.resolve(), args.lines, args.hosts, args.seed)
    man = json.loads((ds / "manifest.json").read_text())
    site = ds
    maillog = str(ds / man["maillog"])
    nlines = man["maillog_lines"]
    msgid = man["samples"]["delivered"]
    other = (man["samples"].get("approved_vanished") or [msgid])[0]
    timer = gnu_time()
    mm = mmtrace_command(args.mmtrace)
    sitesize = sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and p.name != "manifest.json")

    py = sys.executable
    # (name, argv, exit codes that count as success, preparation, stdout to /dev/null); preparations:
    # "evict" the page cache; "fresh" mmtrace cache, also with "evict"; "filled": a fresh one after an
    # untimed run for msgid
    plan: list[tuple[str, list[str], tuple[int, ...], str | None, bool]] = [
        ("grep -c postfix", ["grep", "-c", "postfix", maillog], (0, 1), None, False),
        ("grep -F <message-id>", ["grep", "-F", msgid, maillog], (0, 1), None, False),
        ("python read loop", [py, "-c", READ_LOOP, maillog], (0,), None, False),
        ("cat maillog (cold)", ["cat", maillog], (0,), "evict", True),
        ("python regex loop", [py, "-c", REGEX_LOOP, maillog], (0,), None, False),
    ]
    pfl = shutil.which("pflogsumm") or shutil.which("pflogsumm.pl")
    if pfl:
        plan.append(("pflogsumm", [pfl, maillog], (0,), None, False))
    plan += [
        ("mmtrace postmortem --format json", [*mm, "postmortem", str(site), "--format", "json"], (0, 1), None, True),
        ("mmtrace message (cold)", [*mm, "message", msgid, str(site)], (0, 1), "evict+fresh", False),
        ("mmtrace message (warm)", [*mm, "message", msgid, str(site)], (0, 1), "fresh", False),
        ("mmtrace message (cached)", [*mm, "message", msgid, str(site)], (0, 1), "filled", False),
        ("mmtrace message (cached, other id)", [*mm, "message", other, str(site)], (0, 1), "filled", False),
    ]

    print(f"data: {site} ({nlines:,} maillog lines, {sitesize / 2**20:,.0f} MiB in all files, "
          f"{len(man['posts']):,} posts); message: {msgid}", file=sys.stderr)
    print(f"mmtrace: {shlex.join(mm)}; RSS from {'GNU time' if timer else 'getrusage'}", file=sys.stderr)
    warm(site)
    evicted = None
    bytecode()
    best: dict[str, dict] = {}
    # rounds, not a command's runs back to back: this VM's speed drifts by tens of per cent over
    # minutes, and each round gives the baselines and mmtrace the same conditions
    for _ in range(max(1, args.repeat)):
        for name, cmd, ok_codes, prep, devnull in plan:
            env = None
            if prep in ("fresh", "evict+fresh", "filled"):
                cache_dir = tempfile.mkdtemp(prefix="mmtrace-bench-cache-")
                env = dict(os.environ, MMTRACE_CACHE_DIR=cache_dir)
                if prep == "filled":
                    subprocess.run([*mm, "message", msgid, str(site)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd=REPO, env=env)
            if prep and prep.startswith("evict"):
                evicted = evict(site)
            print(f"  {name} ...", end="", file=sys.stderr, flush=True)
            r = measure(cmd, timer=timer, ok_codes=ok_codes, devnull=devnull, env=env)
            if env is not None:
                shutil.rmtree(env["MMTRACE_CACHE_DIR"], ignore_errors=True)
            print(f" {r['seconds']}s" if r["ok"] else f" FAILED (exit {r['exit_code']})", file=sys.stderr)
            old = best.get(name)
            if old is None or (r["ok"] and (not old["ok"] or r["seconds"] < old["seconds"])):
                best[name] = {"name": name, "command": shlex.join(cmd) + (" > /dev/null" if devnull else ""), **r}
            if prep and prep.startswith("evict"):
                warm(site)
    rows = [best[name] for name, *_ in plan]
    for r in rows:
        if r["seconds"]:
            r["lines_per_s"] = round(nlines / r["seconds"])

    def base(name):
        r = next((r for r in rows if r["name"] == name), None)
        return r["seconds"] if r and r["ok"] else None
    b_read, b_grep = base("python read loop"), base("grep -c postfix")
    for r in rows:
        if r["ok"] and r["seconds"]:
            r["x_read_loop"] = round(r["seconds"] / b_read, 3) if b_read else None
            r["x_grep_c"] = round(r["seconds"] / b_grep, 3) if b_grep else None

    print()
    print(f"{nlines:,} maillog lines, {sitesize / 2**20:,.0f} MiB "
          f"({', '.join(man['hosts'])}); best of {max(1, args.repeat)}")
    print(table(rows))
    for r in rows:
        if not r["ok"]:
            print(f"\n{r['name']} failed (exit {r['exit_code']}):\n{r.get('error', '')}")

    out = args.output or BENCH / f"results-{args.lines}.json"
    result = {
        "lines": args.lines, "maillog_lines": nlines, "site_bytes": sitesize, "hosts": man["hosts"],
        "data": str(site), "message_id": msgid, "repeat": max(1, args.repeat),
        "cold_cache_eviction": evicted, "generation_seconds": man.get("generation_seconds"),
        "environment": environment(timer), "results": rows,
    }
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
