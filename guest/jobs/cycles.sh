# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job cycles (make check, the LS2080-like host under QEMU's -icount, with
# its counter erratum workaround on): the PMU cycle counter against the
# generic counter where QEMU's time is exact, 16 cycles a tick, and the
# exact counts of every exit kind timed in both clocks.

job_main() {
	say "TAP version 13"
	say "# $label: $(uname -r), $(kvm_mode), -icount"
	check_point "counter erratum workaround as the device tree asks" counter_erratum
	check_point "insmod kvm_exit_timing" load_module
	run_test clock_test 900 /ket/tests/clock_test -t 5
	run_test "exit_counts_test -c counter" 900 /ket/tests/exit_counts_test -c counter
	run_test "exit_counts_test -c cycles" 900 /ket/tests/exit_counts_test -c cycles
	check_point "rmmod kvm_exit_timing" unload_module
	check_point "kernel log has no warnings or lockdep/debug reports" kernel_log_clean
	say "1..$n"
}
