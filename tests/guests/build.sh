#!/usr/bin/env bash
# Build every guest program in src/ into bin/<name> with Debian's riscv64
# cross compilers. Builds are reproducible: same packages => same bytes.
#
#   tests/guests/build.sh            build everything into bin/
#   tests/guests/build.sh NAME...    build only these programs into bin/
#   tests/guests/build.sh --check    rebuild everything into a temporary
#                                    directory and fail (exit 1) if any
#                                    committed ELF in bin/ differs or is missing
#
# Needs: gcc-riscv64-linux-gnu, g++-riscv64-linux-gnu (Debian 12: 12.2),
# binutils-riscv64-linux-gnu (2.40), libc6-dev-riscv64-cross; and for the
# vector_clang_* programs Debian's clang (Debian 12: 14.0.6), which compiles
# for riscv64 against the cross gcc's sysroot and links with its GNU ld (lld
# 14 cannot link glibc's objects: "R_RISCV_ALIGN requires unimplemented
# linker relaxation"). Without clang those programs are skipped, with a
# message, and their committed ELFs are left alone.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

CC=${CC:-riscv64-linux-gnu-gcc}
CXX=${CXX:-riscv64-linux-gnu-g++}
CLANG=${CLANG:-clang}

# Reproducibility: always compile from this directory with relative source
# paths (src/NAME.c), map the absolute path away, no build id, a fixed
# locale and time zone. Symbols are kept (no -s): the disassembler test
# compares against objdump, symbol names included.
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0
REPRO=(-ffile-prefix-map="$here"=. -Wl,--build-id=none)
WARN=(-Wall -Wextra -Wno-unused-parameter -Wno-unused-function -Wno-format-truncation)

# Minimal tier: no libc, our own _start (src/minimal.h). The loop-pattern
# flag stops GCC from turning our memset/memcpy loops into calls to
# themselves.
MINIMAL=(-O2 -static -nostdlib -ffreestanding -fno-pie -no-pie
         -fno-stack-protector -fno-tree-loop-distribute-patterns
         -march=rv64gc -mabi=lp64d -Wl,-z,separate-code)

# clang 14 knows neither -march=rva23u64 nor Zicond/Zvbb: rv64gcv is the
# vector part of RVA23U64 it can target. It auto-vectorizes for V only when
# asked: -mllvm -scalable-vectorization=on (VLEN-agnostic loops over vsetvli
# and vlenb) or -mllvm -riscv-v-vector-bits-min=128 (fixed-length vectors,
# vsetivli). -ffp-contract=off keeps a*b+c unfused, as a host build is.
CLANG_FLAGS=(--target=riscv64-linux-gnu -march=rv64gcv -static)
CLANG_WARN=(-Wall -Wextra -Wno-unused-parameter -Wno-unused-function)
have_clang() { command -v "$CLANG" >/dev/null 2>&1; }
is_clang_prog() { case "$1" in vector_clang_*) return 0 ;; esac; return 1; }

# Extra programs built from another program's source: "name source flags...".
VARIANTS=(
    "min_compressed_g src/min_compressed.c -march=rv64g"
    "vector_clang_auto_fixed src/vector_clang_auto.c"
)

flags_for() { # name -> extra flags (one per line)
    case "$1" in
        min_bitmanip) printf '%s\n' -march=rv64gc_zba_zbb_zbc_zbs ;;
        min_zfh_zbk) printf '%s\n' -march=rv64gc_zfh_zbkb_zbkx ;;
        vector|vector_fp|vector_reserved|vector_signal) printf '%s\n' -march=rv64gcv ;;
        vector_crypto) printf '%s\n' -march=rv64gcv_zbc ;;
        vector_rva23) printf '%s\n' -march=rv64gcv_zbb_zbkb ;;
        vector_clang_rvv) printf '%s\n' -O2 -lm ;;
        vector_clang_auto) printf '%s\n' -O3 -ffp-contract=off -mllvm -scalable-vectorization=on ;;
        vector_clang_auto_fixed) printf '%s\n' -O3 -ffp-contract=off -mllvm -riscv-v-vector-bits-min=128 ;;
        threads|thr_*|proc_ids) printf "%s\n" -pthread ;;
        gdb_*) printf "%s\n" -g -O0 -pthread ;;
        printf_heavy) printf "%s\n" -lm ;;
        prof_hot) printf "%s\n" -fno-omit-frame-pointer ;;
    esac
}

