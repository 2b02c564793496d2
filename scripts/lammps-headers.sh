#!/usr/bin/env bash
# Fetch the LAMMPS C++ headers that Debian's liblammps-dev does not ship, for building cz's LAMMPS
# styles (lammps_fix/). Prints the header directory on stdout; messages go to stderr.
#
#   scripts/lammps-headers.sh            # headers for the installed liblammps (pkg-config version)
#   CZ_LAMMPS_SOURCE_DIR=~/lammps scripts/lammps-headers.sh   # take them from a LAMMPS source tree
#
# Debian's headers (/usr/include/lammps) lack command.h, lammpsplugin.h and the bundled fmt
# library that pointers.h includes. They are in Debian's `lammps` *source* package of the same
# version. This script downloads that source package with `apt-get source`, through a private
# apt configuration in a temporary directory (its own sources list with deb-src entries for the
# archive the installed liblammps-dev came from, its own package lists and cache), so the
# system's apt sources and state are never touched; then it keeps only src/*.h and src/fmt/ in
#
#   ${CZ_LAMMPS_HEADERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cz/lammps-headers-VERSION}
#
# and deletes the rest. Nothing from LAMMPS goes into the repository. Running it again when the
# cache is complete does nothing. Needs apt-get, dpkg-source (Debian: dpkg-dev) and the network
# to the Debian archive; no root. Exit status non-zero with a one-line reason on failure.
set -euo pipefail

say() { echo "lammps-headers: $*" >&2; }
die() { say "$*"; exit 1; }

version=${1:-}
if [ -z "$version" ]; then
    version=$(pkg-config --modversion liblammps 2>/dev/null) ||
        die "liblammps not found by pkg-config (Debian: apt-get install liblammps-dev)"
fi
case $version in
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;;
    *) die "expected a LAMMPS version as YYYYMMDD (got '$version')" ;;
esac
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/cz
dest=${CZ_LAMMPS_HEADERS_DIR:-$cache_root/lammps-headers-$version}
stamp="$dest/.cz-lammps-headers"

if [ -f "$stamp" ] && [ -f "$dest/command.h" ] && [ -f "$dest/fmt/format.h" ]; then
    echo "$dest"
    exit 0
fi

# "29 Sep 2021" (version.h) -> 20210929, as lammps_version() computes it.
version_of_tree() {
    local line
    line=$(sed -n 's/^#define LAMMPS_VERSION "\(.*\)"/\1/p' "$1/version.h" 2>/dev/null | head -n1)
    [ -n "$line" ] || return 1
    date -u -d "$line" +%Y%m%d 2>/dev/null
}

work=$(mktemp -d "${TMPDIR:-/tmp}/cz-lammps-headers.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -n "${CZ_LAMMPS_SOURCE_DIR:-}" ]; then
    src=$CZ_LAMMPS_SOURCE_DIR
    [ -d "$src/src" ] && src=$src/src
    [ -f "$src/pointers.h" ] || die "no LAMMPS src/ in CZ_LAMMPS_SOURCE_DIR ($CZ_LAMMPS_SOURCE_DIR)"
else
    command -v apt-get >/dev/null || die "apt-get not found (not Debian?): set CZ_LAMMPS_SOURCE_DIR"
    command -v dpkg-source >/dev/null ||
        die "dpkg-source not found (Debian: apt-get install dpkg-dev)"
    pkg=liblammps-dev
    srcpkg=$(dpkg-query -W -f='${source:Package}' "$pkg" 2>/dev/null) ||
        die "$pkg is not installed (Debian: apt-get install $pkg)"
    srcver=$(dpkg-query -W -f='${source:Version}' "$pkg")

    # The archive the installed package came from: the first "PRIO URI SUITE/COMPONENT ARCH
    # Packages" line under the installed version ("***") in apt-cache policy.
    origin=$(apt-cache policy "$pkg" 2>/dev/null | awk '
        /^ \*\*\* / { inst = 1; next }
        /^     [^ ]/ { inst = 0 }
        inst && $2 ~ /:\/\// && $NF == "Packages" { print $2, $3; exit }')
    [ -n "$origin" ] ||
        die "cannot tell which archive $pkg came from (apt-cache policy $pkg; run apt-get update)"
    uri=${origin%% *}
    dist=${origin#* }
    suite=${dist%%/*}
    component=${dist#*/}
    [ "$component" != "$dist" ] || component=main

    # Keep the signature check: the system's keyring for that archive when its entry names one.
    signed_by=$(grep -rhsi -A6 -- "$uri" /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null | sed -n 's/^Signed-By:[[:space:]]*\(\/[^[:space:]]*\)$/\1/Ip' | head -n1 || true)
    opts=""
    [ -n "$signed_by" ] && opts="[signed-by=$signed_by] "

    mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/parts" \
        "$work/src"
    echo "deb-src ${opts}$uri $suite $component" >"$work/apt/sources.list"
    apt_opts=(
        -o "Dir::Etc::SourceList=$work/apt/sources.list"
        -o "Dir::Etc::SourceParts=$work/apt/parts"
        -o "Dir::State::Lists=$work/apt/lists"
        -o "Dir::Cache=$work/apt/cache"
        -o "Dir::Cache::srcpkgcache=" -o "Dir::Cache::pkgcache="
        -o "APT::Sandbox::User=$(id -un)"
    )
    say "fetching Debian source package $srcpkg $srcver ($suite/$component) into a private apt dir"
    apt-get -q "${apt_opts[@]}" update >"$work/apt.log" 2>&1 ||
        die "apt-get update of the private deb-src list failed: $(tail -n1 "$work/apt.log")"
    (cd "$work/src" &&
        { apt-get -q "${apt_opts[@]}" source --download-only "$srcpkg=$srcver" ||
          apt-get -q "${apt_opts[@]}" source --download-only "$srcpkg"; }) >>"$work/apt.log" 2>&1 ||
        die "apt-get source $srcpkg failed: $(tail -n1 "$work/apt.log")"
    dsc=$(ls "$work"/src/*.dsc 2>/dev/null | head -n1)
    [ -n "$dsc" ] || die "apt-get source left no .dsc in $work/src"
    (cd "$work/src" && dpkg-source -q -x "$dsc" tree) >>"$work/apt.log" 2>&1 ||
        die "dpkg-source -x failed: $(tail -n1 "$work/apt.log")"
    src=$work/src/tree/src
    [ -f "$src/pointers.h" ] || die "the source package has no src/pointers.h"
fi

tree_version=$(version_of_tree "$src") || die "cannot read LAMMPS_VERSION from $src/version.h"
[ "$tree_version" = "$version" ] ||
    die "the LAMMPS sources are version $tree_version, the installed library is $version"
[ -f "$src/command.h" ] && [ -f "$src/fmt/format.h" ] ||
    die "the LAMMPS sources in $src lack command.h or fmt/format.h"

# Only headers: top-level src/*.h and the bundled fmt library; written to a sibling directory
# and renamed, so an interrupted run never leaves a half-filled cache that looks complete.
mkdir -p "$(dirname "$dest")"
staging=$(mktemp -d "$(dirname "$dest")/.lammps-headers.XXXXXX")
cp "$src"/*.h "$staging/"
mkdir "$staging/fmt"
cp "$src"/fmt/*.h "$staging/fmt/"
printf 'LAMMPS %s headers from %s\n' "$version" "${srcpkg:-$src} ${srcver:-}" >"$staging/.cz-lammps-headers"
rm -rf "$dest"
mv "$staging" "$dest"
say "headers for LAMMPS $version in $dest"
echo "$dest"
