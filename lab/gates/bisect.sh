#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tree at the base and at every commit of the series builds, and sparse
# and W=1 find nothing new in the C files each commit touches: nothing the
# base does not have in the same file.
. "$(dirname "$0")/lib.sh"

prepare
configure
for rev in base $(git -C "$am" rev-list --reverse base..series-am); do
	what=$(git -C "$am" log -1 --format='%h %s' "$rev")
	build_at "$rev" || die "does not build at $what"
	if [ "$rev" = base ]; then
		objs=$(objects)
	else
		objs=$(objects "$rev~1" "$rev")
	fi
	if [ -n "$objs" ]; then
		log=$top/each-$rev.log
		# shellcheck disable=SC2086
		"${KMAKE_V[@]}" -j1 C=2 W=1 $objs >"$log" 2>&1 ||
			failed "$log" "make C=2 W=1 failed at $what"
		ran "$log" CHECK "$objs"
		ran "$log" CC "$objs"
		# At the base this writes each-base.txt, the reference
		findings "$log" >"$top/each-$rev.txt"
		if comm -13 "$top/each-base.txt" "$top/each-$rev.txt" | grep .; then
			die "sparse or W=1: the lines above are new at $what"
		fi
	fi
	# shellcheck disable=SC2086
	echo "builds, no new sparse or W=1 finding in $(echo ${objs:-no C file}): $what"
done
