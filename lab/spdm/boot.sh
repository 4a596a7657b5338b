#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh SETUP [KERNEL]: the QEMU 10 experiments of lab/spdm/NOTES.md.
# Scaffolding for issue 14, not part of "make check", which boots the
# native and nvme set-ups of lab/scripts/qemu.sh instead.
#
#   native   QEMU 10: the "switch" set-up of qemu.sh (two type-3 on root
#            ports, a cxl-upstream with two cxl-downstream and a type-3
#            below the first one, intel-iommu intremap=on), native PCIe
#            ports (no pcie_ports=compat)
#   nvme     QEMU 10: q35, one nvme behind a root port, its DOE forwarded
#            to lab/spdm/responder.py (spdm_port), which starts first
#   switch72 QEMU 7.2 (the system's): qemu.sh's "switch" set-up plus one
#            nvme behind a root port (no SPDM in 7.2), for its reset methods
#
# QEMU_TRACE=FILE logs QEMU's config writes (pci_cfg_write) in FILE.
# KERNEL defaults to the test kernel (build/obj/test).  The guest runs
# lab/spdm/guest-init from an initramfs made of the lab's (build/initramfs.d,
# from "make initramfs") plus doe-spdm.  Logs: build/logs/q10-SETUP/
# (console.log, results.log, qemu.log, cmdline, spdm.log).
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

setup=${1:?usage: boot.sh native|nvme|switch72 [KERNEL]}
kernel=${2:-$BUILD/obj/test/arch/x86/boot/bzImage}
dir=$LOGS/q10-$setup
work=$BUILD/spdm
sel=$BUILD/src/tools/testing/selftests/pci/doe
[ -f "$kernel" ] || die "no kernel $kernel (make initramfs first)"
[ -d "$BUILD/initramfs.d" ] || die "no $BUILD/initramfs.d (make initramfs first)"
rm -rf "$dir"
mkdir -p "$dir" "$work"

# The initramfs: the lab's, with this /init and doe-spdm
rm -rf "$work/initramfs.d"
cp -a "$BUILD/initramfs.d" "$work/initramfs.d"
cp "$LAB_TOP/lab/spdm/guest-init" "$work/initramfs.d/init"
gcc -O2 -Wall -Wextra -Werror -static -isystem "$BUILD/obj/test/usr/include" -I"$sel" \
	-o "$work/initramfs.d/lab/doe-spdm" "$LAB_TOP/lab/spdm/doe-spdm.c" "$sel/doe_cfg.c" ||
	die "cannot build doe-spdm"
(cd "$work/initramfs.d" && find . -print0 | sort -z | cpio -o -H newc -0 --quiet) >"$work/initramfs.cpio"

case "$setup" in
switch72) qemu=qemu-system-x86_64 ;;
*) qemu=$("$LAB_TOP/lab/scripts/qemu10.sh") || die "no QEMU 10" ;;
esac

args=(-accel tcg -smp 2 -m 1G,maxmem=4G,slots=8 -display none -monitor none -no-reboot
      -serial "file:$dir/console.log" -serial "file:$dir/results.log")
cmdline="console=ttyS0 panic=-1 rcupdate.rcu_cpu_stall_timeout=120"
cmdline+=' dyndbg="file drivers/pci/doe.c +p; file drivers/cxl/core/pci.c +p"'

type3() {	# type3 ID BUS MEMDEV-PROPERTY
	echo "-object memory-backend-ram,id=cxl-mem$1,size=256M"
	echo "-object memory-backend-ram,id=cxl-lsa$1,size=1M"
	echo "-device cxl-type3,bus=$2,$3=cxl-mem$1,lsa=cxl-lsa$1,id=cxl-pmem$1"
}
cxl_switch() {	# cxl_switch MEMDEV-PROPERTY WITH-SECOND-TYPE3
	echo "-device intel-iommu,intremap=on,eim=off"
	echo "-M q35,cxl=on"
	echo "-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1"
	echo "-device cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=0"
	echo "-device cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=1"
	type3 0 rp0 "$1"
	type3 1 rp1 "$1"
	echo "-device cxl-rp,port=2,bus=cxl.1,id=rp2,chassis=0,slot=2"
	echo "-device cxl-upstream,bus=rp2,id=us0"
	echo "-device cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4"
	echo "-device cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5"
	type3 2 swport0 "$1"
	[ "$2" = yes ] && type3 3 swport1 "$1"
	echo "-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"
}
nvme() {	# nvme EXTRA-PROPERTIES
	truncate -s 64M "$work/nvme.raw"
	echo "-device pcie-root-port,bus=pcie.0,id=nrp0,chassis=8,slot=8"
	echo "-drive file=$work/nvme.raw,if=none,id=nvm0,format=raw"
	echo "-device nvme,bus=nrp0,serial=lab-doe-0,drive=nvm0$1"
}

resp_pid=
case "$setup" in
native)
	# shellcheck disable=SC2207
	args+=($(cxl_switch persistent-memdev no))
	;;
nvme)
	rm -f "$dir/spdm.port"
	python3 "$LAB_TOP/lab/spdm/responder.py" --port 0 --port-file "$dir/spdm.port" \
		--log "$dir/spdm.log" >/dev/null 2>&1 &
	resp_pid=$!
	for _ in $(seq 50); do [ -s "$dir/spdm.port" ] && break; sleep 0.1; done
	[ -s "$dir/spdm.port" ] || die "the SPDM responder did not start"
	# shellcheck disable=SC2207
	args+=(-M q35 $(nvme ",spdm_port=$(cat "$dir/spdm.port")"))
	;;
switch72)
	# shellcheck disable=SC2207
	args+=($(cxl_switch memdev yes) $(nvme ""))
	;;
*)
	die "unknown set-up '$setup'"
	;;
esac

# QEMU_TRACE=FILE: QEMU's config write trace (pci_cfg_write) in FILE
[ -n "${QEMU_TRACE:-}" ] && args+=(-trace pci_cfg_write -D "$QEMU_TRACE")
echo "$qemu ${args[*]} -kernel $kernel -initrd $work/initramfs.cpio -append '$cmdline'" >"$dir/cmdline"
note "booting '$setup' on $("$qemu" --version | head -n1) (logs in $dir)"
start=$(date +%s)
timeout -k 10 "${LAB_TIMEOUT:-900}" "$qemu" "${args[@]}" -kernel "$kernel" \
	-initrd "$work/initramfs.cpio" -append "$cmdline" >"$dir/qemu.log" 2>&1 </dev/null
rc=$?
echo "$(( $(date +%s) - start ))" >"$dir/seconds"
[ -n "$resp_pid" ] && kill "$resp_pid" 2>/dev/null
note "qemu rc=$rc after $(cat "$dir/seconds")s; LAB-DONE: $(grep -c '^LAB-DONE' "$dir/results.log")"
[ -s "$dir/qemu.log" ] && { note "qemu.log:"; cat "$dir/qemu.log" >&2; }
if grep -Eq "$SPLAT" "$dir/console.log"; then
	note "kernel reports in console.log:"
	grep -En "$SPLAT" "$dir/console.log" | head -n 10 >&2
fi
exit "$rc"
