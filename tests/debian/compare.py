#!/usr/bin/env python3
"""Run real Debian riscv64 programs under two runners and compare them.

    tests/debian/compare.py [--quick] [--no-threads] [--runner-a SPEC] [--runner-b SPEC] [CASE...]

Every case runs one or more riscv64 programs from the sysroot built by
tests/debian/sysroot.sh (xz, zstd, python3, sqlite3, busybox, gzip, bzip2,
coreutils) on inputs this script generates deterministically. Each case runs
under runner A (default: qemu-riscv64, the oracle) and then under runner B
(default: ferrovm) in the same working directory, and the two are compared:
exit status, stdout and stderr of every step, and the bytes of every file the
case writes. Round trips (compress, decompress, compare with the input) are
checked as well. Wall times are printed per runner and case.

Runner SPECs:
    qemu                     qemu-riscv64 -L SYSROOT PROGRAM ARGS
    ferrovm[:ENGINE]         ferrovm run [--engine ENGINE] -L SYSROOT -- PROGRAM ARGS
                             (ENGINE: interp, jit, tiered; ferrovm is --ferrovm,
                             $FERROVM, or target/release/ferrovm)
    cmd:PREFIX               any command prefix; {sysroot} is replaced, the
                             program and its arguments are appended
    none                     (runner B only) run A alone, compare nothing

Exit status: 0 if every case matched (and passed its checks), 1 otherwise,
2 for usage errors.
"""

from __future__ import annotations

import argparse
import array
import difflib
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
GUEST = HERE / "guest"

MiB = 1 << 20

# ---------------------------------------------------------------------------
# deterministic inputs


