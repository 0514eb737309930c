# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job upstream-all (scripts/upstream-baseline.sh): every in-tree KVM test,
# module not loaded, each with a time limit (ket.timeout, default 120 s):
# how selftests/upstream.list is derived.

job_main() {
	local t
	say "TAP version 13"
	for t in $(cd /ket/kvm && find . -type f | sed 's|^\./||' | sort); do
		run_test "upstream/$t" "${test_timeout:-120}" "/ket/kvm/$t"
	done
	say "1..$n"
}
