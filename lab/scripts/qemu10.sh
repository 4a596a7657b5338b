#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu10.sh: fetch QEMU 10 from bookworm-backports and extract it, once,
# into $BUILD/qemu10, next to (never instead of) the system's QEMU 7.2.
# Print the path of qemu-system-x86_64.
#
# The version is pinned in lab/qemu10-version.  If apt no longer offers it,
# fall back to the newest qemu-system-x86 of bookworm-backports and say so
# loudly.  Nothing is installed: "apt-get download" and "dpkg -x" only.
#
# What is extracted: qemu-system-x86 (the binaries), qemu-system-data (ROMs,
# keymaps), seabios from bookworm-backports (qemu-system-x86 10 depends on
# seabios >> 1.16.3) and ipxe-qemu (the NIC option ROMs of the default
# e1000e).  Not qemu-system-common: it only holds helpers and optional
# modules (audio, curses, USB redirection, virtio-gpu) the lab never uses.
#
# usr/bin/qemu-bundle -> ../.. makes QEMU look for everything it would look
# for under /usr (firmware, keymaps and modules: get_relocated_path() in
# util/cutils.c) inside $BUILD/qemu10 instead.  Without it the binary
# probes the system's QEMU 7.2 modules in /usr/lib/x86_64-linux-gnu/qemu
# and warns about each (see lab/spdm/NOTES.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pin=$(grep -v '^[[:space:]]*#' "$LAB_TOP/lab/qemu10-version" | grep -v '^[[:space:]]*$' | head -n1)
[ -n "$pin" ] || die "lab/qemu10-version holds no version"
dest=$BUILD/qemu10
bin=$dest/usr/bin/qemu-system-x86_64
stamp=$dest/VERSION

if [ -f "$stamp" ] && [ -x "$bin" ] && [ -e "$dest/usr/bin/qemu-bundle" ]; then
	have=$(cat "$stamp")
	if [ "$have" = "$pin" ]; then
		echo "$bin"
		exit 0
	fi
	if [ -f "$dest/FALLBACK" ] && [ "$(cat "$dest/FALLBACK")" = "$pin" ]; then
		note "WARNING: QEMU 10 is the fallback $have, not the pinned $pin"
		echo "$bin"
		exit 0
	fi
	note "QEMU 10 pin changed ($have -> $pin): fetching again"
fi

[ "$(id -u)" -eq 0 ] || die "need root to add bookworm-backports to apt's sources"
# bookworm-backports is NotAutomatic: adding it upgrades nothing.
src=/etc/apt/sources.list.d/lab-bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	note "adding bookworm-backports to apt's sources ($src)"
	cat >"$src" <<EOS
# Added by the DOE lab (lab/scripts/qemu10.sh): QEMU 10 is fetched from here
# with "apt-get download" and extracted under build/, never installed.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	rm -f "$BUILD/.apt-updated"
fi

backports_versions() {	# PACKAGE: the versions bookworm-backports offers
	apt-cache madison "$1" | awk -F' [|] ' '$3 ~ /bookworm-backports/ {print $2}'
}

# Lists older than the source: fetch them now, not tomorrow.
[ -n "$(backports_versions qemu-system-x86)" ] || rm -f "$BUILD/.apt-updated"
apt_refresh

# (Captured, not piped into "grep -q": with pipefail an early grep exit
# would fail the pipeline and fake a missing version.)
offered=$(backports_versions qemu-system-x86)
want=$pin
if ! grep -qxF -- "$pin" <<<"$offered"; then
	newest=$(sort -V <<<"$offered" | tail -n1)
	[ -n "$newest" ] || die "bookworm-backports offers no qemu-system-x86 at all"
	cat >&2 <<EOW
lab: ************************************************************************
lab: WARNING: apt no longer offers the pinned qemu-system-x86=$pin
lab: WARNING: falling back to the newest in bookworm-backports: $newest
lab: WARNING: results are NOT from the pinned QEMU; update lab/qemu10-version
lab: ************************************************************************
EOW
	want=$newest
fi
seabios=$(backports_versions seabios | sort -V | tail -n1)
[ -n "$seabios" ] || die "bookworm-backports offers no seabios"

note "fetching QEMU $want into $dest"
rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp/debs"
# apt-get download drops privileges to _apt; let it write there.
chmod 0777 "$dest.tmp/debs"
(cd "$dest.tmp/debs" &&
 apt-get download -q "qemu-system-x86=$want" "qemu-system-data=$want" \
	"seabios=$seabios" ipxe-qemu) >"$BUILD/qemu10-apt.log" 2>&1 ||
	{ tail -n 5 "$BUILD/qemu10-apt.log" >&2; die "apt-get download failed (see $BUILD/qemu10-apt.log)"; }
for deb in "$dest.tmp/debs"/*.deb; do
	dpkg -x "$deb" "$dest.tmp"
	dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$dest.tmp/PACKAGES"
done
rm -rf "$dest.tmp/debs"
ln -s ../.. "$dest.tmp/usr/bin/qemu-bundle"
mv "$dest.tmp" "$dest"

missing=$(ldd "$bin" | awk '/not found/ {print $1}')
[ -z "$missing" ] || die "QEMU $want needs libraries this system lacks: $missing"
version=$("$bin" --version)
version=${version%%$'\n'*}
case "$version" in
*"version 10."*) ;;
*) die "$bin is not QEMU 10: $version" ;;
esac
echo "$want" >"$stamp"
[ "$want" = "$pin" ] || echo "$pin" >"$dest/FALLBACK"
note "QEMU $want ready: $version"
echo "$bin"