def _stream(seed: bytes, n: int) -> bytes:
    """n pseudo-random bytes: SHA-512 in counter mode (same on every host)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha512(b"%s:%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


def make_text(size: int, seed: bytes = b"text") -> bytes:
    """size bytes of text-like data: words from a 4096-word made-up vocabulary
    in a Zipf-like distribution, commas, sentences and lines. Compresses about
    3.3x with xz -6, so the compressors do real matching work."""
    letters = b"etaoinshrdlcumwfgypbvkjxqz"
    raw = _stream(seed + b"/vocab", 4096 * 16)
    vocab = []
    for k in range(4096):
        r = raw[16 * k : 16 * k + 16]
        vocab.append(bytes(letters[r[1 + j] % 26] for j in range(2 + r[0] % 9)))
    table: list[bytes] = []
    k = 0
    while len(table) < 65536:
        table.extend([vocab[k % 4096]] * max(1, 8192 // (k + 8)))
        k += 1
    table = table[:65536]
    seps = [b" "] * 14 + [b", ", b".\n"]
    idx = array.array("H")
    idx.frombytes(_stream(seed, (size // 5 + 1024) * 2))
    if sys.byteorder != "little":
        idx.byteswap()
    parts = []
    for v in idx:
        parts.append(table[v])
        parts.append(seps[v & 15])
    data = b"".join(parts)
    while len(data) < size:  # (never for sizes this script uses)
        data += data
    return data[:size]


class Inputs:
    """Generated input files, cached in WORKDIR/inputs by name and size."""

    VERSION = 1  # bump when a generator changes

    def __init__(self, root: Path):
        self.root = root / "inputs"
        self.root.mkdir(parents=True, exist_ok=True)

    def text(self, size: int) -> Path:
        p = self.root / f"text-v{self.VERSION}-{size}.txt"
        if not p.exists():
            tmp = p.with_suffix(".tmp")
            tmp.write_bytes(make_text(size))
            tmp.rename(p)
        return p

    def words(self, size: int) -> Path:
        """The same text with one word per line (more lines: GNU sort only
        uses threads from 128Ki lines on)."""
        p = self.root / f"words-v{self.VERSION}-{size}.txt"
        if not p.exists():
            tmp = p.with_suffix(".tmp")
            tmp.write_bytes(self.text(size).read_bytes().replace(b", ", b"\n").replace(b" ", b"\n"))
            tmp.rename(p)
        return p


# ---------------------------------------------------------------------------
# cases


@dataclass
class Step:
    """One guest program run. argv[0] is the program's path inside the sysroot.
    stdin/stdout name files in the case's directory; without stdout, standard
    output is captured and compared as text."""

    argv: list[str]
    stdin: str | None = None
    stdout: str | None = None
    # called with the captured stdout; returns a list of problems
    check_stdout: Callable[[str], list[str]] | None = None


@dataclass
class Case:
    name: str
    threads: bool  # does it need guest threads (pthread_create)?
    steps: list[Step]
    what: str = ""
    # files (in the case dir) copied in before the run: name -> source path
    files: dict[str, Path] = field(default_factory=dict)
    # files whose bytes must be identical between the runners
    outputs: list[str] = field(default_factory=list)
    # pairs (a, b) of files in the case dir that must be identical (round trips)
    same: list[tuple[str, str]] = field(default_factory=list)


def xz_blocks_at_least(n: int) -> Callable[[str], list[str]]:
    def check(out: str) -> list[str]:
        for line in out.splitlines():
            f = line.split("\t")
            if f[0] == "totals" and len(f) > 2:
                if int(f[2]) >= n:
                    return []
                return [f"xz wrote {f[2]} block(s), wanted >= {n} (multithreaded mode not engaged)"]
        return ["no totals line in xz --robot --list output"]

    return check


def build_cases(inputs: Inputs, quick: bool, size_mb: float | None) -> list[Case]:
    size = int((size_mb if size_mb is not None else (1 if quick else 24)) * MiB)
    scale = 1 if quick else 8
    text = inputs.text(size)
    small = inputs.text(max(size // 4, 256 * 1024))  # for the slow levels
    block = max(size // 8, 64 * 1024)  # xz/zstd multi-block: 8 blocks
    sql = (GUEST / "sqlite.sql").read_text().replace("@ROWS@", str(20000 * scale))
    sql_file = inputs.root / f"sqlite-{scale}.sql"
    sql_file.write_text(sql)
    py = "/usr/bin/python3"
    xz = "/usr/bin/xz"
    zstd = "/usr/bin/zstd"
    bb = "/usr/bin/busybox"
    bbs = "/opt/busybox-static/usr/bin/busybox"
    T = {"in.txt": text}
    S = {"in.txt": small}

    def roundtrip(name, threads, compress, decompress, what, src=T, extra=None):
        steps = [
            Step(compress, stdin="in.txt", stdout="out.z"),
            Step(decompress, stdin="out.z", stdout="rt.txt"),
        ]
        if extra:
            steps += extra
        return Case(name, threads, steps, what, files=dict(src),
                    outputs=["out.z", "rt.txt"], same=[("in.txt", "rt.txt")])

    def bb_steps(prog):
        return [
            Step([prog, "sha256sum", "in.txt"]),
            Step([prog, "md5sum", "in.txt"]),
            Step([prog, "wc", "in.txt"]),
            Step([prog, "sort", "in.txt"], stdout="sorted.txt"),
            Step([prog, "sort", "-u", "-r", "sorted.txt"], stdout="uniq.txt"),
            Step([prog, "awk", "{ for (i = 1; i <= NF; i++) n[length($i)]++ } END { for (k in n) print k, n[k] }", "in.txt"],
                 stdout="awk.txt"),
            Step([prog, "sort", "-n", "awk.txt"]),
            Step([prog, "sed", "-e", "s/e/E/g; s/\\([a-z]*\\), /<\\1>/g", "in.txt"], stdout="sed.txt"),
            Step([prog, "tr", "a-z", "A-Z"], stdin="in.txt", stdout="tr.txt"),
            Step([prog, "grep", "-c", "-E", "^[a-m]+ [n-z]+", "in.txt"]),
            Step([prog, "gzip", "-9", "-c"], stdin="in.txt", stdout="in.gz"),
            Step([prog, "gunzip", "-c"], stdin="in.gz", stdout="rt.txt"),
        ]

    cases = [
        Case("python-startup", False, [Step([py, "-c", "pass"])],
             "python3 -c pass (no .pyc: every imported module is compiled)"),
        Case("python-stdlib", False, [Step([py, "py_stdlib.py", "in.txt"])],
             "json, hashlib (OpenSSL), zlib, bz2, lzma, re, sqlite3, decimal...",
             files={"py_stdlib.py": GUEST / "py_stdlib.py", "in.txt": small}),
        Case("python-compute", False, [Step([py, "py_compute.py", str(scale)])],
             "pure-Python integers, big integers, strings, dicts, floats",
             files={"py_compute.py": GUEST / "py_compute.py"}),
        Case("python-threading", True, [Step([py, "py_threads.py", str(scale)])],
             "threading: Lock, Queue, Condition, Barrier, Event, Semaphore",
             files={"py_threads.py": GUEST / "py_threads.py"}),
        Case("python-threadpool", True, [Step([py, "py_threadpool.py", str(scale)])],
             "concurrent.futures.ThreadPoolExecutor: map, submit, as_completed",
             files={"py_threadpool.py": GUEST / "py_threadpool.py"}),
        roundtrip("xz-T1", False, [xz, "-T1", "-6", "-c"], [xz, "-T1", "-d", "-c"],
                  "xz -T1 -6: single-threaded compress and decompress",
                  extra=[Step([xz, "--robot", "--list", "-vv", "out.z"])]),
        roundtrip("xz-T2", True, [xz, "-T2", "-6", "-c"], [xz, "-T2", "-d", "-c"],
                  "xz -T2 -6 (default block size: 24 MiB blocks)",
                  extra=[Step([xz, "--robot", "--list", "out.z"])]),
        roundtrip("xz-T2-blocks", True, [xz, "-T2", "-6", f"--block-size={block}", "-c"],
                  [xz, "-T2", "-d", "-c"],
                  "xz -T2 -6 with 8 blocks: two compressing and two decompressing threads",
                  extra=[Step([xz, "--robot", "--list", "out.z"], check_stdout=xz_blocks_at_least(2))]),
        roundtrip("zstd-single", False, [zstd, "--single-thread", "--no-asyncio", "-19", "-c"],
                  [zstd, "--no-asyncio", "-d", "-c"],
                  "zstd -19 --single-thread --no-asyncio (no I/O thread either)", src=S),
        roundtrip("zstd-3-long", False, [zstd, "--single-thread", "--no-asyncio", "-3", "--long", "-c"],
                  [zstd, "--no-asyncio", "--long", "-d", "-c"],
                  "zstd -3 --long=27 (128 MiB window) single-threaded"),
        roundtrip("zstd-T2-19", True, [zstd, "-T2", "-19", "-c"], [zstd, "-d", "-c"],
                  "zstd -T2 -19 (two workers) and a threaded decompress", src=S),
        roundtrip("zstd-T2-3-long", True, [zstd, "-T2", "-3", "--long", f"--block-size={block}", "-c"],
                  [zstd, "-d", "--long", "-c"], "zstd -T2 -3 --long"),
        roundtrip("gzip", False, ["/usr/bin/gzip", "-9", "-n", "-c"], ["/usr/bin/gzip", "-d", "-c"],
                  "gzip -9 round trip"),
        roundtrip("bzip2", False, ["/usr/bin/bzip2", "-9", "-c"], ["/usr/bin/bzip2", "-d", "-c"],
                  "bzip2 -9 round trip"),
        Case("sqlite3-memory", False, [Step(["/usr/bin/sqlite3", ":memory:"], stdin="script.sql")],
             "sqlite3 :memory: inserts, indexes, aggregates, windows, json",
             files={"script.sql": sql_file}),
        Case("sqlite3-file", False,
             [Step(["/usr/bin/sqlite3", "test.db"], stdin="script.sql"),
              Step(["/usr/bin/sqlite3", "test.db", "SELECT count(*), sum(grp) FROM t; PRAGMA page_count;"])],
             "the same on a database file (journal, fsync); the file's bytes compared",
             files={"script.sql": sql_file}, outputs=["test.db"]),
        Case("busybox", False, bb_steps(bb),
             "busybox (dynamic): sha256sum md5sum wc sort awk sed tr grep gzip",
             files=dict(T), outputs=["sorted.txt", "uniq.txt", "awk.txt", "sed.txt", "tr.txt", "in.gz"],
             same=[("in.txt", "rt.txt")]),
        Case("busybox-static", False, bb_steps(bbs),
             "the same with the statically linked busybox",
             files=dict(T), outputs=["sorted.txt", "uniq.txt", "awk.txt", "sed.txt", "tr.txt", "in.gz"],
             same=[("in.txt", "rt.txt")]),
        Case("coreutils", False, [
            Step(["/usr/bin/sha256sum", "in.txt"]),
            Step(["/usr/bin/b2sum", "in.txt"]),
            Step(["/usr/bin/wc", "in.txt"]),
            Step(["/usr/bin/sort", "--parallel=1", "-S", "64M", "in.txt"], stdout="sorted.txt"),
            Step(["/usr/bin/uniq", "-c", "sorted.txt"], stdout="uniq.txt"),
            Step(["/usr/bin/sort", "--parallel=1", "-k1,1nr", "-k2", "uniq.txt"], stdout="top.txt"),
            Step(["/usr/bin/head", "-n", "5", "top.txt"]),
            Step(["/usr/bin/tr", "-s", "a-z", "A-Z"], stdin="in.txt", stdout="tr.txt"),
            Step(["/usr/bin/cut", "-d", " ", "-f", "2,4", "in.txt"], stdout="cut.txt"),
            Step(["/usr/bin/base64"], stdin="top.txt", stdout="b64.txt"),
            Step(["/usr/bin/seq", "-f", "%.3f", "1", "0.37", "20000"], stdout="seq.txt"),
            Step(["/usr/bin/factor", "1234567890123456789", "18446744073709551557", "340282366920938463463374607431768211507"]),
            Step(["/usr/bin/date", "-u", "-d", "@1700000000", "+%F %T %j %A"]),
            Step(["/usr/bin/printf", "%s|%5.2f|%x\\n", "abc", "3.14159", "255"]),
        ], "GNU coreutils: sort, uniq, sha256sum, tr, cut, base64, seq, factor...",
            files=dict(T), outputs=["sorted.txt", "uniq.txt", "top.txt", "tr.txt", "cut.txt", "b64.txt", "seq.txt"]),
        Case("coreutils-sort-parallel", True, [
            Step(["/usr/bin/sort", "--parallel=2", "-S", "256M", "in.txt"], stdout="sorted.txt"),
            Step(["/usr/bin/sort", "--parallel=2", "-S", "256M", "-k2", "-k1r", "in.txt"], stdout="sorted2.txt"),
        ], "GNU sort --parallel=2 (sorts with two threads)", files={"in.txt": inputs.words(size)},
            outputs=["sorted.txt", "sorted2.txt"]),
    ]
    return cases


# ---------------------------------------------------------------------------
# runners


@dataclass
class Runner:
    label: str
    prefix: list[str]  # PROGRAM and ARGS are appended

    def argv(self, sysroot: Path, step: Step) -> list[str]:
        program = str(sysroot) + step.argv[0]
        return self.prefix + [program] + step.argv[1:]


def make_runner(spec: str, sysroot: Path, ferrovm: str) -> Runner | None:
    if spec == "none":
        return None
    if spec == "qemu":
        return Runner(spec, [os.environ.get("QEMU_RISCV64", "qemu-riscv64"), "-L", str(sysroot)])
    if spec == "ferrovm" or spec.startswith("ferrovm:"):
        engine = spec.partition(":")[2]
        args = [ferrovm, "run"]
        if engine:
            args += ["--engine", engine]
        # "--": ferrovm's own options would otherwise be taken from the
        # program's arguments
        return Runner(spec, args + ["-L", str(sysroot), "--"])
    if spec.startswith("cmd:"):
        return Runner(spec, [a.replace("{sysroot}", str(sysroot)) for a in shlex.split(spec[4:])])
    raise SystemExit(f"compare.py: unknown runner {spec!r} (qemu, ferrovm[:ENGINE], cmd:PREFIX, none)")


# ---------------------------------------------------------------------------
# running


@dataclass
class StepResult:
    argv: list[str]
    status: int | str  # exit code, "SIGSEGV", "TIMEOUT", "ERROR: ..."
    stdout: bytes
    stderr: bytes
    seconds: float


@dataclass
class RunResult:
    steps: list[StepResult]
    seconds: float
    files: dict[str, str]  # output name -> sha256 (or "missing")
    problems: list[str]  # failed checks

    @property
    def status(self) -> str:
        for s in self.steps:
            if s.status != 0:
                return f"{s.status}" if isinstance(s.status, str) else f"exit {s.status}"
        return "FAIL" if self.problems else "ok"


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def guest_env(workdir: Path) -> dict[str, str]:
    """The whole environment of every guest: nothing from the caller's."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LC_ALL": "C",
        "TZ": "UTC",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }


