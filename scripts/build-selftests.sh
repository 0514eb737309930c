#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the in-tree arm64 KVM selftests and ours (selftests/), static, for
# the kernel tree KDIR, into KDIR/ket-selftests-<key>. Prints that path:
#   <out>/kvm/...   in-tree KVM selftests (their OUTPUT)
#   <out>/ket/...   ours (tests and tools)
# Usage: build-selftests.sh KDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=${1:?usage: build-selftests.sh KDIR}
[ -f "$kdir/.ket-built" ] || ket_die "$kdir is not a built test-bed kernel tree"
cross=aarch64-linux-gnu-
command -v ${cross}gcc >/dev/null || ket_die "${cross}gcc missing; run scripts/setup.sh"

key=$(ket_hash "$kdir" "$(${cross}gcc --version | head -n1)" "$0" \
	$(find "$KET_ROOT/selftests" -type f -not -path '*/build/*' | sort))
out=$kdir/ket-selftests-$key
if [ -f "$out/.ket-built" ]; then
	ket_log "selftests: cached at $out"
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)

ket_run_logged "$out/kvm-build.log" "in-tree KVM selftests build (arm64, static)" -- \
	make -C "$kdir/tools/testing/selftests/kvm" -j"$(nproc)" ARCH=arm64 \
	CROSS_COMPILE=$cross EXTRA_CFLAGS=-static OUTPUT="$out/kvm"
ket_run_logged "$out/ket-build.log" "kvm_exit_timing selftests build" -- \
	make -C "$KET_ROOT/selftests" -j"$(nproc)" KSRC="$kdir" KVM_OUT="$out/kvm" \
	OUTPUT="$out/ket" CROSS_COMPILE=$cross

for old in "$kdir"/ket-selftests-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
touch "$out/.ket-built"
ket_log "selftests: built in $(( $(date +%s) - start ))s at $out"
echo "$out"
