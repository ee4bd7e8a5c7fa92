#!/usr/bin/env bash
# Run the guest programs listed in manifest.txt and write (bless) or check
# their expected output in expected/.
#
#   tests/guests/bless.sh [NAME...]            run under qemu-riscv64 twice,
#                                              require identical results, and
#                                              write expected/NAME.{stdout,stderr,status}
#   tests/guests/bless.sh --verify [NAME...]   run and compare with expected/,
#                                              exit 1 on any difference
#   tests/guests/bless.sh --verify --runner "path/to/ferrovm" [NAME...]
#                                              the same with another runner
#                                              (invoked as RUNNER [-L SYSROOT] BIN ARGS...)
#
# Environment: each program runs with an empty environment plus
# FERROVM_GUEST_VAR=guest-value; stdin is input/NAME.stdin for programs
# tagged "stdin" and /dev/null otherwise; status is the exit code, or
# 128 + signal number for death by a signal. qemu's own
# "qemu: uncaught target signal" line is dropped from stderr.
#
# Programs tagged "oracle-native" (qemu-riscv64 7.2 cannot execve a riscv64
# binary without binfmt_misc) are blessed from a native build of the same
# source with the host C compiler; --verify skips them under qemu-riscv64 and
# runs them under any other runner.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

SYSROOT=${FERROVM_RISCV_SYSROOT:-/usr/riscv64-linux-gnu}
GUEST_ENV=(FERROVM_GUEST_VAR=guest-value)
HOST_CC=${HOST_CC:-cc}

verify=0
runner="qemu-riscv64"
names=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --verify) verify=1 ;;
        --runner) runner="$2"; shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        -*) echo "bless.sh: unknown option $1" >&2; exit 2 ;;
        *) names+=("$1") ;;
    esac
    shift
done

ulimit -c 0  # never leave core files behind (qemu honours RLIMIT_CORE)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

QEMU_EXT_CPU="rv64,Zfh=true,zbkb=true,zbkx=true"
QEMU_VECTOR_CPU="rv64,v=true,vlen=128,vext_spec=v1.0"

has_tag() { # tags tag
    case ",$1," in *",$2,"*) return 0 ;; esac
    return 1
}

# run_prog OUTPREFIX NAME TAGS BINARY [ARGS...] -> OUTPREFIX.{stdout,stderr,status}
run_prog() {
    local out="$1" name="$2" tags="$3" bin="$4"
    shift 4
    local stdin=/dev/null cmd=()
    has_tag "$tags" stdin && stdin="input/$name.stdin"
    read -r -a cmd <<<"$runner"
    if [ "$bin" != "bin/$name" ]; then
        cmd=()  # native oracle binary: run directly
    elif has_tag "$tags" dynamic; then
        cmd+=(-L "$SYSROOT")
    fi
    # qemu-riscv64 7.2's rv64 has Zfh and Zbk* behind properties.
    if has_tag "$tags" qemu-ext && [ "$(basename "${cmd[0]:-}")" = qemu-riscv64 ]; then
        cmd+=(-cpu "$QEMU_EXT_CPU")
    fi
    # Vector programs: V is off by default in qemu and in ferrovm.
    if has_tag "$tags" vector && [ "$(basename "${cmd[0]:-}")" = qemu-riscv64 ]; then
        cmd+=(-cpu "$QEMU_VECTOR_CPU")
    elif has_tag "$tags" vector && [ -n "${cmd[0]:-}" ]; then
        cmd+=(--isa max)
    fi
    local status=0
    # (The braces' 2>/dev/null silences bash's "Segmentation fault" notice
    # for programs that are meant to die by a signal.)
    { env -i "${GUEST_ENV[@]}" "${cmd[@]}" "$bin" "$@" <"$stdin" \
        >"$out.stdout" 2>"$out.stderr.raw"; } 2>/dev/null || status=$?
    sed '/^qemu: uncaught target signal/d' "$out.stderr.raw" >"$out.stderr"
    rm -f "$out.stderr.raw"
    echo "$status" >"$out.status"
}

