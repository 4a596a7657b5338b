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

# Results from KTAP or TAP, read by the kernel's own parser, the
# kunit_parser.py that kunit.py parse uses (its JSON keeps no group's own
# result).  Each case is a test, PREFIX/GROUP/CASE: a parameterised case
# fails if any of its params did; a skip fails.  Each group (a KUnit suite,
# a kselftest program) fails on its own when its result line does (a crash
# after its cases passed, the kselftest runner's exit=139 or TIMEOUT), when
# it skipped, and when it gave no case.  The failure context comes from
# CONTEXT, the parser's messages go to CONTEXT's .parse.  Return: 1 if the
# parser gave nothing.
ktap_results() {	# ktap_results PREFIX CONTEXT FILE...
	local prefix=$1 ctx=$2 n=0 kind status cases name why
	shift 2
	while IFS=$'\t' read -r kind status cases name; do
		n=$((n + 1))
		case "$kind:$status" in
		case:PASS) result "$prefix/$name" 0 ;;
		*:SKIP) result "$prefix/$name" 1 "skipped" ;;
		group:PASS) [ "$cases" -gt 0 ] ||
			result "$prefix/$name" 1 "passed without TAP results" ;;
		*)	why=$status
			[ "$kind:$cases" != group:0 ] || why+=" without TAP results"
			grep -B20 -F "${name##*/}" "$ctx" | grep -v '^\[' | sed 's/^/    /' | tail -n 20
			result "$prefix/$name" 1 "$why" ;;
		esac
	done < <(python3 - "$BUILD/src/tools/testing/kunit" "$@" 2>"${ctx%.*}.parse" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
out, sys.stdout = sys.stdout, sys.stderr	# the parser's own messages
import kunit_parser
from kunit_parser import TestStatus

word = {TestStatus.SUCCESS: "PASS", TestStatus.SKIPPED: "SKIP",
        TestStatus.FAILURE: "FAIL"}
status = lambda t: word.get(t.status, t.status.name)
short = lambda n: n.removeprefix("selftests: pci/doe: ") or "(missing)"
worst = lambda t: next((s for s in map(status, [t] + t.subtests) if s != "PASS"), "PASS")
for path in sys.argv[2:]:
    top = kunit_parser.parse_run_tests(open(path).readlines())
    for group in top.subtests:
        for case in group.subtests:
            print("case", worst(case), "-", f"{short(group.name)}/{short(case.name)}",
                  sep="\t", file=out)
        print("group", status(group), len(group.subtests), short(group.name),
              sep="\t", file=out)
PY
)
	[ $n -gt 0 ]
}

# The kselftests of a set-up: the TAP of the guest's run_kselftest.sh.  The
# runner nests each program's TAP under "# "; without that one level of
# prefix, each program is a group of its cases.
kselftest_results() {	# kselftest_results SETUP RESULTS_LOG
	local dir=${2%/*}
	section kselftest "$2" | sed 's/^# //' >"$dir/kselftest.tap"
	ktap_results "kselftest/$1" "$dir/kselftest.tap" "$dir/kselftest.tap" ||
		result "kselftest/$1" 1 "no kselftest results (see $dir/kselftest.parse)"
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