def run_step(cmd: list[str], cwd: Path, step: Step, timeout: float) -> StepResult:
    stdin = open(cwd / step.stdin, "rb") if step.stdin else subprocess.DEVNULL
    stdout = open(cwd / step.stdout, "wb") if step.stdout else subprocess.PIPE
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=guest_env(cwd), stdin=stdin, stdout=stdout,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as e:
        return StepResult(cmd, f"ERROR: {e}", b"", b"", 0.0)
    try:
        out, err = proc.communicate(timeout=timeout)
        status: int | str = proc.returncode
        if proc.returncode < 0:
            try:
                status = signal.Signals(-proc.returncode).name
            except ValueError:
                status = f"signal {-proc.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        status = "TIMEOUT"
    except BaseException:  # ^C: do not leave the guest (its own session) running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        for f in (stdin, stdout):
            if hasattr(f, "close"):
                f.close()
    return StepResult(cmd, status, out or b"", err or b"", time.perf_counter() - t0)


def fresh_dir(cwd: Path, files: dict) -> None:
    """Empties (or makes) cwd and puts a case's input files in it
    (hard links where possible)."""
    if cwd.exists():
        shutil.rmtree(cwd)
    cwd.mkdir(parents=True)
    for name, src in files.items():
        try:
            os.link(src, cwd / name)
        except OSError:
            shutil.copyfile(src, cwd / name)


