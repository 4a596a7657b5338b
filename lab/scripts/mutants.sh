#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mutants.sh: break drivers/pci/doe.c on purpose, one way at a time, and
# show which KUnit cases catch it.  Each mutant is a literal replacement in
# the series tree; the tree is restored afterwards.  A mutant no case
# catches makes the script fail.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$BUILD/src
doe=$src/drivers/pci/doe.c
out=$LOGS/mutants
mkdir -p "$out"
trap '"$LAB_TOP/lab/scripts/tree.sh"' EXIT

mutate() {	# mutate NAME FROM TO: replace FROM (one occurrence) by TO
	python3 - "$doe" "$2" "$3" <<'PY' || die "mutant $1: pattern not found"
import sys
p, a, b = sys.argv[1], sys.argv[2].replace('\\n', '\n').replace('\\t', '\t'), \
	  sys.argv[3].replace('\\n', '\n').replace('\\t', '\t')
s = open(p).read()
if s.count(a) != 1:
    sys.exit(1)
open(p, 'w').write(s.replace(a, b))
PY
}

uncaught=0
run() {	# run NAME FROM TO
	local name=$1 log=$out/$1.log failed
	"$LAB_TOP/lab/scripts/tree.sh"
	mutate "$@"
	"$LAB_TOP/lab/scripts/kunit.sh" "$src" "$log" 2>/dev/null
	failed=$(sed -n 's/^ *not ok [0-9]* \([a-z0-9_]*\).*/\1/p' "$log" | grep -vx pci_doe | tr '\n' ' ')
	if grep -q 'Kernel panic\|crashed' "$log"; then
		failed+="(kernel crashed) "
	fi
	if [ -z "$failed" ]; then
		echo "mutant $name: NOT caught"
		uncaught=$((uncaught + 1))
	else
		echo "mutant $name: caught by $failed"
	fi
}

run skip-abort-after-error \
	'return pci_doe_abort(doe, "Error set") ?: -EIO;' 'return -EIO;'
run no-length-0-decoding \
	'if (!len)\n\t\t\t\tlen = PCI_DOE_MAX_LENGTH;' ''
run complete-twice-on-cancel \
	'if (cancel)\n\t\t\ttask->rv = -ENODEV;' 'if (cancel) {\n\t\t\ttask->rv = -ENODEV;\n\t\t\ttask->complete(task);\n\t\t}'
run no-ready-check-before-last-ack \
	'if (!(status & PCI_DOE_STATUS_DATA_OBJECT_READY)) {\n\t\t\t\tdev_dbg_ratelimited(&pdev->dev, "[%x] response shorter' \
	'if (0) {\n\t\t\t\tdev_dbg_ratelimited(&pdev->dev, "[%x] response shorter'
run ignore-busy \
	'rc = pci_doe_wait(doe, PCI_DOE_STATUS_BUSY, PCI_DOE_WAIT_CLEAR, &status);' \
	'rc = pci_doe_read_status(doe, &status);'
run no-header-check \
	'FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, val) != task->vid ||' \
	'0 && FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, val) != task->vid &&'
[ $uncaught -eq 0 ]
