#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make shell: boot the test bed with an interactive shell on this terminal.
# Options go to run-guest.sh, e.g.  make shell ARGS="--cpu cortex-a72"
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$KET_ROOT/scripts/setup.sh"
kdir=$("$KET_ROOT/scripts/build-kernel.sh" test)
ko=$(KDIR='' "$KET_ROOT/scripts/build-module.sh")
tests=$("$KET_ROOT/scripts/build-selftests.sh" "$kdir")
run=$KET_CACHE/runs/shell-$(date +%Y%m%d-%H%M%S)
"$KET_ROOT/scripts/make-initramfs.sh" "$kdir" "$tests" "$ko" "$run/initramfs.cpio"
# shellcheck disable=SC2086 # ARGS holds options
exec "$KET_ROOT/scripts/run-guest.sh" --job shell ${ARGS:-} \
	--kernel "$kdir/arch/arm64/boot/Image" --initrd "$run/initramfs.cpio" --out "$run"
