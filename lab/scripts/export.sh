#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# export.sh: write the commits of $BUILD/src (base..HEAD) back to patches/,
# one "git format-patch" file each, and list them in patches/series.
# Output is stable: no commit ids, no numbering in the subjects, a fixed
# abbreviation, no user configuration, so an unchanged commit gives an
# unchanged file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$BUILD/src
state=$BUILD/tree-state
g() { git -C "$src" "$@"; }
git_isolated
[ -d "$src/.git" ] || die "no $src repository; run make tree"
[ ! -d "$src/.git/rebase-merge" ] && [ ! -d "$src/.git/rebase-apply" ] ||
	die "$src: a rebase or git am is in progress; finish it first"
g diff --quiet HEAD || die "$src has uncommitted edits; commit them first"
[ -z "$(g ls-files --others | head -n1)" ] ||
	die "$src has new files git does not track: 'git add -f' and commit them, or remove them"
g merge-base --is-ancestor base HEAD || die "$src: HEAD does not descend from branch base"
[ "$(g rev-list --count base..HEAD)" -gt 0 ] || die "no commits on base in $src"

new=$LAB_TOP/patches.new
rm -rf "$new"
mkdir -p "$new"
g format-patch -q --no-numbered --zero-commit --no-signature --abbrev=12 \
	-o "$new" base..HEAD
{
	echo "# The series, in order: git format-patch files of the commits on the"
	echo "# pinned base.  lab/scripts/tree.sh applies them with git am into"
	echo "# build/src; lab/scripts/export.sh writes them back from there."
	(cd "$new" && ls ./*.patch | sed 's@^\./@@')
} >"$new/series"
rm -rf "$LAB_TOP/patches.old"
mv "$LAB_TOP/patches" "$LAB_TOP/patches.old"
mv "$new" "$LAB_TOP/patches"
rm -rf "$LAB_TOP/patches.old"

# build/src is what patches/ now holds: the next "make tree" keeps it
cd "$LAB_TOP/patches"
mkdir -p "$state"
g rev-parse HEAD >"$state/head"
patches_hash >"$state/patches"
git -C "$LAB_TOP" status --short -- patches 2>/dev/null || true
note "export: $(series_patches | wc -l) patches in patches/"
