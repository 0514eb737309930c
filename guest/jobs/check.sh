# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job check (make check, test kernel): our tests at their quick counts,
# then the upstream regression list. The jobs debug and stress run the
# same with other sizes (run_check).

# make bench's smoke run: a few hundred round trips of every benchmark; it
# must run and report every row. Never a speed: this kernel has debug
# checks and no deterministic clock.
BENCHES="hvc64 sys64 dabt_io_mem dabt_io_user sgi wfi_timer"
bench_smoke() {
	local b
	/ket/tools/exit_bench -n 200 -r 3 >/tmp/bench.out 2>&1 || { sed 's/^/# /' /tmp/bench.out | tee -a "$RESULTS"; return 1; }
	sed 's/^/# /' /tmp/bench.out | grep ' bench ' | tee -a "$RESULTS"
	for b in $BENCHES; do
		grep -Eq "^bench $b n=200 repeats=3 ticks_hz=[1-9][0-9]* min=[0-9]+ median=[0-9]+$" /tmp/bench.out ||
			{ say "# exit_bench: no row for $b"; return 1; }
	done
}

# Tests that load and unload the module themselves: they run first, with
# the module unloaded.
UNLOADED_TESTS="module_lifecycle_test load_churn_test fault_test"

# The option that sets a reliability test's size: quick in make check,
# full (the counts Documentation/reliability.rst reports) in make stress.
scale_args() { # test quick|full
	case "$1:$2" in
	load_churn_test:quick) echo "-n 10" ;;      load_churn_test:full) echo "-n 200" ;;
	fault_test:quick) echo "-n 24" ;;           fault_test:full) echo "-n 400" ;;
	vm_churn_test:quick) echo "-n 50" ;;        vm_churn_test:full) echo "-n 2000" ;;
	oversubscribe_test:quick) echo "-s 3" ;;    oversubscribe_test:full) echo "-s 60" ;;
	hostile_input_test:quick) echo "-n 500" ;;  hostile_input_test:full) echo "-n 10000" ;;
	reader_test:quick) echo "-s 3" ;;           reader_test:full) echo "-s 60" ;;
	# Linux guests under QEMU: the workloads, then guests killed while the
	# module comes and goes.
	qemu_guest_test:quick) echo "-w mix,ipi,io,timer -d 4 -l 3" ;;
	qemu_guest_test:full) echo "-w mix,ipi,io,timer,idle,cpu,memory -d 8 -l 50" ;;
	esac
}

# What the module holds with no VM, its pool aside: after all the churn
# and a reset, no more than right after loading but for the bookkeeping
# vectors' grown capacity (less than one vCPU's state), or something was
# not freed.
CONTROL=/sys/kernel/debug/kvm_exit_timing/control
control_value() { awk -v key="$1:" '$1 == key { print $2 }' $CONTROL; }
module_memory() {
	awk '/^memory: / { m = $2 } /^memory_per_vcpu: / { v = $2 } /^pool: / { p = $2 }
		END { print m - p * v }' $CONTROL
}
memory_baseline() {
	local now per
	# The destroyed VMs' totals of the breakdowns are held until a reset.
	echo reset >$CONTROL
	now=$(module_memory)
	per=$(control_value memory_per_vcpu)
	say "# module memory with no VM, pool aside: $now bytes (after load: $MEMORY_BASELINE)"
	[ "$now" -lt $((MEMORY_BASELINE + per)) ] && [ "$(control_value vcpus)" = 0 ]
}

# kmemleak (debug kernel only): nothing of the module's after two scans.
no_module_leaks() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	! grep -q kvm_exit_timing /sys/kernel/debug/kmemleak || {
		sed 's/^/# kmemleak: /' /sys/kernel/debug/kmemleak | head -n 60 | tee -a "$RESULTS"
		false
	}
}

KET=/sys/kernel/debug/kvm_exit_timing