def run_case(case: Case, runner: Runner, sysroot: Path, cwd: Path, timeout: float) -> RunResult:
    fresh_dir(cwd, case.files)
    results = []
    problems = []
    t0 = time.perf_counter()
    for step in case.steps:
        r = run_step(runner.argv(sysroot, step), cwd, step, timeout)
        results.append(r)
        n = len(results)
        (cwd / f"step{n}.cmd").write_text(" ".join(shlex.quote(x) for x in r.argv) + f"\nstatus {r.status}\n")
        if not step.stdout:
            (cwd / f"step{n}.stdout").write_bytes(r.stdout)
        (cwd / f"step{n}.stderr").write_bytes(r.stderr)
        if r.status != 0:
            break
        if step.check_stdout:
            problems += step.check_stdout(r.stdout.decode(errors="replace"))
    seconds = time.perf_counter() - t0
    files = {}
    for name in case.outputs:
        p = cwd / name
        files[name] = sha256_file(p) if p.exists() else "missing"
    if all(r.status == 0 for r in results):
        for a, b in case.same:
            pa, pb = cwd / a, cwd / b
            if not (pa.exists() and pb.exists()) or sha256_file(pa) != sha256_file(pb):
                problems.append(f"{b} differs from {a} (round trip broken)")
    return RunResult(results, seconds, files, problems)


