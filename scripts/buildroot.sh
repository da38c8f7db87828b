#!/bin/bash
# buildroot.sh - the Debian build roots in which modules for newer Debian kernels are built.
#
# Usage: scripts/buildroot.sh COMMAND KVER [ARGS]
#   ensure KVER        make KVER's build root if needed (debootstrap --variant=minbase of the
#                      Debian release KVER's suite belongs to, from deb.debian.org, with gcc, make
#                      and sparse) and install KVER's headers in it from the packages that
#                      scripts/kernels.sh fetch kept (apt inside the root brings what they depend
#                      on: the kernel's own gcc, pahole, ...); prints the root's directory
#   run KVER CMD...    run CMD inside KVER's build root (chroot; needs root), in a clean
#                      environment (PATH, HOME, LANG; V, KBUILD_* are passed on)
#   path KVER          the build root's directory (empty when KVER builds on the host)
#   -h, --help         this text
#
# A kernel from trixie-backports is built with trixie's gcc-14 and glibc 2.41: its kbuild
# programs (modpost, objtool) do not run on bookworm, and its config turns on gcc >= 13 flags.
# A module built with another compiler can even build cleanly and still be refused at insmod
# (a struct module layout that differs).  So such modules are built the way a driver author on
# that distribution builds them: with the distribution's compiler and the kernel's own headers
# package, in a root of that distribution.  The root lives beside the kernels, in
# ${GUPDEMO_CACHE:-~/.cache/gupdemo}/buildroot/<release>/ (about 400 MB with gcc-14; made in about
# a minute), and nothing of it is installed on the host.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GUPDEMO_CACHE:-$HOME/.cache/gupdemo}
mirror=${GUPDEMO_MIRROR:-http://deb.debian.org/debian}
keyring=${GUPDEMO_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

die() { echo "buildroot.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

case ${1:-} in
-h | --help) usage; exit 0 ;;
ensure | run | path) ;;
"") echo "buildroot.sh: no command (try --help)" >&2; exit 2 ;;
*) echo "buildroot.sh: unknown command '$1' (try --help)" >&2; exit 2 ;;
esac
cmd=$1
shift
[[ $# -ge 1 ]] || die "usage: buildroot.sh $cmd KVER${cmd/#run/ CMD...}"
kver=$1
shift
dir=$("$top/scripts/kernels.sh" buildroot "$kver")
if [[ $cmd == path ]]; then
	[[ -z $dir ]] || echo "$dir"
	exit 0
fi
[[ -n $dir ]] || die "$kver builds on the host, not in a build root"
release=${dir##*/}

# chroot with a clean environment and /proc (objtool reads its limits there), mounted in a
# private mount namespace: it goes away with the command, whatever happens to it.
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
inroot() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		${V:+V="$V"} unshare --mount --propagation private \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$dir" "$@"
}

make_root() {
	local tmp=$dir.tmp.$$ t0=$SECONDS
	((EUID == 0)) || die "making the $release build root needs root (debootstrap, chroot)"
	command -v debootstrap >/dev/null || die "debootstrap not found (scripts/deps.sh installs it)"
	echo "buildroot.sh: making the Debian $release build root in $dir (debootstrap, about a minute)..." >&2
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if ! debootstrap --variant=minbase --keyring="$keyring" --include=gcc,make,libc6-dev,sparse \
		"$release" "$tmp" "$mirror" >"$tmp.log" 2>&1; then
		rm -rf "$tmp"
		die "debootstrap $release failed: $(grep -E '^[EW]:' "$tmp.log" | tail -n 1) (log: $tmp.log)"
	fi
	mkdir -p "$tmp/usr/share/keyrings"
	cp "$keyring" "$tmp/usr/share/keyrings/gupdemo-archive.gpg"
	cat >"$tmp/etc/apt/sources.list" <<-EOF
		deb [signed-by=/usr/share/keyrings/gupdemo-archive.gpg] $mirror $release main
		deb [signed-by=/usr/share/keyrings/gupdemo-archive.gpg] $mirror $release-backports main
	EOF
	rm -f "$tmp/etc/apt/sources.list.d/"*
	# No daemons in a build root.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	mv "$tmp" "$dir"
	mv "$tmp.log" "$dir.debootstrap.log"
	inroot apt-get -q update >"$dir.apt.log" 2>&1 || die "apt-get update in the $release build root failed (log: $dir.apt.log)"
	echo "buildroot.sh: $release build root made in $((SECONDS - t0)) s, $(du -sm "$dir" | cut -f1) MB" >&2
}

if [[ $cmd == ensure ]]; then
	mkdir -p "${dir%/*}"
	exec 7>"$dir.lock"
	flock 7
	[[ -x $dir/usr/bin/make ]] || make_root
	if [[ ! -f $dir/.gupdemo-headers-$kver ]]; then
		t0=$SECONDS
		debs=$cache/kernels/$kver/debs
		compgen -G "$debs/linux-headers-$kver*.deb" >/dev/null || die "$debs has no linux-headers-$kver package (scripts/kernels.sh fetch keeps it)"
		mkdir -p "$dir/var/tmp/gupdemo-debs"
		rm -f "$dir/var/tmp/gupdemo-debs/"*.deb
		cp "$debs"/*.deb "$dir/var/tmp/gupdemo-debs/"
		inroot apt-get -q update >"$dir.apt.log" 2>&1 || true
		# shellcheck disable=SC2046 # the file names have no blanks
		if ! inroot apt-get -q install -y --no-install-recommends \
			$(cd "$dir" && printf '/%s ' var/tmp/gupdemo-debs/*.deb) >>"$dir.apt.log" 2>&1; then
			die "installing the headers of $kver in the $release build root failed: $(grep -E '^E:' "$dir.apt.log" | tail -n 1) (log: $dir.apt.log)"
		fi
		rm -f "$dir/var/tmp/gupdemo-debs/"*.deb
		inroot apt-get -q clean >/dev/null 2>&1 || true
		touch "$dir/.gupdemo-headers-$kver"
		echo "buildroot.sh: headers of $kver installed in the $release build root in $((SECONDS - t0)) s" >&2
	fi
	echo "$dir"
	exit 0
fi

# run
[[ $# -ge 1 ]] || die "usage: buildroot.sh run KVER CMD..."
((EUID == 0)) || die "building in the $release build root needs root (chroot)"
[[ -f $dir/.gupdemo-headers-$kver ]] || die "the $release build root has no headers for $kver (scripts/buildroot.sh ensure $kver)"
inroot "$@"