# kvm-exit-stat on a real run: a Linux guest under QEMU, stopped so that
# its tables hold still. Its snapshot (CSV) must equal every row of every
# table and breakdown file, read here by awk (all but the rates per
# second, which grow stale as the snapshot is read); top and a
# recording's report must show the VM.
exit_stat_matches() {
	local pid vm i f scope rel fail=0
	/ket/vm/run-vm -g "$(vm_gic)" -n 2 -w ipi -d 4 -o /tmp/es-vm.log &
	pid=$!
	i=0
	until grep -q 'ket-vm: start' /tmp/es-vm.log 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then kill -9 $pid 2>/dev/null; return 1; fi
		sleep 1
	done
	/ket/kvm-exit-stat record -o /tmp/es.jsonl --interval 0.5 --duration 2 2>/dev/null || fail=1
	kill -STOP $pid
	sleep 1
	vm=$(basename "$(find "$KET" -maxdepth 1 -name "$pid-*" | head -n1)")
	/ket/kvm-exit-stat snapshot --format csv >/tmp/es.csv || fail=1
	for f in "$KET"/summary "$KET"/sysregs "$KET"/hypercalls "$KET"/wfx "$KET"/mmio "$KET"/interrupts \
		"$KET"/ipi "$KET/$vm"/summary "$KET/$vm"/ipi "$KET/$vm"/*/stats "$KET/$vm"/*/mmio; do
		rel=${f#"$KET"/}
		case "$rel" in
		*/vcpu*/*) scope="vcpu,${rel%%/*},$(echo "$rel" | sed 's|.*/vcpu\([0-9]*\)/.*|\1|')" ;;
		*/*) scope="vm,${rel%%/*}," ;;
		*) scope="host,," ;;
		esac
		awk -v scope="$scope" -v file="${f##*/}" -F, '
			NR == FNR { k = $1 "," $2 "," $3 "," $4 "," $5 "," $6 "," $7; v = $8
				for (i = 9; i <= 15; i++) v = v " " $i; csv[k] = v; next }
			# The rows up to the first empty line (not the EL2 section).
			/^type / && !over { rows = 1; bd = ($2 == "key"); next }
			rows && NF == 0 { rows = 0; over = 1 }
			rows { k = scope "," file "," $1 "," (bd ? $2 "," $3 : ",")
				# count to p99: the rates per second change as time passes.
				v = ""; for (i = bd ? 4 : 2; i <= NF - 2; i++) v = v (v == "" ? "" : " ") $i
				n++
				if (csv[k] != v) { print "# kvm-exit-stat: " k ": csv \"" csv[k] "\" file \"" v "\""; bad = 1 } }
			END { exit bad || !n }' /tmp/es.csv FS=" " "$f" >/tmp/es-diff || fail=1
		tee -a "$RESULTS" </tmp/es-diff
	done
	# The JSON and the files it was read from, for the host to compare
	# (scripts/check-exit-stat-json.py).
	/ket/kvm-exit-stat snapshot --format json --vm "$vm" >/tmp/es.json || fail=1
	{
		sed 's/^/#J /' /tmp/es.json
		for f in "$KET"/summary "$KET/$vm"/summary "$KET/$vm"/*/stats "$KET/$vm"/*/histogram; do
			echo "#F ${f#"$KET"/}"
			sed 's/^/#f /' "$f"
		done
	} >>"$RESULTS"
	/ket/kvm-exit-stat top --once --interval 0.2 --vm "$vm" >/tmp/es-top.txt || fail=1
	grep -q "^kvm-exit-stat top: VM $vm " /tmp/es-top.txt || fail=1
	/ket/kvm-exit-stat report /tmp/es.jsonl --vm "$vm" >/tmp/es-report.txt || fail=1
	grep -q "^SYS64_IPI \|^DABT_IO_MEM_IPI " /tmp/es-report.txt || { sed 's/^/# /' /tmp/es-report.txt | tee -a "$RESULTS"; fail=1; }
	kill -CONT $pid
	wait $pid || fail=1
	return $fail
}

