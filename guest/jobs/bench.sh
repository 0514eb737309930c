# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job bench (make bench): the exit round-trip benchmarks in each scenario
# that ket.bench_scenarios names, in order (see BENCHMARKS.md):
#   unpatched        nothing loaded, on the unpatched kernel
#   patched          nothing loaded, on the patched kernel
#   module           the module loaded
#   module-cycles    the module loaded with clock=cycles
#   module-breakdowns  the module loaded, every breakdown and IPI latency on
#   tracefs          the tracefs events kvm:kvm_entry and kvm:kvm_exit
#   module+tracefs   both
# Lines "scenario=NAME bench ..." (and "read ..." and "control ..." in
# scenario module, when ket.bench_reads is set).

TRACEFS=/sys/kernel/tracing
trace_events() { # 0|1
	[ -d $TRACEFS/events ] || mount -t tracefs tracefs $TRACEFS || return 1
	echo "$1" >$TRACEFS/events/kvm/kvm_entry/enable &&
		echo "$1" >$TRACEFS/events/kvm/kvm_exit/enable
}

breakdowns() { # on|off
	local b
	for b in sysregs hypercalls wfx mmio interrupts ipi; do
		echo "breakdown $b $1" >/sys/kernel/debug/kvm_exit_timing/control || return 1
	done
}

# What a scenario loads and enables, and how it is undone.
scenario_on() { # name
	case $1 in
	unpatched|patched) ;;
	module) load_module ;;
	module-cycles) insmod /ket/kvm_exit_timing.ko clock=cycles ;;
	module-breakdowns) load_module && breakdowns on ;;
	tracefs) trace_events 1 ;;
	module+tracefs) load_module && trace_events 1 ;;
	*) say "# bench: unknown scenario '$1'"; return 1 ;;
	esac
}
scenario_off() { # name
	local rc=0
	case $1 in module|module-cycles|module-breakdowns|module+tracefs) unload_module || rc=1 ;; esac
	case $1 in tracefs|module+tracefs) trace_events 0 || rc=1 ;; esac
	return $rc
}

bench_run() { # scenario cmd...
	local s=$1
	shift
	{ "$@" 2>&1; echo $? >/tmp/rc; } | sed "s/^/scenario=$s /" | tee -a "$RESULTS"
	[ "$(cat /tmp/rc)" = 0 ] || { say "# bench: scenario $s: $* failed (exit $(cat /tmp/rc))"; failed=1; }
}

job_main() {
	local n r scenarios reads s
	n=$(arg bench_n) r=$(arg bench_r) scenarios=$(arg bench_scenarios) reads=$(arg bench_reads)
	say "# bench: $label, $(uname -r), $(kvm_mode)"
	for s in $(echo "$scenarios" | tr , ' '); do
		scenario_on "$s" || { say "# bench: scenario $s: set-up failed"; failed=1; continue; }
		bench_run "$s" /ket/tools/exit_bench -n "$n" -r "$r"
		[ "$s" = module ] && [ -n "$reads" ] && bench_run "$s" /ket/tools/exit_bench -t "$reads"
		scenario_off "$s" || failed=1
	done
	kernel_log_clean || failed=1
}
