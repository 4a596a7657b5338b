#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mutants.sh: break the series on purpose, every way lab/mutants lists, and
# check that the KUnit suite catches each.
#
# One mutant kernel holds every mutant, each behind the test-only selector
# pci_doe.mutant=N, in an instrumented copy of the series tree
# ($BUILD/mutants/src: hard links to $BUILD/src, except the instrumented
# files, which lab/scripts/mutants.py writes).  Its build ($BUILD/mutants/
# kunit) is incremental and separate from the real KUnit build, which seeds
# it.  It boots once with pci_doe.mutant=0 (the baseline: every case the
# mutants use must pass) and then once per mutant, running only that
# mutant's cases.  A mutant is caught when one of its cases fails, or the
# kernel reports (KASAN, lockdep, WARN), crashes or hangs.
#
# Prints one line per test: "PASS mutants/NAME" or "FAIL mutants/NAME: why"
# (the list, the build, the baselines, each mutant), then
# "N of M mutants caught".  Exit status 0 only if every mutant was caught.
# Logs: $LOGS/mutants/.  MUTANT_TIMEOUT (seconds, default 150) bounds each
# mutant's boot unless lab/mutants sets its own "timeout".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

list=$LAB_TOP/lab/mutants
tool=$LAB_TOP/lab/scripts/mutants.py
src=$BUILD/src
mut=$BUILD/mutants
msrc=$mut/src
mobj=$mut/kunit
kobj=$BUILD/kunit/drivers_pci	# the real KUnit build (lab/scripts/kunit.sh)
out=$LOGS/mutants
kunitconfig=drivers/pci/.kunitconfig
timeout_default=${MUTANT_TIMEOUT:-150}
# mutants.py reads each boot with kunit.py's parser, as kunit.py does
export SPLAT KUNIT_DIR=$src/tools/testing/kunit

