#!/bin/bash
# kernels.sh - the Debian kernels gupdemo builds for and boots: a cache of unpacked packages.
#
# Usage: scripts/kernels.sh COMMAND [ARGS]
#   fetch [NAME...]     download the kernels NAME... (default: the matrix, see below) from Debian's
#                       archive into the cache; a kernel that is not in the archive (or the archive
#                       is unreachable) prints "kernels.sh: SKIP NAME: <reason>" and the rest goes on;
#                       without NAME, releases the matrix no longer names are removed
#                       (GUPDEMO_KEEP_OLD_KERNELS=1 keeps them)
#   matrix              the matrix's kernels that are in the cache, one release per line
#   skipped             "NAME: reason" for each matrix kernel that is not (from the last fetch)
#   list                every cached release, oldest first, then the installed ones (/boot + headers)
#   default             the running kernel if its headers are installed, else the newest cached
#                       generic kernel built with the host's compiler, else the newest cached one,
#                       else the newest installed one
#   resolve NAME        NAME = a release (cached or installed), "default", "all" (= matrix), or a
#                       short name (cached kernels only):
#                         6.1, 6.12, ... the newest cached generic (Debian "-amd64") release of that
#                                        series; 6.12-rt the newest PREEMPT_RT ("-rt-amd64") one
#                         lts            the newest cached generic release of $GUPDEMO_LTS_SERIES
#                                        (default 6.18, the current long-term series) from a suite
#                                        built with a newer toolchain than the host's
#                         newest         the newest cached generic release of all
#   kdir KVER           the kernel build directory (headers) for KVER; for a kernel built in a build
#                       root this is the path inside the build root (see "buildroot")
#   image KVER          the kernel image (bzImage) of KVER
#   vmlinux KVER        the uncompressed vmlinux extracted from it (cached kernels), else nothing
#   modroot KVER        the directory for depmod -b / modprobe -d with KVER's modules: the cache's
#                       root/ or / for an installed kernel
#   buildroot KVER      empty when KVER builds on the host, else the build root's directory
#                       (scripts/buildroot.sh) in which "kdir" is
#   info KVER           KEY=VALUE lines: release, suite, version, flavour, compiler, buildroot
#   release KDIR        the KVER (uname -r string) a kernel build directory is for
#   path                the cache directory
#   -h, --help          this text
#
# The matrix (GUPDEMO_MATRIX, default "6.1 6.12 6.12-rt lts newest"): 6.1, 6.12 and 6.12-rt from
# bookworm, bookworm-updates and bookworm-security; lts and newest from trixie-backports.  No
# version is written down anywhere: fetch reads the archive's package lists and takes the newest
# release of each kind whose image and headers are both there.
#
# The cache: ${GUPDEMO_CACHE:-~/.cache/gupdemo}/kernels/<release>/ holds root/ (the packages,
# unpacked with dpkg-deb -x: image or binary+base+modules, headers, headers-common, kbuild),
# vmlinux (extracted once, for a fast boot under TCG), info (suite, version, flavour, compiler,
# build root) and packages (what was downloaded).  apt runs on a private state directory
# (kernels/apt/: its own sources.list, package lists and download cache, signed by the host's
# debian-archive-keyring): the host's apt sources, package lists and dpkg database are not
# touched, nothing is installed and nothing is written to /boot.  Sources: deb.debian.org only.
# Kernels whose compiler the host lacks (trixie-backports: gcc-14, glibc 2.41) get a Debian build
# root beside them (scripts/buildroot.sh), where their headers are installed natively.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GUPDEMO_CACHE:-$HOME/.cache/gupdemo}
kcache=$cache/kernels
mirror=${GUPDEMO_MIRROR:-http://deb.debian.org/debian}
security=${GUPDEMO_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keyring=${GUPDEMO_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
lts_series=${GUPDEMO_LTS_SERIES:-6.18}
read -r -a matrix_names <<<"${GUPDEMO_MATRIX:-6.1 6.12 6.12-rt lts newest}"

die() { echo "kernels.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

# ---------------------------------------------------------------- the cache

# Cached releases (complete ones: "info" is written last), oldest first.
cached() {
	local d
	for d in "$kcache"/*/info; do
		[[ -f $d ]] || continue
		d=${d%/info}
		echo "${d##*/}"
	done | sort -V
}

# info KVER KEY: one value from a cached kernel's info file.
info_get() {
	sed -n "s/^$2=//p" "$kcache/$1/info" 2>/dev/null | head -n 1
}

is_cached() { [[ -f $kcache/$1/info ]]; }

# Installed kernels (the user's own) that have both an image and headers, oldest first.
installed() {
	local img k
	for img in /boot/vmlinuz-*; do
		[[ -e $img ]] || continue
		k=${img#/boot/vmlinuz-}
		installed_kdir "$k" >/dev/null && echo "$k"
	done | sort -V
}

installed_kdir() {
	local d
	for d in "/lib/modules/$1/build" "/usr/src/linux-headers-$1"; do
		if [[ -f $d/Makefile ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# Flavour of a release string: rt, cloud or generic (Debian: -rt-amd64, -cloud-amd64, -amd64).
flavour_of() {
	case $1 in
	*-rt-amd64) echo rt ;;
	*-cloud-amd64) echo cloud ;;
	*-amd64) echo generic ;;
	*) echo other ;;
	esac
}

# Series "X.Y" of a release string.
series_of() { [[ $1 =~ ^([0-9]+\.[0-9]+)[.-] ]] && echo "${BASH_REMATCH[1]}"; }

# Newest cached release of a flavour, optionally of one series and/or built in a build root.
newest_cached() { # FLAVOUR [SERIES] [buildroot|host|any]
	local want=$1 series=${2:-} where=${3:-any} k match=
	for k in $(cached); do
		[[ $(flavour_of "$k") == "$want" ]] || continue
		[[ -z $series || $(series_of "$k") == "$series" ]] || continue
		case $where in
		buildroot) [[ -n $(info_get "$k" buildroot) ]] || continue ;;
		host) [[ -z $(info_get "$k" buildroot) ]] || continue ;;
		esac
		match=$k
	done
	[[ -n $match ]] && echo "$match"
}

# resolve_name NAME: a matrix/short name to a cached release, or fail quietly.
resolve_name() {
	local name=$1
	case $name in
	lts) newest_cached generic "$lts_series" buildroot ;;
	newest) newest_cached generic "" any ;;
	*-rt) newest_cached rt "${name%-rt}" ;;
	*) newest_cached generic "$name" ;;
	esac
}

