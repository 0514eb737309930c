# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job bench (make bench): the exit round-trip benchmarks in each configuration
# that ket.bench_configs names (see BENCHMARKS.md): 1 or 2, nothing loaded
# (1 is the unpatched kernel); 3, the module; 4, the tracefs events
# kvm_entry and kvm_exit; 5, both. Lines "config=C bench ..." (and "read
# ..." and "control ..." with the module loaded, when ket.bench_reads is
# set).

TRACEFS=/sys/kernel/tracing
trace_events() { # 0|1
	[ -d $TRACEFS/events ] || mount -t tracefs tracefs $TRACEFS || return 1
	echo "$1" >$TRACEFS/events/kvm/kvm_entry/enable &&
		echo "$1" >$TRACEFS/events/kvm/kvm_exit/enable
}

bench_run() { # config cmd...
	local c=$1
	shift
	{ "$@" 2>&1; echo $? >/tmp/rc; } | sed "s/^/config=$c /" | tee -a "$RESULTS"
	[ "$(cat /tmp/rc)" = 0 ] || { say "# bench: config $c: $* failed (exit $(cat /tmp/rc))"; failed=1; }
}

job_main() {
	local n r configs reads c
	n=$(arg bench_n) r=$(arg bench_r) configs=$(arg bench_configs) reads=$(arg bench_reads)
	say "# bench: $label, $(uname -r), $(kvm_mode)"
	for c in $(echo "$configs" | tr , ' '); do
		case $c in
		1|2) ;;
		3) load_module || { say "# bench: insmod failed"; failed=1; continue; } ;;
		4) trace_events 1 || { say "# bench: cannot enable kvm:kvm_entry/kvm_exit"; failed=1; continue; } ;;
		5) { load_module && trace_events 1; } || { say "# bench: config 5 set-up failed"; failed=1; continue; } ;;
		*) say "# bench: unknown configuration '$c'"; failed=1; continue ;;
		esac
		bench_run "$c" /ket/tools/exit_bench -n "$n" -r "$r"
		# shellcheck disable=SC2046 # VMS,VCPUS as two arguments
		[ "$c" = 3 ] && [ -n "$reads" ] && bench_run "$c" /ket/tools/exit_bench --reads $(echo "$reads" | tr , ' ')
		case $c in 3|5) unload_module || failed=1 ;; esac
		case $c in 4|5) trace_events 0 || failed=1 ;; esac
	done
	kernel_log_clean || failed=1
}
