# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label and the like: the runner sets them (guest/init)
#
# What the guest jobs share: the results file, TAP test points, the hang
# watchdog's report, the module, the kernel-log check. Sourced by /init
# (busybox sh: no bash-isms).

RESULTS=/tmp/results
: >"$RESULTS"
n=0		# test points so far
failed=0	# the run's exit status

# The value of ket.NAME= on the kernel command line.
arg() { sed -n "s/.*ket\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

# Everything a job says goes to the console (progress) and to $RESULTS.
say() { echo "$*" | tee -a "$RESULTS"; }

# Where a test that ran out of time hangs: every thread's state, wait
# channel and kernel stack, and the kernel log's tail.
hang_report() { # pid
	local task tid
	for task in "/proc/$1/task/"*; do
		tid=${task##*/}
		say "# hang: thread $tid ($(cat "$task"/comm 2>/dev/null)):" \
			"state $(awk '{ print $3 }' "$task"/stat 2>/dev/null), wchan $(cat "$task"/wchan 2>/dev/null)"
		sed 's/^/# hang:   /' "$task"/stack 2>/dev/null | tee -a "$RESULTS"
	done
	# A timer that expired but never fired tells a lost timer interrupt.
	grep -E '^now at|^cpu:|expires_next|kvm|tick_' -A1 /proc/timer_list 2>/dev/null |
		grep -vE '^--|^ *\.(clock|base|index|resolution|get_time|offset)' |
		sed 's/^/# hang: timers: /' | tee -a "$RESULTS"
	grep -E 'CPU|arch_timer|IPI' /proc/interrupts | sed 's/^/# hang: irqs: /' | tee -a "$RESULTS"
	sleep 2
	grep arch_timer /proc/interrupts | sed 's/^/# hang: irqs 2 s later: /' | tee -a "$RESULTS"
	dmesg | tail -n 20 | sed 's/^/# hang: kernel: /' | tee -a "$RESULTS"
}

# TAP: run one test program as one test point; its own TAP is nested.
# A watchdog reports where it hangs and kills it after @timeout seconds.
run_test() { # name timeout cmd...
	local name=$1 limit=$2 rc start dog
	shift 2
	n=$((n + 1))
	say "# $label: running $name"
	start=$(date +%s)
	rm -f /tmp/pid
	( sleep "$limit"; [ -s /tmp/pid ] || exit 0; hang_report "$(cat /tmp/pid)"
	  kill -KILL "$(cat /tmp/pid)" ) &
	dog=$!
	{ "$@" 2>&1 & echo $! >/tmp/pid; wait $!; echo $? >/tmp/rc; } |
		sed 's/^/# /' | tee -a "$RESULTS"
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	rc=$(cat /tmp/rc)
	say "# $label: $name took $(( $(date +%s) - start ))s"
	case $rc in
	0) say "ok $n $label/$name" ;;
	4) say "ok $n $label/$name # SKIP" ;;
	137) say "not ok $n $label/$name # timed out after ${limit}s"; failed=1 ;;
	*) say "not ok $n $label/$name # exit=$rc"; failed=1 ;;
	esac
}

# A test point of the job's own making.
check_point() { # name condition-command...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then say "ok $n $label/$name"; else say "not ok $n $label/$name"; failed=1; fi
}

load_module() { insmod /ket/kvm_exit_timing.ko; }
unload_module() { rmmod kvm_exit_timing; }

# The line KVM logs when it starts, e.g. "kvm [1]: VHE mode initialized".
kvm_mode() { dmesg | grep -o 'kvm \[1\]: [A-Za-z]* mode initialized.*' | head -n1; }

# The counter erratum workaround runs exactly where the host's device tree
# asks for it (the cycles boot's timer node names Freescale A-008585) and
# the kernel was built with it (its read function is in kallsyms).
A008585_LOG='Enabling global workaround for Freescale erratum a005858'
counter_erratum() {
	local built=no asked=no enabled=no expected=no
	grep -q ' fsl_a008585_read_cntpct_el0$' /proc/kallsyms && built=yes
	[ -e /proc/device-tree/timer/fsl,erratum-a008585 ] && asked=yes
	dmesg | grep -qF "$A008585_LOG" && enabled=yes
	[ $built$asked = yesyes ] && expected=yes
	say "# counter erratum A-008585: device tree $asked, workaround built $built, enabled $enabled"
	[ $enabled = $expected ]
}

# Any of these in the kernel log fails the run: the debug checks' reports.
KERNEL_REPORTS='WARNING:|BUG:|Oops|Unable to handle|Kernel panic|Call trace:|circular locking|possible recursive locking|inconsistent lock state|sleeping function called from invalid context|list_add corruption|list_del corruption|UBSAN|KASAN'
# An allocation failure that a test injected is reported with a call trace
# (warn_alloc()): that trace is expected, up to the next report's header.
kernel_log_clean() {
	dmesg >/tmp/kernel.log
	# A buffer that wrapped may have lost a report: say so rather than pass.
	if ! head -n 1 /tmp/kernel.log | grep -q 'Booting Linux'; then
		say "# kernel log no longer starts at boot ($(wc -c </tmp/kernel.log) bytes): reports may be lost"
		return 1
	fi
	awk -v re="$KERNEL_REPORTS" '
		/page allocation failure:|vmalloc error:/ { alloc = 1; next }
		/cut here|WARNING:|BUG:|Oops|INFO:|=====/ { alloc = 0 }
		alloc && /Call trace:/ { next }
		$0 ~ re' /tmp/kernel.log >/tmp/reports
	if [ -s /tmp/reports ]; then
		sed 's/^/# kernel: /' /tmp/reports | head -n 40 | tee -a "$RESULTS"
		return 1
	fi
}
