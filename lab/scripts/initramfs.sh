#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh SRC OBJ OUT
#
# Build the guest initramfs OUT (uncompressed newc cpio): busybox-static,
# lab/guest/init, the static doe-inventory tool and kselftest binaries,
# and Debian's lspci with the shared libraries it needs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 obj=$2 out=$3
root=$BUILD/initramfs.d
sel=$src/tools/testing/selftests/pci/doe
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lab/tests,etc,usr/share/misc}

cp /bin/busybox "$root/bin/busybox"
for app in $(/bin/busybox --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
cp "$LAB_TOP/lab/guest/init" "$root/init"
cp "$LAB_TOP/lab/guest/lib.sh" "$root/lab/"

# UAPI headers of the kernel under test, for the userspace programs.
make -s -C "$src" O="$obj" ARCH=x86_64 headers
KHDR="-isystem $obj/usr/include"
CFLAGS="-O2 -Wall -Wextra -Werror -static $KHDR -I$sel"

gcc $CFLAGS -o "$root/lab/doe-inventory" "$LAB_TOP/lab/guest/doe-inventory.c" "$sel/doe_cfg.c"

# Kselftests of the series, built static the kselftest way; with
# gcc-multilib also doe_ioctl_test32, the 32-bit build for the compat
# ioctl.  KDIR= keeps the kselftest make from building the test module in
# the source tree: it is built below, in a copy.
rm -rf "$BUILD/selftests"
mkdir -p "$BUILD/selftests"
if [ -f "$sel/Makefile" ]; then
	make -s -C "$sel" OUTPUT="$BUILD/selftests" KHDR_INCLUDES="$KHDR" KDIR= \
		CFLAGS="-O2 -Wall -Werror -static $KHDR" LDFLAGS=-static >/dev/null
	find "$BUILD/selftests" -maxdepth 1 -type f -executable \
		-exec cp {} "$root/lab/tests/" \;
fi

# The kselftests' test modules (doe_kuser.ko), built against the test
# kernel, where the kselftest install puts them: test_modules/ beside the
# programs.
if [ -d "$sel/test_modules" ]; then
	mods=$BUILD/selftests/test_modules
	cp -r "$sel/test_modules" "$mods"
	make -s -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" M="$mods" modules
	mkdir -p "$root/lab/tests/test_modules"
	cp "$mods"/*.ko "$root/lab/tests/test_modules/"
fi

# lspci and the shared libraries it loads.
cp /usr/bin/lspci "$root/usr/bin/"
cp /usr/share/misc/pci.ids "$root/usr/share/misc/"
for lib in $(ldd /usr/bin/lspci | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

(cd "$root" && find . -print0 | sort -z | cpio -o -H newc -0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
