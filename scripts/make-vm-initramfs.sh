#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the initramfs of the Linux guests that QEMU boots inside the bed:
# static busybox (arm64), the workload tools with the libraries they load
# (a pack of scripts/pack-debian.sh) and guest/vm/init, which runs one
# workload and powers the guest off. Uncompressed: no decompressor needed.
# Usage: make-vm-initramfs.sh KDIR WORKLOADS_PACK OUTPUT_CPIO
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

kdir=$1 pack=$2 cpio=$3
gen=$kdir/usr/gen_init_cpio
[ -x "$gen" ] || ket_die "$gen missing: $kdir is not a built kernel tree with initramfs support"
[ -d "$pack" ] || ket_die "no workloads pack at $pack"

# Not inside the spec's block: a failure there would not stop the script.
busybox=$(ket_busybox)
spec=$(mktemp)
trap 'rm -f "$spec"' EXIT
{
	for d in /dev /proc /sys /tmp /bin /sbin /usr /usr/bin /usr/sbin /root; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $KET_ROOT/guest/vm/init 0755 0 0"
	echo "file /bin/busybox $busybox 0755 0 0"
	echo "slink /bin/sh busybox 0777 0 0"
	ket_tree_spec "$pack"
} >"$spec"
mkdir -p "$(dirname "$cpio")"
"$gen" "$spec" >"$cpio"
ket_log "VM initramfs: $cpio ($(( $(stat -c %s "$cpio") / 1048576 )) MiB)"
echo "$cpio"
