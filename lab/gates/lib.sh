# SPDX-License-Identifier: GPL-2.0
# Common to the gates of the series (lab/gates/*.sh).  Sourced, not run.
#
# Each gate stands alone: it makes what it needs, in any order.  They work
# in one clone, $BUILD/series/am: the base of $BUILD/src (lab/scripts/
# tree.sh) with patches/ applied by git am (branch series-am), made again
# whenever patches/ changed.  Gates that compare with the base drop line
# and column numbers, so a moved warning of the base is not new.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
git_isolated

top=$BUILD/series
am=$top/am
obj=$BUILD/obj/gate
export GIT_COMMITTER_NAME=lab GIT_COMMITTER_EMAIL=lab@localhost
# checkpatch runs scripts/spdxcheck.py, which needs Debian's python3-ply
export PATH=/usr/bin:$PATH
# KMAKE_V prints Kbuild's one-line commands (CC, CHECK); KMAKE is silent
KMAKE_V=("$LAB_TOP/lab/scripts/kmake.sh" "$am" "$obj")
KMAKE=("${KMAKE_V[@]}" -s)

mapfile -t series < <(series_patches)

# The clone, at series-am; made again when patches/ changed since
prepare() {
	local want
	[ -d "$BUILD/src/.git" ] || die "no $BUILD/src repository; run make tree"
	# The base too: a new pinned base makes a new $BUILD/src
	want=$(git -C "$BUILD/src" rev-parse base)-$(patches_hash)
	if [ ! -d "$am/.git" ] || [ "$(cat "$top/am.patches" 2>/dev/null)" != "$want" ]; then
		rm -rf "$am" "$top/am.patches"
		mkdir -p "$top"
		git clone -q --no-checkout -b base "$BUILD/src" "$am"
		at base
		[ -z "$(git -C "$am" status --porcelain)" ] || die "base checkout is not clean"
		git -C "$am" checkout -q -b series-am
		git -C "$am" am -q "${series[@]/#/$LAB_TOP/patches/}" ||
			die "patches/ does not apply with git am"
		echo "$want" >"$top/am.patches"
	fi
	at series-am
}

at() {	# at REV: check out REV in the am clone
	git -C "$am" checkout -q -f "$1"
}

# The C files that FROM..TO touches (default: the series) and that this
# config builds at the checked out commit, as objects
objects() {
	local f
	for f in $(git -C "$am" diff --name-only "${1:-base}" "${2:-series-am}" -- '*.c'); do
		[ -f "$am/$f" ] && [ -f "$obj/${f%.c}.o" ] && echo "${f%.c}.o"
	done
	return 0
}

# Warnings and errors, without line numbers, wherever they point: only the
# touched files are compiled, and a warning may point into a header such
# as include/trace/trace_events.h
findings() {	# findings LOG
	sed "s@$am/@@g" "$1" | grep -E "^[^ :]+:[0-9]+(:[0-9]+)?: (warning|error)" |
		sed -E 's/^([^:]+):[0-9]+(:[0-9]+)?:/\1:/' | sort -u || true
}

configure() {	# the lab config plus the KUnit test, at the series head
	at series-am
	# build_at changes .config for each commit: never reuse it as cached
	rm -f "$obj/.config.lab"
	"$LAB_TOP/lab/scripts/config.sh" "$am" "$obj" "$LAB_TOP/lab/kernel.config" \
		"$am/tools/testing/selftests/pci/doe/config" "$LAB_TOP/lab/gate.config"
	cp "$obj/.config" "$top/gate.config"
}

build_at() {	# build_at REV: olddefconfig from the gate config, then vmlinux
	at "$1"
	cp "$top/gate.config" "$obj/.config"
	"${KMAKE[@]}" olddefconfig >/dev/null
	"${KMAKE[@]}" vmlinux >"$obj/build-$1.log" 2>&1 ||
		{ grep -E 'error|Error' "$obj/build-$1.log" | head -n 20; return 1; }
}

# Sparse and W=1 findings at the base and at the head, on the objects
# of the touched C files (the base has no doe_kunit.c, for one).  Kbuild's
# "CHECK" and "CC" lines prove that sparse and the W=1 compiler ran on
# every one of them.  One scan serves both gates: it is kept for the
# trees, config and tools it scanned with, and made again for others.
scan() {
	local key
	# Whatever the findings depend on: both trees, the config, the compiler
	key=$({ git -C "$am" rev-parse base^{tree} series-am^{tree}
		cat "$LAB_TOP"/lab/kernel.config "$LAB_TOP"/lab/gate.config \
		    "$LAB_TOP"/lab/scripts/config.sh "$am"/tools/testing/selftests/pci/doe/config
		gcc --version; sparse --version 2>&1; } | sha1sum | cut -d' ' -f1)
	[ "$(cat "$top/scan.tree" 2>/dev/null)" = "$key" ] && return 0
	rm -f "$top/scan.tree"
	configure
	scan_both
	echo "$key" >"$top/scan.tree"
}

scan_both() {
	local rev objs
	for rev in base series-am; do
		build_at "$rev"
		objs=$(objects)
		# One job: the CHECK and CC lines are never interleaved with
		# the tools' output
		# shellcheck disable=SC2086
		"${KMAKE_V[@]}" -j1 C=2 $objs >"$top/sparse-$rev.log" 2>&1 ||
			failed "$top/sparse-$rev.log" "make C=2 failed at $rev"
		# shellcheck disable=SC2086
		"${KMAKE_V[@]}" -j1 W=1 $objs >"$top/w1-$rev.log" 2>&1 ||
			failed "$top/w1-$rev.log" "make W=1 failed at $rev"
		ran "$top/sparse-$rev.log" CHECK "$objs"
		ran "$top/w1-$rev.log" CC "$objs"
		findings "$top/sparse-$rev.log" >"$top/sparse-$rev.txt"
		findings "$top/w1-$rev.log" >"$top/w1-$rev.txt"
	done
}

failed() {	# failed LOG WHY: show the end of LOG, then stop
	tail -n 30 "$1" | sed 's/^/    /'
	die "$2; see $1"
}

ran() {	# ran LOG TOOL OBJECTS: every object has its Kbuild TOOL line
	local missing
	missing=$(kbuild_ran "$1" "$2" "$3" "$am/") || failed "$1" "no $2 of $missing"
}

compare() {	# compare sparse|w1: fail on a finding only the head has
	local what=$1
	echo "$what: $(wc -l <"$top/$what-base.txt") findings at base, $(wc -l <"$top/$what-series-am.txt") with the series, on: $(objects | paste -sd' ')"
	if comm -13 "$top/$what-base.txt" "$top/$what-series-am.txt" | grep .; then
		echo "$what: the lines above are new"
		return 1
	fi
}

