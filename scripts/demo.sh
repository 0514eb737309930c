#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: set up and build (cached), boot the LS2080-like KVM host
# (Cortex-A72, GICv3, nVHE) under QEMU, load kvm_exit_timing, have QEMU
# boot a 2-vCPU Linux guest inside it running the mix workload, and print
# the VM's table, KVM's own counters beside it, and where the time went.
#
# Options, as environment variables:
#   KET_DEMO_HOST=modern|ls2080|gicv2   the host (default: ls2080, or
#                                       gicv2 for a GICv2 guest)
#   KET_DEMO_GIC=2|3                    the guest's GIC (default: the
#                                       host's; 2 needs the gicv2 host)
#   KET_DEMO_VCPUS=1..4                 the guest's vCPUs (default 2)
#   KET_DEMO_WORKLOAD=NAME              idle cpu memory ipi timer io mix
#                                       (default mix; see guest/vm/init)
#   KET_DEMO_DURATION=S                 seconds of workload (default 10)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

gic=${KET_DEMO_GIC:-}
vcpus=${KET_DEMO_VCPUS:-2}
workload=${KET_DEMO_WORKLOAD:-mix}
duration=${KET_DEMO_DURATION:-10}
case "$gic" in ''|2|3) ;; *) ket_die "KET_DEMO_GIC must be 2 or 3 (not '$gic')" ;; esac
demo_host=${KET_DEMO_HOST:-$([ "$gic" = 2 ] && echo gicv2 || echo ls2080)}
host_args=$(ket_host_args "$demo_host") ||
	ket_die "KET_DEMO_HOST must be one of: $KET_HOSTS (not '$demo_host')"
[ "$gic" != 2 ] || [ "$demo_host" = gicv2 ] ||
	ket_die "a GICv2 guest needs the GICv2 host (KET_DEMO_HOST=gicv2, or leave it unset)"
[ "$gic" != 3 ] || [ "$demo_host" != gicv2 ] ||
	ket_die "the gicv2 host cannot give a guest a GICv3 (KET_DEMO_GIC=2, or leave it unset)"
[[ "$vcpus" =~ ^[1-4]$ ]] || ket_die "KET_DEMO_VCPUS must be 1 to 4 (not '$vcpus')"
case "$workload" in
idle|cpu|memory|ipi|timer|io|mix) ;;
*) ket_die "KET_DEMO_WORKLOAD must be one of: idle cpu memory ipi timer io mix (not '$workload')" ;;
esac
if ! [[ "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -lt 2 ] || [ "$duration" -gt 600 ]; then
	ket_die "KET_DEMO_DURATION must be 2 to 600 seconds (not '$duration')"
fi
vm_args="ket.vm_workload=$workload ket.vm_vcpus=$vcpus ket.vm_duration=$duration${gic:+ ket.vm_gic=$gic}"

ket_setup
run=$(ket_run_dir demo)
ket_build_guest test "$run/initramfs.cpio"
rc=0
# shellcheck disable=SC2086 # host_args holds words
"$KET_ROOT/scripts/run-guest.sh" --job demo --label "$demo_host" $host_args --append "$vm_args" \
	--kernel "$KET_BUILT_KDIR/arch/arm64/boot/Image" --initrd "$run/initramfs.cpio" --out "$run" || rc=$?
echo
echo "==== inside the KVM host (from $run/results.txt) ===="
grep -v '^ket-result:' "$run/results.txt" 2>/dev/null || true
exit "$rc"
