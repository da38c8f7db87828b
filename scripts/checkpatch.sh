#!/bin/bash
# checkpatch.sh - run the kernel's checkpatch.pl --strict on files.
#
# Usage: scripts/checkpatch.sh FILE...
#
# checkpatch.pl is not in the linux-headers packages: it comes from the
# linux-source-X.Y package's tarball (/usr/src/linux-source-*.tar.xz, newest
# version).  The three files it needs (checkpatch.pl, spelling.txt,
# const_structs.checkpatch) are extracted once into $CHECKPATCH_DIR
# (default $BUILD/tools/checkpatch; `make clean` keeps it).
# Exits non-zero when checkpatch reports anything (error, warning or check).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$top/build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
dir=${CHECKPATCH_DIR:-$BUILD/tools/checkpatch}

die() { echo "checkpatch.sh: $*" >&2; exit 1; }
(($#)) || die "usage: $0 FILE..."

files=(checkpatch.pl spelling.txt const_structs.checkpatch)
have=1
for f in "${files[@]}"; do
	[[ -f $dir/$f ]] || have=0
done
if ((!have)); then
	tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' | sort -V | tail -n 1)
	[[ -n $tarball ]] || die "no /usr/src/linux-source-*.tar.xz (install linux-source-6.12: scripts/deps.sh)"
	echo "checkpatch.sh: extracting ${files[*]} from $tarball (once)" >&2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	patterns=()
	for f in "${files[@]}"; do
		patterns+=("*/scripts/$f")
	done
	# --occurrence=1: stop reading the (large) tarball once each file was found.
	tar -xJf "$tarball" -C "$tmp" --occurrence=1 --wildcards "${patterns[@]}"
	mkdir -p "$dir"
	for f in "${files[@]}"; do
		src=$(find "$tmp" -path "*/scripts/$f" -print -quit)
		[[ -n $src ]] || die "$tarball has no scripts/$f"
		cp "$src" "$dir/$f"
	done
	chmod +x "$dir/checkpatch.pl"
fi

# --no-tree: we are not inside a kernel tree; spelling.txt and const_structs.checkpatch
# are found next to the script.  --show-types names each finding's type; --quiet prints
# only the findings.
# --ignore LINUX_VERSION_CODE: an out-of-tree module that builds for 6.1 and 6.12
# has to test the kernel version; module/compat.h does it in one place.
if perl "$dir/checkpatch.pl" --strict --no-tree --show-types --quiet --color=never \
	--ignore LINUX_VERSION_CODE -f "$@"; then
	echo "checkpatch --strict: $# files, no problems"
else
	echo "checkpatch --strict: problems found (above)" >&2
	exit 1
fi
