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

# KUnit's results in the JSON of kunit.py parse, one "STATUS NAME" line
# each: SUITE/CASE, or SUITE alone for a suite without cases.  A
# parameterised case is one test, failed if any of its params failed.
json_results() {	# json_results JSON...
	python3 - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    try:
        top = json.load(open(path))
    except (OSError, ValueError):
        continue
    short = lambda name: name or "(missing)"
    for suite in top.get("test_cases", []):
        print(suite["status"], short(suite["name"]))
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
# read by the kernel's own KTAP parser (tools/testing/kunit/kunit_parser.py,
# the one kunit.py parse uses), which keeps what kunit.py's JSON drops: the
# result line of each program.  The runner nests each program's TAP under
# "# "; without that one level of prefix, each program is a test of its
# cases.  A case passes or fails as its TAP says, and a skip fails.  A
# program fails on its own when the runner's line for it does (exit=139,
# TIMEOUT), even after all its cases passed, when it skipped, and when it
# gave no cases; if the parser gives nothing, the set-up fails.
kselftest_results() {	# kselftest_results SETUP RESULTS_LOG
	local setup=$1 dir=${2%/*} n=0 kind status cases name why
	sed -n '/^LAB-BEGIN kselftest/,/^LAB-END kselftest/{/^LAB-/d;p}' "$2" |
		tr -d '\r' | sed 's/^# //' >"$dir/kselftest.tap"
	while IFS=$'\t' read -r kind status cases name; do
		n=$((n + 1))
		case "$kind:$status" in
		case:PASS) result "kselftest/$setup/$name" 0 ;;
		case:SKIP|prog:SKIP) result "kselftest/$setup/$name" 1 "skipped" ;;
		prog:PASS) [ "$cases" -gt 0 ] ||
			result "kselftest/$setup/$name" 1 "passed without TAP results" ;;
		*)	why=$status
			[ "$cases" != 0 ] || why+=" without TAP results"
			grep -B20 -F "${name##*/}" "$dir/kselftest.tap" | sed 's/^/    /' | tail -n 20
			result "kselftest/$setup/$name" 1 "$why" ;;
		esac
	done < <(python3 - "$BUILD/src/tools/testing/kunit" "$dir/kselftest.tap" \
			2>"$dir/kselftest.parse" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
out, sys.stdout = sys.stdout, sys.stderr	# the parser's own messages
import kunit_parser
from kunit_parser import TestStatus

word = {TestStatus.SUCCESS: "PASS", TestStatus.SKIPPED: "SKIP",
        TestStatus.FAILURE: "FAIL"}
status = lambda t: word.get(t.status, t.status.name)
short = lambda n: n.removeprefix("selftests: pci/doe: ") or "(missing)"
top = kunit_parser.parse_run_tests(open(sys.argv[2]).readlines())
for prog in top.subtests:
    for case in prog.subtests:
        print("case", status(case), "-", f"{short(prog.name)}/{short(case.name)}",
              sep="\t", file=out)
    print("prog", status(prog), len(prog.subtests), short(prog.name), sep="\t",
          file=out)
PY
)
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
		# A partial run (make check SETUPS=) holds the suites of its
		# set-ups only
		if [ -n "${partial:-}" ]; then
			local s=${suite#kselftest/}
			[[ $suite == kselftest/* && " $partial " == *" ${s%%/*} "* ]] || continue
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
