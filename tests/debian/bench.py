#!/usr/bin/env python3
"""Real programs under qemu-riscv64 and ferrovm: how long each one takes.

    tests/debian/bench.py [--ferrovm PATH] [--config NAME[@PATH]='ARGS']... [--runs N]
                          [--stats] [--json FILE] [--markdown FILE] [CASE...]

Runs Debian's riscv64 programs from the sysroot of tests/debian/sysroot.sh
(python3 start-up and imports, two of Python's own test modules, bzip2 -9
and bzip2 -d over 4 MiB; more with --all) under qemu-riscv64 and under one or
more ferrovm configurations, N times each, the runners taking turns within
each round (the order rotates from round to round). Every run's exit status,
stdout (bytes) and stderr (minus ferrovm's own `ferrovm: ` notices and, for
unittest, the time it prints) must be the same as qemu's first run: a run
that differs is reported as WRONG and the configuration is not timed further
on that case.

Reported per case and runner: the median wall time and the median user+sys
CPU time (from wait4's rusage: ferrovm's compile threads count), and each
ferrovm configuration's ratio to qemu (> 1: slower than qemu). With --stats,
each ferrovm configuration runs every case once more with `--stats` and its
statistics (compile time, hot regions, blocks compiled, ...) are shown.

Python runs read bytecode from a private cache (PYTHONPYCACHEPREFIX, filled
by an untimed qemu run of each case first), as on an installed Debian system
where the .pyc files exist; --no-pyc compiles every imported module in every
run instead (the sysroot has no .pyc files).

Runners: `qemu` is `qemu-riscv64 -L SYSROOT PROGRAM ARGS` ($QEMU_RISCV64
overrides the binary); `--config NAME='ARGS'` is `FERROVM run ARGS -L SYSROOT
-- PROGRAM ARGS` (default: tiered='--engine tiered' and jit='--engine jit');
`--config NAME@PATH='ARGS'` runs the ferrovm binary at PATH instead, so two
builds are compared in one run (`--config before@/tmp/old/ferrovm='' --config
after='').

Exit status: 0 if every run matched qemu's, 1 if any was WRONG or failed,
2 for usage errors.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to compare.py
sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402  (the inputs, the guest environment, the runners)

HERE = compare.HERE
REPO = compare.REPO
MiB = compare.MiB
PY = "/usr/bin/python3"

# ---------------------------------------------------------------------------
# cases


@dataclass
class BenchCase:
    """One guest program run. argv[0] is the program's path in the sysroot."""

    name: str
    argv: list[str]
    what: str
    default: bool = True  # run without naming it (else: --all or by name)
    stdin: Path | None = None  # host file given as standard input
    files: dict[str, Path] = field(default_factory=dict)  # linked into the run directory
    binary_stdout: bool = False  # stdout is data: compared by sha256, not diffed
    python: bool = False  # a python3 run: uses the bytecode cache
    # (regex, replacement) applied to stderr before comparing
    scrub: list[tuple[str, str]] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # sysroot paths that must exist

    def command(self) -> str:
        s = " ".join(shlex.quote(a) for a in [Path(self.argv[0]).name] + self.argv[1:])
        if self.stdin is not None:
            s += f" < {self.stdin.name}"
        return s


# unittest prints "Ran 46 tests in 0.437s" on stderr
UNITTEST_SCRUB = [(r"^(Ran \d+ tests?) in [0-9.]+s$", r"\1 in Xs")]
TESTSUITE = "/usr/lib/python3.13/test/"


