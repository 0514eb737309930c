#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything, from a fresh machine. Host tests, patch style,
# kernel + module + selftests builds, then the guest test job in one boot
# of each host of the bed. Ends with "N passed, N failed, N skipped" and
# exits non-zero on any failure.
#
# A boot is one run of the bed: a host booting a kernel variant with a
# guest job. The boots of make check: modern, ls2080 and gicv2 (each host
# with the test kernel and the check job); debug, the modern host booting
# the debug kernel (KASAN, kmemleak, UBSAN, lockdep, fault injection) to
# run our tests at their quick counts without the upstream ones; cycles,
# the LS2080-like host under QEMU's -icount, with its counter erratum,
# timing the same work on both clocks; and always a last one, lockdown.
# KET_BOOTS limits them (default: the three hosts, debug and cycles), e.g.
#   KET_BOOTS=modern make check
#
# make stress is this script with KET_MODE=stress: the debug kernel
# instead of the test kernel, the reliability tests at their full counts,
# on the modern host unless KET_BOOTS says otherwise, and no upstream
# tests.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# KET_CONFIGS was KET_BOOTS's name until "config" came to mean only
# kernel config fragments.
if [ -n "${KET_CONFIGS:-}" ] && [ -z "${KET_BOOTS:-}" ]; then
	ket_warn "KET_CONFIGS is now called KET_BOOTS; taking KET_BOOTS=\"$KET_CONFIGS\""
	KET_BOOTS=$KET_CONFIGS
fi
mode=${KET_MODE:-check}
case "$mode" in
check) variant=test job=check boots=${KET_BOOTS:-$KET_HOSTS debug cycles} ;;
stress) variant=debug job=stress boots=${KET_BOOTS:-modern} ;;
*) ket_die "KET_MODE must be check or stress (not '$mode')" ;;
esac

pass=0 fail=0 skip=0
failures=()
t0=$(date +%s)
point() { # ok|fail|skip name
	case "$1" in
	ok) pass=$((pass + 1)); echo "ok - $2" ;;
	skip) skip=$((skip + 1)); echo "ok - $2 # SKIP" ;;
	*) fail=$((fail + 1)); failures+=("$2"); echo "not ok - $2" ;;
	esac
}
finish() {
	echo
	ket_log "make $mode finished in $(( $(date +%s) - t0 ))s"
	for f in "${failures[@]}"; do echo "FAILED: $f"; done
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}
# Every step of the build chain (scripts/lib.sh) is a test point.
ket_step_done() { # rc name
	if [ "$1" -eq 0 ]; then point ok "$2"; else point fail "$2"; fi
}

ket_setup || finish

# Host: the module's pure code under cargo, and formatting.
ket_log "host: cargo test (pure module code)"
cargo_log=$(mktemp)
(cd "$KET_ROOT" && cargo test --locked --workspace 2>&1) | tee "$cargo_log" | grep -E '^test |test result' >&2
cargo_rc=${PIPESTATUS[0]}
while read -r name result; do
	if [ "$result" = ok ]; then point ok "host/cargo: $name"; else point fail "host/cargo: $name"; fi
done < <(sed -n 's/^test \(.*\) \.\.\. \([a-zA-Z]*\)$/\1 \2/p' "$cargo_log")
[ "$cargo_rc" -eq 0 ] || point fail "host/cargo test exit status $cargo_rc"
rm -f "$cargo_log"

# kvm-exit-stat with the real consumers of its exports (promtool,
# prometheus_client) and its live view in a real terminal (tmux).
ket_log "host: kvm-exit-stat exports and terminal view"
if (cd "$KET_ROOT" && cargo build -q --locked -p kvm-exit-stat); then
	while read -r line; do
		case "$line" in
		"ok - "*) point ok "host/${line#ok - }" ;;
		"not ok - "*) point fail "host/${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done < <("$KET_ROOT/scripts/test-exit-stat.sh" "$KET_ROOT/target/debug/kvm-exit-stat" 2>&1)
else
	point fail "host: cargo build -p kvm-exit-stat"
fi
# shellcheck disable=SC2046 # paths without spaces
if (cd "$KET_ROOT" && rustfmt --edition 2021 --check $(git ls-files '*.rs') >/dev/null 2>&1); then
	point ok "host: rustfmt --check"
else
	point fail "host: rustfmt --check (run rustfmt --edition 2021 on the .rs files)"
fi

# Builds: the kernel variant, the module, selftests and the initramfs
# $run/initramfs-<variant>.cpio that the boots of this variant share.
run=$(ket_run_dir "$mode")
declare -A kdirs # kernel tree of each variant built
ket_build_guest "$variant" "$run/initramfs-$variant.cpio" || finish
kdir=$KET_BUILT_KDIR
kdirs[$variant]=$kdir

