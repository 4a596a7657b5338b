#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh SRC LOG: run the KUnit suites of every .kunitconfig the series
# holds with the base tree's own kunit.py (x86_64 under QEMU/TCG), writing
# the full guest console to LOG.  Exit status of kunit.py.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 log=$2
cd "$LAB_TOP"
configs=$(find drivers include tools -name .kunitconfig 2>/dev/null | sort)
[ -n "$configs" ] || { echo "no .kunitconfig in the series" >"$log"; exit 0; }
rc=0
: >"$log"
for c in $configs; do
	dir=$BUILD/kunit/$(dirname "$c" | tr / _)
	mkdir -p "$dir"
	note "kunit.py run --kunitconfig=$c (build: $dir)"
	(cd "$src" && timeout -k 10 1800 python3 tools/testing/kunit/kunit.py run \
		--arch=x86_64 --kunitconfig="$c" --build_dir="$dir" --jobs=2 \
		--timeout=1200 --raw_output=all --make_options "CC=ccache gcc" \
		--make_options KBUILD_BUILD_TIMESTAMP=@0) >>"$log" 2>&1 || rc=$?
done
exit $rc
