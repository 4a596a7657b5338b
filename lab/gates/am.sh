#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every patch of patches/ applies with "git am" to the pristine base, and
# the result is exactly the tree the lab built and tested ($BUILD/src).
. "$(dirname "$0")/lib.sh"

if why=$(src_unexported); then
	die "$BUILD/src has $why: the lab tested what patches/ does not hold; make export"
fi
rm -f "$top/am.patches"	# a fresh git am, whatever the clone holds
prepare
echo "applied ${#series[@]} patches of patches/series"
git -C "$am" fetch -q "$BUILD/src" HEAD
git -C "$am" diff --quiet FETCH_HEAD series-am ||
	die "patches/ differs from $BUILD/src, which the lab built"