def build_cases(inputs: compare.Inputs, size_mb: float, bz2_input: Path | None) -> list[BenchCase]:
    size = int(size_mb * MiB)
    text = inputs.text(size)
    sql = inputs.root / "bench-sqlite-20000.sql"
    want = (compare.GUEST / "sqlite.sql").read_text().replace("@ROWS@", "20000")
    if not sql.exists() or sql.read_text() != want:
        sql.write_text(want)

    def unittest(module: str, default: bool, what: str) -> BenchCase:
        return BenchCase(f"python-{module.replace('_', '-')}", [PY, "-m", "unittest", f"test.{module}"],
                         what, default=default, python=True, scrub=UNITTEST_SCRUB,
                         needs=[TESTSUITE + module + ".py"])

    xz = "/usr/bin/xz"
    bz = "/usr/bin/bzip2"
    mb = f"{size_mb:g} MiB"
    return [
        BenchCase("python-startup", [PY, "-c", "pass"],
                  "python3 -c pass: the interpreter starts and stops (frozen modules only)", python=True),
        BenchCase("python-import", [PY, "-c", "import json, re, decimal, collections"],
                  "python3 imports json, re, decimal, collections (from .pyc)", python=True),
        unittest("test_bisect", True, "Python's own test module: bisect in C and in pure Python"),
        unittest("test_textwrap", True, "Python's own test module: textwrap (pure Python, re)"),
        BenchCase("bzip2-9", [bz, "-9", "-c"], f"bzip2 -9 compressing {mb} of text",
                  stdin=text, binary_stdout=True),
        BenchCase("bzip2-d", [bz, "-d", "-c"], f"bzip2 -d of that ({mb} out)",
                  stdin=bz2_input, binary_stdout=True),
        # --- extras: --all, or by name
        unittest("test_operator", False, "Python's own test module: operator in C and in pure Python"),
        unittest("test_heapq", False, "Python's own test module: heapq in C and in pure Python"),
        BenchCase("sqlite3", ["/usr/bin/sqlite3", ":memory:"],
                  "sqlite3 :memory: 20,000 rows: index, aggregates, windows, json (guest/sqlite.sql)",
                  default=False, stdin=sql),
        BenchCase("xz-6", [xz, "-T1", "-6", "-c"], f"xz -6 compressing {mb} of text",
                  default=False, stdin=text, binary_stdout=True),
    ]


def bz2_input_for(inputs: compare.Inputs, size_mb: float, qemu: compare.Runner, sysroot: Path,
                  timeout: float) -> Path:
    """The text compressed by the guest's bzip2 -9 under qemu (cached)."""
    text = inputs.text(int(size_mb * MiB))
    p = inputs.root / (text.name + ".bz2")
    if not p.exists():
        tmp = p.with_suffix(".tmp")
        with open(text, "rb") as fin, open(tmp, "wb") as fout:
            r = subprocess.run(qemu.prefix + [str(sysroot) + "/usr/bin/bzip2", "-9", "-c"], stdin=fin,
                               stdout=fout, env=compare.guest_env(inputs.root), timeout=timeout)
        if r.returncode != 0:
            raise SystemExit(f"bench.py: making {p.name} with qemu's bzip2 failed ({r.returncode})")
        tmp.rename(p)
    return p


# ---------------------------------------------------------------------------
# running


@dataclass
class Output:
    """What one run produced."""

    status: int | str  # exit code, signal name, "TIMEOUT", "ERROR: ..."
    stdout: bytes  # text stdout, or b"" for binary
    stdout_sha: str
    stdout_size: int
    stderr: bytes  # raw
    wall: float
    cpu: float  # user + sys
    maxrss_kib: int

    def status_text(self) -> str:
        return "ok" if self.status == 0 else (f"exit {self.status}" if isinstance(self.status, int) else self.status)


STATS_MARK = re.compile(rb"^ferrovm: guest instructions retired\s+(\d+)\s*$", re.M)


def split_stats(stderr: bytes) -> tuple[bytes, dict[str, str]]:
    """The guest's stderr and ferrovm's --stats block (name -> value text).

    The block is a `ferrovm: guest instructions retired N` line and then one
    `NAME   VALUE` line per counter (crates/engine/src/stats.rs); it is parsed
    generically, so counters added later show up too."""
    marks = list(STATS_MARK.finditer(stderr))
    if not marks:
        return stderr, {}
    m = marks[-1]
    stats = {"guest instructions retired": m.group(1).decode()}
    for line in stderr[m.end():].decode(errors="replace").splitlines():
        parts = line.strip().rsplit(None, 1)
        if len(parts) == 2:
            stats[parts[0].strip()] = parts[1]
    return stderr[:m.start()], stats


_UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def stat_number(value: str) -> float | int | None:
    """'4.307s' -> 4.307, '572.879µs' -> 0.000572879, '6251' -> 6251."""
    if re.fullmatch(r"\d+", value):
        return int(value)
    m = re.fullmatch(r"([0-9.]+)(ns|µs|us|ms|s)", value)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def normalize_stderr(data: bytes, case: BenchCase) -> bytes:
    """stderr as compared: without ferrovm's own notices, scrubbed."""
    lines = [ln for ln in data.decode(errors="replace").split("\n") if not ln.startswith("ferrovm: ")]
    text = "\n".join(lines)
    for pat, repl in case.scrub:
        text = re.sub(pat, repl, text, flags=re.M)
    return text.encode()


def ferrovm_notices(data: bytes) -> list[str]:
    return [ln for ln in data.decode(errors="replace").split("\n")
            if ln.startswith("ferrovm: ") and not ln.startswith("ferrovm: guest instructions retired")]


def env_for(case: BenchCase, cwd: Path, pycache: Path | None, write_pyc: bool) -> dict[str, str]:
    env = compare.guest_env(cwd)
    if case.python and pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
        if write_pyc:
            del env["PYTHONDONTWRITEBYTECODE"]
    return env


def run_once(argv: list[str], case: BenchCase, cwd: Path, env: dict[str, str], timeout: float) -> Output:
    """Runs argv in a fresh cwd, stdout and stderr to files (no pipes, so
    wait4 can reap it and give its rusage)."""
    compare.fresh_dir(cwd, case.files)
    out_p, err_p = cwd / "stdout", cwd / "stderr"
    stdin = open(case.stdin, "rb") if case.stdin else subprocess.DEVNULL
    timed_out = threading.Event()
    try:
        with open(out_p, "wb") as fout, open(err_p, "wb") as ferr:
            t0 = time.perf_counter()
            try:
                proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=stdin, stdout=fout, stderr=ferr,
                                        start_new_session=True)
            except OSError as e:
                return Output(f"ERROR: {e}", b"", "", 0, b"", 0.0, 0.0, 0)

            def kill() -> None:
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                _, wstatus, ru = os.wait4(proc.pid, 0)
            except BaseException:  # ^C: do not leave the guest (its own session) running
                kill()
                proc.wait()
                raise
            finally:
                timer.cancel()
            wall = time.perf_counter() - t0
    finally:
        if hasattr(stdin, "close"):
            stdin.close()
    code = os.waitstatus_to_exitcode(wstatus)
    proc.returncode = code  # reaped here: Popen must not wait for it again
    status: int | str = code
    if timed_out.is_set():
        status = "TIMEOUT"
    elif code < 0:
        try:
            status = signal.Signals(-code).name
        except ValueError:
            status = f"signal {-code}"
    stdout = b"" if case.binary_stdout else out_p.read_bytes()
    return Output(status, stdout, compare.sha256_file(out_p), out_p.stat().st_size, err_p.read_bytes(),
                  wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss)


def differences(case: BenchCase, ref: Output, got: Output, label: str) -> list[str]:
    """How got differs from qemu's reference run (empty: the same)."""
    out = []
    if ref.status != got.status:
        out.append(f"status {ref.status_text()} (qemu) vs {got.status_text()} ({label})")
    if ref.stdout_sha != got.stdout_sha:
        if case.binary_stdout:
            out.append(f"stdout: {ref.stdout_size} bytes sha256 {ref.stdout_sha[:16]} (qemu) vs "
                       f"{got.stdout_size} bytes sha256 {got.stdout_sha[:16]} ({label})")
        else:
            out.append("stdout differs")
            out += ["    " + ln for ln in compare.short_diff("stdout", ref.stdout, got.stdout, "qemu", label)]
    ea, eb = normalize_stderr(ref.stderr, case), normalize_stderr(got.stderr, case)
    if ea != eb:
        out.append("stderr differs")
        out += ["    " + ln for ln in compare.short_diff("stderr", ea, eb, "qemu", label)]
    return out


