# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job lockdown (make check's last boot): lockdown (confidentiality),
# raised at run time after loading the module: a locked-down kernel loads
# only signed modules, and the bed's is not. The module keeps timing, its
# read-only (0400) files stay readable, and debugfs refuses to open the
# others (control 0600, reset 0200) with EPERM, for reading too.

hvc64_total() { awk '$1 == "HVC64" { print $2 }' /sys/kernel/debug/kvm_exit_timing/summary; }

job_main() {
	local d=/sys/kernel/debug/kvm_exit_timing before
	say "TAP version 13"
	check_point "insmod kvm_exit_timing" load_module
	check_point "lock the kernel down (confidentiality)" sh -c \
		"echo confidentiality >/sys/kernel/security/lockdown && grep -q '\[confidentiality\]' /sys/kernel/security/lockdown"
	check_point "a second insmod is refused (EPERM: unsigned module)" sh -c \
		"! insmod /ket/kvm_exit_timing.ko 2>/tmp/err && grep -q 'not permitted' /tmp/err"
	run_test "exit_workload under lockdown" 300 /ket/tools/exit_workload -v 2 -r 20
	before=$(hvc64_total)
	check_point "summary readable under lockdown, HVC64 counted ($before)" test "${before:-0}" -gt 0
	check_point "control unreadable (EPERM) under lockdown" sh -c "! cat $d/control 2>/tmp/err >/dev/null && grep -q 'not permitted' /tmp/err"
	check_point "control write refused (EPERM) under lockdown" sh -c "! echo reset 2>/tmp/err >$d/control && grep -q 'not permitted' /tmp/err"
	run_test "exit_workload again" 300 /ket/tools/exit_workload -v 2 -r 20
	check_point "nothing was reset and timing goes on ($(hvc64_total) > $before)" test "$(hvc64_total)" -gt "$before"
	check_point "rmmod kvm_exit_timing under lockdown" unload_module
	check_point "kernel log has no warnings" kernel_log_clean
	say "1..$n"
}
