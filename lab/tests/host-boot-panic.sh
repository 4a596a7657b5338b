#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A kernel panic (here: /init exits) fails the run with the serial tail.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$("$here/lab/scripts/qemu.sh" cxl panic "$1" "$2" 2>&1)
rc=$?
echo "$out" | tail -n 8
[ $rc -ne 0 ] || { echo "a panicking kernel passed"; exit 1; }
echo "$out" | grep -q 'FAIL: cxl/panic: kernel panic' || { echo "panic not reported"; exit 1; }
echo "$out" | grep -q 'Attempted to kill init' || { echo "serial tail lacks the panic"; exit 1; }