# kvm-exit-stat reading the whole tree again and again while VMs come
# and go (vm_churn_test's): not one snapshot may fail.
exit_stat_under_churn() {
	local pid n=0 bad=0
	/ket/tests/vm_churn_test -n 30 >/tmp/es-churn.out 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		/ket/kvm-exit-stat snapshot --format json >/dev/null 2>>/tmp/es-churn.err || bad=$((bad + 1))
		n=$((n + 1))
	done
	if ! wait $pid; then
		say "# vm_churn_test failed:"
		tail -n 5 /tmp/es-churn.out | sed 's/^/#   /' | tee -a "$RESULTS"
		return 1
	fi
	say "# kvm-exit-stat: $n snapshots while 30 VMs came and went, $bad failed"
	[ -s /tmp/es-churn.err ] && sed 's/^/#   /' /tmp/es-churn.err | sort | uniq -c | head -n 5 | tee -a "$RESULTS"
	[ $bad -eq 0 ] && [ $n -gt 0 ]
}

# The guests' GIC: the host's.
vm_gic() { grep -q gic-v3 /proc/device-tree/intc@8000000/compatible && echo 3 || echo 2; }

run_check() { # quick|full upstream|no-upstream
	local scale=$1 upstream=$2 t name limit=300
	[ "$scale" = full ] && limit=3600
	say "TAP version 13"
	say "# $label: $(uname -r), $(kvm_mode), $scale run"
	check_point "KVM available (/dev/kvm)" test -c /dev/kvm
	check_point "counter erratum workaround as the device tree asks" counter_erratum
	for name in $UNLOADED_TESTS; do
		[ -x "/ket/tests/$name" ] || continue
		# shellcheck disable=SC2046 # an option and its value, or nothing
		run_test "$name" $limit "/ket/tests/$name" $(scale_args "$name" "$scale")
		# One that failed midway must not fail the next ones too.
		[ -d /sys/module/kvm_exit_timing ] || continue
		say "# $label: $name left the module loaded; unloading it"
		rmmod kvm_exit_timing 2>&1 | sed 's/^/# /' | tee -a "$RESULTS"
	done
	[ "$scale" = full ] || check_point "exit_bench smoke run, module not loaded: every benchmark reports" bench_smoke
	check_point "insmod kvm_exit_timing" load_module
	MEMORY_BASELINE=$(module_memory)
	[ "$scale" = full ] || check_point "exit_bench smoke run, module loaded: every benchmark reports" bench_smoke
	for t in /ket/tests/*; do
		name=$(basename "$t")
		case " $UNLOADED_TESTS " in *" $name "*) continue ;; esac
		# shellcheck disable=SC2046
		run_test "$name" $limit "$t" $(scale_args "$name" "$scale")
	done
	# The exact counts again, timed in CPU cycles, and with the probes
	# that key exits for the breakdowns.
	run_test "exit_counts_test -c cycles" $limit /ket/tests/exit_counts_test -c cycles
	run_test "exit_counts_test -b" $limit /ket/tests/exit_counts_test -b
	[ "$scale" = full ] || check_point "kvm-exit-stat: its snapshot equals the files on a running Linux guest; top and report show it" exit_stat_matches
	[ "$scale" = full ] || check_point "kvm-exit-stat: every snapshot succeeds while VMs come and go" exit_stat_under_churn
	# The upstream regression list, with the module loaded.
	[ "$upstream" = no-upstream ] || while read -r t limit; do
		case "$t" in ''|'#'*) continue ;; esac
		run_test "upstream/$t" "${limit:-300}" "/ket/kvm/$t"
	done </ket/upstream.list
	check_point "module memory with no VM back to its level after load" memory_baseline
	check_point "rmmod kvm_exit_timing" unload_module
	check_point "kmemleak finds nothing of the module's" no_module_leaks
	check_point "kernel log has no warnings or lockdep/debug reports" kernel_log_clean
	say "1..$n"
}

job_main() { run_check quick upstream; }
