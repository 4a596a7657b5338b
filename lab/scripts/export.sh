#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# export.sh: write the commits of $BUILD/src (base..HEAD) back to patches/,
# one "git format-patch" file each, and list them in patches/series.
# Output is stable: no commit ids, no numbering in the subjects, so an
# unchanged commit gives an unchanged file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$BUILD/src
state=$BUILD/tree-state
g() { git -C "$src" "$@"; }
[ -d "$src/.git" ] || die "no $src repository; run make tree"
g diff --quiet HEAD || die "$src has uncommitted edits; commit them first"
[ "$(g rev-list --count base..HEAD)" -gt 0 ] || die "no commits on base in $src"

cd "$LAB_TOP/patches"
rm -f ./*.patch
g format-patch -q --no-numbered --zero-commit --no-signature -o "$PWD" base..HEAD
{
	echo "# The series, in order: git format-patch files of the commits on the"
	echo "# pinned base.  lab/scripts/tree.sh applies them with git am into"
	echo "# build/src; lab/scripts/export.sh writes them back from there."
	ls ./*.patch | sed 's@^\./@@'
} >series

# build/src is what patches/ now holds: the next "make tree" keeps it
mkdir -p "$state"
g rev-parse HEAD >"$state/head"
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' series)
cat series "${series[@]}" | sha1sum | cut -d' ' -f1 >"$state/patches"
git -C "$LAB_TOP" status --short -- patches 2>/dev/null || true
note "export: ${#series[@]} patches in patches/"