native_build() { # name -> path of a host build of src/name.*
    local name="$1" src extra=()
    src="$(ls src/"$name".c src/"$name".cc 2>/dev/null | head -n1)"
    case "$name" in threads|thr_*) extra=(-pthread) ;; printf_heavy) extra=(-lm) ;; esac
    "$HOST_CC" -O2 -w -o "$tmp/native-$name" "$src" "${extra[@]}"
    echo "$tmp/native-$name"
}

same_result() { # prefixA prefixB
    cmp -s "$1.stdout" "$2.stdout" && cmp -s "$1.stderr" "$2.stderr" && cmp -s "$1.status" "$2.status"
}

failed=0
count=0
while read -r name tags args; do
    case "$name" in ''|'#'*) continue ;; esac
    if [ "${#names[@]}" -gt 0 ]; then
        want=0
        for n in "${names[@]}"; do [ "$n" = "$name" ] && want=1; done
        [ "$want" = 1 ] || continue
    fi
    count=$((count + 1))
    read -r -a argv <<<"${args:-}"
    bin="bin/$name"
    if has_tag "$tags" oracle-spec; then
        # qemu-riscv64 7.2 lacks its extensions; the program checks itself
        # against the specifications' values: never rewritten here.
        if [ "$verify" = 0 ] || [ "$(basename "${runner%% *}")" = qemu-riscv64 ]; then
            echo "skip    $name (oracle-spec: expected/ written from the specifications)"
            continue
        fi
    fi
    if has_tag "$tags" oracle-native; then
        if [ "$verify" = 0 ]; then
            bin="$(native_build "$name")"
        elif [ "$(basename "${runner%% *}")" = qemu-riscv64 ]; then
            echo "skip    $name (oracle-native: qemu-riscv64 cannot run it)"
            continue
        fi
    fi
    [ -e "$bin" ] || { echo "bless.sh: $bin missing (run build.sh)" >&2; exit 1; }

    run_prog "$tmp/a" "$name" "$tags" "$bin" "${argv[@]}"
    if [ "$verify" = 1 ]; then
        exp="expected/$name"
        [ -e "$exp.stderr" ] || : >"$tmp/empty"
        if cmp -s "$tmp/a.stdout" "$exp.stdout" && cmp -s "$tmp/a.status" "$exp.status" &&
            cmp -s "$tmp/a.stderr" "$( [ -e "$exp.stderr" ] && echo "$exp.stderr" || echo "$tmp/empty")"; then
            echo "ok      $name"
        else
            echo "FAILED  $name (status $(cat "$tmp/a.status"), expected $(cat "$exp.status"))"
            diff -u "$exp.stdout" "$tmp/a.stdout" | head -n 20 || true
            if [ -e "$exp.stderr" ]; then diff -u "$exp.stderr" "$tmp/a.stderr" | head -n 10 || true
            else head -n 10 "$tmp/a.stderr"; fi
            failed=1
        fi
        continue
    fi
    # Bless: run a second time and insist on identical results.
    run_prog "$tmp/b" "$name" "$tags" "$bin" "${argv[@]}"
    if ! same_result "$tmp/a" "$tmp/b"; then
        echo "NONDETERMINISTIC  $name: two runs differ, not blessed" >&2
        diff -u "$tmp/a.stdout" "$tmp/b.stdout" | head -n 20 >&2 || true
        failed=1
        continue
    fi
    mkdir -p expected
    cp "$tmp/a.stdout" "expected/$name.stdout"
    cp "$tmp/a.status" "expected/$name.status"
    if [ -s "$tmp/a.stderr" ]; then
        cp "$tmp/a.stderr" "expected/$name.stderr"
    else
        rm -f "expected/$name.stderr"
    fi
    echo "blessed $name (status $(cat "$tmp/a.status"))"
done <manifest.txt

if [ "$count" = 0 ]; then
    echo "bless.sh: no program matched" >&2
    exit 1
fi
exit "$failed"
