#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh SETUP KERNEL INITRD: boot the set-up and print the DOE inventory.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

setup=$1
note "booting the '$setup' set-up (TCG; logs in $LOGS/$setup-run/)"
"$(dirname "$0")/qemu.sh" "$setup" run "$2" "$3" || exit 1
res=$LOGS/$setup-run/results.log
echo
echo "DOE Capabilities and CDAT in the '$setup' set-up (booted in $(cat "$LOGS/$setup-run/seconds")s):"
section inventory "$res"
grep -q '^LAB-END inventory rc=0' "$res" || die "doe-inventory failed"
