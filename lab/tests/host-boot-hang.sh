#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A guest that never powers off fails its run within the timeout, and the
# tail of the serial log is printed.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(LAB_TIMEOUT=${LAB_HANG_TIMEOUT:-90} "$here/lab/scripts/qemu.sh" cxl hang "$1" "$2" 2>&1)
rc=$?
echo "$out" | tail -n 5
[ $rc -ne 0 ] || { echo "a hung guest passed"; exit 1; }
echo "$out" | grep -q 'guest hung' || { echo "hang not reported as such"; exit 1; }
echo "$out" | grep -q 'last 40 lines of .*console.log' || { echo "no serial tail"; exit 1; }
echo "$out" | grep -Eq '^\[ *[0-9]+\.[0-9]+\] ' ||
	{ echo "serial tail does not show the kernel log"; exit 1; }
