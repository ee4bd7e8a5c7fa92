#!/usr/bin/env python3
"""Real-software compatibility suite: ferrovm against qemu-riscv64.

Runs, under two runners (by default `qemu-riscv64`, the oracle, and
`ferrovm`), real riscv64 software from the Debian sysroot that sysroot.sh
builds, and compares the results case by case:

- Python's own regression tests (`python3 -m test MODULE`, from Debian's
  libpython3.13-testsuite), one module per case: sockets, selectors,
  subprocess, signals, os, asyncio and 60 more; a module's result is
  regrtest's (SUCCESS, FAILURE, ENV CHANGED, NO TESTS RAN, ...) and its
  counts (tests run, failures, skipped);
- wget and busybox wget downloading from an HTTP server on 127.0.0.1 that
  this script runs (the bytes must arrive intact);
- sqlite3 and busybox from compare.py's cases (outputs compared byte for
  byte).

The target is that every case that passes under the oracle passes under the
runner under test. The table lists each case with both results; the summary
counts passes, and lists the cases the oracle itself fails (those are not
held against the runner under test).

  tests/debian/compat.py                      # everything (about 40 min on 2 cores)
  tests/debian/compat.py --list               # the cases
  tests/debian/compat.py 'py:test_sock*' wget # some cases (shell patterns)
  tests/debian/compat.py -b ferrovm:jit --jobs 2 --json out.json

The exit status is 1 if a case passed under A and not under B.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402  (runners, guest environment, steps, the sqlite3/busybox cases)

# Python regression-test modules (Lib/test), one case each. The issue's
# must-haves first (sockets, selectors, subprocess, signals, os, asyncio),
# then the system interfaces an emulator has to get right, then a broad
# sample of the library.
PY_MODULES = [
    # sockets, event loops, processes, signals
    "test_socket", "test_socketserver", "test_selectors", "test_select", "test_poll", "test_epoll",
    "test_subprocess", "test_signal", "test_os", "test_posix", "test_wait3", "test_wait4",
    "test_asyncio.test_events", "test_asyncio.test_sock_lowlevel", "test_asyncio.test_subprocess",
    "test_asyncio.test_streams", "test_asyncio.test_unix_events", "test_asyncio.test_tasks",
    "test_asyncio.test_selector_events", "test_asyncio.test_queues",
    "test_threading", "test_thread", "test_queue", "test_concurrent_futures.test_thread_pool",
    "test_httpservers", "test_urllib2_localnet", "test_logging",
    # files, terminals, memory, time, resources
    "test_fcntl", "test_pty", "test_termios", "test_tty", "test_mmap", "test_resource", "test_time",
    "test_shutil", "test_tempfile", "test_pathlib", "test_glob", "test_fnmatch", "test_stat",
    "test_file", "test_fileio", "test_tarfile", "test_gzip", "test_zipfile",
    # the library and the language
    "test_json", "test_re", "test_struct", "test_bisect", "test_textwrap", "test_heapq",
    "test_collections", "test_itertools", "test_functools", "test_math", "test_float", "test_long",
    "test_bytes", "test_dict", "test_set", "test_sort", "test_zlib", "test_bz2", "test_lzma",
    "test_hashlib", "test_sqlite3", "test_csv", "test_base64", "test_binascii", "test_random",
    "test_statistics", "test_decimal", "test_fractions", "test_contextlib", "test_codecs",
    "test_sys", "test_builtin", "test_exceptions",
]

# compare.py cases that belong to the compatibility suite.
COMPARE_CASES = ["sqlite3-memory", "sqlite3-file", "busybox", "busybox-static"]


@dataclass
class Outcome:
    passed: bool
    summary: str  # e.g. "SUCCESS run=52", "FAILURE run=12 failures=1", "exit 1", "TIMEOUT"
    seconds: float
    detail: str = ""  # the tail of the output when it did not pass


@dataclass
class Case:
    name: str
    kind: str  # "python", "net", "compare"
    what: str
    run: object = field(repr=False)  # (runner, sysroot, cwd, timeout) -> Outcome


# ---------------------------------------------------------------------------
# Python's regression tests

RESULT = re.compile(r"^Result: (.+)$", re.M)
TOTALS = re.compile(r"^Total tests: (.+)$", re.M)


def ran(summary: str) -> int:
    """Tests that ran and were not skipped, from regrtest's totals."""
    counts = dict(re.findall(r"(\w+)=(\d+)", summary))
    return int(counts.get("run", 0)) - int(counts.get("skipped", 0))


