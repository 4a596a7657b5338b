#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict gives 0 errors, 0 warnings and 0 checks on every
# patch, as git format-patch writes it from the series.
. "$(dirname "$0")/lib.sh"

prepare
rm -rf "$top/checkpatch"
git -C "$am" format-patch -q --no-signature -o "$top/checkpatch" base..series-am
rc=0
for p in "$top"/checkpatch/*.patch; do
	res=$("$am/scripts/checkpatch.pl" --strict --no-tree "$p" 2>&1 | grep '^total:' || true)
	echo "$(basename "$p"): $res"
	case $res in
	"total: 0 errors, 0 warnings, 0 checks,"*) ;;
	*) "$am/scripts/checkpatch.pl" --strict --no-tree "$p" 2>&1 | head -n 40; rc=1 ;;
	esac
done
exit $rc
