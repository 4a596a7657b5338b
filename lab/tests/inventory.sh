#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# inventory.sh SETUP RESULTS_LOG: assert what the guest's DOE inventory must
# show for the set-up.
#   cxl:    two cxl-type3 DOE Capabilities at 0x190, each an auxiliary
#           device bound to the generic DOE driver, using MSI-X message 0
#           (shared with cxl_pci), serving Discovery and CXL Table Access;
#           and a 160-byte CDAT with a good checksum for both endpoints.
#   switch: four type-3 DOE Capabilities at 0x190 and the switch upstream
#           port's at 0x1a8, each serving 0001:00 1e98:02; the upstream
#           port's is bound to the generic driver through the PCIe port
#           driver, on MSI message 1; any CDAT read has a good checksum.
#   native: (QEMU 10) three type-3 DOE Capabilities at 0x190 on MSI-X
#           message 0 and the switch upstream port's at 0x1c0 on MSI
#           message 1, all bound, serving 0001:00 1e98:02; the kernel read
#           the three endpoints' 160-byte CDATs and the upstream port's
#           80-byte one (two downstream ports), checksums good.
#   nvme:   (QEMU 10) the nvme's DOE Capability at 0x100, bound through
#           nvme-pci, on MSI-X message 0 (the admin queue's), serving
#           Discovery, CMA/SPDM and Secured CMA; no CDAT.
set -uo pipefail
setup=$1 res=$2
inv=$(sed -n '/^LAB-BEGIN inventory/,/^LAB-END inventory/{/^LAB-/d;p}' "$res" | tr -d '\r')
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
# lspci -vvv decodes every DOE Capability the inventory found
ndoe=$(echo "$inv" | grep -c ' doe 0x')
nlspci=$(sed -n '/^LAB-BEGIN lspci/,/^LAB-END lspci/p' "$res" | grep -c 'Data Object Exchange')
if [ "$nlspci" -ne "$ndoe" ]; then
	echo "lspci -vvv decodes $nlspci DOE Capabilities, the inventory lists $ndoe"
	err=1
fi

case "$setup" in
cxl)
	expect "type-3 DOE Capabilities" ' doe 0x190  msix 0 +pci_doe\.doe\.[^ ]+ bound +0001:00 1e98:02$' 2
	expect "DOE Capabilities" ' doe 0x' 2
	expect "endpoint CDATs" ' cdat endpoint[0-9]+ +160 bytes  checksum good$' 2
	;;
switch)
	expect "type-3 DOE Capabilities" ' doe 0x190 .* 0001:00 1e98:02$' 4
	expect "switch upstream port DOE Capabilities, bound, on MSI message 1" \
		' doe 0x1a8  msi 1 +pci_doe\.doe\.[^ ]+ bound +0001:00 1e98:02$' 1
	expect "DOE Capabilities" ' doe 0x' 5
	;;
native)
	expect "type-3 DOE Capabilities, bound, on MSI-X message 0" \
		' doe 0x190  msix 0 +pci_doe\.doe\.[^ ]+ bound +0001:00 1e98:02$' 3
	expect "switch upstream port DOE Capabilities, bound, on MSI message 1" \
		' doe 0x1c0  msi 1 +pci_doe\.doe\.[^ ]+ bound +0001:00 1e98:02$' 1
	expect "DOE Capabilities" ' doe 0x' 4
	expect "endpoint CDATs" ' cdat endpoint[0-9]+ +160 bytes  checksum good$' 3
	expect "switch port CDATs" ' cdat port[0-9]+ +80 bytes  checksum good$' 1
	;;
nvme)
	expect "nvme DOE Capabilities, bound, on MSI-X message 0" \
		' doe 0x100  msix 0 +pci_doe\.doe\.[^ ]+ bound +0001:00 0001:01 0001:02$' 1
	expect "DOE Capabilities" ' doe 0x' 1
	expect "CDATs" ' cdat ' 0
	;;
*)
	echo "no inventory expectations for set-up '$setup'"
	err=1
	;;
esac
exit $err
