# SPDX-License-Identifier: GPL-2.0
# Common helpers for the lab scripts.  Sourced, not executed.

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$LAB_TOP/build}
LOGS=$BUILD/logs

# Reports from the kernel's debug facilities (lockdep, KASAN, ODEBUG,
# kmemleak, WARN, BUG, panic) in a console log.
SPLAT='Kernel panic|BUG:|Oops|WARNING:|Call Trace:|KASAN|UBSAN|ODEBUG|possible recursive locking|possible circular locking|INFO: task .* blocked|general protection fault|new suspected memory leaks|turning off the locking correctness validator'

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
