#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make W=1" on the C files the series touches: no warning the base lacks.
. "$(dirname "$0")/lib.sh"

prepare
scan
compare w1
