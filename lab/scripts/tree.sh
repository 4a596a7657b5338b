#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tree.sh: make $BUILD/src a git repository of the pinned base (branch
# "base") with the patches of patches/series applied by "git am" (branch
# "series").  The series is changed there: commit, "git rebase -i",
# "git commit --fixup", then "make export" writes the commits back.
#
# When patches/ is unchanged since the last run, nothing happens: commits
# and edits made in $BUILD/src stay, and the lab builds them.  When it
# changed, the patches are applied in a scratch worktree and $BUILD/src
# checks the result out; git rewrites only the files that differ, so an
# unchanged file keeps its mtime and the kernel build stays incremental.
# $BUILD/src is never reset while it holds commits or edits that patches/
# lacks, unless FORCE=1.  A patch that does not apply stops the run and is
# named.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

base=$BUILD/base/linux
src=$BUILD/src
state=$BUILD/tree-state
scratch=$BUILD/am-tree
[ -d "$base" ] || die "no base tree; run lab/scripts/base.sh"
g() { git -C "$src" "$@"; }

# Fixed identities and dates: the same patches give the same commits
git_isolated
export GIT_COMMITTER_NAME=lab GIT_COMMITTER_EMAIL=lab@localhost
export GIT_AUTHOR_NAME=lab GIT_AUTHOR_EMAIL=lab@localhost
export GIT_AUTHOR_DATE=2024-01-01T00:00:00Z GIT_COMMITTER_DATE=2024-01-01T00:00:00Z

mapfile -t series < <(series_patches)
for p in "${series[@]}"; do
	[ -f "$LAB_TOP/patches/$p" ] || die "patches/series lists $p, which does not exist"
done
want=$(patches_hash)

if [ ! -d "$src/.git" ]; then
	note "tree: committing base $(cat "$BUILD/base/VERSION") to $src (about a minute)"
	rm -rf "$src" "$src.tmp" "$state"
	cp -a "$base" "$src.tmp"
	git -C "$src.tmp" init -q -b base
	git -C "$src.tmp" config core.autocrlf false
	# No gc started in the background by a later commit
	git -C "$src.tmp" config gc.auto 0
	git -C "$src.tmp" add -A -f
	git -C "$src.tmp" commit -q -m "Linux $(cat "$BUILD/base/VERSION") (Debian linux-source-6.12)"
	git -C "$src.tmp" repack -adq
	mv "$src.tmp" "$src"
	g branch -q series base
fi
mkdir -p "$state"
[ "$(cat "$state/patches" 2>/dev/null)" = "$want" ] && exit 0

if [ "${FORCE:-0}" != 1 ] && why=$(src_unexported); then
	die "$src has $why: commit and 'make export' them, or 'make tree FORCE=1' to drop them"
fi

drop_scratch() {
	g worktree remove --force "$scratch" 2>/dev/null || rm -rf "$scratch"
	g worktree prune
}
drop_scratch
g worktree add -q --detach "$scratch" base
if [ ${#series[@]} -gt 0 ] && ! git -C "$scratch" am -q --committer-date-is-author-date \
	"${series[@]/#/$LAB_TOP/patches/}" >"$state/am.log" 2>&1; then
	cat "$state/am.log" >&2
	bad=${series[$(git -C "$scratch" rev-list --count base..HEAD)]}
	drop_scratch
	die "patches/$bad does not apply to base $(cat "$BUILD/base/VERSION") (log: $state/am.log)"
fi
new=$(git -C "$scratch" rev-parse HEAD)
drop_scratch
g checkout -q -f -B series "$new"
# With FORCE=1, new files go too
g clean -q -f -x -d >/dev/null
echo "$new" >"$state/head"
echo "$want" >"$state/patches"
note "tree: $src is base + ${#series[@]} patches (branch series)"
