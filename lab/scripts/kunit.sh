#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh SRC LOG: the KUnit runs of lab/kunit-runs with the base tree's
# own kunit.py (x86_64 under QEMU/TCG).  Run N writes the guest console to
# LOG-N.log (LOG without its .log), which check.sh reads with kunit.py's
# parser; LOG gets every console, for the kernel report scan.  Exit
# status: 0, or that of the last kunit.py that failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 log=$2
cd "$LAB_TOP"
runs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' lab/kunit-runs)
[ -n "$runs" ] || { echo "no KUnit runs in lab/kunit-runs" >"$log"; exit 0; }
rc=0
: >"$log"
rm -f "${log%.log}"-[0-9]*.log
built=" "
n=0
while read -r c glob args; do
	n=$((n + 1))
	run_log=${log%.log}-$n.log
	dir=$BUILD/kunit/$(dirname "$c" | tr / _)
	mkdir -p "$dir"
	cmd=run
	case "$built" in *" $c "*) cmd=exec ;; esac
	built+="$c "
	note "kunit.py $cmd --kunitconfig=$c $glob ${args:+(kernel: $args)} (build: $dir)"
	opts=(--arch=x86_64 --kunitconfig="$c" --build_dir="$dir" --timeout=1200
	      --raw_output=all)
	for a in $args; do opts+=(--kernel_args "$a"); done
	[ $cmd = run ] && opts+=("${KUNIT_MAKE[@]}")
	(cd "$src" && timeout -k 10 1800 python3 tools/testing/kunit/kunit.py \
		$cmd "${opts[@]}" "$glob.*") >"$run_log" 2>&1 || rc=$?
	cat "$run_log" >>"$log"
done <<<"$runs"
exit $rc
