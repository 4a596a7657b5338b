#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mutant list cannot shrink or go stale silently: mutants.py fails,
# naming the mutant, on a FROM that is missing or not unique, on a count
# that does not match, on an unknown KUnit case and on overlapping sites;
# and it wraps each kind of site as documented.  Runs on a small fake tree,
# then checks the real lab/mutants against the series tree if there is one.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
tool=$here/lab/scripts/mutants.py
build=${BUILD:-$here/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src/drivers/pci"
cat >"$tmp/src/drivers/pci/doe.c" <<'C'
#define PCI_DOE_TIMEOUT		HZ
static int f(int a)
{
	if (a > 1)
		return a;
	return 0;
}
C
cat >"$tmp/src/drivers/pci/doe_kunit.c" <<'C'
static struct kunit_case doe_kunit_cases[] = {
	KUNIT_CASE(one_case),
	KUNIT_CASE_SLOW(other_case),
	{ }
};
static struct kunit_suite doe_kunit_suite = {
	.name = "pci_doe",
	.test_cases = doe_kunit_cases,
};
C
good() {
	cat <<'L'
mutants 3
mutant a
file drivers/pci/doe.c
cases one_case
from
|		return a;
to
|		return 1;
mutant b
file drivers/pci/doe.c
kind expr
cases one_case other_case
from a > 1
to 1
mutant c
file drivers/pci/doe.c
kind define
cases other_case
from #define PCI_DOE_TIMEOUT		HZ
to #define PCI_DOE_TIMEOUT		(2 * HZ)
L
}

fails() {	# fails WHAT EXPECTED-MESSAGE: the list on stdin must be refused
	local out
	cat >"$tmp/list"
	if out=$(python3 "$tool" check "$tmp/list" "$tmp/src" 2>&1); then
		echo "not refused: $1"
		exit 1
	fi
	echo "$out" | grep -qF -- "$2" || { echo "$1: no '$2' in: $out"; exit 1; }
	echo "refused: $1: $out"
}

good >"$tmp/list"
python3 "$tool" check "$tmp/list" "$tmp/src" || { echo "a good list was refused"; exit 1; }
python3 "$tool" gen "$tmp/list" "$tmp/src" "$tmp/out" >/dev/null || exit 1
grep -qF '{ if (pci_doe_mutant == 1) { /* mutant a */' "$tmp/out/drivers/pci/doe.c" &&
grep -qF 'if ((pci_doe_mutant == 2 ? (1) : (a > 1)))' "$tmp/out/drivers/pci/doe.c" &&
grep -qF '#define PCI_DOE_TIMEOUT (pci_doe_mutant == 3 ? ((2 * HZ)) : (HZ))' "$tmp/out/drivers/pci/doe.c" &&
grep -qF 'module_param_cb(mutant, ' "$tmp/out/drivers/pci/doe.c" ||
	{ echo "instrumented file not as documented:"; cat "$tmp/out/drivers/pci/doe.c"; exit 1; }
python3 "$tool" plan "$tmp/list" "$tmp/src" | grep -qxF 'b|2|pci_doe.*|||one_case other_case|' ||
	{ echo "plan:"; python3 "$tool" plan "$tmp/list" "$tmp/src"; exit 1; }

good | sed 's/^mutants 3$/mutants 4/' | fails "a count that does not match" '"mutants 4" but 3 mutants'
good | sed 's/^|\t\treturn a;$/|\t\treturn b;/' | fails "a missing FROM" 'mutant a: FROM text found 0 times'
good | sed 's/^from a > 1$/from return/' | fails "a FROM not unique" 'mutant b: FROM text found 2 times'
good | sed 's/^cases other_case$/cases no_such_case/' | fails "an unknown case" 'mutant c: no KUnit case pci_doe.no_such_case'
good | sed 's/^from a > 1$/from a;/' | fails "overlapping sites" 'mutants a and b overlap'
{ good; printf 'mutant a\nfile drivers/pci/doe.c\ncases one_case\nfrom static int\nto int\n'; } |
	fails "a name listed twice" 'mutant a is listed twice'
echo "the fake list: every defect refused"

if [ -d "$build/src/drivers/pci" ]; then
	python3 "$tool" check "$here/lab/mutants" "$build/src" || exit 1
fi
