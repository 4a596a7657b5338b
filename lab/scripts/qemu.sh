#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu.sh SETUP MODE KERNEL INITRD [EXTRA_CMDLINE]
#
# Boot KERNEL with INITRD in the QEMU set-up lab/setups/SETUP, under a
# timeout, with the kernel console on ttyS0 (console.log) and the guest's
# reports on ttyS1 (results.log), both under $LOGS/SETUP-MODE/.  The guest
# gets LAB_MODE=MODE on its command line.
#
# A set-up file is sourced: it sets qemu (7.2, the system's, or 10,
# lab/scripts/qemu10.sh), cmdline (its kernel command line) and devices(),
# which builds the QEMU arguments with the helpers below; and inventory()
# with what its DOE inventory must show (lab/tests/inventory.sh), in the
# set-ups make check boots.  Whatever QEMU prints (qemu.log) fails the
# boot: QEMU 10 must not probe the system's 7.2 modules (qemu10.sh's
# qemu-bundle link).
#
# QEMU_TRACE=FILE adds QEMU's config access trace (pci_cfg_*) in FILE.
#
# Exit status 0 only if the guest reached LAB-DONE and powered off, and the
# console shows no panic, oops, WARN, lockdep, KASAN, ODEBUG or kmemleak
# report.  Otherwise print why and the tail of the serial log, and exit 1.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

setup=$1 mode=$2 kernel=$3 initrd=$4 extra=${5:-}
timeout_s=${LAB_TIMEOUT:-600}
[ -f "$LAB_TOP/lab/setups/$setup" ] ||
	die "unknown set-up '$setup' ($(ls "$LAB_TOP/lab/setups" | paste -sd' '))"
dir=$LOGS/$setup-$mode
rm -rf "$dir"
mkdir -p "$dir"

machine=q35 args=()
type3() {	# type3 ID BUS: a cxl-type3 device on BUS
	args+=(-object "memory-backend-ram,id=cxl-mem$1,size=256M"
	       -object "memory-backend-ram,id=cxl-lsa$1,size=1M"
	       -device "cxl-type3,bus=$2,$memdev=cxl-mem$1,lsa=cxl-lsa$1,id=cxl-pmem$1")
}
cxl_host() {	# cxl_host N: a CXL host bridge, root ports rp0.. with a type-3 each
	local i
	machine=q35,cxl=on
	args+=(-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1
	       -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G)
	for ((i = 0; i < $1; i++)); do
		args+=(-device "cxl-rp,port=$i,bus=cxl.1,id=rp$i,chassis=0,slot=$i")
		type3 "$i" "rp$i"
	done
}
cxl_switch() {	# cxl_switch PORT: root port PORT, a switch below, ports swport0-1
	args+=(-device "cxl-rp,port=$1,bus=cxl.1,id=rp$1,chassis=0,slot=$1"
	       -device "cxl-upstream,bus=rp$1,id=us0"
	       -device cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4
	       -device cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5)
}
nvme_drive() {	# nvme_drive [,PROPERTIES]: an nvme (64 MiB raw) on a root port
	truncate -s 64M "$dir/nvme.raw"
	args+=(-device pcie-root-port,bus=pcie.0,id=nrp0,chassis=8,slot=8
	       -drive "file=$dir/nvme.raw,if=none,id=nvm0,format=raw"
	       -device "nvme,bus=nrp0,serial=lab-doe-0,drive=nvm0${1:-}")
}
# Interrupt remapping, for the multi-message MSI of a switch port
# (kernel-irqchip=split is not needed under TCG)
iommu() {
	args+=(-device intel-iommu,intremap=on,eim=off)
}
# The stub SPDM responder (nvme): it listens before QEMU starts, on a free
# port it writes to spdm.port ($spdm_port), logs to spdm.log, and is
# stopped when this script exits, whatever QEMU did.
resp_pid=
spdm_responder() {
	python3 "$LAB_TOP/lab/spdm/responder.py" --port 0 --once \
		--port-file "$dir/spdm.port" --log "$dir/spdm.log" \
		>"$dir/spdm.out" 2>&1 </dev/null &
	resp_pid=$!
	echo "$resp_pid" >"$dir/spdm.pid"
	for _ in $(seq 100); do
		[ -s "$dir/spdm.port" ] && break
		kill -0 "$resp_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$dir/spdm.port" ] ||
		die "the SPDM responder did not start: $(cat "$dir/spdm.out")"
	spdm_port=$(cat "$dir/spdm.port")
}
stop_responder() {
	[ -n "$resp_pid" ] || return 0
	kill "$resp_pid" 2>/dev/null
	wait "$resp_pid" 2>/dev/null
	resp_pid=
}
trap stop_responder EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

