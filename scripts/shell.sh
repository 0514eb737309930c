#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make shell: boot the test bed with an interactive shell on this terminal.
# Options go to run-guest.sh, e.g.  make shell ARGS="--cpu cortex-a72"
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ket_setup
run=$(ket_run_dir shell)
ket_build_guest test "$run/initramfs.cpio"
# shellcheck disable=SC2086 # ARGS holds options
exec "$KET_ROOT/scripts/run-guest.sh" --job shell ${ARGS:-} \
	--kernel "$KET_BUILT_KDIR/arch/arm64/boot/Image" --initrd "$run/initramfs.cpio" --out "$run"
