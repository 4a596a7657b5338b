#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# config.sh fails, naming the option, when Kconfig silently drops an option
# a fragment asked for: CXL_ACPI needs ACPI and ACPI_NUMA, which this
# fragment leaves out.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$here/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'CONFIG_PCI=y\nCONFIG_CXL_BUS=y\nCONFIG_CXL_ACPI=y\n' >"$tmp/frag.config"
if out=$("$here/lab/scripts/config.sh" "$build/src" "$tmp/obj" "$tmp/frag.config" 2>&1); then
	echo "a dropped option was not detected"
	exit 1
fi
echo "$out"
echo "$out" | grep -q 'Value requested for CONFIG_CXL_ACPI not in final' || { echo "the dropped option is not named"; exit 1; }
