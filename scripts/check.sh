#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything, from a fresh machine. Host tests, patch style,
# kernel + module + selftests builds, then the guest test job on each host
# configuration of the bed. Ends with "N passed, N failed, N skipped" and
# exits non-zero on any failure.
#
# A last configuration, debug, boots the debug kernel (KASAN, kmemleak,
# UBSAN, lockdep, fault injection) on the modern host and runs our tests
# at their quick counts without the upstream ones. KET_CONFIGS limits the
# configurations (default: the three hosts and debug), e.g.
#   KET_CONFIGS=modern make check
#
# make stress is this script with KET_MODE=stress: the debug kernel
# instead of the test kernel, the reliability tests at their full counts,
# on the modern host unless KET_CONFIGS says otherwise, and no upstream
# tests.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mode=${KET_MODE:-check}
case "$mode" in
check) variant=test job=check configs=${KET_CONFIGS:-$KET_HOSTS debug} ;;
stress) variant=debug job=stress configs=${KET_CONFIGS:-modern} ;;
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
	[ "$result" = ok ] && point ok "host/cargo: $name" || point fail "host/cargo: $name"
done < <(sed -n 's/^test \(.*\) \.\.\. \([a-zA-Z]*\)$/\1 \2/p' "$cargo_log")
[ "$cargo_rc" -eq 0 ] || point fail "host/cargo test exit status $cargo_rc"
rm -f "$cargo_log"
if (cd "$KET_ROOT" && rustfmt --edition 2021 --check $(git ls-files '*.rs') >/dev/null 2>&1); then
	point ok "host: rustfmt --check"
else
	point fail "host: rustfmt --check (run rustfmt --edition 2021 on the .rs files)"
fi

# Builds: the kernel variant, the module, selftests and the initramfs
# $run/initramfs-<variant>.cpio that the configurations of this variant
# share.
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
		echo "$out" | sed 's/^/    /'
		point fail "checkpatch --strict: $name"
	fi
done

# The arguments of run-guest.sh for a configuration, in cfg_args; the
# kernel variant it boots in cfg_variant, built first if it is not this
# mode's.
cfg_setup() { # cfg
	cfg_variant=$variant
	case "$1" in
	lockdown) cfg_args="$(ket_host_args modern) --job lockdown" ;;
	debug)
		[ "$mode" = check ] || { cfg_host_job "$1"; return; }
		cfg_variant=debug
		ket_build_guest debug "$run/initramfs-debug.cpio" || return 1
		kdirs[debug]=$KET_BUILT_KDIR
		cfg_args="$(ket_host_args modern) --job debug"
		;;
	*) cfg_host_job "$1" ;;
	esac
}
cfg_host_job() { # host
	cfg_args=$(ket_host_args "$1") || { point fail "unknown configuration '$1' in KET_CONFIGS"; return 1; }
	cfg_args+=" --job $job"
	[ "$mode" = stress ] && cfg_args+=" --timeout 7200"
	return 0
}

# Each host configuration runs the job; one more boot of the modern host
# checks the module under lockdown=confidentiality.
for cfg in $configs lockdown; do
	cfg_setup "$cfg" || continue
	# shellcheck disable=SC2086 # cfg_args holds words
	"$KET_ROOT/scripts/run-guest.sh" --label "$cfg" $cfg_args \
		--kernel "${kdirs[$cfg_variant]}/arch/arm64/boot/Image" --initrd "$run/initramfs-$cfg_variant.cpio" --out "$run/$cfg"
	rc=$?
	if [ ! -s "$run/$cfg/results.txt" ] || ! grep -q '^ket-result: ' "$run/$cfg/results.txt"; then
		point fail "guest [$cfg]: no result (exit $rc); see $run/$cfg/serial.log"
		continue
	fi
	# Our tests' own TAP points count one by one (nested as "# ok N ..."
	# between "# <cfg>: running <test>" and the test's own line); the
	# test's line then only adds a failure if the program itself failed
	# after its points (a crash, a timeout). Upstream tests count as one.
	test='' nested=0
	while IFS= read -r line; do
		case "$line" in
		"# $cfg: running "*)
			test=${line#"# $cfg: running "}
			nested=0
			continue
			;;
		"# ok "[0-9]*|"# not ok "[0-9]*)
			case "$test" in ''|upstream/*) continue ;; esac
			nested=$((nested + 1))
			sub=${line#"# "}
			name="$test: ${sub#* [0-9]* }"
			case "$sub" in
			"ok "*"# SKIP"*) name="$test: ${sub#*# SKIP }"; point skip "guest [$cfg] $name" ;;
			"ok "*) point ok "guest [$cfg] $name" ;;
			*) point fail "guest [$cfg] $name" ;;
			esac
			continue
			;;
		"ok "[0-9]*|"not ok "[0-9]*) ;;
		*) continue ;;
		esac
		name=${line#* [0-9]* }
		case "$line" in
		"ok "*"# SKIP"*) [ $nested -gt 0 ] || point skip "guest [$cfg] ${name%% # SKIP*}" ;;
		"ok "*) [ $nested -gt 0 ] || point ok "guest [$cfg] $name" ;;
		"not ok "*) point fail "guest [$cfg] $name" ;;
		esac
		test='' nested=0
	done <"$run/$cfg/results.txt"
	grep -qx 'ket-result: exit=0' "$run/$cfg/results.txt" ||
		grep -qE '^not ok ' "$run/$cfg/results.txt" ||
		point fail "guest [$cfg]: guest reported failure without a failing test point"
done
ket_log "guest logs and results: $run"
finish
