# SPDX-License-Identifier: GPL-2.0
# Common helpers for the lab scripts.  Sourced, not executed.

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$LAB_TOP/build}
LOGS=$BUILD/logs
# kunit.py's build options, one for every KUnit build of the lab: the
# mutant build is seeded from the KUnit build, so they must match
KUNIT_MAKE=(--jobs=2 --make_options "CC=ccache gcc" --make_options KBUILD_BUILD_TIMESTAMP=@0)

# Reports from the kernel's debug facilities (lockdep, KASAN, ODEBUG,
# kmemleak, WARN, BUG, panic) in a console log.
SPLAT='Kernel panic|BUG:|Oops|WARNING:|Call Trace:|KASAN|UBSAN|ODEBUG|possible recursive locking|possible circular locking|INFO: task .* blocked|general protection fault|new suspected memory leaks|turning off the locking correctness validator'

# The lines of a guest report framed by LAB-BEGIN NAME and LAB-END NAME in
# a results log (ttyS1), without the frame and without CRs
section() {	# section NAME RESULTS_LOG
	sed -n "/^LAB-BEGIN $1/,/^LAB-END $1/{/^LAB-/d;p}" "$2" | tr -d '\r'
}

die() {
	echo "lab: error: $*" >&2
	exit 1
}

note() {
	echo "lab: $*" >&2
}

# The pinned base version: the one non-comment line of lab/base-version.
pinned_version() {
	grep -v '^[[:space:]]*#' "$LAB_TOP/lab/base-version" | grep -v '^[[:space:]]*$' | head -n1
}

# Refresh the package lists once a day at most.
apt_refresh() {
	[ -n "$(find "$BUILD/.apt-updated" -mmin -1440 2>/dev/null)" ] && return 0
	note "apt-get update"
	apt-get update -q >/dev/null || die "apt-get update failed"
	mkdir -p "$BUILD" && touch "$BUILD/.apt-updated"
}

# apt-get install, running "apt-get update" once per lab run first.
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "${p%%=*}" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
	apt_refresh
	note "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >"$BUILD/apt.log" 2>&1 ||
		{ tail -n 20 "$BUILD/apt.log" >&2; die "apt-get install failed (see $BUILD/apt.log)"; }
}

# The lab's git runs ignore the user's and the system's git configuration
# (signing, am and format-patch defaults): the same patches give the same
# commits and files everywhere.
git_isolated() {
	export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
}

# What $BUILD/src (lab/scripts/tree.sh) holds that patches/ lacks: commits
# since the last "make tree" or "make export", uncommitted edits, or new
# files, which the Debian base's .gitignore hides ("git add -f" them).
# Prints what, and returns 0, if there is any.
src_unexported() {
	local src=$BUILD/src head
	[ -d "$src/.git" ] || return 1
	head=$(cat "$BUILD/tree-state/head" 2>/dev/null) ||
		head=$(git -C "$src" rev-parse base)
	if [ "$(git -C "$src" rev-parse HEAD)" != "$head" ]; then
		echo "commits that patches/ lacks"
	elif ! git -C "$src" diff --quiet HEAD; then
		echo "uncommitted edits"
	elif [ -n "$(git -C "$src" ls-files --others | head -n1)" ]; then
		echo "new files ($(git -C "$src" ls-files --others | head -n3 | paste -sd' ')), which git ignores until 'git add -f'"
	else
		return 1
	fi
}

# kbuild_ran LOG TOOL OBJECTS SRCDIR: every object of OBJECTS has its
# Kbuild line for TOOL in LOG ("  CHECK   SRCDIR/drivers/pci/doe.c",
# "  CC      drivers/pci/doe.o").  Prints the first object that has none,
# and fails.  Not "sed | grep -q": grep quits at the first match, and with
# pipefail the SIGPIPE of a sed still writing a long log fails the check.
kbuild_ran() {
	local o text
	text=$(sed "s@$4@@g" "$1")
	for o in $3; do
		grep -Eq "^  $2 +${o%.o}[.][co]\$" <<<"$text" || { echo "$o"; return 1; }
	done
}

# The patches of patches/series, in order, one per line
series_patches() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LAB_TOP/patches/series"
}

# What patches/ holds, as one hash: the list and every patch on it
patches_hash() {
	local p
	mapfile -t p < <(series_patches)
	(cd "$LAB_TOP/patches" && cat series "${p[@]}") | sha1sum | cut -d' ' -f1
}
