#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# config.sh SRC OBJ FRAGMENT...
#
# Configure the kernel in OBJ (built out of tree from SRC): "make tinyconfig",
# then the kernel's merge_config.sh merges the fragments in order, makes the
# config (alldefconfig) and names every option asked for that is not in the
# final .config.  Kconfig drops an option silently when a
# dependency is missing; this fails loudly instead.  Nothing is redone when
# neither the fragments nor the Kconfig files changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$1 obj=$2
shift 2
mapfile -t frags < <(realpath "$@")	# merge_config.sh runs in SRC
mkdir -p "$obj"

sum=$( (cat "${frags[@]}"; find "$src" -name 'Kconfig*' -print0 | sort -z | xargs -0 cat) | sha1sum)
if [ -f "$obj/.config" ] && [ "$(cat "$obj/.config.lab" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi
rm -f "$obj/.config.lab"
"$LAB_TOP/lab/scripts/kmake.sh" "$src" "$obj" -s tinyconfig >/dev/null
(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -O "$obj" "$obj/.config" "${frags[@]}") \
	>"$obj/merge.log" 2>&1 || { cat "$obj/merge.log" >&2; die "merge_config.sh failed"; }
# It checks tinyconfig's options too: only the fragments' count here
opts=$(sed -nE 's/^(# )?(CONFIG_[A-Za-z0-9_]+)[= ].*/\2/p' "${frags[@]}" | paste -sd'|')
grep -EA2 "^Value requested for ($opts) not in" "$obj/merge.log" >&2 &&
	die "options above dropped out of $obj/.config"
echo "$sum" >"$obj/.config.lab"
