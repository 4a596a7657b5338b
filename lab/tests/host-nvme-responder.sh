#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The nvme set-up's SPDM responder listens before QEMU starts, on a port
# written to spdm.port, and is gone once qemu.sh returns: when QEMU fails
# at once (no such kernel) and when the guest hangs past the timeout.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
logs=${BUILD:-$here/build}/logs
err=0

check() {	# check MODE WHAT: the responder of the nvme-MODE run is gone
	local dir=$logs/nvme-$1 pid port
	pid=$(cat "$dir/spdm.pid" 2>/dev/null)
	port=$(cat "$dir/spdm.port" 2>/dev/null)
	if [ -z "$pid" ] || [ -z "$port" ]; then
		echo "$2: no responder was started (spdm.pid '$pid', spdm.port '$port')"
		err=1
		return
	fi
	if kill -0 "$pid" 2>/dev/null; then
		echo "$2: the responder (pid $pid) still runs"
		kill "$pid"
		err=1
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "$2: something still listens on port $port"
		err=1
	fi
	grep -q "listening on 127.0.0.1:$port" "$dir/spdm.log" ||
		{ echo "$2: spdm.log does not show the responder on port $port"; err=1; }
	echo "$2: the responder on port $port (pid $pid) is gone"
}

# QEMU exits at once: the kernel does not exist
out=$("$here/lab/scripts/qemu.sh" nvme panic /nonexistent/bzImage "$2" 2>&1)
rc=$?
echo "$out" | grep 'lab: FAIL' | head -n 2
[ $rc -ne 0 ] || { echo "a QEMU that could not start passed"; err=1; }
check panic "QEMU failed"

# The guest hangs: killed by the timeout
out=$(LAB_TIMEOUT=${LAB_HANG_TIMEOUT:-20} "$here/lab/scripts/qemu.sh" nvme hang "$1" "$2" 2>&1)
rc=$?
echo "$out" | grep 'lab: FAIL' | head -n 2
[ $rc -ne 0 ] || { echo "a hung guest passed"; err=1; }
check hang "guest hung"
exit $err
