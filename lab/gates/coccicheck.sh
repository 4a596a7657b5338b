#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make coccicheck MODE=report M=drivers/pci": no report the base lacks.
. "$(dirname "$0")/lib.sh"

prepare
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