. "$LAB_TOP/lab/setups/$setup"
# QEMU 10 calls the persistent memory property persistent-memdev
# (memdev is its legacy alias), which 7.2 lacks.
# QEMU 10 runs both vCPUs in one thread (thread=single): with a thread
# per vCPU it aborts now and then in "iotlb_to_section: Assertion
# `section_index < d->map.sections_nb' failed" (reported upstream with
# TCG and -smp 2 or more: QEMU gitlab issue 1921), seen here once in
# native during doe_pm_test's resets, which remap BARs while the other
# vCPU does MMIO.  7.2 never did here.
case "$qemu" in
7.2)	qemu=qemu-system-x86_64 memdev=memdev tcg=tcg ;;
10)	qemu=$("$LAB_TOP/lab/scripts/qemu10.sh") || die "no QEMU 10 (lab/scripts/qemu10.sh)"
	memdev=persistent-memdev tcg=tcg,thread=single ;;
*)	die "lab/setups/$setup: qemu=$qemu, not 7.2 or 10" ;;
esac
declare -F devices >/dev/null || die "lab/setups/$setup has no devices()"
devices
args=(-M "$machine" -accel "$tcg" -smp 2 -m 1G,maxmem=4G,slots=8
      -display none -monitor none -no-reboot
      -serial "file:$dir/console.log" -serial "file:$dir/results.log" "${args[@]}")
# QEMU_TRACE=FILE logs every config access (make bench counts them)
[ -n "${QEMU_TRACE:-}" ] && args+=(-trace 'pci_cfg_*' -D "$QEMU_TRACE")
# Under TCG a busy host can starve a vCPU for tens of seconds; a real
# stall still ends in the guest timeout.
cmdline="console=ttyS0 panic=-1 rcupdate.rcu_cpu_stall_timeout=120 LAB_MODE=$mode $cmdline $extra"

echo "$qemu ${args[*]} -kernel $kernel -initrd $initrd -append '$cmdline'" >"$dir/cmdline"
start=$(date +%s)
timeout -k 10 "$timeout_s" "$qemu" "${args[@]}" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	>"$dir/qemu.log" 2>&1 </dev/null
rc=$?
echo "$(( $(date +%s) - start ))" >"$dir/seconds"
stop_responder

fail() {
	echo "lab: FAIL: $setup/$mode: $*" >&2
	echo "lab: ---- last 40 lines of $dir/console.log ----" >&2
	tail -n 40 "$dir/console.log" >&2
	echo "lab: ---- end of serial log ----" >&2
	exit 1
}

[ $rc -eq 124 ] || [ $rc -eq 137 ] && fail "guest hung: no power-off within ${timeout_s}s"
grep -q 'Kernel panic' "$dir/console.log" && fail "kernel panic"
[ $rc -eq 0 ] || fail "qemu exited with status $rc: $(tail -n 3 "$dir/qemu.log")"
[ -s "$dir/qemu.log" ] && fail "QEMU printed warnings: $(head -n 5 "$dir/qemu.log")"
grep -q '^LAB-DONE' "$dir/results.log" || fail "guest did not finish (no LAB-DONE)"
if grep -Eq "$SPLAT" "$dir/console.log"; then
	grep -En "$SPLAT" "$dir/console.log" | head -n 5 >&2
	fail "kernel report in the console log"
fi
# grep -c reads all of sed's output: "grep -q" may quit first, and the
# SIGPIPE of sed would then hide the leak under pipefail
if [ "$(sed -n '/^LAB-BEGIN kmemleak/,/^LAB-END kmemleak/p' "$dir/results.log" |
	grep -c 'unreferenced object')" != 0 ]; then
	fail "kmemleak reports leaks: see $dir/results.log"
fi
exit 0
