#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: set up and build (cached), boot the LS2080-like KVM host
# (Cortex-A72, GICv3, nVHE) under QEMU, load kvm_exit_timing, run a guest
# workload and print what the module shows.
#
# KET_DEMO_HOST=modern|ls2080|gicv2 picks another host (default: ls2080).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

demo_host=${KET_DEMO_HOST:-ls2080}
host_args=$(ket_host_args "$demo_host") ||
	ket_die "KET_DEMO_HOST must be one of: $KET_HOSTS (not '$demo_host')"

ket_setup
run=$(ket_run_dir demo)
ket_build_guest test "$run/initramfs.cpio"
rc=0
# shellcheck disable=SC2086 # host_args holds words
"$KET_ROOT/scripts/run-guest.sh" --job demo --label "$demo_host" $host_args \
	--kernel "$KET_BUILT_KDIR/arch/arm64/boot/Image" --initrd "$run/initramfs.cpio" --out "$run" || rc=$?
echo
echo "==== inside the KVM host (from $run/results.txt) ===="
grep -v '^ket-result:' "$run/results.txt" 2>/dev/null || true
exit "$rc"
