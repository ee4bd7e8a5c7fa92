#!/usr/bin/env python3
"""Thread scaling of a threaded workload, with a confidence interval.

    benches/scaling.py [--runs N] [--workload NAME] [--qemu PATH] [--native PATH] FERROVM...

Runs `bin/NAME 1` and `bin/NAME 2` (the harness's `NAME@1`, `NAME@2`)
under each ferrovm binary given and under qemu-riscv64, alternating
engines and thread counts round by round, and prints each engine's
median times and its 2-vs-1 speed-up (median / median) with a bootstrap
90% interval. The harness's `threads` rows come from 3 runs; on a 2-CPU
machine their spread is as large as the differences between engines.
With --native (the harness's x86-64 build of the workload, for example
target/ferrovm-bench/native/parallel after a harness run), the native
program's own scaling is measured in the same rounds: the ceiling an
emulator whose code comes close to native speed meets (the two threads
share the host's caches and memory).
"""
import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ferrovm", nargs="+", help="ferrovm binaries to compare")
    ap.add_argument("--runs", type=int, default=25, help="rounds (default 25)")
    ap.add_argument("--workload", default="parallel", help="threaded workload in benches/workloads/bin")
    ap.add_argument("--qemu", default="qemu-riscv64", help="qemu-riscv64 binary ('' to leave it out)")
    ap.add_argument("--native", help="the workload built for the host, measured too")
    args = ap.parse_args()
    prog = Path(__file__).resolve().parent / "workloads" / "bin" / args.workload
    engines = [(f, [f, "run", str(prog)]) for f in args.ferrovm] + ([("qemu", [args.qemu, str(prog)])] if args.qemu else [])
    if args.native:
        engines.append(("native", [args.native]))
    times = {(name, k): [] for name, _ in engines for k in (1, 2)}
    for _ in range(args.runs):
        for name, cmd in engines:
            for k in (1, 2):
                start = time.perf_counter()
                r = subprocess.run(cmd + [str(k)], stdout=subprocess.DEVNULL)
                if r.returncode != 0:
                    print(f"{' '.join(cmd)} {k}: exit status {r.returncode}", file=sys.stderr)
                    return 1
                times[(name, k)].append(time.perf_counter() - start)
    rng = random.Random(1)
    med = statistics.median
    for name, _ in engines:
        one, two = times[(name, 1)], times[(name, 2)]
        boots = sorted(med(rng.choices(one, k=len(one))) / med(rng.choices(two, k=len(two))) for _ in range(2000))
        lo, hi = boots[len(boots) // 20], boots[len(boots) - len(boots) // 20 - 1]
        print(f"{name}: 1 thread {med(one):.3f} s, 2 threads {med(two):.3f} s, "
              f"speed-up {med(one) / med(two):.3f}x [{lo:.3f}, {hi:.3f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
