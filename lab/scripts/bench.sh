#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: "make bench".  Build the unmodified base kernel and the base
# plus the series from the same config (lab/kernel.config and
# lab/bench.config), boot each in the same QEMU set-ups one after the other,
# run the bench module lab/bench/doe_bench.c in the guest
# (lab/guest/bench-init), run the KUnit slow-responder case, and write the
# table to build/bench/table.txt (lab/scripts/bench-table.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$BUILD/bench
mkdir -p "$out"
frags=("$LAB_TOP/lab/kernel.config" "$LAB_TOP/lab/bench.config")
# Every kernel message on the console (the bench module's lines, and
# Discovery progress from dynamic debug for the boot cost), and raw
# pointers in the kmem trace events so that frees match allocations
cmdline='ignore_loglevel dyndbg="file drivers/pci/doe.c +p" no_hash_pointers'

build() {	# build NAME SRC
	local k=$1 src=$2 obj=$BUILD/obj/bench-$1

	"$LAB_TOP/lab/scripts/config.sh" "$src" "$obj" "${frags[@]}"
	note "bench: building the $k kernel in $obj (log: $obj/build.log)"
	"$LAB_TOP/lab/scripts/kmake.sh" "$src" "$obj" -s all >"$obj/build.log" 2>&1 ||
		{ tail -n 20 "$obj/build.log"; die "bench: the $k kernel does not build"; }
	rm -rf "$out/mod-$k"
	cp -r "$LAB_TOP/lab/bench" "$out/mod-$k"
	"$LAB_TOP/lab/scripts/kmake.sh" "$src" "$obj" -s M="$out/mod-$k" modules >"$out/mod-$k.log" 2>&1 ||
		{ cat "$out/mod-$k.log"; die "bench: doe_bench.ko does not build for $k"; }
	"$LAB_TOP/lab/scripts/initramfs.sh" "$out/initramfs-$k.cpio" bench "$out/mod-$k/doe_bench.ko"
}

boot() {	# boot KERNEL SETUP PHASE: results in $LOGS/SETUP-bench-KERNEL-PHASE
	local k=$1 setup=$2 phase=$3
	note "bench: $k kernel, $setup set-up, phase $phase"
	"$LAB_TOP/lab/scripts/qemu.sh" "$setup" "bench-$k-$phase" \
		"$BUILD/obj/bench-$k/arch/x86/boot/bzImage" "$out/initramfs-$k.cpio" \
		"LAB_BENCH=$phase $cmdline" || die "bench: the $k guest failed ($setup, $phase)"
}

build base "$BUILD/base/linux"
build series "$BUILD/src"

for k in base series; do
	boot "$k" cxl main
	rm -f "$out/cfgtrace-$k.log"
	QEMU_TRACE=$out/cfgtrace-$k.log boot "$k" cxl count
	boot "$k" cxl8 boot8
done

note "bench: KUnit slow responder (2 ms), interrupt against polling"
mkdir -p "$BUILD/kunit"	# kunit.py makes only the last folder
(cd "$BUILD/src" && python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
	--kunitconfig=drivers/pci/.kunitconfig \
	--build_dir="$BUILD/kunit/drivers_pci" --raw_output=all "${KUNIT_MAKE[@]}" \
	'pci_doe.slow_responder_2ms') >"$out/kunit.log" 2>&1 ||
	{ tail -n 20 "$out/kunit.log"; die "bench: KUnit slow responder failed"; }

rc=0
python3 "$LAB_TOP/lab/scripts/bench-table.py" "$LOGS" "$out" >"$out/table.txt" || rc=$?
cat "$out/table.txt"
exit $rc
