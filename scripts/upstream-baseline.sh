#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Derive selftests/upstream.list: run every in-tree arm64 KVM selftest on
# the UNPATCHED kernel (same config fragments), without our module, on
# each host of the bed, and print the tests that pass on all of them.
# Usage: scripts/upstream-baseline.sh [per-test timeout seconds, default 120]
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

limit=${1:-120}
ket_setup
run=$(ket_run_dir baseline)
ket_build_guest unpatched "$run/initramfs.cpio"
for host in $KET_HOSTS; do
	# shellcheck disable=SC2046 # ket_host_args prints words
	"$KET_ROOT/scripts/run-guest.sh" --job upstream-all --label "$host" $(ket_host_args "$host") \
		--test-timeout "$limit" --timeout 7200 \
		--kernel "$KET_BUILT_KDIR/arch/arm64/boot/Image" --initrd "$run/initramfs.cpio" --out "$run/$host" || true
done
echo "Per test, on $KET_HOSTS (ok, SKIP, FAIL):"
for host in $KET_HOSTS; do
	sed -n "s/^ok [0-9]* $host\/upstream\/\([^ ]*\) # SKIP.*/\1 SKIP/p; s/^ok [0-9]* $host\/upstream\/\([^ ]*\)$/\1 ok/p; s/^not ok [0-9]* $host\/upstream\/\([^ ]*\) #\(.*\)/\1 FAIL(\2)/p" \
		"$run/$host/results.txt"
done | awk '{ r[$1] = r[$1] " " $2 } END { for (t in r) print t ":" r[t] }' | sort
echo "Results: $run"
