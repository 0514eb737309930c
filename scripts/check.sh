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
# A step that everything after it needs: on failure, stop here.
need() { # name cmd...
	local name=$1
	shift
	if "$@"; then point ok "$name"; else point fail "$name"; finish; fi
}

need "set-up (scripts/setup.sh)" "$KET_ROOT/scripts/setup.sh"

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

# Builds: a kernel variant and the guest that boots it, the module,
# selftests and initramfs ($run/initramfs-<variant>.cpio). Sets built_kdir;
# returns non-zero if a step failed.
run=$KET_CACHE/runs/$mode-$(date +%Y%m%d-%H%M%S)
mkdir -p "$run"
build_variant() { # variant
	local ko tests
	built_kdir=$("$KET_ROOT/scripts/build-kernel.sh" "$1") && point ok "build: patched 6.12 kernel ($1)" ||
		{ point fail "build: patched 6.12 kernel ($1)"; return 1; }
	ko=$(KDIR='' KET_VARIANT=$1 "$KET_ROOT/scripts/build-module.sh") && point ok "build: kvm_exit_timing.ko ($1)" ||
		{ point fail "build: kvm_exit_timing.ko ($1)"; return 1; }
	tests=$("$KET_ROOT/scripts/build-selftests.sh" "$built_kdir") && point ok "build: kselftests, in-tree KVM + ours ($1)" ||
		{ point fail "build: kselftests ($1)"; return 1; }
	"$KET_ROOT/scripts/make-initramfs.sh" "$built_kdir" "$tests" "$ko" "$run/initramfs-$1.cpio" &&
		point ok "build: initramfs ($1)" || { point fail "build: initramfs ($1)"; return 1; }
}
build_variant $variant || finish
kdir=$built_kdir

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

# Each host configuration runs the job; one more boot of the modern host
# checks the module under lockdown=confidentiality. The debug
# configuration first builds its kernel and guest.
for cfg in $configs lockdown; do
	cfg_kdir=$kdir cfg_variant=$variant
	if [ "$cfg" = lockdown ]; then
		args="$(ket_host_args modern) --job lockdown"
	elif [ "$cfg" = debug ] && [ "$mode" = check ]; then
		cfg_variant=debug
		build_variant debug || continue
		cfg_kdir=$built_kdir
		args="$(ket_host_args modern) --job debug"
	else
		args=$(ket_host_args "$cfg") || { point fail "unknown configuration '$cfg' in KET_CONFIGS"; continue; }
		args+=" --job $job"
		[ "$mode" = stress ] && args+=" --timeout 7200"
	fi
	# shellcheck disable=SC2086 # args holds words
	"$KET_ROOT/scripts/run-guest.sh" --label "$cfg" $args \
		--kernel "$cfg_kdir/arch/arm64/boot/Image" --initrd "$run/initramfs-$cfg_variant.cpio" --out "$run/$cfg"
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
