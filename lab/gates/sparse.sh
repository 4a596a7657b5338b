#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make C=2" on the C files the series touches: no warning the base lacks.
. "$(dirname "$0")/lib.sh"

prepare
scan
compare sparse