matrix() {
	local n k seen=" "
	for n in "${matrix_names[@]}"; do
		k=$(resolve_name "$n") || continue
		[[ $seen == *" $k "* ]] && continue
		seen+="$k "
		echo "$k"
	done
}

default() {
	local k
	k=$(uname -r)
	if installed_kdir "$k" >/dev/null && ! is_cached "$k"; then
		echo "$k"
		return
	fi
	k=$(newest_cached generic "" host) || k=$(cached | tail -n 1)
	[[ -n $k ]] || k=$(installed | tail -n 1)
	[[ -n $k ]] || die "no kernel in the cache and none installed with headers: run 'scripts/kernels.sh fetch' (make kernels)"
	echo "$k"
}

resolve() {
	local name=$1 k
	case $name in
	default | "") default; return ;;
	all) matrix; return ;;
	esac
	if is_cached "$name" || [[ -e /boot/vmlinuz-$name ]] || installed_kdir "$name" >/dev/null; then
		echo "$name"
		return
	fi
	if [[ $name =~ ^([0-9]+\.[0-9]+)(-rt)?$ || $name == lts || $name == newest ]]; then
		k=$(resolve_name "$name") ||
			die "no cached kernel for '$name' (cached: $(cached | tr '\n' ' ')); run 'scripts/kernels.sh fetch $name'"
		echo "$k"
		return
	fi
	die "unknown kernel '$name' (cached: $(cached | tr '\n' ' '); installed: $(installed | tr '\n' ' '))"
}