def python_case(module: str) -> Case:
    def run(runner, sysroot: Path, cwd: Path, timeout: float) -> Outcome:
        compare.fresh_dir(cwd, {})
        step = compare.Step(["/usr/bin/python3.13", "-m", "test", "--timeout", str(int(timeout * 0.9)), module])
        r = compare.run_step(runner.argv(sysroot, step), cwd, step, timeout)
        out = (r.stdout + r.stderr).decode(errors="replace")
        result = RESULT.findall(out)
        totals = TOTALS.findall(out)
        verdict = result[-1].strip() if result else (r.status if isinstance(r.status, str) else f"exit {r.status}")
        summary = verdict + (f" {totals[-1].strip()}" if totals else "")
        passed = r.status == 0 and verdict in ("SUCCESS", "NO TESTS RAN")
        detail = "" if passed else "\n".join(out.splitlines()[-40:])
        return Outcome(passed, summary, r.seconds, detail)

    return Case(f"py:{module}", "python", f"python3 -m test {module}", run)


# ---------------------------------------------------------------------------
# network clients against a local HTTP server


class Server:
    """An HTTP server on 127.0.0.1 (a free port) serving one directory."""

    def __init__(self, root: Path):
        handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **kw)  # noqa: E731
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


_server: Server | None = None
_payload_sha = ""


def server(workdir: Path) -> Server:
    global _server, _payload_sha
    if _server is None:
        root = workdir / "www"
        root.mkdir(parents=True, exist_ok=True)
        data = compare.make_text(3 << 20, b"compat-www")
        (root / "data.txt").write_bytes(data)
        (root / "index.html").write_text("<html><body>ferrovm compat</body></html>\n")
        _payload_sha = hashlib.sha256(data).hexdigest()
        _server = Server(root)
    return _server


def download_case(name: str, argv: list[str], what: str, workdir: Path) -> Case:
    def run(runner, sysroot: Path, cwd: Path, timeout: float) -> Outcome:
        srv = server(workdir)
        compare.fresh_dir(cwd, {})
        url = f"http://127.0.0.1:{srv.port}"
        cmd = [a.replace("@URL@", url) for a in argv]
        step = compare.Step(cmd)
        r = compare.run_step(runner.argv(sysroot, step), cwd, step, timeout)
        got = cwd / "data.txt"
        problems = []
        if r.status != 0:
            problems.append(f"{r.status if isinstance(r.status, str) else f'exit {r.status}'}")
        if not got.exists():
            problems.append("nothing downloaded")
        elif compare.sha256_file(got) != _payload_sha:
            problems.append("downloaded bytes differ")
        passed = not problems
        detail = "" if passed else (r.stdout + r.stderr).decode(errors="replace")[-2000:]
        return Outcome(passed, "ok" if passed else "; ".join(problems), r.seconds, detail)

    return Case(name, "net", what, run)


# ---------------------------------------------------------------------------
# compare.py's cases


def compare_case(c: compare.Case) -> Case:
    def run(runner, sysroot: Path, cwd: Path, timeout: float) -> Outcome:
        r = compare.run_case(c, runner, sysroot, cwd, timeout)
        passed = r.status == "ok"
        # Outputs are compared across runners afterwards (fingerprint).
        digest = hashlib.sha256()
        for s in r.steps:
            digest.update(repr(s.status).encode() + s.stdout + s.stderr)
        for k in sorted(r.files):
            digest.update(k.encode() + r.files[k].encode())
        o = Outcome(passed, r.status, r.seconds, "\n".join(r.problems))
        o.fingerprint = digest.hexdigest()  # type: ignore[attr-defined]
        return o

    return Case(c.name, "compare", c.what, run)


def build_cases(workdir: Path) -> list[Case]:
    cases = [python_case(m) for m in PY_MODULES]
    cases += [
        download_case("wget", ["/usr/bin/wget", "-q", "-O", "data.txt", "@URL@/data.txt"],
                      "GNU wget downloads 3 MiB from a local HTTP server", workdir),
        download_case("busybox-wget", ["/usr/bin/busybox", "wget", "-q", "-O", "data.txt", "@URL@/data.txt"],
                      "busybox wget downloads 3 MiB from a local HTTP server", workdir),
    ]
    for c in compare.build_cases(compare.Inputs(workdir), True, None):
        if c.name in COMPARE_CASES:
            cases.append(compare_case(c))
    return cases


