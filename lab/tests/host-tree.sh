#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The build tree is base + patches + overlay: applying twice changes
# nothing, a patch that does not apply is named, and a file the series stops
# touching goes back to the base.  Runs tree.sh on a small fake base.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/top/lab/scripts" "$tmp/top/patches" "$tmp/top/drivers/pci" \
	 "$tmp/build/base/linux/drivers/pci"
cp "$here"/lab/scripts/{lib.sh,tree.sh} "$tmp/top/lab/scripts/"
echo 6.12.0-test >"$tmp/build/base/VERSION"
printf 'one\ntwo\nthree\n' >"$tmp/build/base/linux/MAINTAINERS"
echo "base" >"$tmp/build/base/linux/drivers/pci/doe.c"
echo "overlay" >"$tmp/top/drivers/pci/doe.c"
cat >"$tmp/top/patches/0001-good.patch" <<'P'
--- a/MAINTAINERS
+++ b/MAINTAINERS
@@ -1,3 +1,4 @@
 one
+one and a half
 two
 three
P
echo 0001-good.patch >"$tmp/top/patches/series"
export BUILD=$tmp/build
tree=$tmp/top/lab/scripts/tree.sh

"$tree"
grep -qx 'one and a half' "$tmp/build/src/MAINTAINERS" || { echo "patch not applied"; exit 1; }
grep -qx overlay "$tmp/build/src/drivers/pci/doe.c" || { echo "overlay not copied"; exit 1; }

# Idempotent: a second run rewrites nothing.
before=$(find "$tmp/build/src" -type f -printf '%p %T@ %s\n' | sort)
sleep 1.1
"$tree"
after=$(find "$tmp/build/src" -type f -printf '%p %T@ %s\n' | sort)
[ "$before" = "$after" ] || { echo "second run rewrote files:"; diff <(echo "$before") <(echo "$after"); exit 1; }

# A patch that does not apply fails loudly and is named.
cat >"$tmp/top/patches/0002-bad.patch" <<'P'
--- a/MAINTAINERS
+++ b/MAINTAINERS
@@ -1,2 +1,3 @@
 not
+in the base
 here
P
echo 0002-bad.patch >>"$tmp/top/patches/series"
if out=$("$tree" 2>&1); then
	echo "a patch that does not apply was accepted"; exit 1
fi
echo "$out" | grep -q 'patches/0002-bad.patch does not apply' ||
	{ echo "failure does not name the patch: $out"; exit 1; }

# Dropping the patch and the overlay file restores the base versions.
echo 0001-good.patch >"$tmp/top/patches/series"
: >"$tmp/top/patches/series"
rm "$tmp/top/drivers/pci/doe.c"
"$tree"
cmp "$tmp/build/base/linux/MAINTAINERS" "$tmp/build/src/MAINTAINERS"
cmp "$tmp/build/base/linux/drivers/pci/doe.c" "$tmp/build/src/drivers/pci/doe.c"
echo "tree: idempotent, bad patch named, dropped files restored"
