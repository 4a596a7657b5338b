#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install Debian's linux-source-6.12 at the pinned version and extract it,
# once, into $BUILD/base/linux.  Re-extract when the pin changes.  If apt no
# longer offers the pinned version, fall back to the newest linux-source-6.12
# it does offer and say so loudly.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Host tools for building the kernel and the guest.
HOST_PKGS=(gcc make bc flex bison libelf-dev libssl-dev cpio xz-utils patch
	   rsync ccache sparse python3 busybox-static pciutils qemu-system-x86
	   ipxe-qemu qemu-system-data kmod git
	   # the 32-bit (compat ioctl) build of doe_ioctl_test: gcc -m32 -static
	   gcc-multilib
	   # the gates of the patch series (lab/gates/)
	   coccinelle ocaml-nox python3-ply python3-sphinx)

apt_install "${HOST_PKGS[@]}"
# QEMU 10 for the native and nvme set-ups, beside the system's 7.2
"$(dirname "$0")/qemu10.sh" >/dev/null

pin=$(pinned_version)
[ -n "$pin" ] || die "lab/base-version holds no version"
base=$BUILD/base
stamp=$base/VERSION

if [ -f "$stamp" ] && [ -d "$base/linux" ]; then
	have=$(cat "$stamp")
	if [ "$have" = "$pin" ]; then
		exit 0
	fi
	if [ -f "$base/FALLBACK" ] && [ "$(cat "$base/FALLBACK")" = "$pin" ]; then
		note "WARNING: building on fallback base $have, not the pinned $pin"
		exit 0
	fi
	note "pin changed ($have -> $pin): re-extracting"
fi

want=$pin
installed=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
if [ "$installed" != "$pin" ]; then
	apt_refresh
	if apt-cache madison linux-source-6.12 | awk '{print $3}' | grep -qxF "$pin"; then
		note "installing linux-source-6.12=$pin"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			--allow-downgrades "linux-source-6.12=$pin" >"$BUILD/apt.log" 2>&1 ||
			die "cannot install linux-source-6.12=$pin (see $BUILD/apt.log)"
	else
		newest=$(apt-cache madison linux-source-6.12 | awk '{print $3}' |
			 sort -V | tail -n1)
		[ -n "$newest" ] || die "apt offers no linux-source-6.12 at all"
		cat >&2 <<EOW
lab: ************************************************************************
lab: WARNING: apt no longer offers the pinned base linux-source-6.12=$pin
lab: WARNING: falling back to the newest it offers: linux-source-6.12=$newest
lab: WARNING: results are NOT from the pinned base; update lab/base-version
lab: ************************************************************************
EOW
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			--allow-downgrades "linux-source-6.12=$newest" >"$BUILD/apt.log" 2>&1 ||
			die "cannot install linux-source-6.12=$newest (see $BUILD/apt.log)"
		want=$newest
	fi
fi

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing after installing linux-source-6.12"

# build/src is about to go (below): not while it holds work that
# patches/ lacks
if [ "${FORCE:-0}" != 1 ] && why=$(src_unexported); then
	die "the base changes, but $BUILD/src has $why: 'make export' them first, or FORCE=1 to drop them"
fi
note "extracting $tarball ($want)"
rm -rf "$base"
mkdir -p "$base/tmp"
tar -C "$base/tmp" -xf "$tarball"
mv "$base/tmp/linux-source-6.12" "$base/linux"
rmdir "$base/tmp"
echo "$want" >"$stamp"
[ "$want" = "$pin" ] || echo "$pin" >"$base/FALLBACK"
# The series tree is derived from the base: start it again from scratch
rm -rf "$BUILD/src" "$BUILD/tree-state"
note "base $want ready in $base/linux"
