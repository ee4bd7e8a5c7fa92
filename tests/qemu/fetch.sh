#!/usr/bin/env bash
# Fetch a newer qemu-riscv64 (QEMU 10, Debian bookworm-backports) as a second
# oracle, for what Debian 12's qemu-riscv64 7.2 lacks: the RVA23U64 profile
# (`-cpu rva23u64`: Zicond, Zfa, Zimop, Zcb, Zcmop, Zawrs, Zvbb, Zvfhmin, ...)
# and the vector crypto extensions (Zvkned, Zvknhb, Zvkg, Zvksed, Zvksh).
#
#   tests/qemu/fetch.sh [--print] [DIR]
#
# DIR defaults to target/qemu-10 in this repository; the binary lands in
# DIR/qemu-riscv64 (the package's binaries are static-pie: no libraries
# needed). The package version and sha256 are pinned below; when backports
# has moved on and the pinned version is gone, the archive's current version
# is taken with a warning (check its sha256 from the signed index, as apt
# does). The host's apt configuration and state are never touched: apt runs
# on a private state in DIR/apt. Idempotent: nothing is done when DIR holds
# the pinned (or a fetched) binary. `--print` prints the binary's path.
#
# Tests look for it at target/qemu-10/qemu-riscv64, or at $FERROVM_QEMU_NEW.
#
# Needs: apt-get, apt-cache, dpkg-deb, sha256sum, the debian-archive-keyring
# package, network access to deb.debian.org.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PACKAGE=qemu-user
VERSION="1:10.0.2+ds-2+deb13u1~bpo12+1"
SHA256=10a2dec99f2b2d0b1097ff0375aea35b89322d6631fc96700511b02e05bf6fef
SUITE=bookworm-backports
MIRROR="${FERROVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KEYRING="${FERROVM_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

PRINT=0
DIR=""
while [ $# -gt 0 ]; do
    case "$1" in
        --print) PRINT=1 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fetch.sh: unknown option $1" >&2; exit 2 ;;
        *) DIR="$1" ;;
    esac
    shift
done
DIR="${DIR:-$REPO/target/qemu-10}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
BIN="$DIR/qemu-riscv64"

log() { echo "fetch.sh: $*" >&2; }
die() { echo "fetch.sh: error: $*" >&2; exit 1; }
done_() { [ $PRINT = 1 ] && echo "$BIN"; exit 0; }

if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
    log "$("$BIN" --version | head -n1) already in $DIR"
    done_
fi

for tool in apt-get apt-cache dpkg-deb sha256sum; do
    command -v "$tool" >/dev/null || die "$tool not found (a Debian or Ubuntu host is needed)"
done
[ -f "$KEYRING" ] || die "$KEYRING missing (apt-get install debian-archive-keyring)"

APTDIR="$DIR/apt"
# shellcheck source=../debian/private-apt.sh
. "$REPO/tests/debian/private-apt.sh"
private_apt "$APTDIR" amd64 "deb [arch=amd64 signed-by=$KEYRING] $MIRROR $SUITE main"

log "apt-get update ($SUITE amd64, private state in $APTDIR)"
apt-get -q update >&2 || die "apt-get update failed"

want="$VERSION"
if ! apt-cache show "$PACKAGE=$VERSION" >/dev/null 2>&1; then
    want="$(apt-cache show --no-all-versions "$PACKAGE" 2>/dev/null | awk '/^Version: /{print $2; exit}')"
    [ -n "$want" ] || die "$PACKAGE is not in $SUITE"
    log "WARNING: $PACKAGE $VERSION is gone from $SUITE; taking $want (update VERSION and SHA256 in $0)"
fi
sum="$(apt-cache show "$PACKAGE=$want" | awk '/^SHA256: /{print $2; exit}')"
if [ "$want" = "$VERSION" ] && [ "$sum" != "$SHA256" ]; then
    die "the archive's sha256 of $PACKAGE $VERSION is $sum, not the pinned $SHA256"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log "downloading $PACKAGE $want (about 60 MB)"
(cd "$work" && apt-get -q download "$PACKAGE=$want" >&2) || die "apt-get download failed"
deb="$(ls "$work"/*.deb)"
got="$(sha256sum "$deb" | cut -d' ' -f1)"
[ "$got" = "$sum" ] || die "sha256 of $(basename "$deb") is $got, the index says $sum"
dpkg-deb -x "$deb" "$work/x"
install -m 0755 "$work/x/usr/bin/qemu-riscv64" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
rm -rf "$APTDIR/cache"
log "$("$BIN" --version | head -n1) in $BIN"
done_
