# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the guest's /init (lab/guest/init, lab/guest/bench-init), as
# /lab/lib.sh.  The set-up's and the run's settings (LAB_MODE, LAB_BENCH,
# DOE_KERNEL_CDATS, ...) come as NAME=VALUE on the kernel command line,
# which the kernel passes to /init as its environment.

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# The kselftest runner writes to /dev/stdout, which devtmpfs lacks
ln -sf /proc/self/fd/1 /dev/stdout
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/lab

# Reports to the host go to ttyS1 (the results log); the kernel has ttyS0
exec 3>/dev/ttyS1
say() { echo "$*" >&3; }

# CXL drivers probe asynchronously: wait until the CXL device list has
# been stable for 2 s (at most 60 s).
cxl_settle() {
	local last='' same=0 t=0 now
	while [ $same -lt 4 ] && [ $t -lt 120 ]; do
		now=$(ls /sys/bus/cxl/devices 2>/dev/null | tr '\n' ' ')
		if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
		last=$now
		t=$((t + 1))
		sleep 0.5
	done
}
