#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmake.sh SRC OBJ MAKE-ARGUMENTS...: the kernel's make as every build of
# the lab runs it (the Makefile, config, initramfs, bench, the gates): out
# of tree in OBJ, through ccache, reproducible.  Add -s to silence it.
src=$1 obj=$2
shift 2
exec make -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" -j2 \
	KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=lab KBUILD_BUILD_HOST=lab "$@"
