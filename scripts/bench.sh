#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: what timing every exit costs, deterministically. Builds the
# benchmark kernels (patched and unpatched, no debug checks), boots each
# benchmark host under QEMU with -icount shift=0,sleep=off (1 ns of
# virtual time per instruction) and runs selftests/tools/exit_bench in
# seven scenarios:
#   unpatched        the unpatched kernel
#   patched          the patched kernel, module not loaded
#   module           the module loaded
#   module-cycles    the module loaded, timing in CPU cycles
#   module-breakdowns  the module loaded, every breakdown and IPI latency on
#   tracefs          the tracefs events kvm:kvm_entry + kvm:kvm_exit
#   module+tracefs   both
# then prints one table per host (see BENCHMARKS.md for the method).
#
# Environment:
#   KET_BENCH_HOSTS   hosts of the bed (default: "ls2080 modern")
#   KET_BENCH_N       round trips per pass (default: 2000)
#   KET_BENCH_R       timed passes, after one warm-up (default: 7)
#   KET_BENCH_READS   VMS,VCPUS for the read-cost figures (default: 8,4)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

hosts=${KET_BENCH_HOSTS:-ls2080 modern}
n=${KET_BENCH_N:-2000}
r=${KET_BENCH_R:-7}
reads=${KET_BENCH_READS:-8,4}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || ket_die "KET_BENCH_N must be a positive integer (not '$n')"
[[ "$r" =~ ^[1-9][0-9]?$ ]] || ket_die "KET_BENCH_R must be 1..99 (not '$r')"
[[ "$reads" =~ ^[1-9][0-9]*,[1-9][0-9]*$ ]] || ket_die "KET_BENCH_READS must be VMS,VCPUS (not '$reads')"
for h in $hosts; do
	ket_host_args "$h" >/dev/null || ket_die "KET_BENCH_HOSTS: unknown host '$h' (known: $KET_HOSTS)"
done

ket_setup
run=$(ket_run_dir bench)
# Both kernels boot the same selftest programs, built against the
# patched tree.
ket_build_guest bench "$run/patched.cpio"
kpatched=$KET_BUILT_KDIR
ket_build_guest bench-unpatched "$run/unpatched.cpio" "$KET_BUILT_TESTS"
kbase=$KET_BUILT_KDIR

ket_log "host: cargo benchmark of the pure per-exit record path"
host_bench=$(cd "$KET_ROOT" && cargo test --locked --release -q -p kvm-exit-timing-core bench_ -- \
	--ignored --nocapture 2>&1 | grep '^bench ') || ket_die "the host benchmark failed"
echo "    $host_bench" >&2

start=$(date +%s)
for h in $hosts; do
	args=$(ket_host_args "$h")
	common=(--job bench --icount --timeout 3600)
	# shellcheck disable=SC2086 # args holds words
	"$KET_ROOT/scripts/run-guest.sh" "${common[@]}" --label "$h-unpatched" $args \
		--append "ket.bench_n=$n ket.bench_r=$r ket.bench_scenarios=unpatched" \
		--kernel "$kbase/arch/arm64/boot/Image" --initrd "$run/unpatched.cpio" --out "$run/$h-unpatched" ||
		ket_die "benchmark run failed on $h (unpatched kernel); see $run/$h-unpatched"
	# shellcheck disable=SC2086
	"$KET_ROOT/scripts/run-guest.sh" "${common[@]}" --label "$h-patched" $args \
		--append "ket.bench_n=$n ket.bench_r=$r ket.bench_scenarios=patched,module,module-cycles,module-breakdowns,tracefs,module+tracefs ket.bench_reads=$reads" \
		--kernel "$kpatched/arch/arm64/boot/Image" --initrd "$run/patched.cpio" --out "$run/$h-patched" ||
		ket_die "benchmark run failed on $h (patched kernel); see $run/$h-patched"
done
ket_log "benchmark runs took $(( $(date +%s) - start ))s; results in $run"

echo
echo "make bench: n=$n round trips per pass, $r passes after a warm-up; QEMU $(qemu-system-aarch64 --version | head -n1 | awk '{ print $4 }'), -icount shift=0,sleep=off"
echo "kernel $(ket_pkg_version "$KET_KERNEL_PKG"), configs/base.config (no debug checks); module $(sed -n 's/.*"\([0-9.]*\)".*/\1/p' "$KET_ROOT/rust/pure/version.rs" | head -n1)"
{
	for h in $hosts; do
		python3 "$KET_ROOT/scripts/bench-table.py" "$h" "$run/$h-unpatched/results.txt" \
			"$run/$h-patched/results.txt" || echo "bench-table: rows missing for $h" >&2
	done
	echo
	echo "Host (cargo, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)):"
	echo "  $host_bench"
} | tee "$run/bench.txt"
