#!/bin/bash
# deps.sh - install the Debian packages gupdemo needs to build, test and boot its kernels.
#
# Idempotent: one dpkg-query call decides; when everything is present it returns at once.
# As root it installs what is missing (apt-get update only then); otherwise it prints the
# exact command to run and exits non-zero.
#
# Why each package:
#   qemu-system-x86                      the guest VM (TCG), edu device, intel-iommu
#   (no kernel: the kernels the project builds for and boots are data in a cache, Debian's
#    packages unpacked by scripts/kernels.sh fetch; nothing goes to /boot or dpkg's database)
#   debian-archive-keyring               verifies the archive for kernels.sh's private apt state
#                                        and for debootstrap
#   debootstrap                          the Debian build roots of kernels built with a newer
#                                        compiler than the host's (scripts/buildroot.sh)
#   gcc-12                               bookworm's kernels name x86_64-linux-gnu-gcc-12
#   linux-source-6.12                    checkpatch.pl, spelling.txt, const_structs.checkpatch (make lint),
#                                        and the debug kernel's source (make check-debug)
#   flex bison bc libelf-dev libssl-dev  building the debug kernel (scripts/build-debug-kernel)
#   busybox-static cpio                  guest initramfs
#   kmod                                 depmod -b / modprobe -d on the cached module trees
#                                        (loop/ext4 for the guest)
#   libkmod-dev                          libgupdemo loads/unloads the module through libkmod
#   build-essential                      gcc, make, libc6-dev
#   perl                                 prove (TAP harness)
#   e2fsprogs                            mke2fs in the guest (ext4 tests)
#   xz-utils zstd gzip                   decompress the kernels' modules and vmlinux payloads
#   util-linux coreutils                 flock, timeout
#   sparse, shellcheck, cppcheck         make lint (cppcheck on user/ and tests/)
#   dkms                                 tests/pkg/t_dkms (dkms build for each cached kernel)
#   gnuplot-nox                          make demo and make bench: PNG plots (scripts/bench-plot)
#   trinity                              tests/guest/t_trinity: Debian's syscall fuzzer, with
#                                        gupdemo's ioctl group (tests/trinity/gupdemo.c)
set -euo pipefail

case ${1:-} in
-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
-*) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

packages=(
	qemu-system-x86
	debian-archive-keyring debootstrap gcc-12
	linux-source-6.12 flex bison bc libelf-dev libssl-dev
	busybox-static cpio kmod libkmod-dev
	build-essential perl e2fsprogs
	xz-utils zstd gzip util-linux coreutils
	shellcheck sparse cppcheck dkms
	gnuplot-nox trinity
)

# Packages not in state "ii" (installed, no errors); dpkg-query prints nothing for unknown ones.
missing=()
declare -A ok=()
while read -r name status; do
	[[ $status == ii ]] && ok[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true)
for p in "${packages[@]}"; do
	[[ -n ${ok[$p]:-} ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

install_cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if ((EUID != 0)); then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive ${install_cmd[*]}" >&2
	exit 1
fi

# apt's own output goes to a log; the terminal gets one line before and one after.
build=${BUILD:-build}
[[ $build == /* ]] || build=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/$build
log=${GUPDEMO_DEPS_LOG:-$build/deps.log}
mkdir -p "$(dirname "$log")"
echo "deps.sh: installing Debian packages: ${missing[*]} (apt's output: $log)" >&2
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
# Try without refreshing the package lists first; update only if that fails
# (a fresh machine or container has no lists at all).
if ! {
	apt-get install -y --no-install-recommends "${missing[@]}" ||
		{ apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
} </dev/null >"$log" 2>&1; then
	echo "deps.sh: apt-get failed; the last lines of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
echo "deps.sh: installed in $((SECONDS - start)) s" >&2
