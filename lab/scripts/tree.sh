#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make $BUILD/src = pristine base + the patches listed in patches/series (in
# that order) + the overlay (files this repo holds at their kernel paths).
#
# The result is computed in a scratch folder from the pristine base every
# time, then synced into $BUILD/src by content: a file whose content did not
# change keeps its mtime, so an incremental kernel build stays incremental.
# Running this twice is a no-op.  A patch that does not apply stops the run
# and is named.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

base=$BUILD/base/linux
src=$BUILD/src
state=$BUILD/tree-state
stage=$BUILD/stage
[ -d "$base" ] || die "no base tree; run lab/scripts/base.sh"

# Top-level folders of this repo that hold kernel files (the overlay).
OVERLAY_DIRS=(Documentation drivers include tools)

cd "$LAB_TOP"
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' patches/series 2>/dev/null || true)

rm -rf "$stage"
mkdir -p "$stage" "$state"

# Pristine copies of every file a patch touches.
touched=()
for p in "${series[@]}"; do
	[ -f "patches/$p" ] || die "patches/series lists $p, which does not exist"
	while read -r f; do
		touched+=("$f")
	done < <(sed -n -e 's@^+++ b/\([^[:space:]]*\).*@\1@p' -e 's@^--- a/\([^[:space:]]*\).*@\1@p' "patches/$p")
done
for f in $(printf '%s\n' "${touched[@]}" | sort -u); do
	if [ -f "$base/$f" ]; then
		mkdir -p "$stage/$(dirname "$f")"
		cp -p "$base/$f" "$stage/$f"
	fi
done

# No fuzz: a hunk whose context moved must be refreshed, not guessed at.
for p in "${series[@]}"; do
	if ! out=$(patch -d "$stage" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch \
		       -r - <"patches/$p" 2>&1); then
		echo "$out" >&2
		die "patch patches/$p does not apply to base $(cat "$BUILD/base/VERSION")"
	fi
done

for d in "${OVERLAY_DIRS[@]}"; do
	[ -d "$d" ] || continue
	find "$d" -type f -print0 | while IFS= read -r -d '' f; do
		mkdir -p "$stage/$(dirname "$f")"
		cp "$f" "$stage/$f"
	done
	# Hidden files such as .kunitconfig are part of the overlay too.
done

if [ ! -d "$src" ]; then
	note "creating series tree $src"
	cp -a "$base" "$src.tmp"
	mv "$src.tmp" "$src"
	: >"$state/files"
fi

(cd "$stage" && find . -type f | sed 's@^\./@@' | sort) >"$state/files.new"

# Files the previous run managed but this one does not: back to the base.
comm -23 <(sort -u "$state/files" 2>/dev/null) "$state/files.new" | while read -r f; do
	if [ -f "$base/$f" ]; then
		cp -p "$base/$f" "$src/$f"
	else
		rm -f "$src/$f"
	fi
done

# Content-based sync: only files whose bytes changed are rewritten.
rsync -rc --no-times "$stage/" "$src/"
mv "$state/files.new" "$state/files"
rm -rf "$stage"
