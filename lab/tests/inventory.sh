#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# inventory.sh SETUP RESULTS_LOG: assert what the guest's DOE inventory must
# show: inventory() of lab/setups/SETUP, and in every set-up, no failed
# Discovery, no bad CDAT checksum, and lspci -vvv decoding every DOE
# Capability the inventory found.
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
setup=$1 res=$2
inv=$(section inventory "$res")
echo "$inv"
err=0
expect() {	# expect WHAT PATTERN COUNT
	local n
	n=$(echo "$inv" | grep -Ec "$2")
	if [ "$n" -ne "$3" ]; then
		echo "expected $3 $1, found $n (pattern: $2)"
		err=1
	fi
}

grep -q '^LAB-END inventory rc=0' "$res" || { echo "doe-inventory failed"; err=1; }
expect "DOE lines failing discovery" 'discovery failed' 0
expect "bad CDAT checksums" 'checksum BAD|mismatch' 0
ndoe=$(echo "$inv" | grep -c ' doe 0x')
nlspci=$(sed -n '/^LAB-BEGIN lspci/,/^LAB-END lspci/p' "$res" | grep -c 'Data Object Exchange')
if [ "$nlspci" -ne "$ndoe" ]; then
	echo "lspci -vvv decodes $nlspci DOE Capabilities, the inventory lists $ndoe"
	err=1
fi

. "$(dirname "$0")/../setups/$setup" || exit 1
if declare -F inventory >/dev/null; then
	inventory
else
	echo "no inventory expectations for set-up '$setup'"
	err=1
fi
exit $err
