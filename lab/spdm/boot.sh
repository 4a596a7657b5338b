#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh SETUP [KERNEL]: the QEMU 10 experiments of lab/spdm/NOTES.md.
# Scaffolding for issue 14, not part of "make check".  Boots the set-up
# lab/setups/SETUP (native, nvme, or switch72: the QEMU 7.2 switch set-up
# plus an nvme, for its reset methods) with lab/scripts/qemu.sh in mode
# q10 (QEMU_TRACE=FILE: QEMU's config access trace), with DOE and CXL
# dynamic debug.  KERNEL defaults to the test kernel (build/obj/test).
# The guest runs lab/spdm/guest-init from an initramfs made of the lab's
# (build/initramfs.d, from "make initramfs") plus doe-spdm.  Logs:
# build/logs/SETUP-q10/ (console.log, results.log, qemu.log, cmdline,
# spdm.log).
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

setup=${1:?usage: boot.sh native|nvme|switch72 [KERNEL]}
kernel=${2:-$BUILD/obj/test/arch/x86/boot/bzImage}
work=$BUILD/spdm
sel=$BUILD/src/tools/testing/selftests/pci/doe
[ -f "$kernel" ] || die "no kernel $kernel (make initramfs first)"
[ -d "$BUILD/initramfs.d" ] || die "no $BUILD/initramfs.d (make initramfs first)"

# The initramfs: the lab's, with this /init and doe-spdm
rm -rf "$work/initramfs.d"
mkdir -p "$work"
cp -a "$BUILD/initramfs.d" "$work/initramfs.d"
cp "$LAB_TOP/lab/spdm/guest-init" "$work/initramfs.d/init"
gcc -O2 -Wall -Wextra -Werror -static -isystem "$BUILD/obj/test/usr/include" -I"$sel" \
	-o "$work/initramfs.d/lab/doe-spdm" "$LAB_TOP/lab/spdm/doe-spdm.c" "$sel/doe_cfg.c" ||
	die "cannot build doe-spdm"
(cd "$work/initramfs.d" && find . -print0 | sort -z | cpio -o -H newc -0 --quiet) >"$work/initramfs.cpio"

LAB_TIMEOUT=${LAB_TIMEOUT:-900} exec "$LAB_TOP/lab/scripts/qemu.sh" "$setup" q10 \
	"$kernel" "$work/initramfs.cpio" \
	'dyndbg="file drivers/pci/doe.c +p; file drivers/cxl/core/pci.c +p"'
