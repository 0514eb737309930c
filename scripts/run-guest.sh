#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test-bed kernel as a KVM host at EL2 under qemu-system-aarch64
# and run one guest job (see guest/init).
#
# Usage: run-guest.sh --kernel Image --initrd cpio [options]
#   --job NAME                what the guest's /init does: a job of
#                             guest/jobs/ (check, debug, stress, lockdown,
#                             demo, bench, upstream-all, shell; default: check)
#   --cpu max|cortex-a72      emulated CPU (default: max)
#   --gic 3|2                 GIC version (default: 3)
#   --nvhe                    force nVHE KVM (kvm-arm.mode=nvhe)
#   --erratum a008585         a host whose SoC has Freescale erratum A-008585:
#                             its device tree's timer node says so, as the
#                             LS2080's does (the kernel then enables its
#                             workaround if it was built with it)
#   --icount                  deterministic time (-icount shift=0,sleep=off:
#                             1 ns per instruction, idle time skipped)
#   --append ARGS             more kernel command-line arguments
#   --smp N                   CPUs (default: 4)
#   --mem SIZE                memory (default: 2G)
#   --timeout S               give up after S seconds (default: 1200)
#   --test-timeout S          upstream-all: per-test limit (default: 120)
#   --label NAME              names this boot in TAP and logs
#   --out DIR                 where serial.log and results go (default: a new temp dir)
#
# Exit status: the guest's own (0 pass, 1 fail), read from the results
# disk, never from the console; 2 if the guest gave no result (crash,
# hang past the timeout); 3 on a usage error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

job=check cpu=max gic=3 nvhe=no erratum='' icount=no smp=4 mem=2G limit=1200 label='' out=''
test_limit=120
kernel='' initrd='' extra_append=''
usage() { sed -n '3,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2; exit 3; }
while [ $# -gt 0 ]; do
	case "$1" in
	--job) job=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--gic) gic=$2; shift ;;
	--nvhe) nvhe=yes ;;
	--erratum) erratum=$2; shift ;;
	--icount) icount=yes ;;
	--append) extra_append=$2; shift ;;
	--smp) smp=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) limit=$2; shift ;;
	--test-timeout) test_limit=$2; shift ;;
	--label) label=$2; shift ;;
	--out) out=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	-h|--help) usage ;;
	*) echo "run-guest.sh: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
case "$job" in ''|*[!a-z0-9-]*) job=/ ;; esac # a name, not a path
[ -f "$KET_ROOT/guest/jobs/$job.sh" ] ||
	{ echo "bad --job '$job' (known: $(cd "$KET_ROOT/guest/jobs" && printf '%s\n' *.sh | sed 's/\.sh$//' | xargs))" >&2; usage; }
case "$cpu" in max|cortex-a72) ;; *) echo "bad --cpu '$cpu' (max or cortex-a72)" >&2; usage ;; esac
case "$gic" in 2|3) ;; *) echo "bad --gic '$gic' (2 or 3)" >&2; usage ;; esac
case "$erratum" in ''|a008585) ;; *) echo "bad --erratum '$erratum' (a008585)" >&2; usage ;; esac
[[ "$smp" =~ ^[1-8]$ ]] || { echo "bad --smp '$smp' (1..8)" >&2; usage; }
[[ "$limit" =~ ^[0-9]+$ ]] || { echo "bad --timeout '$limit'" >&2; usage; }
[[ "$test_limit" =~ ^[0-9]+$ ]] || { echo "bad --test-timeout '$test_limit'" >&2; usage; }
[ -f "$kernel" ] || { echo "--kernel: no such file '$kernel'" >&2; usage; }
[ -f "$initrd" ] || { echo "--initrd: no such file '$initrd'" >&2; usage; }
if [ -z "$label" ]; then
	label=$cpu-gicv$gic
	[ $nvhe = no ] || label+=-nvhe
fi
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/ket-run.XXXXXX")}
mkdir -p "$out"
log=$out/serial.log
results=$out/results.img
truncate -s 0 "$results" && truncate -s 8M "$results"

