# SPDX-License-Identifier: GPL-2.0
#
# The PCI DOE series lab.  See README.md.
#
#   make run [SETUP=cxl]           build, boot, print the DOE inventory (lab/setups/)
#   make check [SETUPS="cxl nvme"]  build and run every test (or boot these set-ups only)
#   make tree | export            patches/ to build/src (git am) and back
#
# All output goes to build/ (ignored by git).

SETUP ?= cxl
BUILD := $(CURDIR)/build
SRC   := $(BUILD)/src
OBJ   := $(BUILD)/obj/test
FRAGS := lab/kernel.config lab/debug.config $(SRC)/tools/testing/selftests/pci/doe/config
export BUILD

.PHONY: all base tree export config kernel initramfs run check mutants series bench clean distclean

all: run

base:
	@lab/scripts/base.sh

# build/src: a git repository, the base plus patches/ (git am)
tree: base
	@lab/scripts/tree.sh

# The commits of build/src back to patches/
export:
	@lab/scripts/export.sh

config: tree
	@lab/scripts/config.sh $(SRC) $(OBJ) $(FRAGS)

# "modules" writes Module.symvers, against which the kselftests' test
# module is built (lab/scripts/initramfs.sh)
kernel: config
	@echo "lab: building kernel in $(OBJ) (log: $(OBJ)/build.log)"
	@lab/scripts/kmake.sh $(SRC) $(OBJ) -s bzImage modules >$(OBJ)/build.log 2>&1 || \
		{ grep -E 'error|Error' $(OBJ)/build.log | head -n 30; \
		  echo "lab: error: kernel build failed (see $(OBJ)/build.log)"; exit 1; }

initramfs: kernel
	@lab/scripts/initramfs.sh $(BUILD)/initramfs.cpio $(SRC) $(OBJ)

run: initramfs
	@lab/scripts/run.sh $(SETUP) $(OBJ)/arch/x86/boot/bzImage $(BUILD)/initramfs.cpio

# The build is the first test of "make check", so that a broken build still
# ends in the "N passed, N failed" line.  SETUPS counts only on the command
# line: one in the environment must not make CI's "make check" partial.
check:
	@lab/scripts/check.sh $(OBJ)/arch/x86/boot/bzImage $(BUILD)/initramfs.cpio \
		$(if $(filter command line,$(origin SETUPS)),"$(SETUPS)")

# The patch series to post, with its cover letter, in build/series/out
series: tree
	@lab/scripts/series.sh

# The base kernel's DOE against the series, side by side on the same QEMU;
# the table goes to build/bench/table.txt
bench: tree
	@lab/scripts/bench.sh

# Break the series every way lab/mutants lists; the KUnit suite must catch each
mutants: tree
	@lab/scripts/mutants.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/logs $(BUILD)/initramfs*

distclean:
	rm -rf $(BUILD)