def short_diff(name: str, a: bytes, b: bytes, la: str, lb: str, limit: int = 12) -> list[str]:
    ta = a.decode(errors="replace").splitlines()
    tb = b.decode(errors="replace").splitlines()
    lines = list(difflib.unified_diff(ta, tb, f"{name} ({la})", f"{name} ({lb})", n=1, lineterm=""))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return [ln if len(ln) < 200 else ln[:200] + "..." for ln in lines]


def filter_stderr(data: bytes, patterns: list[re.Pattern]) -> bytes:
    if not patterns:
        return data
    keep = [ln for ln in data.split(b"\n") if not any(p.search(ln.decode(errors="replace")) for p in patterns)]
    return b"\n".join(keep)


def compare(case: Case, ra: RunResult, rb: RunResult, la: str, lb: str, ignore: list[re.Pattern]) -> list[str]:
    """The differences between two runs, as printable lines (empty: identical)."""
    out = []
    for i, step in enumerate(case.steps):
        sa = ra.steps[i] if i < len(ra.steps) else None
        sb = rb.steps[i] if i < len(rb.steps) else None
        if sa is None and sb is None:
            break
        cmd = " ".join(shlex.quote(x) for x in step.argv)
        if sa is None or sb is None:
            out.append(f"step {i + 1} `{cmd}` ran only under {la if sa else lb}")
            continue
        if sa.status != sb.status:
            out.append(f"step {i + 1} `{cmd}`: status {sa.status} ({la}) vs {sb.status} ({lb})")
        if sa.stdout != sb.stdout:
            out.append(f"step {i + 1} `{cmd}`: stdout differs")
            out += ["    " + ln for ln in short_diff("stdout", sa.stdout, sb.stdout, la, lb)]
        ea, eb = filter_stderr(sa.stderr, ignore), filter_stderr(sb.stderr, ignore)
        if ea != eb:
            out.append(f"step {i + 1} `{cmd}`: stderr differs")
            out += ["    " + ln for ln in short_diff("stderr", ea, eb, la, lb)]
    for name in case.outputs:
        if ra.files.get(name) != rb.files.get(name):
            out.append(f"output file {name}: sha256 {ra.files.get(name, '?')[:16]} ({la}) "
                       f"vs {rb.files.get(name, '?')[:16]} ({lb})")
    return out


