# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job demo (make demo): load the module, have QEMU boot a Linux guest
# running a real workload, show the VM's table beside KVM's own counters
# and where its time went, unload the module. The kernel command line
# picks the guest: ket.vm_workload, ket.vm_vcpus, ket.vm_gic,
# ket.vm_duration (scripts/demo.sh sets them).

KET=/sys/kernel/debug/kvm_exit_timing
KVM=/sys/kernel/debug/kvm

# The exit rows of a table, by share of the time spent handling exits
# (TIMEINGUEST and DESCHEDULED are not exits): "ROW share%" for the top 3
# (WFX's time is the guest's wait in WFI, said so), the handling time in
# seconds, and TIMEINGUEST's share of all the time.
where_time_went() { # summary-file
	awk '
		/^# frequency: / { hz = $3 }
		/^type / { table = 1; next }
		table && NF == 0 { table = 0 }
		table && $1 == "TIMEINGUEST" { guest = $6; next }
		table && $1 == "DESCHEDULED" { next }
		table { n++; row[n] = $1; t[n] = $6; sum += $6 }
		END {
			if (!sum || !hz) { print "no exits"; exit }
			for (i = 1; i <= 3 && i <= n; i++) {
				best = 0
				for (j = 1; j <= n; j++)
					if (!done[j] && (!best || t[j] > t[best])) best = j
				done[best] = 1
				line = line sprintf("%s%s %.1f%%%s", i > 1 ? ", " : "", row[best], 100 * t[best] / sum,
					row[best] == "WFX" ? " (the guest waiting in WFI)" : "")
			}
			printf "%s of %.3f s handling exits; the vCPUs spent %.1f%% of their time in the guest\n",
				line, sum / hz, 100 * guest / (guest + sum)
		}' "$1"
}

job_main() {
	local workload vcpus gic duration pid rpid vm start f i
	workload=$(arg vm_workload) vcpus=$(arg vm_vcpus) gic=$(arg vm_gic) duration=$(arg vm_duration)
	workload=${workload:-mix} vcpus=${vcpus:-2} duration=${duration:-10}
	[ -n "$gic" ] || gic=$(grep -q gic-v3 /proc/device-tree/intc@8000000/compatible && echo 3 || echo 2)
	say "# host kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, CPU part $(sed -n 's/^CPU part[^:]*: //p' /proc/cpuinfo | head -n1)"
	say "# $(dmesg | grep -o 'kvm \[1\]: .*mode initialized.*' | head -n1)"
	say "\$ insmod kvm_exit_timing.ko"
	load_module 2>&1 | tee -a "$RESULTS" || failed=1
	for f in sysregs interrupts ipi; do
		say "\$ echo breakdown $f on >$KET/control"
		echo "breakdown $f on" >$KET/control || failed=1
	done
	say "\$ kvm-exit-stat record -o /tmp/demo.jsonl --interval 1 &   # snapshots of every table, each second"
	/ket/kvm-exit-stat record -o /tmp/demo.jsonl --interval 1 2>/dev/null &
	rpid=$!
	say "\$ /ket/vm/run-vm -g $gic -n $vcpus -w $workload -d $duration &   # Debian's QEMU, -accel kvm -cpu host, a Linux guest"
	start=$(date +%s)
	/ket/vm/run-vm -g "$gic" -n "$vcpus" -w "$workload" -d "$duration" -o /tmp/vm.log &
	pid=$!
	i=0
	until grep -q 'ket-vm: start' /tmp/vm.log 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
			say "# the guest did not start its workload; its console:"
			sed 's/^/#   /' /tmp/vm.log | tee -a "$RESULTS"
			kill -9 $pid 2>/dev/null
			failed=1
			return
		fi
		sleep 1
	done
	say "# the guest booted and started '$workload' in $(($(date +%s) - start)) s: $(grep 'ket-vm: start' /tmp/vm.log)"
	vm=$(basename "$(find $KVM -maxdepth 1 -name "$pid-*" | head -n1)")
	say ""
	say "\$ kvm-exit-stat top --once --vm $vm   # one frame of the live view (kvm-exit-stat top)"
	/ket/kvm-exit-stat top --once --vm "$vm" 2>&1 | tee -a "$RESULTS" || failed=1
	# Stopped near the end of the workload, so that every vCPU is out of
	# KVM_RUN while both sides are read.
	sleep $((duration * 3 / 4 + 1))
	kill -STOP $pid
	sleep 1
	vm=$(basename "$(find $KVM -maxdepth 1 -name "$pid-*" | head -n1)")
	say ""
	say "\$ cat $KET/$vm/summary   # QEMU stopped"
	tee -a "$RESULTS" <"$KET/$vm/summary" || failed=1
	say ""
	say "# KVM's own counters ($KVM/$vm/):"
	for f in exits hvc_exit_stat wfi_exit_stat wfe_exit_stat mmio_exit_kernel mmio_exit_user; do
		say "#   $(printf '%-18s' $f) $(cat $KVM/"$vm"/$f)"
	done
	say ""
	say "where the time went: $(where_time_went "$KET/$vm/summary")"
	for f in sysregs interrupts ipi; do
		say ""
		say "\$ cat $KET/$vm/$f"
		tee -a "$RESULTS" <"$KET/$vm/$f" || failed=1
	done
	kill -CONT $pid
	wait $pid || { say "# QEMU failed"; failed=1; }
	say "# $(grep 'ket-vm: done' /tmp/vm.log)"
	kill -TERM $rpid
	wait $rpid || failed=1
	say ""
	say "\$ kvm-exit-stat report /tmp/demo.jsonl --vm $vm   # the recorded run, from the VM's start"
	/ket/kvm-exit-stat report /tmp/demo.jsonl --vm "$vm" 2>&1 | tee -a "$RESULTS" || failed=1
	say ""
	say "\$ cat $KET/control"
	cat $KET/control 2>&1 | tee -a "$RESULTS" || failed=1
	say "\$ rmmod kvm_exit_timing"
	unload_module 2>&1 | tee -a "$RESULTS" || failed=1
	kernel_log_clean || failed=1
}
