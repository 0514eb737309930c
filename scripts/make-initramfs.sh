#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the guest's initramfs: static busybox (arm64), guest/init with its
# library and jobs (guest/lib.sh, guest/jobs/), the module, our selftests
# and tools, and the in-tree KVM selftests; and, given a VM payload, what
# runs Linux guests inside the bed: QEMU with the libraries it loads (a
# pack of scripts/pack-debian.sh, at /), the guests' kernel and initramfs
# and guest/vm/run-vm, in /ket/vm.
# Usage: make-initramfs.sh KDIR SELFTESTS_OUT MODULE_KO|none OUTPUT_CPIO
#                          [VMM_PACK VM_IMAGE VM_CPIO]
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

kdir=$1 tests=$2 ko=$3 cpio=$4 vmm=${5:-} vm_image=${6:-} vm_cpio=${7:-} exit_stat=${8:-}
gen=$kdir/usr/gen_init_cpio
[ -x "$gen" ] || ket_die "$gen missing: $kdir is not a built kernel tree with initramfs support"

# Not inside the spec's block: a failure there would not stop the script.
busybox=$(ket_busybox)
spec=$(mktemp)
trap 'rm -f "$spec"' EXIT
{
	for d in /dev /proc /sys /tmp /bin /sbin /usr /usr/bin /usr/sbin /root /ket \
		/ket/guest /ket/guest/jobs /ket/tests /ket/tools /ket/kvm /ket/kvm/aarch64; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $KET_ROOT/guest/init 0755 0 0"
	echo "file /ket/guest/lib.sh $KET_ROOT/guest/lib.sh 0644 0 0"
	for j in "$KET_ROOT"/guest/jobs/*.sh; do
		echo "file /ket/guest/jobs/$(basename "$j") $j 0644 0 0"
	done
	echo "file /bin/busybox $busybox 0755 0 0"
	echo "slink /bin/sh busybox 0777 0 0"
	[ "$ko" = none ] || echo "file /ket/kvm_exit_timing.ko $ko 0644 0 0"
	echo "file /ket/upstream.list $KET_ROOT/selftests/upstream.list 0644 0 0"
	# shellcheck disable=SC2013 # the lists are words on one line
	for t in $(sed -n 's/^TESTS := //p' "$KET_ROOT/selftests/Makefile"); do
		echo "file /ket/tests/$t $tests/ket/$t 0755 0 0"
	done
	# shellcheck disable=SC2013
	for t in $(sed -n 's/^TOOLS := //p' "$KET_ROOT/selftests/Makefile"); do
		echo "file /ket/tools/$(basename "$t") $tests/ket/$t 0755 0 0"
	done
	# Every in-tree KVM test program (the job upstream-all runs them all).
	(cd "$tests/kvm" && find . -maxdepth 2 -type f -perm -u+x ! -name '*.o' | sed 's|^\./||' | sort) |
		while read -r t; do echo "file /ket/kvm/$t $tests/kvm/$t 0755 0 0"; done
	if [ -n "$vmm" ]; then
		ket_tree_spec "$vmm"
		echo "dir /ket/vm 0755 0 0"
		echo "file /ket/vm/run-vm $KET_ROOT/guest/vm/run-vm 0755 0 0"
		echo "file /ket/vm/Image $vm_image 0644 0 0"
		echo "file /ket/vm/initramfs.cpio $vm_cpio 0644 0 0"
	fi
	[ -z "$exit_stat" ] || echo "file /ket/kvm-exit-stat $exit_stat 0755 0 0"
} >"$spec"
mkdir -p "$(dirname "$cpio")"
"$gen" "$spec" >"$cpio"
ket_log "initramfs: $cpio ($(( $(stat -c %s "$cpio") / 1048576 )) MiB)"
