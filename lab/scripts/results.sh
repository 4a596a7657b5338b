# SPDX-License-Identifier: GPL-2.0
# The results of make check (lab/scripts/check.sh), one PASS or FAIL line
# each in $LOGS/check-results.txt, and the readers of the kernel's test
# output.  Sourced, after lib.sh; lab/tests/host-results.sh tests them.

pass=0 failed=0
failures=()

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

# The results in the JSON of kunit.py parse, one "STATUS NAME" line each:
# SUITE/CASE, or SUITE alone for a suite without cases (a kselftest
# program that gave no TAP).  A parameterised case is one test, failed if
# any of its params failed.  A kselftest runner's suite is named
# "selftests: COLLECTION: PROGRAM": NAME has PROGRAM.
json_results() {	# json_results JSON...
	python3 - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    try:
        top = json.load(open(path))
    except (OSError, ValueError):
        continue
    short = lambda name: name.rsplit(": ", 1)[-1] or "(missing)"
    for prog in top.get("test_cases", []):
        print(prog["status"], short(prog["name"]))
    for suite in top.get("sub_groups", []):
        for case in suite.get("test_cases", []):
            print(case["status"], f"{short(suite['name'])}/{short(case['name'])}")
        for case in suite.get("sub_groups", []):
            bad = [p["status"] for p in case.get("test_cases", [])
                   if p["status"] != "PASS"]
            print(bad[0] if bad else "PASS", f"{short(suite['name'])}/{short(case['name'])}")
PY
}

# The kselftests of a set-up: the TAP of the guest's run_kselftest.sh,
# read by kunit.py parse.  The runner nests each program's TAP under "# ";
# without that one level of prefix, each program is a suite of its cases.
# A skipped case or program fails, and so does a program without cases
# (it exited non-zero, or was killed, before it gave any TAP).
kselftest_results() {	# kselftest_results SETUP RESULTS_LOG
	local setup=$1 dir=${2%/*} n=0 name status
	sed -n '/^LAB-BEGIN kselftest/,/^LAB-END kselftest/{/^LAB-/d;p}' "$2" |
		tr -d '\r' | sed 's/^# //' >"$dir/kselftest.tap"
	rm -f "$dir/kselftest.json"
	python3 "$BUILD/src/tools/testing/kunit/kunit.py" parse \
		--json="$dir/kselftest.json" "$dir/kselftest.tap" >"$dir/kselftest.parse" 2>&1
	while read -r status name; do
		n=$((n + 1))
		case "$status:$name" in
		PASS:*/*) result "kselftest/$setup/$name" 0 ;;
		SKIP:*) result "kselftest/$setup/$name" 1 "skipped" ;;
		*:*/*)	grep -B20 -F "${name#*/}" "$dir/kselftest.tap" | sed 's/^/    /' | tail -n 20
			result "kselftest/$setup/$name" 1 "$status" ;;
		*)	grep -B20 -F "$name" "$dir/kselftest.tap" | sed 's/^/    /' | tail -n 20
			result "kselftest/$setup/$name" 1 "$status without TAP results" ;;
		esac
	done < <(json_results "$dir/kselftest.json")
	[ $n -gt 0 ] || result "kselftest/$setup" 1 "no kselftest results (see $dir/kselftest.parse)"
}

# Every suite gives as many results as lab/expected-tests lists for it: a
# test that disappears, a suite that gives nothing and a suite the file
# does not know all fail, each with a line naming the suite and both
# numbers.  A suite is kunit/SUITE (its cases) or kselftest/SETUP/PROGRAM.
expected_counts() {	# expected_counts [FILE]
	local file=${1:-$LAB_TOP/lab/expected-tests} suite want got bad=0
	local -A exp=() got_n=()

	while read -r suite want; do
		# A partial run (SETUPS=) holds the suites of its set-ups only
		if [ -n "${SETUPS:-}" ]; then
			local s=${suite#kselftest/}
			[[ $suite == kselftest/* && " $SETUPS " == *" ${s%%/*} "* ]] || continue
		fi
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