mkdir -p "$out" "$mut"
rm -f "$out"/*.log "$out"/*.report "$out"/results.txt
expected=$(sed -n 's/^mutants \([0-9]*\)$/\1/p' "$list" 2>/dev/null)
caught=0
t_start=$SECONDS

summary() {	# summary [WHY]
	echo "$caught of ${expected:-?} mutants caught${1:+ ($1)}"
	note "mutants: took $((SECONDS - t_start)) s (tree and build $t_build s, baseline $t_base s, mutants $t_mut s)"
}
t_build=0 t_base=0 t_mut=0

fail_early() {	# fail_early TEST WHY [LOG]: the run cannot go on
	echo "FAIL mutants/$1: $2"
	[ -n "${3:-}" ] && tail -n 40 "$3" | sed 's/^/    /'
	summary "$2"
	exit 1
}

# The list: every FROM once in the series tree, the count, the cases
if ! msg=$(python3 "$tool" check "$list" "$src" 2>&1); then
	echo "$msg" | sed 's/^/    /'
	fail_early list "lab/mutants does not match the series tree"
fi
echo "PASS mutants/list"

# The instrumented tree: hard links to the series tree, except the files
# mutants.py instruments; unchanged instrumented files keep their mtime.
t=$SECONDS
rm -rf "$msrc.new" "$msrc.old"
cp -al "$src" "$msrc.new" || fail_early tree "cannot link $src to $msrc.new"
python3 "$tool" gen "$list" "$src" "$mut/gen" >"$mut/gen.list" ||
	fail_early tree "mutants.py gen failed"
while read -r f; do
	# Never write through a hard link into the series tree
	rm -f "$msrc.new/$f"
	cp -p "$mut/gen/$f" "$msrc.new/$f"
done <"$mut/gen.list"
[ -d "$msrc" ] && mv "$msrc" "$msrc.old"
mv "$msrc.new" "$msrc"
rm -rf "$msrc.old"

# Seed the mutant build from the real KUnit build when that is newer: its
# objects are good for every file but the instrumented ones.  Kbuild keeps
# the source tree's absolute path in each command line it saved; moved to
# the instrumented tree, they match again and nothing else recompiles.
if [ -f "$kobj/vmlinux" ] && [ "$kobj/vmlinux" -nt "$mobj/vmlinux" ]; then
	note "mutants: seeding $mobj from $kobj"
	rm -rf "$mobj.tmp"
	cp -a "$kobj" "$mobj.tmp" || fail_early build "cannot copy $kobj"
	grep -rlZF "$src" "$mobj.tmp" --include='.*.cmd' --include='*.d' --include=Makefile |
		xargs -0 -r sed -i "s#$src\([^A-Za-z0-9_.-]\|\$\)#$msrc\1#g"
	ln -sfn "$msrc" "$mobj.tmp/source"
	while read -r f; do
		rm -f "$mobj.tmp/${f%.c}.o" "$mobj.tmp/$(dirname "$f")/.$(basename "${f%.c}").o.cmd"
	done <"$mut/gen.list"
	rm -rf "$mobj"
	mv "$mobj.tmp" "$mobj"
fi

note "mutants: building the mutant kernel in $mobj (log: $out/build.log)"
(cd "$msrc" && python3 tools/testing/kunit/kunit.py build --arch=x86_64 \
	--kunitconfig="$kunitconfig" --build_dir="$mobj" "${KUNIT_MAKE[@]}") \
	>"$out/build.log" 2>&1 || fail_early build "the mutant kernel does not build" "$out/build.log"
echo "PASS mutants/build"
t_build=$((SECONDS - t))

python3 "$tool" plan "$list" "$src" >"$out/plan.tsv" || fail_early list "mutants.py plan failed"

# boot LOG N SUITE.GLOB TIMEOUT [KERNEL-ARG...]
boot() {
	local log=$1 n=$2 glob=$3 to=$4 a
	shift 4
	local opts=(--arch=x86_64 --kunitconfig="$kunitconfig" --build_dir="$mobj"
		    --timeout="$to" --raw_output=all --kernel_args "pci_doe.mutant=$n")
	for a in "$@"; do opts+=(--kernel_args "$a"); done
	(cd "$msrc" && timeout -k 10 $((to + 60)) python3 tools/testing/kunit/kunit.py \
		exec "${opts[@]}" "$glob") >"$log" 2>&1
}

t=$SECONDS
base_ok=1
while IFS='|' read -r name n glob args to cases extra; do
	[ "$n" = 0 ] || continue
	log=$out/${name//\//_}.log
	note "mutants: $name: $glob ${args:+(kernel: $args)}"
	# shellcheck disable=SC2086 # args and cases are word lists
	boot "$log" 0 "$glob" 900 $args
	# shellcheck disable=SC2086
	v=$(python3 "$tool" verdict "$log" 0 "${glob%%.*}" $cases)
	if [ "${v%% *}" = caught ]; then
		echo "PASS mutants/$name"
	else
		echo "FAIL mutants/$name: ${v#* }"
		grep -En "$SPLAT|not ok" "$log" | head -n 20 | sed 's/^/    /'
		base_ok=0
	fi
done <"$out/plan.tsv"
t_base=$((SECONDS - t))
[ $base_ok = 1 ] || { summary "the baseline failed: a mutant caught there means nothing"; exit 1; }

t=$SECONDS
total=0
while IFS='|' read -r name n glob args to cases extra; do
	[ "$n" = 0 ] && continue
	total=$((total + 1))
	log=$out/$name.log
	t1=$SECONDS
	# shellcheck disable=SC2086
	boot "$log" "$n" "$glob" "${to:-$timeout_default}" $args
	# shellcheck disable=SC2086
	v=$(python3 "$tool" verdict "$log" "$n" "${glob%%.*}" $cases)
	printf '%s\t%s\t%s\t%s s\n' "$name" "$glob" "${v#* }" $((SECONDS - t1)) >>"$out/results.txt"
	case "$v" in
	caught*)
		caught=$((caught + 1))
		echo "PASS mutants/$name (${v#caught })"
		case "$v" in *"kernel report"*)
			python3 "$tool" report "$log" >"$out/$name.report" ;;
		esac ;;
	missed*)
		echo "FAIL mutants/$name: not caught: ${v#missed }" ;;
	*)
		echo "FAIL mutants/$name: ${v#invalid }"
		tail -n 20 "$log" | sed 's/^/    /' ;;
	esac
done <"$out/plan.tsv"
t_mut=$((SECONDS - t))

[ "$total" = "$expected" ] || { summary "ran $total mutants, lab/mutants says $expected"; exit 1; }
summary
[ "$caught" = "$expected" ]
