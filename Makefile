# SPDX-License-Identifier: GPL-2.0
#
# kvm-exit-timing. Kbuild reads ./Kbuild; this Makefile drives everything:
#
#   make              build rust/kvm_exit_timing.ko against KDIR (default:
#                     the cached test-bed kernel, set up and built if needed)
#   make demo         the main job: boot a KVM host under QEMU, load the
#                     module, run a guest workload, show what it measures
#   make check        every test, on every host of the bed
#   make bench        the overhead benchmark (see BENCHMARKS.md)
#   make stress       the reliability tests at full counts on the debug kernel
#   make setup        install the test bed's dependencies only
#   make kernel       build (or find cached) the patched test kernel only
#   make shell        boot the test bed with an interactive shell
#   make clean        remove the module's and host crates' build products
#
# On your own 6.12 kernel: make KDIR=/path/to/built/kernel [ARCH=arm64]

SCRIPTS := $(CURDIR)/scripts

all: module

module:
	@KDIR="$(KDIR)" $(SCRIPTS)/build-module.sh $(if $(ARCH),ARCH=$(ARCH)) >/dev/null

demo:
	@$(SCRIPTS)/demo.sh

check:
	@$(SCRIPTS)/check.sh

bench:
	@$(SCRIPTS)/bench.sh

stress:
	@KET_MODE=stress $(SCRIPTS)/check.sh

setup:
	@$(SCRIPTS)/setup.sh

kernel:
	@$(SCRIPTS)/setup.sh
	@$(SCRIPTS)/build-kernel.sh test >/dev/null

shell:
	@ARGS="$(ARGS)" $(SCRIPTS)/shell.sh

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf target selftests/build
	find rust -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.rmeta' -o -name '*.d' | xargs rm -f
	rm -f Module.symvers modules.order .module-common.o .*.cmd rust/modules.order rust/.built-against

.PHONY: all module demo check bench stress setup kernel shell clean
