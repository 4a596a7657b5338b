#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh KERNEL INITRD [SETUPS]: run every test of the lab and the series,
# print one PASS/FAIL line per test and "N passed, N failed" last.  Exit 1
# on any failure.  SETUPS ("cxl nvme"), from make check's command line
# only: the build and these QEMU set-ups, a partial run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

kernel=$1 initrd=$2 partial=${3:-}
setups=
mkdir -p "$LOGS"
: >"$LOGS/check-results.txt"

# run_test NAME CMD...: a test is a command; its output goes to a log, shown
# on failure.
run_test() {
	local name=$1 log
	shift
	log=$LOGS/test-${name//\//_}.log
	"$@" >"$log" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || sed 's/^/    /' "$log" | tail -n 60
	result "$name" $rc
}

finish() {
	[ $failed -eq 0 ] || echo "lab: failed: ${failures[*]}"
	# "make series" quotes the last full run's results in the cover letter
	[ -n "$partial" ] || {
		echo "$pass passed, $failed failed (make check)"
		awk '{ split($2, p, "/"); n[p[1] " " $1]++ }
		     END { for (k in n) print "  " k ": " n[k] }' "$LOGS/check-results.txt" | sort
	} >"$LOGS/check-summary.txt" 2>/dev/null
	echo "$pass passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}

untracked_now() {
	git -C "$LAB_TOP" status --porcelain --untracked-files=all | sed -n 's/^?? //p' | sort
}
new_untracked() {	# lists them, and fails if there are any
	! comm -13 "$LOGS/untracked-before" <(untracked_now) | grep .
}
untracked_now >"$LOGS/untracked-before" 2>/dev/null || : >"$LOGS/untracked-before"

# KUnit: the console of each run (lab/scripts/kunit.sh), read as kunit.py
# reads it.  A kernel report anywhere in the consoles fails the run.
kunit_results() {	# kunit_results LOG RC
	local log=$1 krc=$2
	if ! ktap_results kunit "$log" "${log%.log}"-[0-9]*.log; then
		tail -n 40 "$log" | sed 's/^/    /'
		result "kunit/run" 1 "no KUnit results (kunit.py exit $krc)"
	elif [ "$krc" != 0 ]; then
		# A suite that crashed after its cases passed, say
		result "kunit/run" 1 "kunit.py exit $krc"
	fi
	if grep -Eq "$SPLAT" "$log"; then
		grep -En "$SPLAT" "$log" | head -n 5 | sed 's/^/    /'
		result "kunit/kernel-reports" 1 "kernel report during the KUnit run"
	else
		result "kunit/kernel-reports" 0
	fi
}

# The lines of mutants.sh: each "PASS mutants/..." or "FAIL mutants/...: why"
# is a test; the indented lines under a failure are its context.
mutant_results() {	# mutant_results LOG RC
	local log=$1 mrc=$2 line name
	while IFS= read -r line; do
		case "$line" in
		"PASS mutants/"*)
			name=${line#PASS }
			result "${name%% *}" 0 ;;
		"FAIL mutants/"*)
			name=${line#FAIL }
			result "${name%%:*}" 1 "${line#*: }" ;;
		"    "*)
			echo "$line" ;;
		*" mutants caught"*)
			echo "lab: $line" ;;
		esac
	done <"$log"
	if [ "$mrc" != 0 ] && ! grep -q '^FAIL mutants/' "$log"; then
		tail -n 20 "$log" | sed 's/^/    /'
		result "mutants/run" 1 "mutants.sh exit $mrc without a failing test"
	fi
}

echo "lab: building (base, tree, config, kernel, initramfs)"
run_test "build" make -C "$LAB_TOP" initramfs
[ $failed -eq 0 ] || finish

# A partial run: the build and the set-ups named.  Otherwise every set-up
# but those that say check=no (make bench's, an experiment's).
if [ -z "$partial" ]; then
	for f in "$LAB_TOP"/lab/setups/*; do
		c=$(. "$f" && echo "${check:-yes}") ||
			{ result "setup/${f##*/}" 1 "lab/setups/${f##*/} does not source"; continue; }
		[ "$c" = no ] || setups+=" ${f##*/}"
	done

	echo "lab: host-side tests of the lab"
	for t in "$LAB_TOP"/lab/tests/host-*.sh; do
		run_test "lab/$(basename "$t" .sh)" "$t" "$kernel" "$initrd"
	done

	echo "lab: the patch series (make series) and its gates"
	run_test "series/format-patch" "$LAB_TOP/lab/scripts/series.sh"
	# Each gate stands alone (lab/gates/lib.sh): no order among them
	for g in "$LAB_TOP"/lab/gates/*.sh; do
		[ "$(basename "$g")" = lib.sh ] && continue
		run_test "series/$(basename "$g" .sh)" "$g"
	done

	echo "lab: KUnit (kunit.py, x86_64 under QEMU; log: $LOGS/kunit.log)"
	"$LAB_TOP/lab/scripts/kunit.sh" "$BUILD/src" "$LOGS/kunit.log"
	krc=$?
	kunit_results "$LOGS/kunit.log" $krc

	echo "lab: mutants of the series, each caught by the KUnit suite (lab/mutants; logs: $LOGS/mutants/)"
	mstart=$SECONDS
	"$LAB_TOP/lab/scripts/mutants.sh" >"$LOGS/mutants.log" 2>&1
	mutant_results "$LOGS/mutants.log" $?
	echo "lab: mutants took $((SECONDS - mstart)) s"
else
	setups=$partial
	echo "lab: a partial run: the set-ups $partial only"
fi

for setup in $setups; do
	echo "lab: booting the '$setup' set-up in check mode"
	sstart=$SECONDS
	run_test "boot/$setup" "$LAB_TOP/lab/scripts/qemu.sh" "$setup" check "$kernel" "$initrd"
	res=$LOGS/$setup-check/results.log
	if [ -f "$res" ]; then
		run_test "inventory/$setup" "$LAB_TOP/lab/tests/inventory.sh" "$setup" "$res"
		kselftest_results "$setup" "$res"
	fi
	echo "lab: the '$setup' set-up took $((SECONDS - sstart)) s" \
	     "(guest $(cat "$LOGS/$setup-check/seconds" 2>/dev/null || echo ?) s)"
done

expected_counts

# Every output of the run is ignored: no file became untracked during it.
run_test "lab/outputs-ignored" new_untracked

finish
