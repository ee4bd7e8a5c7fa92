#!/usr/bin/env bash
# Build the benchmark workloads in src/ into bin/<name> (riscv64, -O2
# -static) with Debian's riscv64 cross compiler. Builds are reproducible:
# same packages => same bytes, so the ELFs are committed like tests/guests.
#
#   benches/workloads/build.sh            build everything into bin/
#   benches/workloads/build.sh NAME...    build only these workloads
#   benches/workloads/build.sh --check    rebuild everything into a temporary
#                                         directory and fail (exit 1) if any
#                                         committed ELF in bin/ differs, is
#                                         missing or has no source, or if
#                                         src/bigprog.c is not what
#                                         gen_bigprog.py generates
#
# The native x86-64 builds are not made here: ferrovm-bench compiles the
# same sources with the host gcc and the same FLAGS at run time (keep the
# two in sync: crates/bench/src/workload.rs, NATIVE_FLAGS).
#
# Needs: gcc-riscv64-linux-gnu (Debian 12: 12.2), libc6-dev-riscv64-cross,
# python3 (for the generated bigprog.c).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

CC=${CC:-riscv64-linux-gnu-gcc}

# Reproducibility: relative source paths, the absolute path mapped away, no
# build id, fixed locale and time zone. Symbols are kept.
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0
REPRO=(-ffile-prefix-map="$here"=. -Wl,--build-id=none)
# -ffp-contract=off: riscv64 has fused multiply-add and GCC would contract
# a*b+c into it by default, while x86-64 (no FMA in the base ISA) cannot;
# the results must be bit-identical to the native build's. -pthread for the
# threaded workloads (parallel, locks); it changes no other binary.
FLAGS=(-O2 -static -ffp-contract=off -pthread -Wall -Wextra -Wno-unused-parameter)

# Per-workload ISA: `vector` is RVV in inline assembly (the harness runs it
# with V turned on: its [vector] tag in manifest.txt).
march() { # name
    case "$1" in
        vector|vcrypto|vmatmul|vfp) printf '%s\n' -march=rv64gcv ;;
    esac
}

build_one() { # name outdir
    "$CC" "${FLAGS[@]}" $(march "$1") "${REPRO[@]}" -o "$2/$1" "src/$1.c" -lm
}

names() {
    local f
    for f in src/*.c; do
        basename "$f" .c
    done | LC_ALL=C sort
}

if [ "${1:-}" = "--check" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    status=0
    if ! python3 gen_bigprog.py | cmp -s - src/bigprog.c; then
        echo "DIFFERS: src/bigprog.c is not what gen_bigprog.py generates" >&2; status=1
    fi
    while read -r name; do
        build_one "$name" "$tmp"
    done < <(names)
    for f in "$tmp"/*; do
        name="$(basename "$f")"
        if [ ! -e "bin/$name" ]; then
            echo "MISSING: bin/$name is not committed" >&2; status=1
        elif ! cmp -s "$f" "bin/$name"; then
            echo "DIFFERS: bin/$name does not match a fresh build" >&2; status=1
        fi
    done
    for f in bin/*; do
        [ -e "$f" ] || continue
        name="$(basename "$f")"
        if [ ! -e "$tmp/$name" ]; then
            echo "STALE: bin/$name has no source in src/" >&2; status=1
        fi
    done
    if [ "$status" = 0 ]; then
        echo "build.sh --check: all $(ls "$tmp" | wc -l) workload binaries match"
    fi
    exit "$status"
fi

mkdir -p bin
if [ "$#" -gt 0 ]; then
    for name in "$@"; do
        build_one "$name" bin
    done
else
    python3 gen_bigprog.py > src/bigprog.c
    while read -r name; do
        build_one "$name" bin
    done < <(names)
fi
