#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sparse and W=1 gates prove that their tool ran on every object by
# Kbuild's CHECK and CC lines (kbuild_ran in lib.sh).  A long log must not
# make a present line look missing: CI once failed "no CHECK of
# drivers/cxl/core/pci.o" on a log of more than a pipe's worth.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=/some/tree/am/
log=$tmp/sparse.log
{
	echo "  CHECK   ${src}drivers/cxl/core/pci.c"
	echo "  CC      drivers/cxl/core/pci.o"
	echo "  CHECK   ${src}drivers/pci/doe.c"
	# The warnings of drivers/pci/pci.c and friends: far more than 64 KiB
	for i in $(seq 1 20000); do
		echo "${src}drivers/pci/pci.c:$i:36: warning: incorrect type in assignment"
	done
} >"$log"
objs="drivers/cxl/core/pci.o drivers/pci/doe.o"
missing=$(kbuild_ran "$log" CHECK "$objs" "$src") ||
	{ echo "a present CHECK line was reported missing: $missing"; exit 1; }
missing=$(kbuild_ran "$log" CC "$objs" "$src") &&
	{ echo "a missing CC line was not reported"; exit 1; }
[ "$missing" = drivers/pci/doe.o ] || { echo "named '$missing', not drivers/pci/doe.o"; exit 1; }
echo "gates: Kbuild lines found in a $(wc -c <"$log")-byte log, a missing one named"