# A log buffer that holds a whole stress run: the kernel-log check reads
# it at the end and must not miss an early report (LOG_BUF_SHIFT is 128 KB).
append="console=ttyAMA0 panic=-1 log_buf_len=16M ket.job=$job ket.label=$label ket.timeout=$test_limit"
[ $nvhe = yes ] && append+=" kvm-arm.mode=nvhe"
[ -z "$extra_append" ] || append+=" $extra_append"
# shellcheck disable=SC2054 # QEMU's option values hold commas
qemu=(qemu-system-aarch64 -M "virt,virtualization=on,gic-version=$gic" -cpu "$cpu"
	-smp "$smp" -m "$mem" -kernel "$kernel" -initrd "$initrd" -append "$append"
	-drive "file=$results,format=raw,if=none,id=results"
	-device virtio-blk-device,drive=results -no-reboot -nodefaults -display none)
# shellcheck disable=SC2054
[ $icount = yes ] && qemu+=(-icount shift=0,sleep=off)

# A counter erratum is a property of the timer node in the SoC's device
# tree: take the tree QEMU makes for this very machine, add the property
# and boot with the result.
if [ -n "$erratum" ]; then
	"${qemu[@]}" -machine "dumpdtb=$out/machine.dtb" >"$out/dtb.log" 2>&1 ||
		{ cat "$out/dtb.log" >&2; ket_die "QEMU could not dump the machine's device tree"; }
	dtc -q -I dtb -O dts -o "$out/machine.dts" "$out/machine.dtb"
	grep -q '^	timer {$' "$out/machine.dts" || ket_die "QEMU's device tree has no /timer node"
	sed -i "/^	timer {\$/a \		fsl,erratum-$erratum;" "$out/machine.dts"
	dtc -q -I dts -O dtb -o "$out/machine.dtb" "$out/machine.dts"
	qemu+=(-dtb "$out/machine.dtb")
fi

if [ "$job" = shell ]; then
	# Interactive: the console is this terminal, and still logged.
	"${qemu[@]}" -chardev "stdio,id=con,mux=on,signal=off,logfile=$log" \
		-serial chardev:con -mon chardev=con
	exit 0
fi

ket_log "guest [$label]: booting ($cpu, GICv$gic, $( [ $nvhe = yes ] && echo nVHE forced || echo 'VHE if the CPU has it')${erratum:+, erratum $erratum}, smp $smp$( [ $icount = yes ] && echo ', icount'), job $job); log $log"
start=$(date +%s)
"${qemu[@]}" -serial "file:$log" &
qpid=$!
# Progress: the top-level TAP lines and the job's own messages.
# tail follows QEMU's pid, so the pipeline ends with QEMU whatever happens.
tail -n +1 -F --pid=$qpid "$log" 2>/dev/null | grep --line-buffered -E '^(ok|not ok) |^# [^ ]+: running |^ket: ' |
	sed -u "s/^/    [$label] /" >&2 &
tpid=$!
trap 'kill $qpid $tpid 2>/dev/null || true' EXIT
timed_out=no
while kill -0 $qpid 2>/dev/null; do
	if [ $(( $(date +%s) - start )) -ge "$limit" ]; then
		timed_out=yes
		kill $qpid 2>/dev/null || true
		break
	fi
	sleep 1
done
wait $qpid 2>/dev/null || true
sleep 0.5
kill $tpid 2>/dev/null || true

tr -d '\000' <"$results" >"$out/results.txt"
rc=$(sed -n 's/^ket-result: exit=\([0-9]*\)$/\1/p' "$out/results.txt" | tail -n 1)
if [ -z "$rc" ]; then
	if [ $timed_out = yes ]; then
		ket_warn "guest [$label]: no result after the ${limit}s timeout"
	else
		ket_warn "guest [$label]: the guest stopped without a result"
	fi
	echo "---- last lines of $log ----" >&2
	tail -n 30 "$log" >&2
	exit 2
fi
ket_log "guest [$label]: finished in $(( $(date +%s) - start ))s, guest exit $rc; results $out/results.txt"
exit "$rc"
