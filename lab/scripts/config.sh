#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# config.sh SRC OBJ FRAGMENT...
#
# Configure the kernel in OBJ (built out of tree from SRC): "make tinyconfig",
# merge the fragments in order, "make olddefconfig", then verify that every
# option a fragment asked for is really in the final .config.  Kconfig drops
# an option silently when a dependency is missing; this fails loudly instead.
# Nothing is redone when neither the fragments nor the Kconfig files changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 obj=$2
shift 2
frags=("$@")
mkdir -p "$obj"

sum=$( (cat "${frags[@]}"; find "$src" -name 'Kconfig*' -print0 | sort -z | xargs -0 cat) | sha1sum)
if [ -f "$obj/.config" ] && [ "$(cat "$obj/.config.lab" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi

kmake() {
	make -s -C "$src" O="$obj" ARCH=x86_64 "$@"
}

kmake tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" >"$obj/merge.log" 2>&1 ||
	{ cat "$obj/merge.log" >&2; die "merge_config.sh failed"; }
kmake olddefconfig >/dev/null

bad=0
while read -r line; do
	case "$line" in
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$obj/.config"; then
			echo "lab: config: asked for '$line', got '$(grep "^$opt=" "$obj/.config")'" >&2
			bad=1
		fi
		;;
	CONFIG_*=*)
		if ! grep -qxF "$line" "$obj/.config"; then
			opt=${line%%=*}
			got=$(grep -E "^$opt=|^# $opt is not set" "$obj/.config" || echo "absent")
			echo "lab: config: asked for '$line', got '$got'" >&2
			bad=1
		fi
		;;
	esac
done < <(cat "${frags[@]}")
[ $bad -eq 0 ] || { rm -f "$obj/.config.lab"; die "options above dropped out of $obj/.config"; }
echo "$sum" >"$obj/.config.lab"
