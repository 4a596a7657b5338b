#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh: the series to post, in $BUILD/series/out: "git format-patch
# -v7 --cover-letter" of $BUILD/src (base..HEAD, see lab/scripts/tree.sh),
# with the cover letter from lab/series/cover.txt and the results of the
# last "make check" and "make bench", when they ran.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
git_isolated

src=$BUILD/src
out=$BUILD/series/out
[ -d "$src/.git" ] || die "no $src repository; run make tree"
if why=$(src_unexported); then
	note "series: $src has $why: the series is its commits (base..HEAD)"
fi

# The cover letter comes from the author of the series' last commit
GIT_COMMITTER_NAME=$(git -C "$src" log -1 --format=%an)
GIT_COMMITTER_EMAIL=$(git -C "$src" log -1 --format=%ae)
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
rm -rf "$out"
git -C "$src" format-patch -q -v7 --cover-letter --no-signature -o "$out" base..HEAD

cover=$(ls "$out"/*0000-cover-letter.patch)
python3 - "$cover" "$LAB_TOP/lab/series/cover.txt" "$(cat "$BUILD/base/VERSION")" \
	"$LOGS/check-summary.txt" "$BUILD/bench/table.txt" <<'EOF'
import os, sys
cover, text, version, summary, bench = sys.argv[1:6]
lines = open(text).read().rstrip('\n').split('\n')
subject, blurb = lines[0], '\n'.join(lines[2:])
blurb += '\n\nBased on Debian linux-source-6.12 %s.\n' % version
if os.path.exists(summary):
    blurb += '\nTest results (make check):\n\n' + open(summary).read()
if os.path.exists(bench):
    blurb += '\nmake bench (TCG, base = the 6.12 DOE code):\n\n' + open(bench).read()
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', subject).replace('*** BLURB HERE ***', blurb.rstrip('\n'))
open(cover, 'w').write(s)
EOF
note "series: $(ls "$out" | wc -l) files in $out"
ls "$out"
