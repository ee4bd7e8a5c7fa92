#!/usr/bin/env bash
# Build a riscv64 Debian (trixie) sysroot for tests/debian/compare.py.
#
#   tests/debian/sysroot.sh [--update-lock] [--check] [DIR]
#
# DIR defaults to target/debian-sysroot in this repository. The packages and
# versions come from tests/debian/packages.lock (written by --update-lock from
# the roots in tests/debian/packages.txt). Every .deb is fetched with apt-get
# into a private apt state (target/debian-apt, or $FERROVM_DEBIAN_APT_DIR),
# checked against the lock's sha256 and unpacked with `dpkg -x`; the host's
# own apt configuration and state are never touched. Nothing is installed and
# no maintainer script runs.
#
# Idempotent: DIR/.ferrovm-sysroot holds the lock it was built from plus the
# versions actually unpacked; if it matches the current lock, nothing is done.
# Downloaded .debs are kept in the apt dir, so a rebuild does not download.
#
# Debian replaces a package in trixie at each point release and the old
# version then disappears from the mirror. When a locked version is gone the
# script warns and uses the archive's current version instead (the run still
# works, but it is no longer the locked one); `--update-lock` then moves the
# lock forward. `--check` only reports whether the lock is still current.
#
# Needs: apt-get, apt-cache, dpkg-deb (any Debian/Ubuntu host), the
# debian-archive-keyring package, network access to deb.debian.org.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
LOCK="$HERE/packages.lock"
ROOTS="$HERE/packages.txt"
SUITE="${FERROVM_DEBIAN_SUITE:-trixie}"
MIRROR="${FERROVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KEYRING="${FERROVM_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

UPDATE_LOCK=0
CHECK=0
DIR=""
while [ $# -gt 0 ]; do
    case "$1" in
        --update-lock) UPDATE_LOCK=1 ;;
        --check) CHECK=1 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "sysroot.sh: unknown option $1" >&2; exit 2 ;;
        *) DIR="$1" ;;
    esac
    shift
done
DIR="${DIR:-$REPO/target/debian-sysroot}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
APTDIR="${FERROVM_DEBIAN_APT_DIR:-$REPO/target/debian-apt}"
STAMP="$DIR/.ferrovm-sysroot"

log() { echo "sysroot.sh: $*" >&2; }
warn() { echo "sysroot.sh: WARNING: $*" >&2; }
die() { echo "sysroot.sh: error: $*" >&2; exit 1; }

lock_sum() { sha256sum "$LOCK" | cut -d' ' -f1; }

# --- already complete? -------------------------------------------------------
if [ $UPDATE_LOCK = 0 ] && [ $CHECK = 0 ] && [ -f "$LOCK" ] && [ -f "$STAMP" ] \
    && [ "$(sed -n 's/^lock-sha256 //p' "$STAMP")" = "$(lock_sum)" ]; then
    log "$DIR is up to date ($(grep -c '^pkg ' "$STAMP") packages)"
    if grep -q '^moved-on yes' "$STAMP"; then
        warn "it was built with newer versions than packages.lock has (trixie moved on)"
    fi
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb sha256sum; do
    command -v "$tool" >/dev/null || die "$tool not found (a Debian or Ubuntu host is needed)"
done
[ -f "$KEYRING" ] || die "$KEYRING missing (apt-get install debian-archive-keyring)"

# --- private apt state -------------------------------------------------------
# shellcheck source=private-apt.sh
. "$HERE/private-apt.sh"
private_apt "$APTDIR" riscv64 "deb [arch=riscv64 signed-by=$KEYRING] $MIRROR $SUITE main"
mkdir -p "$APTDIR/debs"

APT_UPDATED=0
apt_update() {
    [ $APT_UPDATED = 1 ] && return
    log "apt-get update ($SUITE riscv64, private state in $APTDIR)"
    apt-get -q update >&2 || die "apt-get update failed"
    APT_UPDATED=1
}

# "name version arch sha256 size" of the archive's current version of each
# named package (one apt-cache call for all of them)
archive_info() {
    apt-cache show --no-all-versions "$@" 2>/dev/null | awk '
        /^Package: /{p=$2} /^Version: /{v=$2} /^Architecture: /{a=$2}
        /^SHA256: /{s=$2} /^Size: /{z=$2}
        /^$/{ if (p != "") print p, v, a, s, z; p="" }
        END{ if (p != "") print p, v, a, s, z }'
}

