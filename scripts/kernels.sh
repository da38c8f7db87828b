#!/bin/bash
# kernels.sh - find the Debian kernels gupdemo can build for and boot.
#
#   scripts/kernels.sh list            installed KVERs with /boot/vmlinuz-KVER and headers, oldest first
#                                      (every flavour: generic and PREEMPT_RT)
#   scripts/kernels.sh default         running kernel if its headers exist, else the newest listed
#                                      generic one (else the newest listed one)
#   scripts/kernels.sh resolve NAME    NAME = full KVER, "default", or a short name: a series such as
#                                      6.1 / 6.12 is the newest listed generic (not PREEMPT_RT) KVER
#                                      of that series, the series plus "-rt" (6.12-rt) the newest
#                                      listed PREEMPT_RT one; "all" prints every listed KVER
#   scripts/kernels.sh kdir KVER       the kernel build directory (headers) for KVER
#   scripts/kernels.sh release KDIR    the KVER (uname -r string) a kernel build directory is for
#
# Nothing here hard-codes a kernel version: everything is discovered from /boot and the headers.
# A kernel is PREEMPT_RT when its configuration (the headers' .config, else /boot/config-KVER)
# sets CONFIG_PREEMPT_RT=y; without either file, when its KVER has an "-rt" component
# (Debian's flavour is "rt-amd64": 6.12.118+deb12-rt-amd64).
set -euo pipefail

die() { echo "kernels.sh: $*" >&2; exit 1; }

# Print the headers directory of KVER, or fail.
kdir() {
	local k=$1 d
	for d in "/lib/modules/$k/build" "/usr/src/linux-headers-$k"; do
		if [[ -f $d/Makefile ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# Installed kernels that have both an image and headers, sorted by version.
list() {
	local img k
	for img in /boot/vmlinuz-*; do
		[[ -e $img ]] || continue
		k=${img#/boot/vmlinuz-}
		kdir "$k" >/dev/null && echo "$k"
	done | sort -V
}

# True if KVER is a PREEMPT_RT kernel.
is_rt() {
	local k=$1 d cfg
	d=$(kdir "$k") || d=
	for cfg in ${d:+"$d/.config"} "/boot/config-$k"; do
		if [[ -f $cfg ]]; then
			grep -qx 'CONFIG_PREEMPT_RT=y' "$cfg"
			return
		fi
	done
	[[ $k =~ -rt([0-9]*)(-|$) ]]
}

# Listed kernels of one kind: generic (not PREEMPT_RT) or rt, oldest first.
list_kind() {
	local kind=$1 k
	for k in $(list); do
		if is_rt "$k"; then
			[[ $kind == rt ]] && echo "$k"
		else
			[[ $kind == generic ]] && echo "$k"
		fi
	done
	return 0
}

default() {
	local k
	k=$(uname -r)
	if kdir "$k" >/dev/null; then
		echo "$k"
		return
	fi
	k=$(list_kind generic | tail -n 1)
	[[ -n $k ]] || k=$(list | tail -n 1)
	[[ -n $k ]] || die "no kernel with /boot/vmlinuz-KVER and headers installed (run scripts/deps.sh)"
	echo "$k"
}

resolve() {
	local name=$1 series kind=generic k match=
	case $name in
	default | "") default; return ;;
	all) list; return ;;
	esac
	# An exact release string wins (its image may exist without being in our list: let the caller decide).
	if [[ -e /boot/vmlinuz-$name ]] || kdir "$name" >/dev/null; then
		echo "$name"
		return
	fi
	# A short name "X.Y" or "X.Y-rt": the series matches "X.Y.<anything>" or "X.Y-<anything>";
	# take the newest of the kind asked for.
	[[ $name =~ ^([0-9]+\.[0-9]+)(-rt)?$ ]] ||
		die "unknown kernel '$name' (installed: $(list | tr '\n' ' '))"
	series=${BASH_REMATCH[1]}
	[[ -n ${BASH_REMATCH[2]} ]] && kind=rt
	for k in $(list_kind "$kind"); do
		case $k in
		"$series".* | "$series"-*) match=$k ;;
		esac
	done
	[[ -n $match ]] || die "no installed ${kind/rt/PREEMPT_RT} kernel matches '$name' (installed: $(list | tr '\n' ' '))"
	echo "$match"
}

# Debian's headers say "6.1.192" in kernel.release but "6.1.0-56-amd64" in UTS_RELEASE:
# the latter is what uname -r and /lib/modules use.
release() {
	local d=$1 r
	r=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$d/include/generated/utsrelease.h" 2>/dev/null || true)
	[[ -n $r ]] || r=$(cat "$d/include/config/kernel.release" 2>/dev/null || true)
	[[ -n $r ]] || die "$d does not look like a configured kernel build directory"
	echo "$r"
}

case ${1:-} in
list) list ;;
default) default ;;
resolve)
	[[ $# -eq 2 ]] || die "usage: $0 resolve NAME"
	resolve "$2"
	;;
kdir)
	[[ $# -eq 2 ]] || die "usage: $0 kdir KVER"
	kdir "$2" || die "no headers for $2 (/lib/modules/$2/build or /usr/src/linux-headers-$2)"
	;;
release)
	[[ $# -eq 2 ]] || die "usage: $0 release KDIR"
	release "$2"
	;;
*) die "usage: $0 list | default | resolve NAME | kdir KVER | release KDIR" ;;
esac
