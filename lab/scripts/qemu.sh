#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu.sh SETUP MODE KERNEL INITRD [EXTRA_CMDLINE]
#
# Boot KERNEL with INITRD in one of the QEMU set-ups, under a timeout, with
# the kernel console on ttyS0 (console.log) and the guest's reports on ttyS1
# (results.log), both under $LOGS/SETUP-MODE/.
#
#   cxl     pxb-cxl, two cxl-rp root ports, a cxl-type3 under each, and a
#           fixed memory window; booted with pcie_ports=compat so that
#           cxl_pci binds and reads CDAT.
#   switch  the same plus a third cxl-rp with a cxl-upstream switch port,
#           two cxl-downstream ports and a cxl-type3 under each; booted
#           without compat so that the PCIe port driver binds the switch.
#   cxl8    like cxl, with eight root ports and type-3 devices (make bench)
#   native  QEMU 10 (lab/scripts/qemu10.sh): like switch, with one type-3
#           below the switch (on the first downstream port), booted without
#           compat: cxl_pci binds and reads CDAT, and so does cxl_port for
#           the switch upstream port, with native PCIe port services.
#   nvme    QEMU 10: q35 with one nvme (a 64 MiB raw drive) behind a PCIe
#           root port, its DOE's CMA/SPDM forwarded (spdm_port=) to the
#           lab's stub SPDM responder, lab/spdm/responder.py.  The
#           responder starts first, on a free port the kernel picks
#           (written to spdm.port), logs to spdm.log, and is stopped when
#           this script exits, whatever QEMU did.
#
# cxl, switch and cxl8 run the system's QEMU 7.2.  Whatever QEMU prints
# (qemu.log) fails the boot: QEMU 10 must not probe the system's 7.2
# modules (qemu10.sh's qemu-bundle link).
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
dir=$LOGS/$setup-$mode
rm -rf "$dir"
mkdir -p "$dir"

# QEMU 10 calls the persistent memory property persistent-memdev
# (memdev is its legacy alias), which 7.2 lacks
# QEMU 10 runs both vCPUs in one thread (thread=single): with a thread
# per vCPU it aborts now and then in "iotlb_to_section: Assertion
# `section_index < d->map.sections_nb' failed" (reported upstream with
# TCG and -smp 2 or more: QEMU gitlab issue 1921), seen here once in
# native during doe_pm_test's resets, which remap BARs while the other
# vCPU does MMIO.  7.2 never did here.
qemu=qemu-system-x86_64 memdev=memdev tcg=tcg
case "$setup" in
native|nvme)
	qemu=$("$LAB_TOP/lab/scripts/qemu10.sh") || die "no QEMU 10 (lab/scripts/qemu10.sh)"
	memdev=persistent-memdev
	tcg=tcg,thread=single
	;;
esac

type3() {	# type3 ID BUS
	echo "-object memory-backend-ram,id=cxl-mem$1,size=256M"
	echo "-object memory-backend-ram,id=cxl-lsa$1,size=1M"
	echo "-device cxl-type3,bus=$2,$memdev=cxl-mem$1,lsa=cxl-lsa$1,id=cxl-pmem$1"
}

# The stub SPDM responder of the nvme set-up, stopped however this ends
resp_pid=
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

machine=(-accel "$tcg" -smp 2 -m 1G,maxmem=4G,slots=8
	 -display none -monitor none -no-reboot
	 -serial "file:$dir/console.log" -serial "file:$dir/results.log")
if [ "$setup" = nvme ]; then
	args=(-M q35 "${machine[@]}")
else
	args=(-M q35,cxl=on "${machine[@]}"
	      -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1
	      -device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=0
	      -device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=1)
	# shellcheck disable=SC2207
	args+=($(type3 0 rp0) $(type3 1 rp1))
fi
# Under TCG a busy host can starve a vCPU for tens of seconds; a real
# stall still ends in the guest timeout.
cmdline="console=ttyS0 panic=-1 rcupdate.rcu_cpu_stall_timeout=120 LAB_MODE=$mode"
case "$setup" in
cxl)
	cmdline+=" pcie_ports=compat DOE_KERNEL_CDATS=2 DOE_RPM_PORTS=0"
	;;
switch)
	# Interrupt remapping, for the multi-message MSI of the switch port
	args=(-device intel-iommu,intremap=on,eim=off "${args[@]}")
	args+=(-device cxl-rp,port=2,bus=cxl.1,id=rp2,chassis=0,slot=2
	       -device cxl-upstream,bus=rp2,id=us0
	       -device cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4
	       -device cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5)
	# shellcheck disable=SC2207
	args+=($(type3 2 swport0) $(type3 3 swport1))
	# cxl_pci cannot bind on QEMU 7.2 without compat: no CDAT is read.
	# Ports may runtime-suspend (QEMU's SeaBIOS says 2014): the upstream
	# port's DOE Capability wakes it (doe_pm_test).
	cmdline+=" DOE_KERNEL_CDATS=0 pcie_port_pm=force DOE_RPM_PORTS=1"
	;;
cxl8)
	# Eight type-3 devices, for make bench: six more root ports
	cmdline+=" pcie_ports=compat"
	for i in 2 3 4 5 6 7; do
		args+=(-device "cxl-rp,port=$i,bus=cxl.1,id=rp$i,chassis=0,slot=$i")
		# shellcheck disable=SC2207
		args+=($(type3 "$i" "rp$i"))
	done
	;;
native)
	args=(-device intel-iommu,intremap=on,eim=off "${args[@]}")
	args+=(-device cxl-rp,port=2,bus=cxl.1,id=rp2,chassis=0,slot=2
	       -device cxl-upstream,bus=rp2,id=us0
	       -device cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4
	       -device cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5)
	# shellcheck disable=SC2207
	args+=($(type3 2 swport0))
	# On QEMU 10 cxl_pci binds with native ports: the kernel reads the
	# CDAT of the three type-3 devices and of the switch upstream port,
	# whose DOE Capability wakes it from runtime suspend (doe_pm_test).
	cmdline+=" DOE_KERNEL_CDATS=4 pcie_port_pm=force DOE_RPM_PORTS=1"
	;;
nvme)
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
	truncate -s 64M "$dir/nvme.raw"
	args+=(-device pcie-root-port,bus=pcie.0,id=nrp0,chassis=8,slot=8
	       -drive "file=$dir/nvme.raw,if=none,id=nvm0,format=raw"
	       -device "nvme,bus=nrp0,serial=lab-doe-0,drive=nvm0,spdm_port=$(cat "$dir/spdm.port")")
	# No CDAT and no PCIe port with DOE; one NVMe function whose DOE
	# Capability the kernel drives (doe_nvme_test)
	cmdline+=" DOE_KERNEL_CDATS=0 DOE_RPM_PORTS=0 DOE_NVME=1"
	;;
*)
	die "unknown set-up '$setup' (cxl, switch, cxl8, native or nvme)"
	;;
esac
[ "$setup" = nvme ] || args+=(-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G)
# QEMU_TRACE=FILE logs every config access (make bench counts them)
[ -n "${QEMU_TRACE:-}" ] && args+=(-trace 'pci_cfg_*' -D "$QEMU_TRACE")

echo "$qemu ${args[*]} -kernel $kernel -initrd $initrd -append '$cmdline $extra'" >"$dir/cmdline"
start=$(date +%s)
timeout -k 10 "$timeout_s" "$qemu" "${args[@]}" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline $extra" \
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