# ---------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names or shell-style patterns (default: all)")
    ap.add_argument("--runner-a", "-a", default="qemu", help="the oracle (default: qemu)")
    ap.add_argument("--runner-b", "-b", default="ferrovm", help="the runner under test (default: ferrovm)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--jobs", "-j", type=int, default=1, help="cases run at the same time (default 1)")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds per case and runner (default 1200)")
    ap.add_argument("--sysroot", type=Path, default=REPO / "target" / "debian-sysroot")
    ap.add_argument("--no-sysroot-update", action="store_true", help="do not run sysroot.sh first")
    ap.add_argument("--workdir", type=Path, default=REPO / "target" / "debian-compat")
    ap.add_argument("--ferrovm", default=os.environ.get("FERROVM", str(REPO / "target" / "release" / "ferrovm")))
    ap.add_argument("--json", type=Path, help="write every result to this JSON file")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the output tail of every case that fails")
    args = ap.parse_args()

    if not args.list and not args.no_sysroot_update:
        if subprocess.run([str(HERE / "sysroot.sh"), str(args.sysroot)]).returncode != 0:
            print("compat.py: sysroot.sh failed", file=sys.stderr)
            return 2
    sysroot = args.sysroot.resolve()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    cases = build_cases(workdir)
    if args.cases:
        cases = compare.select(cases, args.cases, "compat.py")
        if cases is None:
            return 2
    if args.list:
        for c in cases:
            print(f"{c.name:44} {c.what}")
        print(f"{len(cases)} cases ({sum(c.kind == 'python' for c in cases)} Python test modules)")
        return 0

    ra = compare.make_runner(args.runner_a, sysroot, args.ferrovm)
    rb = compare.make_runner(args.runner_b, sysroot, args.ferrovm)
    if ra is None or rb is None:
        print("compat.py: both runners are needed", file=sys.stderr)
        return 2

    def one(case: Case) -> tuple[Case, Outcome, Outcome]:
        safe = case.name.replace(":", "_").replace("/", "_")
        oa = case.run(ra, sysroot, workdir / "run" / f"{safe}.a", args.timeout)
        ob = case.run(rb, sysroot, workdir / "run" / f"{safe}.b", args.timeout)
        if case.kind == "compare" and getattr(oa, "fingerprint", None) != getattr(ob, "fingerprint", None):
            ob.passed = False
            ob.summary += " (outputs differ from A's)"
        if case.kind == "python" and oa.passed and ob.passed and ran(ob.summary) < ran(oa.summary):
            # Tests skipped for a missing feature (a module that finds no
            # epoll skips them all) are not a pass.
            ob.passed = False
            ob.summary = "fewer ran: " + ob.summary
        return case, oa, ob

    print(f"A = {ra.label}, B = {rb.label}, {len(cases)} cases, {args.jobs} at a time")
    print(f"{'case':44} {'A':32} {'B':32} {'A s':>7} {'B s':>7}")
    results = []
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for case, oa, ob in pool.map(one, cases):
            mark = "" if ob.passed or not oa.passed else "  <-- REGRESSION"
            print(f"{case.name:44} {oa.summary[:32]:32} {ob.summary[:32]:32} {oa.seconds:7.1f} {ob.seconds:7.1f}{mark}",
                  flush=True)
            if args.verbose and mark and ob.detail:
                print("    " + ob.detail.replace("\n", "\n    "))
            results.append((case, oa, ob))
    wall = time.perf_counter() - t0

    a_pass = [c.name for c, oa, _ in results if oa.passed]
    b_pass = [c.name for c, _, ob in results if ob.passed]
    regressions = [c.name for c, oa, ob in results if oa.passed and not ob.passed]
    b_only = [c.name for c, oa, ob in results if ob.passed and not oa.passed]
    a_fail = [c.name for c, oa, _ in results if not oa.passed]
    ta = sum(oa.seconds for _, oa, _ in results)
    tb = sum(ob.seconds for _, _, ob in results)
    print()
    print(f"{len(results)} cases in {wall:.0f} s: A passes {len(a_pass)}, B passes {len(b_pass)}; "
          f"passed under A but not B: {len(regressions)}; time A {ta:.0f} s, B {tb:.0f} s ({tb / max(ta, 1e-9):.2f}x)")
    if regressions:
        print("  passed under A, not under B: " + ", ".join(regressions))
    if a_fail:
        print("  A (the oracle) itself fails: " + ", ".join(a_fail))
    if b_only:
        print("  B passes where A fails: " + ", ".join(b_only))
    if args.json:
        args.json.write_text(json.dumps({
            "runner_a": ra.label, "runner_b": rb.label, "wall_seconds": wall,
            "cases": [{"name": c.name, "what": c.what,
                       "a": {"passed": oa.passed, "summary": oa.summary, "seconds": oa.seconds},
                       "b": {"passed": ob.passed, "summary": ob.summary, "seconds": ob.seconds,
                             "detail": ob.detail if not ob.passed else ""}}
                      for c, oa, ob in results],
        }, indent=1) + "\n")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
