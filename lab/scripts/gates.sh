#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gates.sh GATE: one gate on the output of series.sh (build/series/out).
#
#   am          every patch of patches/ applies with "git am" to the
#               pristine base, giving the tree the lab built
#   bisect      the tree at the base and at every patch builds, and
#               sparse and W=1 find nothing new in the C files each touches
#   checkpatch  checkpatch.pl --strict: 0 errors, 0 warnings, 0 checks
#   sparse      "make C=2" on the touched C files: no warning the base lacks
#   w1          "make W=1" on the touched C files: no warning the base lacks
#   coccicheck  "make coccicheck MODE=report M=drivers/pci": nothing new
#   htmldocs    "make htmldocs SPHINXDIRS=PCI" builds PCI/doe.html, and
#               shows no warning the base lacks
#
# "am" makes the clone the other gates build in; run it first.  "sparse"
# builds and scans for both sparse and W=1; run it before "w1".  The
# comparison gates drop line and column numbers, so a moved warning of the
# base is not new.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
git_isolated

top=$BUILD/series
out=$top/out
am=$top/am
obj=$BUILD/obj/gate
gate=$1
export GIT_COMMITTER_NAME=lab GIT_COMMITTER_EMAIL=lab@localhost
# checkpatch runs scripts/spdxcheck.py, which needs Debian's python3-ply
export PATH=/usr/bin:$PATH
# KMAKE_V prints Kbuild's one-line commands (CC, CHECK); KMAKE is silent
KMAKE_V=(make -C "$am" O="$obj" ARCH=x86_64 CC="ccache gcc" -j2
	 KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=lab KBUILD_BUILD_HOST=lab)
KMAKE=("${KMAKE_V[@]}" -s)

patches() {
	ls "$out"/*.patch | grep -v -- '-0000-cover-letter.patch$'
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
# every one of them.
scan() {
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

case $gate in
am)
	# The patches of this repository (patches/series) apply to the base
	# with git am, and give exactly the tree the lab built and tested
	[ -d "$out" ] || die "no series; run lab/scripts/series.sh"
	if why=$(src_unexported); then
		die "$BUILD/src has $why: the lab tested what patches/ does not hold; make export"
	fi
	rm -rf "$am"
	git clone -q --no-checkout -b base "$BUILD/src" "$am"
	at base
	[ -z "$(git -C "$am" status --porcelain)" ] || die "base checkout is not clean"
	git -C "$am" checkout -q -b series-am
	mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LAB_TOP/patches/series")
	git -C "$am" am -q "${series[@]/#/$LAB_TOP/patches/}"
	echo "applied ${#series[@]} patches of patches/series"
	git -C "$am" fetch -q "$BUILD/src" HEAD
	git -C "$am" diff --quiet FETCH_HEAD series-am ||
		die "patches/ differs from $BUILD/src, which the lab built"
	[ "$(patches | wc -l)" = "${#series[@]}" ] ||
		die "$out has $(patches | wc -l) patches, patches/series ${#series[@]}"
	;;
bisect)
	# Every commit builds, and sparse and W=1 find nothing new in the C
	# files it touches: nothing the base does not have in the same file
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
	;;
checkpatch)
	at series-am
	rc=0
	for p in $(patches); do
		res=$("$am/scripts/checkpatch.pl" --strict --no-tree "$p" 2>&1 | grep '^total:' || true)
		echo "$(basename "$p"): $res"
		case $res in
		"total: 0 errors, 0 warnings, 0 checks,"*) ;;
		*) "$am/scripts/checkpatch.pl" --strict --no-tree "$p" 2>&1 | head -n 40; rc=1 ;;
		esac
	done
	exit $rc
	;;
sparse)
	configure
	scan
	compare sparse
	;;
w1)
	[ -f "$top/w1-series-am.txt" ] || die "no W=1 scan; run the sparse gate first"
	compare w1
	;;
coccicheck)
	command -v spatch >/dev/null || die "spatch missing (Debian coccinelle)"
	rc=0
	for rev in base series-am; do
		at "$rev"
		make -s -C "$am" coccicheck MODE=report M=drivers/pci J=2 \
			>"$top/cocci-$rev.log" 2>&1 || rc=1
		grep -E '^[a-z].*:[0-9]+:[0-9]+-[0-9]+: ' "$top/cocci-$rev.log" |
			sed -E 's/:[0-9]+:[0-9]+-[0-9]+:/:/' | sort -u >"$top/cocci-$rev.txt" || true
	done
	[ $rc = 0 ] || { tail -n 20 "$top/cocci-series-am.log"; die "coccicheck failed to run"; }
	echo "coccicheck: $(wc -l <"$top/cocci-base.txt") reports at base, $(wc -l <"$top/cocci-series-am.txt") with the series"
	if comm -13 "$top/cocci-base.txt" "$top/cocci-series-am.txt" | grep .; then
		echo "coccicheck: the lines above are new"
		exit 1
	fi
	;;
htmldocs)
	command -v sphinx-build >/dev/null || die "sphinx-build missing (Debian python3-sphinx)"
	rc=0
	for rev in base series-am; do
		at "$rev"
		rm -rf "$top/docs-$rev"
		make -s -C "$am" O="$top/docs-$rev" SPHINXDIRS=PCI htmldocs \
			>"$top/docs-$rev.log" 2>&1 || rc=1
		grep -E 'WARNING|ERROR|warning:|error:' "$top/docs-$rev.log" |
			sed -E -e "s@$am/@@g" -e 's/:[0-9]+:/:/g' | sort -u >"$top/docs-$rev.txt" || true
	done
	[ $rc = 0 ] || { tail -n 20 "$top/docs-series-am.log"; die "htmldocs failed"; }
	[ -f "$top/docs-series-am/Documentation/output/PCI/doe.html" ] || die "no PCI/doe.html"
	echo "htmldocs: $(wc -l <"$top/docs-base.txt") warnings at base, $(wc -l <"$top/docs-series-am.txt") with the series; PCI/doe.html built"
	if comm -13 "$top/docs-base.txt" "$top/docs-series-am.txt" | grep .; then
		echo "htmldocs: the lines above are new"
		exit 1
	fi
	;;
*)
	die "unknown gate $gate"
	;;
esac
