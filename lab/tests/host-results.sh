#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kselftest results of a set-up come from the kernel's KTAP parser
# reading the guest's run_kselftest.sh TAP (kselftest_results in
# lab/scripts/results.sh): a skipped case, a skipped program, a program
# that exits non-zero without TAP, one that crashes or times out after its
# cases passed, one that passes without TAP, and a case missing from a
# plan fail; a program missing from the run fails lab/expected-tests; a
# clean run passes, and a partial run counts its set-ups only.  KUnit's
# KTAP goes through the same reader: a failed param fails its case and
# its suite.
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -d "$BUILD/src/tools/testing/kunit" ] || { echo "no $BUILD/src: make tree"; exit 1; }
mkdir -p "$tmp/build/logs/t-check"
ln -s "$BUILD/src" "$tmp/build/src"
BUILD=$tmp/build LOGS=$tmp/build/logs
partial=
. "$(dirname "$0")/../scripts/results.sh"

prog() {	# prog N NAME STATUS [TAP...]: one program in the runner's TAP
	echo "# selftests: pci/doe: $2"
	[ $# -gt 3 ] && printf '# %s\n' "${@:4}"
	echo "$3 $1 selftests: pci/doe: $2"
}
good() {
	prog 1 doe_a ok "TAP version 13" "1..2" "ok 1 first case" "ok 2 second case" \
		"# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0"
}
run() {	# run PROGRAMS EXPECTED: the results of a run of N programs
	: >"$LOGS/check-results.txt"
	{ echo "LAB-BEGIN kselftest"; echo "TAP version 13"; echo "1..$1"; cat
	  echo "LAB-END kselftest rc=0"; } >"$LOGS/t-check/results.log"
	printf '%s\n' "$2" >"$tmp/expected"
	kselftest_results t "$LOGS/t-check/results.log" >/dev/null
	expected_counts "$tmp/expected" >/dev/null
}
has() {	# has LINE: the results have LINE
	grep -qxF "$1" "$LOGS/check-results.txt" ||
		{ echo "no '$1' in:"; cat "$LOGS/check-results.txt"; exit 1; }
}

good | run 1 "kselftest/t/doe_a 2"
has "PASS kselftest/t/doe_a/first case"
has "PASS kselftest/t/doe_a/second case"
has "PASS lab/expected-tests"
[ "$(grep -c ^FAIL "$LOGS/check-results.txt")" -eq 0 ] || { echo "a clean run failed:"; cat "$LOGS/check-results.txt"; exit 1; }

{ good
  prog 2 doe_skipcase ok "TAP version 13" "1..2" "ok 1 runs" "ok 2 needs hardware # SKIP no device"
  prog 3 doe_crash "not ok" "Segmentation fault" | sed '$s/$/ # exit=139/'
  prog 4 doe_skipped ok "TAP version 13" "1..0 # SKIP no DOE" | sed '$s/$/ # SKIP/'
} | run 4 "kselftest/t/doe_a 2
kselftest/t/doe_skipcase 2
kselftest/t/doe_gone 4"
has "PASS kselftest/t/doe_skipcase/runs"
has "FAIL kselftest/t/doe_skipcase/needs hardware: skipped"
has "FAIL kselftest/t/doe_crash: FAIL without TAP results"
has "FAIL kselftest/t/doe_skipped: skipped"
has "FAIL expected-tests/kselftest/t/doe_gone: expected 4 results, got 0"

# The runner's own line for a program fails it after all its cases passed
{ good
  good | sed 's/^ok 1 /not ok 2 /; s/doe_a/doe_segv/; $s/$/ # exit=139/'
  good | sed 's/^ok 1 /not ok 3 /; s/doe_a/doe_slow/; $s/$/ # TIMEOUT 300 seconds/'
  prog 4 doe_quiet ok
} | run 4 "kselftest/t/doe_a 2
kselftest/t/doe_segv 2
kselftest/t/doe_slow 2"
has "PASS kselftest/t/doe_segv/second case"
has "FAIL kselftest/t/doe_segv: FAIL"
has "FAIL kselftest/t/doe_slow: FAIL"
has "FAIL kselftest/t/doe_quiet: passed without TAP results"
has "PASS lab/expected-tests"
[ "$(grep -c ^FAIL "$LOGS/check-results.txt")" -eq 3 ] || { echo "expected 3 failures:"; cat "$LOGS/check-results.txt"; exit 1; }

# A partial run counts the suites of its set-ups only
partial=t
good | run 1 "kselftest/t/doe_a 2
kselftest/other/doe_a 2
kunit/pci_doe 93"
has "PASS lab/expected-tests"
partial=

# A case missing from a plan: the runner's result line stands in for it,
# or, at the end of the TAP, kunit.py parse gives up
short() {	# short N
	prog "$1" doe_short "not ok" "TAP version 13" "1..3" "ok 1 one" "ok 2 two" |
		sed '$s/$/ # exit=1/'
}
{ good; short 2; good | sed 's/^ok 1 /ok 3 /; s/doe_a/doe_b/'; } |
	run 3 "kselftest/t/doe_a 2
kselftest/t/doe_short 3
kselftest/t/doe_b 2"
has "FAIL kselftest/t/(missing)/doe_short: FAIL"
has "FAIL expected-tests/kselftest/t/doe_short: expected 3 results, got 0"
{ good; short 2; } | run 2 "kselftest/t/doe_a 2
kselftest/t/doe_short 3"
has "FAIL kselftest/t: no kselftest results (see $LOGS/t-check/kselftest.parse)"
has "FAIL expected-tests/kselftest/t/doe_a: expected 2 results, got 0"
# KUnit's KTAP: a failed param fails its case, and the suite on its own
: >"$LOGS/check-results.txt"
printf '%s\n' "KTAP version 1" "1..1" "    KTAP version 1" "    # Subtest: s" \
	"    1..2" "    ok 1 a" "        KTAP version 1" "        # Subtest: b" \
	"        ok 1 p0" "        not ok 2 p1" "    not ok 2 b" "not ok 1 s" >"$tmp/k-1.log"
ktap_results kunit "$tmp/k-1.log" "$tmp/k-1.log" >/dev/null
has "PASS kunit/s/a"
has "FAIL kunit/s/b: FAIL"
has "FAIL kunit/s: FAIL"
echo "KUnit results: a failed param fails its case and suite"
echo "kselftest results: a clean run passes; skips, an exit without TAP, a crash or timeout after passing cases, a short plan and a missing program fail; a partial run counts its set-ups"
