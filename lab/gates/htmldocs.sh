#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make htmldocs SPHINXDIRS=PCI" builds PCI/doe.html, with no warning the
# base lacks.
. "$(dirname "$0")/lib.sh"

prepare
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
