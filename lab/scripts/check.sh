#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh KERNEL INITRD: run every test of the lab and the series, print one
# PASS/FAIL line per test and "N passed, N failed" last.  Exit 1 on any
# failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kernel=$1 initrd=$2
pass=0 failed=0
failures=()
mkdir -p "$LOGS"
: >"$LOGS/check-results.txt"

result() {	# result NAME OK [DETAIL]
	if [ "$2" = 0 ]; then
		echo "PASS $1" | tee -a "$LOGS/check-results.txt"
		pass=$((pass + 1))
	else
		echo "FAIL $1${3:+: $3}" | tee -a "$LOGS/check-results.txt"
		failed=$((failed + 1))
		failures+=("$1")
	fi
}

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

# TAP from the guest: every "ok"/"not ok" line is a test; "# SKIP" fails.
tap_results() {	# tap_results SETUP RESULTS_LOG
	local setup=$1 res=$2 test line name clean
	clean=$(tr -d '\r' <"$res")
	for test in $(echo "$clean" | sed -n 's/^LAB-BEGIN test //p'); do
		local block rc n=0
		block=$(echo "$clean" | sed -n "/^LAB-BEGIN test $test\$/,/^LAB-END test $test /p")
		rc=$(echo "$block" | sed -n 's/^LAB-END test .* rc=//p')
		while read -r line; do
			case "$line" in
			"ok "*"# SKIP"*)
				name=$(echo "$line" | sed -E 's/^ok [0-9]+ ([^#]*).*/\1/')
				result "kselftest/$setup/$test/${name% }" 1 "skipped"
				n=$((n + 1)) ;;
			"ok "*)
				name=$(echo "$line" | sed -E 's/^ok [0-9]+ ([^#]*).*/\1/')
				result "kselftest/$setup/$test/${name% }" 0
				n=$((n + 1)) ;;
			"not ok "*)
				name=$(echo "$line" | sed -E 's/^not ok [0-9]+ ([^#]*).*/\1/')
				echo "$block" | sed 's/^/    /' | tail -n 40
				result "kselftest/$setup/$test/${name% }" 1
				n=$((n + 1)) ;;
			esac
		done < <(echo "$block")
		if [ "$rc" != 0 ] && [ $n -eq 0 ] || [ -z "$rc" ]; then
			echo "$block" | sed 's/^/    /' | tail -n 40
			result "kselftest/$setup/$test" 1 "exit status '${rc:-none}' without TAP results"
		fi
	done
}

finish() {
	[ $failed -eq 0 ] || echo "lab: failed: ${failures[*]}"
	# The cover letter of the series quotes this run's results
	{
		echo "$pass passed, $failed failed (make check)"
		awk '{ split($2, p, "/"); n[p[1] " " $1]++ }
		     END { for (k in n) print "  " k ": " n[k] }' "$LOGS/check-results.txt" | sort
	} >"$LOGS/check-summary.txt" 2>/dev/null
	[ -d "$BUILD/series/repo" ] &&
		"$LAB_TOP/lab/scripts/series.sh" --cover-only >/dev/null 2>&1
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

# KTAP from kunit.py's raw output: each subtest of a suite is a test; a
# kernel report anywhere in the log fails the run.
kunit_results() {	# kunit_results LOG RC
	local log=$1 krc=$2 suite="" line name n=0
	while IFS= read -r line; do
		case "$line" in
		*"# Subtest: "*)
			suite=${line##*# Subtest: } ;;
		"    ok "*|"    not ok "*)
			name=$(echo "$line" | sed -E 's/^ +(not )?ok [0-9]+ ([^ #]+).*/\2/')
			n=$((n + 1))
			case "$line" in
			*"# SKIP"*) result "kunit/$suite/$name" 1 "skipped" ;;
			"    ok "*) result "kunit/$suite/$name" 0 ;;
			*) grep -B30 -F "$line" "$log" | sed 's/^/    /' | tail -n 30
			   result "kunit/$suite/$name" 1 ;;
			esac ;;
		esac
	done < <(sed 's/^\[[ 0-9.]*\] //' "$log" | tr -d '\r')
	if [ -f "$LAB_TOP/drivers/pci/.kunitconfig" ] && [ $n -eq 0 ]; then
		tail -n 40 "$log" | sed 's/^/    /'
		result "kunit/run" 1 "no KUnit results (kunit.py exit $krc)"
	elif grep -Eq "$SPLAT" "$log"; then
		grep -En "$SPLAT" "$log" | head -n 5 | sed 's/^/    /'
		result "kunit/kernel-reports" 1 "kernel report during the KUnit run"
	elif [ $n -gt 0 ]; then
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

echo "lab: host-side tests of the lab"
for t in "$LAB_TOP"/lab/tests/host-*.sh; do
	run_test "lab/$(basename "$t" .sh)" "$t" "$kernel" "$initrd"
done

echo "lab: the patch series (make series) and its gates"
run_test "series/format-patch" "$LAB_TOP/lab/scripts/series.sh"
for g in am bisect checkpatch sparse w1 htmldocs coccicheck; do
	run_test "series/$g" "$LAB_TOP/lab/scripts/gates.sh" "$g"
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

for setup in cxl switch; do
	echo "lab: booting the '$setup' set-up in check mode"
	run_test "boot/$setup" "$LAB_TOP/lab/scripts/qemu.sh" "$setup" check "$kernel" "$initrd"
	res=$LOGS/$setup-check/results.log
	[ -f "$res" ] || continue
	run_test "inventory/$setup" "$LAB_TOP/lab/tests/inventory.sh" "$setup" "$res"
	tap_results "$setup" "$res"
done

# Every output of the run is ignored: no file became untracked during it.
run_test "lab/outputs-ignored" new_untracked

finish