def fmt_time(s: float) -> str:
    return f"{s:7.2f}s"


def select(cases: list, patterns: list[str], tool: str) -> list | None:
    """The cases whose name matches one of the shell-style patterns; None
    (after saying which) if a pattern matches nothing."""
    import fnmatch

    for pat in patterns:
        if not any(fnmatch.fnmatchcase(c.name, pat) for c in cases):
            print(f"{tool}: no case matches {pat!r} (--list shows them)", file=sys.stderr)
            return None
    return [c for c in cases if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names or shell-style patterns (default: all)")
    ap.add_argument("--runner-a", "-a", default="qemu", help="the oracle (default: qemu)")
    ap.add_argument("--runner-b", "-b", default="ferrovm", help="the runner under test (default: ferrovm)")
    ap.add_argument("--quick", action="store_true", help="small inputs (1 MiB), for CI")
    ap.add_argument("--size-mb", type=float, help="size of the main input in MiB (default 24, --quick 1)")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--no-threads", action="store_true", help="only the cases that create no guest threads")
    group.add_argument("--threads-only", action="store_true", help="only the cases that create guest threads")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--sysroot", type=Path, default=REPO / "target" / "debian-sysroot",
                    help="the sysroot from sysroot.sh (default: target/debian-sysroot)")
    ap.add_argument("--no-sysroot-update", action="store_true",
                    help="do not run sysroot.sh first (it returns at once when the sysroot is complete)")
    ap.add_argument("--workdir", type=Path, default=REPO / "target" / "debian-work",
                    help="inputs and case directories (default: target/debian-work)")
    ap.add_argument("--ferrovm", default=os.environ.get("FERROVM", str(REPO / "target" / "release" / "ferrovm")),
                    help="the ferrovm binary (default: $FERROVM or target/release/ferrovm)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds per step before it is killed (default 600, --quick 120)")
    ap.add_argument("--ignore-stderr", action="append", default=[], metavar="REGEX",
                    help="drop stderr lines matching REGEX before comparing (repeatable), "
                         "e.g. '^ferrovm: unsupported syscall'")
    ap.add_argument("--keep", action="store_true", help="keep the case directories (WORKDIR/CASE.a, .b)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every step's command and time")
    args = ap.parse_args()

    timeout = args.timeout or (120.0 if args.quick else 600.0)
    ignore = [re.compile(p) for p in args.ignore_stderr]
    if not args.list and not args.no_sysroot_update:
        r = subprocess.run([str(HERE / "sysroot.sh"), str(args.sysroot)])
        if r.returncode != 0:
            print("compare.py: sysroot.sh failed", file=sys.stderr)
            return 2
    sysroot = args.sysroot.resolve()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    t_gen = time.perf_counter()
    cases = build_cases(Inputs(workdir), args.quick or args.list, args.size_mb)
    t_gen = time.perf_counter() - t_gen
    if args.no_threads:
        cases = [c for c in cases if not c.threads]
    if args.threads_only:
        cases = [c for c in cases if c.threads]
    if args.cases:
        cases = select(cases, args.cases, "compare.py")
        if cases is None:
            return 2
    if args.list:
        for c in cases:
            print(f"{c.name:24} {'threads' if c.threads else 'single ':8} {c.what}")
        return 0

    ra_runner = make_runner(args.runner_a, sysroot, args.ferrovm)
    rb_runner = make_runner(args.runner_b, sysroot, args.ferrovm)
    if ra_runner is None:
        raise SystemExit("compare.py: runner A cannot be none")
    for r in (ra_runner, rb_runner):
        if r and shutil.which(r.prefix[0]) is None:
            print(f"compare.py: {r.prefix[0]} not found (runner {r.label})", file=sys.stderr)
            return 2
    la = ra_runner.label
    lb = rb_runner.label if rb_runner else "-"
    print(f"sysroot {sysroot}; inputs ready in {t_gen:.1f}s; A = {la}, B = {lb}; "
          f"{'quick' if args.quick else 'full'} mode, {len(cases)} cases", flush=True)
    w = max(len(c.name) for c in cases)
    head = f"{'case':{w}}  {'thr':3}  {'A: ' + la:>24} {'time':>8}  {'B: ' + lb:>24} {'time':>8}  result"
    print(head)
    print("-" * len(head), flush=True)

    bad = 0
    details = []
    totals = [0.0, 0.0]
    t_all = time.perf_counter()
    for case in cases:
        base = workdir / "run" / case.name
        res_a = run_case(case, ra_runner, sysroot, base, timeout)
        shutil.rmtree(base.with_name(case.name + ".a"), ignore_errors=True)
        base.rename(base.with_name(case.name + ".a"))
        totals[0] += res_a.seconds
        if rb_runner:
            res_b = run_case(case, rb_runner, sysroot, base, timeout)
            shutil.rmtree(base.with_name(case.name + ".b"), ignore_errors=True)
            base.rename(base.with_name(case.name + ".b"))
            totals[1] += res_b.seconds
            diffs = compare(case, res_a, res_b, "A", "B", ignore)
        else:
            res_b, diffs = None, []
        problems = [f"A: {p}" for p in res_a.problems] + ([f"B: {p}" for p in res_b.problems] if res_b else [])
        if diffs:
            verdict = "DIFF"
        elif problems:
            verdict = "FAIL"
        elif res_a.status != "ok":
            verdict = "same, both failed"
        else:
            verdict = "match" if res_b else "ok"
        ok = verdict in ("match", "ok")
        bad += not ok
        b_cols = (f"{res_b.status:>24} {fmt_time(res_b.seconds)}" if res_b else f"{'':>24} {'':>8}")
        print(f"{case.name:{w}}  {'yes' if case.threads else 'no':3}  {res_a.status:>24} {fmt_time(res_a.seconds)}  "
              f"{b_cols}  {verdict}", flush=True)
        if args.verbose:
            for tag, res in (("A", res_a), ("B", res_b)):
                for s in (res.steps if res else []):
                    print(f"    {tag} {s.seconds:7.2f}s {s.status!s:>8}  {' '.join(shlex.quote(x) for x in s.argv)}")
        if not ok:
            lines = diffs + problems
            for tag, res in (("A", res_a), ("B", res_b)):
                if res and res.status != "ok" and res.steps:
                    s = res.steps[-1]
                    lines.append(f"{tag} stopped at `{' '.join(shlex.quote(x) for x in s.argv)}`: {s.status}")
                    tail = s.stderr.decode(errors="replace").strip().splitlines()[-6:]
                    lines += [f"    {tag} stderr: {ln[:200]}" for ln in tail]
            details.append((case.name, lines))
            for ln in lines:
                print("    " + ln)
        if not args.keep and ok:
            for suffix in (".a", ".b"):
                shutil.rmtree(base.with_name(case.name + suffix), ignore_errors=True)
    print("-" * len(head))
    print(f"{'total':{w}}  {'':3}  {'':>24} {fmt_time(totals[0])}  "
          f"{'':>24} {fmt_time(totals[1]) if rb_runner else '':>8}  "
          f"{len(cases) - bad}/{len(cases)} ok  (wall {time.perf_counter() - t_all:.0f}s)")
    if bad:
        print(f"\n{bad} case(s) failed: {', '.join(n for n, _ in details)}"
              f"{'' if args.keep else ' (their directories are kept in ' + str(workdir / 'run') + ')'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