ket_log "patches: checkpatch.pl --strict"
series=$KET_ROOT/patches/6.12/series
for p in "$KET_ROOT"/patches/6.12/*.patch; do
	name=patches/6.12/$(basename "$p")
	grep -qxF "$(basename "$p")" "$series" || { point fail "$name is not listed in series"; continue; }
	if out=$(perl "$kdir/scripts/checkpatch.pl" --strict --no-tree "$p" 2>&1); then
		point ok "checkpatch --strict: $name"
	else
		printf '%s\n' "$out" | sed 's/^/    /' # indented: one line may hold many
		point fail "checkpatch --strict: $name"
	fi
done

# The arguments of run-guest.sh for a boot, in boot_args; the kernel
# variant it boots in boot_variant, built first if it is not this mode's.
boot_setup() { # boot
	boot_variant=$variant
	case "$1" in
	lockdown) boot_args="$(ket_host_args modern) --job lockdown" ;;
	# The LS2080's counter erratum only under -icount: without it, QEMU's
	# counter follows the host's clock and two reads in a row seldom
	# agree, so the workaround's retries run out (Documentation/test-bed.rst).
	cycles) boot_args="$(ket_host_args ls2080) --icount --erratum a008585 --job cycles" ;;
	debug)
		[ "$mode" = check ] || { boot_host_job "$1"; return; }
		boot_variant=debug
		ket_build_guest debug "$run/initramfs-debug.cpio" || return 1
		kdirs[debug]=$KET_BUILT_KDIR
		boot_args="$(ket_host_args modern) --job debug"
		;;
	*) boot_host_job "$1" ;;
	esac
}
boot_host_job() { # host
	boot_args=$(ket_host_args "$1") || { point fail "unknown boot '$1' in KET_BOOTS"; return 1; }
	boot_args+=" --job $job"
	[ "$mode" = stress ] && boot_args+=" --timeout 7200"
	return 0
}

# Each boot runs its job; a last boot of the modern host checks the
# module under lockdown=confidentiality.
for boot in $boots lockdown; do
	boot_setup "$boot" || continue
	# shellcheck disable=SC2086 # boot_args holds words
	"$KET_ROOT/scripts/run-guest.sh" --label "$boot" $boot_args \
		--kernel "${kdirs[$boot_variant]}/arch/arm64/boot/Image" --initrd "$run/initramfs-$boot_variant.cpio" --out "$run/$boot"
	rc=$?
	if [ ! -s "$run/$boot/results.txt" ] || ! grep -q '^ket-result: ' "$run/$boot/results.txt"; then
		point fail "guest [$boot]: no result (exit $rc); see $run/$boot/serial.log"
		continue
	fi
	# Our tests' own TAP points count one by one (nested as "# ok N ..."
	# between "# <boot>: running <test>" and the test's own line); the
	# test's line then only adds a failure if the program itself failed
	# after its points (a crash, a timeout). Upstream tests count as one.
	test='' nested=0
	while IFS= read -r line; do
		case "$line" in
		"# $boot: running "*)
			test=${line#"# $boot: running "}
			nested=0
			continue
			;;
		"# ok "[0-9]*|"# not ok "[0-9]*)
			case "$test" in ''|upstream/*) continue ;; esac
			nested=$((nested + 1))
			sub=${line#"# "}
			name="$test: ${sub#* [0-9]* }"
			case "$sub" in
			"ok "*"# SKIP"*) name="$test: ${sub#*# SKIP }"; point skip "guest [$boot] $name" ;;
			"ok "*) point ok "guest [$boot] $name" ;;
			*) point fail "guest [$boot] $name" ;;
			esac
			continue
			;;
		"ok "[0-9]*|"not ok "[0-9]*) ;;
		*) continue ;;
		esac
		name=${line#* [0-9]* }
		case "$line" in
		"ok "*"# SKIP"*) [ $nested -gt 0 ] || point skip "guest [$boot] ${name%% # SKIP*}" ;;
		"ok "*) [ $nested -gt 0 ] || point ok "guest [$boot] $name" ;;
		"not ok "*) point fail "guest [$boot] $name" ;;
		esac
		test='' nested=0
	done <"$run/$boot/results.txt"
	grep -qx 'ket-result: exit=0' "$run/$boot/results.txt" ||
		grep -qE '^not ok ' "$run/$boot/results.txt" ||
		point fail "guest [$boot]: guest reported failure without a failing test point"
	# The boots that ran kvm-exit-stat on a Linux guest left its JSON and
	# the files it read in their results: Python compares them here.
	if grep -q '^#J ' "$run/$boot/results.txt"; then
		if out=$(/usr/bin/python3 "$KET_ROOT/scripts/check-exit-stat-json.py" "$run/$boot/results.txt" 2>&1); then
			point ok "guest [$boot] kvm-exit-stat: its snapshot's JSON equals the module's files ($(tail -n1 <<<"$out"))"
		else
			printf '%s\n' "$out" | sed 's/^/    /'
			point fail "guest [$boot] kvm-exit-stat: its snapshot's JSON equals the module's files"
		fi
	fi
done
ket_log "guest logs and results: $run"
finish