# ---------------------------------------------------------------------------
# runners


@dataclass
class BenchRunner:
    name: str
    prefix: list[str]  # the program and its arguments are appended
    args: str = ""  # ferrovm: the configuration's arguments
    ferrovm: bool = False

    def argv(self, sysroot: Path, case: BenchCase, extra: list[str] | None = None) -> list[str]:
        prefix = self.prefix
        if extra:  # ferrovm options go before "-L SYSROOT --"
            prefix = prefix[:-3] + extra + prefix[-3:]
        return prefix + [str(sysroot) + case.argv[0]] + case.argv[1:]


def ferrovm_runner(name: str, args: str, ferrovm: str, sysroot: Path) -> BenchRunner:
    return BenchRunner(name, [ferrovm, "run"] + shlex.split(args) + ["-L", str(sysroot), "--"], args, True)


@dataclass
class Result:
    """One runner on one case."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    maxrss_kib: list[int] = field(default_factory=list)
    wrong: list[str] | None = None  # the differences from qemu
    notices: set[str] = field(default_factory=set)  # ferrovm's own stderr lines
    stats: dict[str, str] | None = None
    stats_wrong: list[str] | None = None

    def median_wall(self) -> float | None:
        return statistics.median(self.wall) if self.wall and not self.wrong else None

    def median_cpu(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu and not self.wrong else None


# ---------------------------------------------------------------------------
# the machine and the binaries


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "cpu model", "uarch"):
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "usable_cores": usable,
            "kernel": platform.release(), "host": platform.node(), "python": platform.python_version()}


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def first_line(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def file_sha256(path: str) -> str:
    p = shutil.which(path) or path
    try:
        return compare.sha256_file(Path(p))
    except OSError:
        return "?"


def repo_commit() -> str:
    c = first_line(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return c + ("-dirty" if dirty else "")


# ---------------------------------------------------------------------------
# output


def fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s:.2f}s" if s < 100 else f"{s:.0f}s"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def fmt_stat(v: str | None) -> str:
    if v is None:
        return "-"
    n = stat_number(v)
    if isinstance(n, float):
        return f"{n:.3f}s" if n >= 0.1 else f"{n * 1e3:.1f}ms"
    if isinstance(n, int) and n >= 10_000_000:
        return f"{n / 1e6:.0f}M"
    return v


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def geomean(xs: list[float]) -> float | None:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


# the statistics shown in the tables (every one goes into the JSON)
SHOWN_STATS = [("guest instructions retired", "guest insns"), ("stats.translate_time", "translate"),
               ("stats.compile_time", "compile"), ("stats.hot_regions", "hot regions"),
               ("stats.blocks_compiled", "blocks compiled"), ("queue_wait.mean", "queue wait"),
               ("stats.compile_pause_max", "longest pause")]


class Table:
    def __init__(self, runners: list[BenchRunner]):
        self.runners = runners
        self.ferro = [r for r in runners if r.ferrovm]

    def header(self, w: int) -> list[str]:
        top = f"{'':{w}}  {'qemu':^15}"
        sub = f"{'case':{w}}  {'wall':>7} {'cpu':>7}"
        for r in self.ferro:
            top += f"  {r.name:^23}"
            sub += f"  {'wall':>7} {'cpu':>7} {'/qemu':>7}"
        return [top, sub, "-" * len(sub)]

    def row(self, name: str, w: int, res: dict[str, Result]) -> str:
        q = res["qemu"]
        line = f"{name:{w}}  "
        line += (f"{'WRONG':>15}" if q.wrong else f"{fmt_s(q.median_wall()):>7} {fmt_s(q.median_cpu()):>7}")
        for r in self.ferro:
            x = res[r.name]
            if x.wrong:
                line += f"  {'WRONG':>23}"
            else:
                line += (f"  {fmt_s(x.median_wall()):>7} {fmt_s(x.median_cpu()):>7} "
                         f"{fmt_ratio(ratio(x.median_wall(), q.median_wall())):>7}")
        return line


def markdown(report: dict, runners: list[BenchRunner]) -> str:
    ferro = [r for r in runners if r.ferrovm]
    m = report["machine"]
    out = [f"Median wall time of {report['runs']} runs (user+sys CPU time in the JSON) and the ratio to "
           f"QEMU ({report['qemu']['version']}); > 1x is slower than QEMU. "
           f"{m['cpu']}, {m['cores']} cores, load average {report['loadavg_start']} at the start, "
           f"{report['loadavg_end']} at the end. ferrovm sha256 {report['ferrovm']['sha256'][:12]} "
           f"(repository {report['repo_commit']}), `{report['command']}`.", ""]
    out.append("| case | qemu | " + " | ".join(f"{r.name} (`{r.args or 'default options'}`)" for r in ferro) + " |")
    out.append("|---|---:|" + "---:|" * len(ferro))
    for c in report["cases"]:
        q = c["results"]["qemu"]
        cells = [c["name"],
                 "WRONG" if q["wrong"] else fmt_s(q["median_wall"]).replace("s", " s")]
        for r in ferro:
            x = c["results"][r.name]
            cells.append("WRONG" if x["wrong"] else
                         f"{fmt_s(x['median_wall']).replace('s', ' s')} ({fmt_ratio(x['ratio_wall'])})")
        out.append("| " + " | ".join(cells) + " |")
    out.append("| geometric mean | | " + " | ".join(fmt_ratio(report["geomean_ratio_wall"].get(r.name))
                                                  for r in ferro) + " |")
    if any(c["results"][r.name].get("stats") for c in report["cases"] for r in ferro):
        out += ["", "ferrovm statistics (one more run with `--stats`):", ""]
        out.append("| case | config | " + " | ".join(h for _, h in SHOWN_STATS) + " |")
        out.append("|---|---|" + "---:|" * len(SHOWN_STATS))
        for c in report["cases"]:
            for r in ferro:
                st = c["results"][r.name].get("stats")
                if st:
                    out.append(f"| {c['name']} | {r.name} | " + " | ".join(fmt_stat(st.get(k)) for k, _ in SHOWN_STATS)
                               + " |")
    out += ["", "| case | command |", "|---|---|"]
    out += [f"| {c['name']} | `{c['command']}` |" for c in report["cases"]]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names or shell-style patterns (default: the default cases)")
    ap.add_argument("--all", action="store_true", help="the extra cases too (--list shows which)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--ferrovm", default=os.environ.get("FERROVM", str(REPO / "target" / "release" / "ferrovm")),
                    help="the ferrovm binary (default: $FERROVM or target/release/ferrovm)")
    ap.add_argument("--config", action="append", default=[], metavar="NAME[@PATH]='ARGS'",
                    help="a ferrovm configuration: `ferrovm run ARGS -L SYSROOT -- ...`, with the ferrovm "
                         "binary at PATH instead of --ferrovm's if given (to compare builds in one run; "
                         "repeatable; default: tiered='--engine tiered' jit='--engine jit')")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per case and runner (default 5)")
    ap.add_argument("--stats", action="store_true",
                    help="one more run per case and ferrovm configuration with --stats: compile statistics")
    ap.add_argument("--json", type=Path, metavar="FILE", help="write every measurement as JSON")
    ap.add_argument("--markdown", type=Path, metavar="FILE", help="write the tables as Markdown")
    ap.add_argument("--size-mb", type=float, default=4, help="size of the bzip2/xz input in MiB (default 4)")
    ap.add_argument("--no-pyc", action="store_true",
                    help="no bytecode cache: every python3 run compiles every module it imports")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run before it is killed (default 600)")
    ap.add_argument("--sysroot", type=Path, default=REPO / "target" / "debian-sysroot",
                    help="the sysroot from sysroot.sh (default: target/debian-sysroot)")
    ap.add_argument("--no-sysroot-update", action="store_true",
                    help="do not run sysroot.sh first (it returns at once when the sysroot is complete)")
    ap.add_argument("--workdir", type=Path, default=REPO / "target" / "debian-work",
                    help="inputs (shared with compare.py), the bytecode cache and the run directories "
                         "(default: target/debian-work)")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    configs: list[tuple[str, str, str]] = []
    for spec in args.config or ["tiered=--engine tiered", "jit=--engine jit"]:
        head, eq, cargs = spec.partition("=")
        name, at, binary = head.partition("@")
        if not eq or not re.fullmatch(r"[A-Za-z0-9_.+-]+", name) or name == "qemu" or (at and not binary):
            ap.error(f"--config {spec!r}: want NAME[@PATH]='ARGS' (NAME: letters, digits, _.+-; not qemu)")
        if name in (n for n, _, _ in configs):
            ap.error(f"--config {name} given twice")
        if binary and not os.access(binary, os.X_OK):
            ap.error(f"--config {spec!r}: {binary} is not an executable")
        configs.append((name, cargs, binary or args.ferrovm))

    t_start = time.perf_counter()
    if not args.list and not args.no_sysroot_update:
        r = subprocess.run([str(HERE / "sysroot.sh"), str(args.sysroot)])
        if r.returncode != 0:
            print("bench.py: sysroot.sh failed", file=sys.stderr)
            return 2
    sysroot = args.sysroot.resolve()
    workdir = args.workdir.resolve()
    benchdir = workdir / "bench"
    benchdir.mkdir(parents=True, exist_ok=True)
    inputs = compare.Inputs(workdir)

    qemu_prefix = compare.make_runner("qemu", sysroot, args.ferrovm).prefix
    qemu = BenchRunner("qemu", qemu_prefix)
    runners = [qemu] + [ferrovm_runner(n, a, b, sysroot) for n, a, b in configs]

    # select
    all_cases = build_cases(inputs, args.size_mb, None)
    if args.list:
        for c in all_cases:
            print(f"{c.name:22} {'default' if c.default else 'extra  '}  {c.what}")
        return 0
    if args.cases:
        names = [c.name for c in all_cases]
        for pat in args.cases:
            if not any(fnmatch.fnmatchcase(n, pat) for n in names):
                print(f"bench.py: no case matches {pat!r} (--list shows them)", file=sys.stderr)
                return 2
        chosen = {c.name for c in all_cases if any(fnmatch.fnmatchcase(c.name, p) for p in args.cases)}
    else:
        chosen = {c.name for c in all_cases if c.default or args.all}
    for r in runners:
        if shutil.which(r.prefix[0]) is None:
            print(f"bench.py: {r.prefix[0]} not found (runner {r.name})", file=sys.stderr)
            return 2
    bz2_input = None
    if "bzip2-d" in chosen:
        bz2_input = bz2_input_for(inputs, args.size_mb, compare.Runner("qemu", qemu_prefix), sysroot, args.timeout)
    cases = [c for c in build_cases(inputs, args.size_mb, bz2_input) if c.name in chosen]
    for c in cases:
        for need in c.needs:
            if not (sysroot / need.lstrip("/")).exists():
                print(f"bench.py: {c.name} needs {need} in {sysroot} (libpython3.13-testsuite: "
                      f"run tests/debian/sysroot.sh)", file=sys.stderr)
                return 2
    pycache = None if args.no_pyc else benchdir / "pycache"

    command = " ".join(shlex.quote(a) for a in ["tests/debian/bench.py"] + sys.argv[1:])
    machine = machine_info()
    report: dict = {
        "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine,
        "loadavg_start": loadavg(),
        "runs": args.runs,
        "pyc": pycache is not None,
        "size_mb": args.size_mb,
        "sysroot": str(sysroot),
        "sysroot_lock_sha256": next((ln.split()[1] for ln in (sysroot / ".ferrovm-sysroot").read_text().splitlines()
                                     if ln.startswith("lock-sha256 ")), "?")
        if (sysroot / ".ferrovm-sysroot").exists() else "?",
        "repo_commit": repo_commit(),
        "ferrovm": {"path": args.ferrovm, "sha256": file_sha256(args.ferrovm),
                    "version": first_line([args.ferrovm, "--version"])},
        "qemu": {"path": qemu_prefix[0], "version": first_line([qemu_prefix[0], "--version"])},
        "runners": [{"name": r.name, "args": r.args, "command": r.prefix} for r in runners],
        "cases": [],
    }
    print(f"command: {command}")
    print(f"machine: {machine['cpu']}, {machine['cores']} cores ({machine['usable_cores']} usable), "
          f"Linux {machine['kernel']}, load average {report['loadavg_start']}")
    print(f"qemu:    {report['qemu']['version']}")
    print(f"ferrovm: {args.ferrovm} ({report['ferrovm']['version']}, sha256 {report['ferrovm']['sha256'][:12]}); "
          f"repository {report['repo_commit']}")
    for r in runners[1:]:
        print(f"         {r.name:8} = ferrovm run {r.args} -L SYSROOT -- ...")
    print(f"{args.runs} run{'s' if args.runs > 1 else ''} per case and runner, runners alternating; "
          f"python bytecode {'cached (' + str(pycache) + ')' if pycache else 'not cached (--no-pyc)'}; "
          f"sysroot {sysroot}")
    print(flush=True)

    table = Table(runners)
    w = max(len(c.name) for c in cases)
    for ln in table.header(w):
        print(ln)
    sys.stdout.flush()

    bad = 0
    problems: list[str] = []
    all_results: dict[str, dict[str, Result]] = {}
    rundir_root = benchdir / "run"
    shutil.rmtree(rundir_root, ignore_errors=True)  # the WRONG runs of the last time
    for case in cases:
        cwd = rundir_root / case.name
        res = {r.name: Result() for r in runners}
        # untimed: fills the bytecode cache and the page cache
        warm = run_once(qemu.argv(sysroot, case), case, cwd, env_for(case, cwd, pycache, True), args.timeout)
        ref: Output | None = None
        for i in range(args.runs):
            k = i % len(runners)
            for r in runners[k:] + runners[:k]:
                x = res[r.name]
                if x.wrong is not None:
                    continue
                out = run_once(r.argv(sysroot, case), case, cwd, env_for(case, cwd, pycache, False), args.timeout)
                if ref is None:  # round 0 starts with qemu
                    ref = out
                    if out.status != 0:
                        problems.append(f"{case.name}: exits with {out.status_text()} under qemu (the reference)")
                    if warm.status != out.status:
                        problems.append(f"{case.name}: the untimed qemu run gave {warm.status_text()}, "
                                        f"the first timed one {out.status_text()}")
                diff = differences(case, ref, out, r.name)
                x.notices.update(ferrovm_notices(out.stderr))
                if diff:
                    x.wrong = diff
                    keep = rundir_root / f"{case.name}.{r.name}.wrong"
                    shutil.rmtree(keep, ignore_errors=True)
                    cwd.rename(keep)
                    ref_dir = rundir_root / f"{case.name}.qemu.ref"
                    shutil.rmtree(ref_dir, ignore_errors=True)
                    ref_dir.mkdir(parents=True)
                    (ref_dir / "stderr").write_bytes(ref.stderr)
                    if not case.binary_stdout:
                        (ref_dir / "stdout").write_bytes(ref.stdout)
                    continue
                x.wall.append(out.wall)
                x.cpu.append(out.cpu)
                x.maxrss_kib.append(out.maxrss_kib)
        if args.stats:
            for r in runners[1:]:
                x = res[r.name]
                out = run_once(r.argv(sysroot, case, ["--stats"]), case, cwd, env_for(case, cwd, pycache, False),
                               args.timeout)
                guest_err, x.stats = split_stats(out.stderr)
                out.stderr = guest_err
                diff = differences(case, ref, out, r.name + " --stats") if ref else []
                if diff:
                    x.stats_wrong = diff
                if not x.stats:
                    x.stats_wrong = (x.stats_wrong or []) + ["no statistics on stderr"]
        shutil.rmtree(cwd, ignore_errors=True)
        all_results[case.name] = res
        print(table.row(case.name, w, res), flush=True)
        for r in runners:
            x = res[r.name]
            if x.wrong:
                bad += 1
                problems.append(f"{case.name}: {r.name} WRONG (kept in {rundir_root / (case.name + '.' + r.name + '.wrong')})")
                problems += ["    " + ln for ln in x.wrong]
            if x.stats_wrong and not x.wrong:
                problems.append(f"{case.name}: {r.name} --stats run: " + x.stats_wrong[0])
                problems += ["    " + ln for ln in x.stats_wrong[1:]]
            for n in sorted(x.notices):
                problems.append(f"{case.name}: {r.name} said: {n}")

    # summary
    q_name = "qemu"
    geo: dict[str, float] = {}
    geo_cpu: dict[str, float] = {}
    slower: dict[str, int] = {}
    for r in runners[1:]:
        rs = [ratio(all_results[c.name][r.name].median_wall(), all_results[c.name][q_name].median_wall())
              for c in cases]
        rc = [ratio(all_results[c.name][r.name].median_cpu(), all_results[c.name][q_name].median_cpu())
              for c in cases]
        g = geomean([x for x in rs if x])
        if g:
            geo[r.name] = g
        g = geomean([x for x in rc if x])
        if g:
            geo_cpu[r.name] = g
        slower[r.name] = sum(1 for x in rs if x is None or x > 1)
    print("-" * len(table.header(w)[1]))
    line = f"{'geometric mean':{w}}  {'':15}"
    for r in runners[1:]:
        line += f"  {'':7} {'':7} {fmt_ratio(geo.get(r.name)):>7}"
    print(line)
    print()
    print("target: none slower than QEMU (wall) -- " +
          ", ".join(f"{r.name}: slower in {slower[r.name]} of {len(cases)} cases" for r in runners[1:]))

    if args.stats:
        print()
        print("ferrovm statistics (one more run with --stats)")
        hdr = f"{'case':{w}}  {'config':10}" + "".join(f" {h:>15}" for _, h in SHOWN_STATS)
        print(hdr)
        print("-" * len(hdr))
        for c in cases:
            for r in runners[1:]:
                st = all_results[c.name][r.name].stats or {}
                print(f"{c.name:{w}}  {r.name:10}" + "".join(f" {fmt_stat(st.get(k)):>15}" for k, _ in SHOWN_STATS))

    if problems:
        print()
        print("notes:")
        for p in problems:
            print("  " + p)
    elapsed = time.perf_counter() - t_start
    report["loadavg_end"] = loadavg()
    report["elapsed_s"] = round(elapsed, 1)
    print()
    print(f"took {elapsed / 60:.1f} min; load average at the end {report['loadavg_end']}")

    for c in cases:
        res = all_results[c.name]
        qm = res[q_name].median_wall()
        qc = res[q_name].median_cpu()
        entry = {"name": c.name, "what": c.what, "command": c.command(),
                 "argv": c.argv, "stdin": str(c.stdin) if c.stdin else None, "results": {}}
        for r in runners:
            x = res[r.name]
            d = {"wall_s": [round(v, 4) for v in x.wall], "cpu_s": [round(v, 4) for v in x.cpu],
                 "maxrss_kib": x.maxrss_kib, "median_wall": x.median_wall(), "median_cpu": x.median_cpu(),
                 "wrong": x.wrong, "notices": sorted(x.notices)}
            if r.ferrovm:
                d["ratio_wall"] = ratio(x.median_wall(), qm)
                d["ratio_cpu"] = ratio(x.median_cpu(), qc)
                if x.stats is not None:
                    d["stats"] = x.stats
                    d["stats_values"] = {k: stat_number(v) for k, v in x.stats.items()}
                    d["stats_wrong"] = x.stats_wrong
            entry["results"][r.name] = d
        report["cases"].append(entry)
    report["geomean_ratio_wall"] = geo
    report["geomean_ratio_cpu"] = geo_cpu
    report["slower_than_qemu"] = slower
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.json}")
    if args.markdown:
        args.markdown.write_text(markdown(report, runners))
        print(f"wrote {args.markdown}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
