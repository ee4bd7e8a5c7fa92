# Sourced by tests/debian/sysroot.sh and tests/qemu/fetch.sh: apt on a
# private state, so the host's apt configuration and state play no part.
#
#   private_apt DIR ARCH "deb [...] MIRROR SUITE main"
#
# makes DIR/{lists,cache,etc,status} and exports APT_CONFIG, which apt reads
# before /etc/apt/apt.conf.d and which points that at an empty directory:
# the host's apt configuration (proxies aside, which come from the
# environment) plays no part, and its state and cache are never written.
# ARCH is the one architecture apt fetches packages for.

private_apt() { # dir arch source-line
    local dir="$1" arch="$2" source="$3"
    mkdir -p "$dir"/{lists/partial,cache/archives/partial,etc/apt.conf.d,etc/preferences.d}
    touch "$dir/status"
    echo "$source" > "$dir/etc/sources.list"
    cat > "$dir/etc/apt.conf" <<CONF
Dir::Etc::Parts "$dir/etc/apt.conf.d";
Dir::Etc::Main "/dev/null";
Dir::Etc::SourceList "$dir/etc/sources.list";
Dir::Etc::SourceParts "/dev/null";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$dir/etc/preferences.d";
Dir::State::Lists "$dir/lists";
Dir::State::Status "$dir/status";
Dir::Cache "$dir/cache";
Dir::Cache::pkgcache "pkgcache.bin";
Dir::Cache::srcpkgcache "srcpkgcache.bin";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Sandbox::User "$(id -un)";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Debug::NoLocking "$([ "$(id -u)" = 0 ] && echo false || echo true)";
CONF
    export APT_CONFIG="$dir/etc/apt.conf"
}
