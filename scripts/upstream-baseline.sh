#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Derive selftests/upstream.list: run every in-tree arm64 KVM selftest on
# the UNPATCHED kernel (same config), without our module, on each host
# configuration, and print the tests that pass on all of them.
# Usage: scripts/upstream-baseline.sh [per-test timeout seconds, default 120]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

limit=${1:-120}
"$KET_ROOT/scripts/setup.sh"
kdir=$("$KET_ROOT/scripts/build-kernel.sh" unpatched)
tests=$("$KET_ROOT/scripts/build-selftests.sh" "$kdir")
run=$KET_CACHE/runs/baseline-$(date +%Y%m%d-%H%M%S)
"$KET_ROOT/scripts/make-initramfs.sh" "$kdir" "$tests" none "$run/initramfs.cpio"
for cfg in $KET_HOSTS; do
	# shellcheck disable=SC2086 # ket_host_args prints words
	"$KET_ROOT/scripts/run-guest.sh" --job upstream-all --label "$cfg" $(ket_host_args "$cfg") \
		--test-timeout "$limit" --timeout 7200 \
		--kernel "$kdir/arch/arm64/boot/Image" --initrd "$run/initramfs.cpio" --out "$run/$cfg" || true
done
echo "Per test, on modern ls2080 gicv2 (ok, SKIP, FAIL):"
for cfg in $KET_HOSTS; do
	sed -n "s/^ok [0-9]* $cfg\/upstream\/\([^ ]*\) # SKIP.*/\1 SKIP/p; s/^ok [0-9]* $cfg\/upstream\/\([^ ]*\)$/\1 ok/p; s/^not ok [0-9]* $cfg\/upstream\/\([^ ]*\) #\(.*\)/\1 FAIL(\2)/p" \
		"$run/$cfg/results.txt"
done | awk '{ r[$1] = r[$1] " " $2 } END { for (t in r) print t ":" r[t] }' | sort
echo "Results: $run"