build_one() { # src outdir [name extra-flags...]
    local src="$1" out="$2" base name ext
    base="$(basename "$src")"
    name="${3:-${base%.*}}"
    ext="${base##*.}"
    local extra=()
    mapfile -t extra < <(flags_for "$name")
    extra+=("${@:4}")
    local cmd=()
    # Extra flags go last: -march overrides MINIMAL's, libraries follow the source.
    # Without a .file directive the assembler names the STT_FILE symbol
    # after gcc's random temporary file, and the build is not reproducible.
    if [ "$ext" = S ] && ! grep -q '^[[:space:]]*\.file[[:space:]]' "src/$base"; then
        echo "build.sh: src/$base needs a '.file \"$base\"' directive" >&2
        return 1
    fi
    case "$name:$ext" in
        vector_clang_*:c)
            if ! have_clang; then
                echo "build.sh: skipping $name: $CLANG is not installed (apt-get install clang)" >&2
                return 0
            fi
            cmd=("$CLANG" "${CLANG_FLAGS[@]}" "${CLANG_WARN[@]}" "${REPRO[@]}"
                 -o "$out/$name" "src/$base" "${extra[@]}") ;;
        min_*:c|min_*:S)
            cmd=("$CC" "${MINIMAL[@]}" "${WARN[@]}" "${REPRO[@]}"
                 -o "$out/$name" "src/$base" "${extra[@]}" -lgcc) ;;
        dyn_*:c)
            cmd=("$CC" -O2 "${WARN[@]}" "${REPRO[@]}"
                 -o "$out/$name" "src/$base" "${extra[@]}") ;;
        *:c)
            cmd=("$CC" -O2 -static "${WARN[@]}" "${REPRO[@]}"
                 -o "$out/$name" "src/$base" "${extra[@]}") ;;
        *:cc)
            cmd=("$CXX" -O2 -static "${WARN[@]}" "${REPRO[@]}"
                 -o "$out/$name" "src/$base" "${extra[@]}") ;;
        *) echo "build.sh: don't know how to build $src" >&2; return 1 ;;
    esac
    "${cmd[@]}"
}

sources() {
    local f
    for f in src/*.c src/*.cc src/*.S; do
        [ -e "$f" ] && echo "$f"
    done | LC_ALL=C sort
}

build_variant() { # "name source flags..." outdir
    local spec=($1)
    build_one "${spec[1]}" "$2" "${spec[0]}" "${spec[@]:2}"
}

variant_for() { # name -> spec line, or nothing
    local v
    for v in "${VARIANTS[@]}"; do
        [ "${v%% *}" = "$1" ] && { echo "$v"; return 0; }
    done
    return 0
}

src_for() { # name -> source path
    local f
    for f in src/"$1".c src/"$1".cc src/"$1".S; do
        [ -e "$f" ] && { echo "$f"; return 0; }
    done
    echo "build.sh: no source for '$1'" >&2
    return 1
}

if [ "${1:-}" = "--check" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    status=0
    while read -r src; do
        build_one "$src" "$tmp"
    done < <(sources)
    for v in "${VARIANTS[@]}"; do
        build_variant "$v" "$tmp"
    done
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
        if is_clang_prog "$name" && ! have_clang; then
            echo "build.sh --check: $CLANG is not installed; bin/$name not checked" >&2
        elif [ ! -e "$tmp/$name" ]; then
            echo "STALE: bin/$name has no source in src/" >&2; status=1
        fi
    done
    if [ "$status" = 0 ]; then
        echo "build.sh --check: all $(ls "$tmp" | wc -l) guest binaries match"
    fi
    exit "$status"
fi

mkdir -p bin
if [ "$#" -gt 0 ]; then
    for name in "$@"; do
        v="$(variant_for "$name")"
        if [ -n "$v" ]; then
            build_variant "$v" bin
        else
            build_one "$(src_for "$name")" bin
        fi
    done
else
    while read -r src; do
        build_one "$src" bin
    done < <(sources)
    for v in "${VARIANTS[@]}"; do
        build_variant "$v" bin
    done
fi
