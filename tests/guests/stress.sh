#!/usr/bin/env bash
# Stress the guest programs of one tag (default: threads): run each one
# RUNS times under every engine and fail on any hang, crash or output that
# differs from expected/. Runs the way the tests and bless.sh do (empty
# environment plus FERROVM_GUEST_VAR, stdin from /dev/null or input/).
#
#   tests/guests/stress.sh [--runs N] [--engines LIST] [--tag TAG]
#                          [--timeout SECS] [--ferrovm PATH]
#                          [--ferrovm-args "ARGS"] [NAME...]
#
# Defaults: 100 runs, engines interp,jit,tiered, tag threads, 120 s per
# run, target/release/ferrovm. Exits 1 if anything failed; prints one line
# per program and engine (runs, failures, slowest run).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs=100
engines=interp,jit,tiered
tag=threads
timeout=120
ferrovm="$root/target/release/ferrovm"
extra=()
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --engines) engines="$2"; shift 2 ;;
        --tag) tag="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --ferrovm) ferrovm="$2"; shift 2 ;;
        --ferrovm-args) read -r -a extra <<<"$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "stress.sh: unknown option $1" >&2; exit 2 ;;
        *) names+=("$1"); shift ;;
    esac
done
[ -x "$ferrovm" ] || { echo "stress.sh: $ferrovm not built (cargo build --release -p ferrovm-cli)" >&2; exit 2; }

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=0
while read -r name tags args; do
    case "$name" in ''|'#'*) continue ;; esac
    [[ ",$tags," == *",$tag,"* ]] || continue
    if [ ${#names[@]} -gt 0 ] && [[ " ${names[*]} " != *" $name "* ]]; then continue; fi
    stdin=/dev/null
    [[ ",$tags," == *",stdin,"* ]] && stdin="$here/input/$name.stdin"
    sysroot=()
    [[ ",$tags," == *",dynamic,"* ]] && sysroot=(-L /usr/riscv64-linux-gnu)
    # Vector programs need the V extension, which the default ISA lacks
    # (as the tests run them).
    [[ ",$tags," == *",vector,"* ]] && sysroot+=(--isa max)
    want_out="$here/expected/$name.stdout"
    want_err="$here/expected/$name.stderr"
    want_status="$(cat "$here/expected/$name.status")"
    for engine in ${engines//,/ }; do
        bad=0 slowest=0
        for ((i = 1; i <= runs; i++)); do
            start=$(date +%s%N)
            status=0
            # shellcheck disable=SC2086
            (cd "$scratch" && env -i FERROVM_GUEST_VAR=guest-value timeout -k 5 "$timeout" \
                "$ferrovm" run --engine "$engine" "${extra[@]}" "${sysroot[@]}" "$here/bin/$name" $args \
                <"$stdin" >"$scratch/out" 2>"$scratch/err") || status=$?
            ms=$(( ($(date +%s%N) - start) / 1000000 ))
            (( ms > slowest )) && slowest=$ms
            why=""
            if [ "$status" = 124 ] || [ "$status" = 137 ]; then
                why="hung (killed after ${timeout}s)"
            elif [ "$status" != "$want_status" ]; then
                why="status $status, expected $want_status"
            elif ! cmp -s "$scratch/out" "$want_out"; then
                why="stdout differs"
            elif [ -f "$want_err" ] && ! cmp -s "$scratch/err" "$want_err"; then
                why="stderr differs"
            elif [ ! -f "$want_err" ] && [ -s "$scratch/err" ]; then
                why="unexpected stderr: $(head -c 200 "$scratch/err")"
            fi
            if [ -n "$why" ]; then
                bad=$((bad + 1))
                echo "  $name ($engine) run $i: $why" >&2
            fi
        done
        printf '%-16s %-7s %4d runs %3d failed  slowest %6d ms\n' "$name" "$engine" "$runs" "$bad" "$slowest"
        failed=$((failed + bad))
    done
done <"$here/manifest.txt"
if [ "$failed" -gt 0 ]; then
    echo "stress.sh: $failed failed run(s)" >&2
    exit 1
fi
