#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh OUT SRC OBJ         the test guest
# initramfs.sh OUT bench MODULE    the make bench guest
#
# Build the guest initramfs OUT (uncompressed newc cpio): busybox-static
# and lab/guest/lib.sh in both.  The test guest has lab/guest/init, the
# static doe-inventory tool, the series' kselftests installed the kselftest
# way (run_kselftest.sh) with their test module built against the kernel
# in OBJ, and Debian's lspci with the shared libraries it needs.  The
# bench guest has lab/guest/bench-init as /init and the bench module.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1
root=${out%.cpio}.d
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lab,etc,usr/share/misc}
cp /bin/busybox "$root/bin/busybox"
for app in $(/bin/busybox --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
cp "$LAB_TOP/lab/guest/lib.sh" "$root/lab/"
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

if [ "$2" = bench ]; then
	install -m 755 "$LAB_TOP/lab/guest/bench-init" "$root/init"
	cp "$3" "$root/lab/"
else
	src=$2 obj=$3
	sel=$src/tools/testing/selftests/pci/doe
	cp "$LAB_TOP/lab/guest/init" "$root/init"

	# UAPI headers of the kernel under test, for the userspace programs
	"$LAB_TOP/lab/scripts/kmake.sh" "$src" "$obj" -s headers
	gcc -O2 -Wall -Wextra -Werror -static -isystem "$obj/usr/include" -I"$sel" \
		-o "$root/lab/doe-inventory" "$LAB_TOP/lab/guest/doe-inventory.c" "$sel/doe_cfg.c"

	# The kselftests, static (with gcc-multilib also doe_ioctl_test32,
	# for the compat ioctl).  Their test module is built in a copy:
	# the kselftest build would write it into the source tree.
	make -s -C "$src/tools/testing/selftests" O="$obj" TARGETS=pci/doe \
		INSTALL_PATH="$root/lab/kselftest" USERCFLAGS=-Werror USERLDFLAGS=-static \
		TEST_GEN_MODS_DIR= install >/dev/null
	mods=$obj/kselftest/pci/doe/test_modules
	rm -rf "$mods"
	cp -r "$sel/test_modules" "$mods"
	"$LAB_TOP/lab/scripts/kmake.sh" "$src" "$obj" -s M="$mods" modules
	mkdir -p "$root/lab/kselftest/pci/doe/test_modules"
	cp "$mods"/*.ko "$root/lab/kselftest/pci/doe/test_modules/"

	# lspci and the shared libraries it loads
	cp /usr/bin/lspci "$root/usr/bin/"
	cp /usr/share/misc/pci.ids "$root/usr/share/misc/"
	for lib in $(ldd /usr/bin/lspci | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
fi

(cd "$root" && find . -print0 | sort -z | cpio -o -H newc -0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
