#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh SRC LOG: the KUnit runs of lab/kunit-runs with the base tree's
# own kunit.py (x86_64 under QEMU/TCG), writing the full guest console of
# each to LOG.  Exit status: 0, or that of the last kunit.py that failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 log=$2
cd "$LAB_TOP"
runs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' lab/kunit-runs)
[ -n "$runs" ] || { echo "no KUnit runs in lab/kunit-runs" >"$log"; exit 0; }
rc=0
: >"$log"
built=" "
while read -r c glob args; do
	dir=$BUILD/kunit/$(dirname "$c" | tr / _)
	mkdir -p "$dir"
	cmd=run
	case "$built" in *" $c "*) cmd=exec ;; esac
	built+="$c "
	note "kunit.py $cmd --kunitconfig=$c $glob ${args:+(kernel: $args)} (build: $dir)"
	opts=(--arch=x86_64 --kunitconfig="$c" --build_dir="$dir" --timeout=1200
	      --raw_output=all)
	for a in $args; do opts+=(--kernel_args "$a"); done
	[ $cmd = run ] && opts+=(--jobs=2 --make_options "CC=ccache gcc"
				 --make_options KBUILD_BUILD_TIMESTAMP=@0)
	(cd "$src" && timeout -k 10 1800 python3 tools/testing/kunit/kunit.py \
		$cmd "${opts[@]}" "$glob.*") >>"$log" 2>&1 || rc=$?
done <<<"$runs"
exit $rc