# --- --update-lock: resolve the roots' dependencies -------------------------
# Breadth first, one apt-cache call per level. Only Depends and Pre-Depends,
# first alternative (a virtual package: its first provider).
resolve() {
    local -A seen=() excluded=()
    local level=() next=() kind name line cur first_alt=0 want_provider=0
    while read -r kind name _; do
        case "$kind" in
            root) level+=("$name") ;;
            exclude) excluded[$name]=1 ;;
        esac
    done < <(sed 's/#.*//' "$ROOTS")
    while [ ${#level[@]} -gt 0 ]; do
        next=()
        local todo=()
        for name in "${level[@]}"; do
            [ -n "${seen[$name]:-}${excluded[$name]:-}" ] && continue
            seen[$name]=1; todo+=("$name")
        done
        [ ${#todo[@]} -gt 0 ] || break
        while IFS= read -r line; do
            if [[ "$line" =~ ^[^\ ] ]]; then        # a package's header line
                first_alt=0; want_provider=0
            elif [[ "$line" =~ ^\ (\ |\|)(Pre)?Depends:\ (.*)$ ]]; then
                local bar="${BASH_REMATCH[1]}" dep="${BASH_REMATCH[3]}"
                want_provider=0
                if [ $first_alt = 1 ]; then    # a later alternative: skip
                    [ "$bar" = "|" ] || first_alt=0
                    continue
                fi
                [ "$bar" = "|" ] && first_alt=1
                if [[ "$dep" == \<*\> ]]; then want_provider=1; else next+=("$dep"); fi
            elif [ $want_provider = 1 ] && [[ "$line" =~ ^\ \ \ \ ([^\ ]+)$ ]]; then
                next+=("${BASH_REMATCH[1]}"); want_provider=0
            else
                want_provider=0
            fi
        done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts \
                    --no-breaks --no-replaces --no-enhances "${todo[@]}")
        level=("${next[@]}")
    done
    printf '%s\n' "${!seen[@]}" | sort
}

if [ $UPDATE_LOCK = 1 ]; then
    apt_update
    mapfile -t names < <(resolve)
    tmp="$(mktemp)"
    {
        echo "# Generated by tests/debian/sysroot.sh --update-lock from packages.txt"
        echo "# suite: $SUITE main riscv64, resolved $(date -u +%Y-%m-%d)"
        echo "# package version arch sha256 size"
        archive_info "${names[@]}" | sort
    } > "$tmp"
    [ "$(grep -vc '^#' "$tmp")" = ${#names[@]} ] || die "some packages have no riscv64 version in $SUITE"
    mv "$tmp" "$LOCK"
    log "wrote $LOCK (${#names[@]} packages)"
fi

[ -f "$LOCK" ] || die "$LOCK missing (run with --update-lock)"
mapfile -t LOCKED < <(grep -v '^#' "$LOCK" | grep -v '^$')
LOCKED_NAMES=()
for entry in "${LOCKED[@]}"; do LOCKED_NAMES+=("${entry%% *}"); done

# prints a warning per package whose locked version the archive no longer has
# and sets CURRENT[name]="version arch sha256"
declare -A CURRENT=()
MOVED=0
compare_with_archive() {
    local name ver arch sum size
    while read -r name ver arch sum size; do CURRENT[$name]="$ver $arch $sum"; done \
        < <(archive_info "${LOCKED_NAMES[@]}")
    for entry in "${LOCKED[@]}"; do
        read -r name ver _ <<<"$entry"
        cur="${CURRENT[$name]:-}"; cur="${cur%% *}"
        if [ "$cur" != "$ver" ]; then
            warn "$SUITE moved on: $name is locked at $ver, the archive has ${cur:-nothing}"
            MOVED=1
        fi
    done
}

if [ $CHECK = 1 ]; then
    apt_update
    compare_with_archive
    [ $MOVED = 0 ] && log "packages.lock is current with $SUITE"
    exit $MOVED
fi

# --- fetch -------------------------------------------------------------------
deb_path() { echo "$APTDIR/debs/${1}_${2//:/%3a}_${3}.deb"; }
have_deb() {  # name version arch sha256: that .deb is cached and intact
    local f; f="$(deb_path "$1" "$2" "$3")"
    [ -f "$f" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$4" ]
}

USED=()      # "name version arch" to unpack
MISSING=()   # "name version arch sha256" to download
for entry in "${LOCKED[@]}"; do
    read -r name ver arch sum _ <<<"$entry"
    if have_deb "$name" "$ver" "$arch" "$sum"; then
        USED+=("$name $ver $arch")
    else
        MISSING+=("$name $ver $arch $sum")
    fi
done
if [ ${#MISSING[@]} -gt 0 ]; then
    apt_update
    compare_with_archive
    [ $MOVED = 1 ] && warn "using the archive's versions of those packages (sysroot.sh --update-lock moves the lock)"
    specs=()
    for entry in "${MISSING[@]}"; do
        read -r name ver arch sum <<<"$entry"
        cur="${CURRENT[$name]:-}"
        [ -n "$cur" ] || die "$name is no longer in $SUITE riscv64"
        read -r cver carch csum <<<"$cur"
        specs+=("$name=$cver")
    done
    log "downloading ${#specs[@]} packages"
    rm -f "$APTDIR/cache/archives/partial/"*.deb
    (cd "$APTDIR/cache/archives/partial" && apt-get -q download "${specs[@]}" >&2) \
        || die "apt-get download failed"
    for entry in "${MISSING[@]}"; do
        read -r name ver arch sum <<<"$entry"
        read -r cver carch csum <<<"${CURRENT[$name]}"
        f="$APTDIR/cache/archives/partial/${name}_${cver//:/%3a}_${carch}.deb"
        [ -f "$f" ] || die "apt-get download did not produce $f"
        got="$(sha256sum "$f" | cut -d' ' -f1)"
        [ "$got" = "$csum" ] || die "$name $cver: sha256 $got, the archive index says $csum"
        [ "$cver" != "$ver" ] || [ "$got" = "$sum" ] || die "$name $ver: sha256 differs from packages.lock"
        mv "$f" "$(deb_path "$name" "$cver" "$carch")"
        USED+=("$name $cver $carch")
    done
fi

# --- unpack ------------------------------------------------------------------
# Unpack into a fresh directory next to DIR and swap it in, so an interrupted
# run never leaves a half-built sysroot that looks complete.
NEW="$DIR.new.$$"
rm -rf "$NEW"; mkdir -p "$NEW"
trap 'rm -rf "$NEW"' EXIT
for u in "${USED[@]}"; do
    read -r name ver arch <<<"$u"
    f="$(deb_path "$name" "$ver" "$arch")"
    case "$name" in
        busybox-static)
            # Same path as busybox's /usr/bin/busybox: keep it apart.
            mkdir -p "$NEW/opt/busybox-static"
            dpkg-deb -x "$f" "$NEW/opt/busybox-static"
            ;;
        *) dpkg-deb -x "$f" "$NEW" ;;
    esac
done
# Documentation is not needed and is about a fifth of the bytes.
rm -rf "$NEW/usr/share/doc" "$NEW/usr/share/man" "$NEW/usr/share/info" \
       "$NEW/usr/share/lintian" "$NEW/usr/share/locale" \
       "$NEW/opt/busybox-static/usr/share"
# Merged /usr: trixie packages ship everything under /usr, the loader's
# canonical path is /lib/ld-linux-riscv64-lp64d.so.1.
for d in bin sbin lib; do
    [ -e "$NEW/$d" ] || ln -s "usr/$d" "$NEW/$d"
done
[ -e "$NEW/lib/ld-linux-riscv64-lp64d.so.1" ] || die "unpacked sysroot has no riscv64 dynamic loader"
{
    echo "# riscv64 sysroot built by tests/debian/sysroot.sh"
    echo "lock-sha256 $(lock_sum)"
    echo "suite $SUITE"
    [ $MOVED = 1 ] && echo "moved-on yes"
    for u in "${USED[@]}"; do echo "pkg $u"; done
} > "$NEW/.ferrovm-sysroot"
if [ -n "$(ls -A "$DIR")" ] && [ ! -f "$STAMP" ]; then
    die "$DIR is not empty and was not made by sysroot.sh: not replacing it (remove it, or name another directory)"
fi
rm -rf "$DIR.old"
mv "$DIR" "$DIR.old"
mv "$NEW" "$DIR"
rm -rf "$DIR.old"
trap - EXIT
# The index is only needed to download (and downloading always updates it
# first): keep the .debs, drop the rest.
rm -rf "$APTDIR/lists" "$APTDIR/cache"
log "$DIR ready: ${#USED[@]} packages, $(du -sh "$DIR" | cut -f1)"