kdir() {
	local k=$1 br d
	if is_cached "$k"; then
		br=$(info_get "$k" buildroot)
		if [[ -n $br ]]; then
			echo "/usr/src/linux-headers-$k"
		else
			d=$kcache/$k/root/usr/src/linux-headers-$k
			[[ -f $d/Makefile ]] || return 1
			echo "$d"
		fi
		return 0
	fi
	installed_kdir "$k"
}

image() {
	local k=$1 f
	if is_cached "$k"; then
		for f in "$kcache/$k/root/boot/vmlinuz-$k" "$kcache/$k/root/usr/lib/modules/$k/vmlinuz" \
			"$kcache/$k/root/lib/modules/$k/vmlinuz"; do
			[[ -f $f ]] && { echo "$f"; return 0; }
		done
		return 1
	fi
	[[ -e /boot/vmlinuz-$k ]] && echo "/boot/vmlinuz-$k"
}

buildroot() {
	local k=$1 br
	is_cached "$k" || return 0
	br=$(info_get "$k" buildroot)
	[[ -n $br ]] && echo "$cache/buildroot/$br"
	return 0
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

# ---------------------------------------------------------------- fetching

aptdir=$kcache/apt
apt_opts=(-o "Dir::State=$aptdir/state" -o "Dir::State::Lists=$aptdir/lists"
	-o "Dir::State::status=$aptdir/status" -o "Dir::Etc::sourcelist=$aptdir/sources.list"
	-o Dir::Etc::sourceparts=- -o "Dir::Etc::preferences=$aptdir/preferences"
	-o Dir::Etc::preferencesparts=- -o "Dir::Cache=$aptdir/cache" -o Acquire::Languages=none
	-o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o Debug::NoLocking=1
	-o APT::Sandbox::User=root)

apt_update() {
	mkdir -p "$aptdir"/{state,lists/partial,cache/archives/partial}
	: >"$aptdir/status"
	: >"$aptdir/preferences"
	[[ -r $keyring ]] || { echo "$keyring not found (install debian-archive-keyring)"; return 1; }
	cat >"$aptdir/sources.list" <<-EOF
		deb [signed-by=$keyring] $mirror bookworm main
		deb [signed-by=$keyring] $mirror bookworm-updates main
		deb [signed-by=$keyring] $security bookworm-security main
		deb [signed-by=$keyring] $mirror trixie-backports main
	EOF
	apt-get "${apt_opts[@]}" -q update >"$aptdir/update.log" 2>&1 || {
		grep -E '^(E|W):' "$aptdir/update.log" | head -n 2 | tr '\n' ' '
		return 1
	}
	grep -qE '^(W|E): Failed' "$aptdir/update.log" && {
		grep -E '^(W|E): Failed' "$aptdir/update.log" | head -n 1
		return 1
	}
	return 0
}

# The package index as "suite<TAB>package<TAB>version<TAB>depends" lines (kernel packages only).
index() {
	local f suite
	for f in "$aptdir"/lists/*_Packages*; do
		[[ -f $f ]] || continue
		suite=${f##*_dists_}
		suite=${suite%%_*}
		/usr/lib/apt/apt-helper cat-file "$f" | awk -v suite="$suite" '
			/^Package: / { p = $2; v = ""; d = "" }
			/^Version: / { v = $2 }
			/^Depends: / { d = substr($0, 10) }
			/^$/ { if (p ~ /^linux-(image|binary|base|modules|headers|kbuild)-[0-9]/) print suite "\t" p "\t" v "\t" d; p = "" }
			END { if (p ~ /^linux-(image|binary|base|modules|headers|kbuild)-[0-9]/) print suite "\t" p "\t" v "\t" d }'
	done
}

# pick NAME: "release<TAB>suite<TAB>version" for the matrix name NAME, or a reason on stdout + fail.
pick() {
	local name=$1 suites flav series='' best
	case $name in
	lts) suites='^trixie-backports$'; flav=generic; series=$lts_series ;;
	newest) suites='^trixie-backports$'; flav=generic ;;
	*-rt) suites='^bookworm'; flav=rt; series=${name%-rt} ;;
	*) suites='^bookworm'; flav=generic; series=$name ;;
	esac
	# Images of the flavour and series in those suites, newest first; keep the first whose headers
	# are in the archive too.
	best=$(awk -F'\t' -v s="$suites" '$1 ~ s && $2 ~ /^linux-image-[0-9]+\.[0-9]+[.][0-9]/ {
			r = substr($2, 13); print r "\t" $1 "\t" $3 }' "$aptdir/index" |
		sort -t$'\t' -k1,1V -k3,3V | awk -F'\t' '{ last[$1] = $0 } END { for (r in last) print last[r] }' |
		sort -t$'\t' -k1,1Vr)
	local r s v found='' missing=''
	while IFS=$'\t' read -r r s v; do
		[[ -n $r ]] || continue
		[[ $(flavour_of "$r") == "$flav" ]] || continue
		[[ -z $series || $(series_of "$r") == "$series" ]] || continue
		if awk -F'\t' -v p="linux-headers-$r" '$2 == p { f = 1 } END { exit !f }' "$aptdir/index"; then
			found=$r$'\t'$s$'\t'$v
			break
		fi
		missing+="${missing:+, }$r"
		# "newest" and "lts" mean the newest: an older one is not a stand-in.
		[[ $name == newest || $name == lts ]] && break
	done <<<"$best"
	if [[ -n $found ]]; then
		echo "$found"
		return 0
	fi
	if [[ -n $missing ]]; then
		echo "the archive has the image of $missing but not its headers (linux-headers-${missing%%,*})"
	else
		echo "no ${flav} image of ${series:-any series} in ${suites//[\^\$]/} (see $aptdir/index)"
	fi
	return 1
}

# The packages of release R: the image and headers with their linux-* dependencies of the
# same build (binary, base, modules, headers-common, kbuild), as "package=version" lines.
closure() { # R
	awk -F'\t' -v r="$1" '
		{ ver[$2] = $3; dep[$2] = $4 }
		END {
			n = 0; q[n++] = "linux-image-" r; q[n++] = "linux-headers-" r
			for (i = 0; i < n; i++) {
				p = q[i]; if (p in seen || !(p in ver)) continue; seen[p] = 1
				print p "=" ver[p]
				m = split(dep[p], ds, /, */)
				for (j = 1; j <= m; j++) {
					split(ds[j], w, / /); d = w[1]
					if (d ~ /^linux-(image|binary|base|modules|headers|kbuild)-[0-9]/) q[n++] = d
				}
			}
		}' "$aptdir/index"
}

