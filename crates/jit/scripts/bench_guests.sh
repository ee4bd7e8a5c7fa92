#!/usr/bin/env bash
# Wall time of guest programs under --engine jit, --engine interp and
# qemu-riscv64 (best of N runs), with ratios and geomeans. A benchmark, not a
# test. Usage: crates/jit/scripts/bench_guests.sh [runs] [programs...]
set -euo pipefail
cd "$(dirname "$0")/../../.."
runs=${1:-3}; shift || true
progs=${*:-min_loop min_sort min_primes min_fib min_arith min_strings min_float}
bin=target/release/ferrovm
best() { # best wall time in seconds of "$@" over $runs runs
    local b=999
    for _ in $(seq "$runs"); do
        local s e t
        s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc -l); b=$(echo "if ($t < $b) $t else $b" | bc -l)
    done
    printf '%.4f' "$b"
}
printf '%-14s %9s %9s %9s %9s %9s\n' program jit interp qemu interp/jit qemu/jit
lj=0; lq=0; n=0
for p in $progs; do
    j=$(best $bin run --engine jit tests/guests/bin/$p)
    i=$(best $bin run --engine interp tests/guests/bin/$p)
    q=$(best qemu-riscv64 tests/guests/bin/$p)
    ri=$(echo "$i / $j" | bc -l); rq=$(echo "$q / $j" | bc -l)
    printf '%-14s %9.3f %9.3f %9.3f %9.2f %9.2f\n' "$p" "$j" "$i" "$q" "$ri" "$rq"
    lj=$(echo "$lj + l($ri)" | bc -l); lq=$(echo "$lq + l($rq)" | bc -l); n=$((n + 1))
done
printf 'geomean interp/jit %.2f, qemu/jit %.2f\n' "$(echo "e($lj / $n)" | bc -l)" "$(echo "e($lq / $n)" | bc -l)"
