# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job demo (make demo): load the module, run a guest workload, show what
# the module shows, unload it.

job_main() {
	local f
	say "# host kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, CPU part $(sed -n 's/^CPU part[^:]*: //p' /proc/cpuinfo | head -n1)"
	say "# $(dmesg | grep -o 'kvm \[1\]: .*mode initialized.*' | head -n1)"
	say "\$ insmod kvm_exit_timing.ko"
	load_module 2>&1 | tee -a "$RESULTS" || failed=1
	dmesg | grep kvm_exit_timing | sed 's/^/  dmesg: /' | tee -a "$RESULTS"
	say "\$ /ket/tools/exit_workload -v 2 -r 200   (IPIs, GIC MMIO, timer interrupts in WFI, HVCs, ucalls)"
	/ket/tools/exit_workload -v 2 -r 200 2>&1 | grep -v '^Random seed' | tee -a "$RESULTS" || failed=1
	for f in summary control; do
		say ""
		say "\$ cat /sys/kernel/debug/kvm_exit_timing/$f"
		cat /sys/kernel/debug/kvm_exit_timing/$f 2>&1 | tee -a "$RESULTS" || failed=1
	done
	say "\$ rmmod kvm_exit_timing"
	unload_module 2>&1 | tee -a "$RESULTS" || failed=1
	kernel_log_clean || failed=1
}