# fetch_one NAME: download and unpack one matrix kernel; prints "SKIP" lines itself.
fetch_one() {
	local name=$1 line r s v why dir tmp img cc major br='' pkgs
	if ! line=$(pick "$name"); then
		why=$line
		skip "$name" "$why"
		return 0
	fi
	IFS=$'\t' read -r r s v <<<"$line"
	dir=$kcache/$r
	if is_cached "$r"; then
		echo "kernels.sh: $name = $r ($s $v), cached" >&2
		sed -i "/^$name: /d" "$kcache/skipped" 2>/dev/null || true
		return 0
	fi
	echo "kernels.sh: $name = $r ($s $v): downloading..." >&2
	tmp=$kcache/.tmp-$r.$$
	rm -rf "$tmp"
	mkdir -p "$tmp/debs" "$tmp/root"
	mapfile -t pkgs < <(closure "$r")
	local t0=$SECONDS
	if ! (cd "$tmp/debs" && apt-get "${apt_opts[@]}" -q download "${pkgs[@]}" >"$tmp/download.log" 2>&1); then
		why=$(grep -E '^E:' "$tmp/download.log" | head -n 1)
		rm -rf "$tmp"
		skip "$name" "apt-get download of $r failed: ${why:-see the download log}"
		return 0
	fi
	local mb
	mb=$(du -cm "$tmp"/debs/*.deb | tail -n 1 | cut -f1)
	for d in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$d" "$tmp/root"
	done
	# 7.x packaging: everything under usr/; depmod/modprobe -b look in lib/modules.
	if [[ ! -d $tmp/root/lib/modules/$r && -d $tmp/root/usr/lib/modules/$r ]]; then
		mkdir -p "$tmp/root/lib/modules"
		ln -s "../../usr/lib/modules/$r" "$tmp/root/lib/modules/$r"
	fi
	# The headers' Makefile includes its -common part by absolute path; lib/modules/R/build too.
	local hd=$tmp/root/usr/src/linux-headers-$r
	[[ -f $hd/Makefile ]] || { rm -rf "$tmp"; skip "$name" "linux-headers-$r has no Makefile"; return 0; }
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$hd/Makefile"
	ln -sfn "../../../usr/src/linux-headers-$r" "$tmp/root/lib/modules/$r/build"
	depmod -b "$tmp/root" "$r" || { rm -rf "$tmp"; skip "$name" "depmod -b failed for $r"; return 0; }
	img=
	for f in "$tmp/root/boot/vmlinuz-$r" "$tmp/root/usr/lib/modules/$r/vmlinuz"; do
		[[ -f $f ]] && img=$f && break
	done
	[[ -n $img ]] || { rm -rf "$tmp"; skip "$name" "no vmlinuz in the packages of $r"; return 0; }
	"$top/scripts/extract-vmlinux" "$img" "$tmp/vmlinux" ||
		echo "kernels.sh: $r: could not extract vmlinux; vm-run boots the bzImage" >&2
	# The compiler the kernel was built with.  The host builds for it when it has that gcc and
	# can run the headers' kbuild programs (glibc); otherwise a Debian build root of the suite's
	# release does (scripts/buildroot.sh), which installs these headers from the files kept in
	# debs/ (same build, no second download).
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$hd/.config")
	major=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9][0-9][0-9][0-9]$/\1/p' "$hd/.config")
	if ! command -v "x86_64-linux-gnu-gcc-$major" >/dev/null ||
		ldd "$hd/scripts/mod/modpost" 2>&1 | grep -q 'not found'; then
		br=${s%%-*}
	fi
	mkdir -p "$tmp/keep"
	if [[ -n $br ]]; then
		for d in "$tmp"/debs/linux-headers-*.deb "$tmp"/debs/linux-kbuild-*.deb "$tmp"/debs/linux-base-*.deb; do
			[[ -f $d ]] && mv "$d" "$tmp/keep/"
		done
	fi
	rm -rf "$tmp/debs"
	mv "$tmp/keep" "$tmp/debs"
	printf '%s\n' "${pkgs[@]}" >"$tmp/packages"
	{
		echo "release=$r"
		echo "name=$name"
		echo "suite=$s"
		echo "version=$v"
		echo "flavour=$(flavour_of "$r")"
		echo "compiler=$cc"
		echo "buildroot=$br"
		echo "download_mb=$mb"
		echo "fetched=$(date -u '+%F %T') UTC in $((SECONDS - t0)) s"
	} >"$tmp/info.new"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	mv "$dir/info.new" "$dir/info"
	echo "kernels.sh: $name = $r: $mb MB downloaded, $(du -sm "$dir" | cut -f1) MB in $dir${br:+ (builds in the $br build root)}" >&2
	sed -i "/^$name: /d" "$kcache/skipped" 2>/dev/null || true
}

skip() { # NAME REASON
	echo "kernels.sh: SKIP $1: $2" >&2
	mkdir -p "$kcache"
	touch "$kcache/skipped"
	sed -i "/^$1: /d" "$kcache/skipped"
	echo "$1: $2" >>"$kcache/skipped"
}

fetch() {
	local names=("$@") n why
	((${#names[@]})) || names=("${matrix_names[@]}")
	command -v apt-get >/dev/null || die "apt-get not found: the kernels come from Debian's archive"
	mkdir -p "$kcache"
	exec 8>"$kcache/.lock"
	flock 8
	# What an interrupted fetch left half unpacked.
	rm -rf "$kcache"/.tmp-*
	if ! why=$(apt_update); then
		for n in "${names[@]}"; do
			if resolve_name "$n" >/dev/null; then
				echo "kernels.sh: $n: archive unreachable ($why); using the cached $(resolve_name "$n")" >&2
			else
				skip "$n" "Debian's archive is unreachable: $why"
			fi
		done
		return 0
	fi
	index >"$aptdir/index"
	for n in "${names[@]}"; do
		fetch_one "$n"
	done
	# A release the matrix no longer names (a newer one replaced it) goes, unless asked to keep it.
	if ((!${#@})) && [[ ${GUPDEMO_KEEP_OLD_KERNELS:-0} != 1 ]]; then
		local keep k
		keep=" $(matrix | tr '\n' ' ') "
		for k in $(cached); do
			[[ $keep == *" $k "* ]] && continue
			echo "kernels.sh: removing $k from the cache (superseded; GUPDEMO_KEEP_OLD_KERNELS=1 keeps it)" >&2
			rm -rf "${kcache:?}/$k"
		done
	fi
	# Build roots for the kernels that need one (made once, cached beside the kernels).
	for n in $(matrix); do
		[[ -n $(info_get "$n" buildroot) ]] || continue
		"$top/scripts/buildroot.sh" ensure "$n" >/dev/null ||
			echo "kernels.sh: the build root for $n failed (scripts/buildroot.sh)" >&2
	done
	return 0
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
fetch) shift; fetch "$@" ;;
matrix) matrix ;;
skipped)
	for n in "${matrix_names[@]}"; do
		resolve_name "$n" >/dev/null && continue
		r=$(sed -n "s/^$n: //p" "$kcache/skipped" 2>/dev/null | tail -n 1)
		echo "$n: ${r:-not fetched (scripts/kernels.sh fetch)}"
	done
	;;
list) { cached; installed; } | awk '!seen[$0]++' ;;
default) default ;;
path) echo "$cache" ;;
resolve)
	[[ $# -eq 2 ]] || die "usage: kernels.sh resolve NAME"
	resolve "$2"
	;;
kdir)
	[[ $# -eq 2 ]] || die "usage: kernels.sh kdir KVER"
	kdir "$2" || die "no headers for $2 (neither cached nor installed)"
	;;
image)
	[[ $# -eq 2 ]] || die "usage: kernels.sh image KVER"
	image "$2" || die "no kernel image for $2 (neither cached nor in /boot)"
	;;
vmlinux)
	[[ $# -eq 2 ]] || die "usage: kernels.sh vmlinux KVER"
	if is_cached "$2" && [[ -f $kcache/$2/vmlinux ]]; then echo "$kcache/$2/vmlinux"; fi
	;;
modroot)
	[[ $# -eq 2 ]] || die "usage: kernels.sh modroot KVER"
	if is_cached "$2"; then echo "$kcache/$2/root"; else echo /; fi
	;;
buildroot)
	[[ $# -eq 2 ]] || die "usage: kernels.sh buildroot KVER"
	buildroot "$2"
	;;
info)
	[[ $# -eq 2 ]] || die "usage: kernels.sh info KVER"
	is_cached "$2" || die "$2 is not in the cache ($kcache)"
	cat "$kcache/$2/info"
	;;
release)
	[[ $# -eq 2 ]] || die "usage: kernels.sh release KDIR"
	release "$2"
	;;
"") echo "kernels.sh: no command (try --help)" >&2; exit 2 ;;
*) echo "kernels.sh: unknown command '$1' (try --help)" >&2; exit 2 ;;
esac
