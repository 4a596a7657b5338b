#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches/ to build/src and back (tree.sh, export.sh), on a small fake base:
# the patches land as commits; a second run rewrites nothing; a changed
# patch rewrites only its file; a patch that does not apply is named;
# commits, edits or new files that patches/ lacks are never dropped
# without FORCE=1; export writes a commit back as a patch that applies
# again, whatever the user's git configuration says.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/scripts.log
fail() { echo "$*"; tail -n 20 "$log" | sed 's/^/    /'; exit 1; }

top=$tmp/top base=$tmp/build/base/linux src=$tmp/build/src
mkdir -p "$top/lab/scripts" "$top/patches" "$base/drivers/pci"
cp "$here"/lab/scripts/{lib.sh,tree.sh,export.sh} "$top/lab/scripts/"
echo 6.12.0-test >"$tmp/build/base/VERSION"
printf 'one\ntwo\nthree\n' >"$base/MAINTAINERS"
echo base >"$base/drivers/pci/doe.c"
export BUILD=$tmp/build
tree=$top/lab/scripts/tree.sh export=$top/lab/scripts/export.sh

# Two patches, made the way a developer makes them: commits, format-patch
mk=$tmp/mk
cp -a "$base" "$mk"
git -C "$mk" init -q -b base
git -C "$mk" add -A
git -C "$mk" -c user.name=t -c user.email=t@t commit -q -m base
git -C "$mk" checkout -q -b work
printf 'one\none and a half\ntwo\nthree\n' >"$mk/MAINTAINERS"
git -C "$mk" -c user.name=t -c user.email=t@t commit -q -am "MAINTAINERS: one more"
echo series >"$mk/drivers/pci/doe.c"
git -C "$mk" -c user.name=t -c user.email=t@t commit -q -am "PCI/DOE: change"
git -C "$mk" format-patch -q --no-numbered --zero-commit -o "$top/patches" base..HEAD
(cd "$top/patches" && ls ./*.patch | sed 's@^\./@@') >"$top/patches/series"

"$tree" 2>>"$log"
[ "$(git -C "$src" log --format=%s base..series | tac | paste -sd,)" = \
  "MAINTAINERS: one more,PCI/DOE: change" ] || fail "commits not as the patches"
grep -qx 'one and a half' "$src/MAINTAINERS" || fail "patch 1 not applied"
grep -qx series "$src/drivers/pci/doe.c" || fail "patch 2 not applied"

stamp() { find "$src" -path "$src/.git" -prune -o -type f -printf '%p %T@\n' | sort; }
# Idempotent: a second run rewrites nothing
before=$(stamp)
sleep 1.1
"$tree" 2>>"$log"
[ "$before" = "$(stamp)" ] || fail "second run rewrote files"

# A changed patch rewrites its file only
sed -i 's/^+series$/+series v2/' "$top/patches/0002-PCI-DOE-change.patch"
"$tree" 2>>"$log"
grep -qx 'series v2' "$src/drivers/pci/doe.c" || fail "changed patch not applied"
diff <(echo "$before" | grep -v drivers/pci/doe.c) <(stamp | grep -v drivers/pci/doe.c) >/dev/null ||
	fail "a changed patch rewrote other files"

# A commit in build/src that patches/ lacks is kept, and refused to drop
echo developer >"$src/drivers/pci/doe.c"
git -C "$src" -c user.name=d -c user.email=d@d commit -q -am "PCI/DOE: developer change"
echo "# touched" >>"$top/patches/series"
if out=$("$tree" 2>&1); then fail "tree.sh dropped an unexported commit"; fi
echo "$out" | grep -q "make export" || fail "refusal does not say what to do: $out"
grep -qx developer "$src/drivers/pci/doe.c" || fail "the developer's commit is gone"

# Export writes it back; the next tree keeps it; the patch applies again
"$export" >>"$log" 2>&1
[ "$(grep -c '\.patch$' "$top/patches/series")" = 3 ] || fail "export did not list 3 patches"
grep -q 'Subject: \[PATCH\] PCI/DOE: developer change' "$top/patches/0003-PCI-DOE-developer-change.patch" ||
	fail "export did not write the commit"
before=$(stamp)
"$tree" 2>>"$log"
[ "$before" = "$(stamp)" ] || fail "tree after export rewrote files"
FORCE=1 "$tree" 2>>"$log"
# The user's git configuration changes nothing
exported=$(cat "$top/patches/0003-PCI-DOE-developer-change.patch")
mkdir -p "$tmp/home"
printf '[format]\n\tsignOff = true\n[diff]\n\tnoprefix = true\n[am]\n\tthreeWay = true\n' >"$tmp/home/.gitconfig"
HOME=$tmp/home "$export" >>"$log" 2>&1 || fail "export failed under the user's git configuration"
[ "$exported" = "$(cat "$top/patches/0003-PCI-DOE-developer-change.patch")" ] ||
	fail "the user's git configuration changed the exported patch"
rm -rf "$tmp/build/tree-state"
if "$tree" 2>>"$log"; then fail "no tree-state: tree.sh reset commits it cannot account for"; fi
FORCE=1 "$tree" 2>>"$log"
grep -qx developer "$src/drivers/pci/doe.c" || fail "exported patch does not apply again"

# A new file is work too (the Debian base ignores it until git add -f)
echo new >"$src/drivers/pci/new.c"
echo "# touched for the new file" >>"$top/patches/series"
if "$tree" 2>>"$log"; then fail "tree.sh dropped a new file"; fi
[ -f "$src/drivers/pci/new.c" ] || fail "the new file is gone"
if "$export" >>"$log" 2>&1; then fail "export left a new file out"; fi
rm "$src/drivers/pci/new.c"

# Uncommitted edits are not dropped either
echo edit >"$src/drivers/pci/doe.c"
echo "# touched again" >>"$top/patches/series"
if "$tree" 2>>"$log"; then fail "tree.sh dropped an uncommitted edit"; fi
grep -qx edit "$src/drivers/pci/doe.c" || fail "the uncommitted edit is gone"
FORCE=1 "$tree" 2>>"$log"
grep -qx developer "$src/drivers/pci/doe.c" || fail "FORCE=1 did not reset the tree"

# A patch that does not apply fails loudly and is named
cat >"$top/patches/0004-bad.patch" <<'P'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: t <t@t>
Date: Thu, 1 Jan 1970 00:00:00 +0000
Subject: [PATCH] bad

---
 MAINTAINERS | 1 +
 1 file changed, 1 insertion(+)

diff --git a/MAINTAINERS b/MAINTAINERS
--- a/MAINTAINERS
+++ b/MAINTAINERS
@@ -1,2 +1,3 @@
 not
+in the base
 here
--
P
echo 0004-bad.patch >>"$top/patches/series"
if out=$("$tree" 2>&1); then fail "a patch that does not apply was accepted"; fi
echo "$out" | grep -q 'patches/0004-bad.patch does not apply' ||
	fail "failure does not name the patch: $out"
echo "tree: patches become commits, reruns rewrite nothing, unexported commits, edits and new files kept, export round-trips whatever the git configuration, bad patch named"
