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
	# "make series" quotes this run's results in the cover letter
	{
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

# KUnit: kunit.py parse's JSON of each run (lab/scripts/kunit.sh) gives the
# results; a parameterised case is one test, failed if any of its params
# failed.  A kernel report anywhere in the consoles fails the run.
kunit_results() {	# kunit_results LOG RC
	local log=$1 krc=$2 n=0 name status
	while read -r name status; do
		n=$((n + 1))
		case "$status" in
		PASS) result "kunit/$name" 0 ;;
		SKIP) result "kunit/$name" 1 "skipped" ;;
		*) grep -B30 -E " ${name##*/}( |$)" "$log" | grep -v '^\[' |
			   sed 's/^/    /' | tail -n 30
		   result "kunit/$name" 1 "$status" ;;
		esac
	done < <(python3 - "${log%.log}"-[0-9]*.json <<'PY'
import json, sys
for path in sys.argv[1:]:
    try:
        top = json.load(open(path))
    except (OSError, ValueError):
        continue
    for suite in top.get("sub_groups", []):
        for case in suite.get("test_cases", []):
            print(f"{suite['name']}/{case['name']} {case['status']}")
        for case in suite.get("sub_groups", []):
            bad = [p["status"] for p in case.get("test_cases", [])
                   if p["status"] != "PASS"]
            print(f"{suite['name']}/{case['name']} {bad[0] if bad else 'PASS'}")
PY
)
	if [ $n -eq 0 ]; then
		tail -n 40 "$log" | sed 's/^/    /'
		result "kunit/run" 1 "no KUnit results (kunit.py exit $krc)"
	elif grep -Eq "$SPLAT" "$log"; then
		grep -En "$SPLAT" "$log" | head -n 5 | sed 's/^/    /'
		result "kunit/kernel-reports" 1 "kernel report during the KUnit run"
	else
		result "kunit/kernel-reports" 0
	fi
}

# Every suite gives as many results as lab/expected-tests lists for it: a
# test that disappears, a suite that gives nothing and a suite the file
# does not know all fail, each with a line naming the suite and both
# numbers.  A suite is kunit/SUITE (its cases) or kselftest/SETUP/PROGRAM.
expected_counts() {
	local file=$LAB_TOP/lab/expected-tests suite want got bad=0
	local -A exp=() got_n=()

	while read -r suite want; do
		exp[$suite]=$want
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$file")
	# "PASS NAME" or "FAIL NAME: DETAIL"; kunit/run, kunit/kernel-reports
	# and a kselftest program's own failure are no cases
	while read -r suite; do
		got_n[$suite]=$((${got_n[$suite]:-0} + 1))
	done < <(awk '{ n = $2; sub(/:$/, "", n); print n }' "$LOGS/check-results.txt" |
		 sed -nE -e 's@^(kunit/[^/]+)/[^/]+$@\1@p' \
			 -e 's@^(kselftest/[^/]+/[^/]+)/[^/]+$@\1@p')
	for suite in $(printf '%s\n' "${!exp[@]}" "${!got_n[@]}" | sort -u); do
		want=${exp[$suite]:-} got=${got_n[$suite]:-0}
		if [ -z "$want" ]; then
			result "expected-tests/$suite" 1 "not in lab/expected-tests, $got results"
			bad=1
		elif [ "$got" != "$want" ]; then
			result "expected-tests/$suite" 1 "expected $want results, got $got"
			bad=1
		fi
	done
	[ $bad -eq 1 ] || result "lab/expected-tests" 0
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

# Every set-up of lab/setups with an expected inventory
setups=
for f in "$LAB_TOP"/lab/setups/*; do
	(. "$f" && declare -F inventory >/dev/null) && setups+=" ${f##*/}"
done
for setup in $setups; do
	echo "lab: booting the '$setup' set-up in check mode"
	sstart=$SECONDS
	run_test "boot/$setup" "$LAB_TOP/lab/scripts/qemu.sh" "$setup" check "$kernel" "$initrd"
	res=$LOGS/$setup-check/results.log
	if [ -f "$res" ]; then
		run_test "inventory/$setup" "$LAB_TOP/lab/tests/inventory.sh" "$setup" "$res"
		tap_results "$setup" "$res"
	fi
	echo "lab: the '$setup' set-up took $((SECONDS - sstart)) s" \
	     "(guest $(cat "$LOGS/$setup-check/seconds" 2>/dev/null || echo ?) s)"
done

expected_counts

# Every output of the run is ignored: no file became untracked during it.
run_test "lab/outputs-ignored" new_untracked

finish
