#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh: write the patch series of this repository as git format-patch
# output with a cover letter, into $BUILD/series/out.
#
# A git repository of the pristine base ($BUILD/series/repo, branch "base")
# gets one commit per line of lab/series/steps on branch "series".  Every
# commit is signed off by SERIES_IDENT ("Name <email>"), which defaults to
# the git user of this repository.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

base=$BUILD/base/linux
top=$BUILD/series
repo=$top/repo
out=$top/out
[ -d "$base" ] || die "no base tree; run lab/scripts/base.sh"
version=$(cat "$BUILD/base/VERSION")

ident=${SERIES_IDENT:-"$(git -C "$LAB_TOP" config user.name) <$(git -C "$LAB_TOP" config user.email)>"}
name=${ident% <*}
email=${ident##*<}
email=${email%>}
[ -n "$name" ] && [ -n "$email" ] || die "no identity: set SERIES_IDENT or git user.name/user.email"
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
# Reproducible output: every commit carries the date of this repository's HEAD
GIT_AUTHOR_DATE=$(git -C "$LAB_TOP" log -1 --format=%cI)
export GIT_AUTHOR_DATE GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
g() { git -C "$repo" "$@"; }

# --cover-only: rewrite the patches and the cover letter from the commits
# already made (make check does so at its end, for its results)
cover_only=false
[ "${1:-}" = --cover-only ] && cover_only=true
if $cover_only; then
	[ -d "$repo" ] || die "no series repository; run make series"
else

# The base commit: the extracted tree, made once per base version.
if [ "$(cat "$top/base-version" 2>/dev/null)" != "$version" ]; then
	note "series: committing base $version to $repo (about a minute)"
	rm -rf "$repo" "$top/base-version"
	mkdir -p "$top"
	cp -a "$base" "$repo"
	g init -q -b base
	g config core.autocrlf false
	g add -A -f
	g commit -q -m "Linux $version (Debian linux-source-6.12)"
	echo "$version" >"$top/base-version"
fi
g checkout -q -f base
g clean -q -fdx
g checkout -q -B series base

# Drop the trace_pci_doe_*() statements and the trace header from a file
notrace() {	# notrace SRC DST
	awk '
		/^#define CREATE_TRACE_POINTS$/ { next }
		/^#include <trace\/events\/pci_doe.h>$/ { drop_blank = 1; next }
		/^[ \t]*trace_pci_doe_[a-z_]*\(/ { skip = 1 }
		skip { if ($0 ~ /\);[ \t]*$/) skip = 0; next }
		{ print }
	' "$1" >"$2"
	! grep -q 'trace_pci_doe\|CREATE_TRACE_POINTS' "$2" ||
		die "notrace: $1 keeps tracepoint code"
	# The blank line that separated the trace include from the others
	python3 - "$2" <<-'EOF'
	import sys
	p = sys.argv[1]
	s = open(p).read().replace('#include "pci.h"\n\n\n', '#include "pci.h"\n\n')
	open(p, 'w').write(s)
	EOF
}

# MAINTAINERS: the PCI DOE entry of patches/0008, with only the F: lines of
# files the series has added or changed so far.
maint_final=$top/MAINTAINERS.final
cp "$base/MAINTAINERS" "$maint_final"
patch -s -p1 --fuzz=0 --no-backup-if-mismatch "$maint_final" \
	<"$LAB_TOP"/patches/0008-MAINTAINERS-add-PCI-DOE.patch
maintainers() {
	python3 - "$maint_final" "$repo" "$base" <<-'EOF'
	import filecmp, os, sys
	final, repo, base = sys.argv[1:4]

	def ours(f):
	    new, old = os.path.join(repo, f), os.path.join(base, f)
	    if not os.path.exists(new):
	        return False
	    if not os.path.exists(old):
	        return True
	    return os.path.isfile(new) and not filecmp.cmp(new, old, shallow=False)

	out, entry = [], None
	for line in open(final).read().split('\n'):
	    if line == 'PCI DATA OBJECT EXCHANGE (DOE)':
	        entry = [line]
	        continue
	    if entry is not None:
	        if line:
	            if line.startswith('F:\t') and not ours(line[3:]):
	                continue
	            entry.append(line)
	            continue
	        if any(l.startswith('F:') for l in entry):
	            out += entry
	        else:
	            out.pop()	# the blank line before the entry
	        entry = None
	    out.append(line)
	open(os.path.join(repo, 'MAINTAINERS'), 'w').write('\n'.join(out))
	EOF
}

n=0
while read -r msg parts; do
	n=$((n + 1))
	for part in $parts; do
		case $part in
		patch:*)
			patch -s -d "$repo" -p1 --batch --forward --fuzz=0 \
				--no-backup-if-mismatch <"$LAB_TOP/patches/${part#patch:}" ||
				die "step $n ($msg): ${part#patch:} does not apply"
			;;
		file:*)
			f=${part#file:}
			mkdir -p "$repo/$(dirname "$f")"
			rm -rf "${repo:?}/$f"
			cp -a "$LAB_TOP/$f" "$repo/$f"
			;;
		notrace:*)
			f=${part#notrace:}
			notrace "$LAB_TOP/$f" "$repo/$f"
			;;
		*) die "lab/series/steps: unknown part $part" ;;
		esac
	done
	maintainers
	g add -A -f	# the Debian base ignores every top-level folder
	g commit -q -s -F "$LAB_TOP/lab/series/$msg"
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LAB_TOP/lab/series/steps")

# The last commit must be exactly what the lab builds and tests
while read -r f; do
	cmp -s "$repo/$f" "$BUILD/src/$f" || die "series: $f differs from $BUILD/src/$f"
done < <(g diff --name-only base series)

fi	# cover_only

rm -rf "$out"
g format-patch -q -v7 --cover-letter --no-signature -o "$out" base..series

# Cover letter: subject and text from lab/series/cover.txt, then the test
# results and the bench table when make check and make bench have run.
cover=$(ls "$out"/*0000-cover-letter.patch)
python3 - "$cover" "$LAB_TOP/lab/series/cover.txt" "$version" \
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
