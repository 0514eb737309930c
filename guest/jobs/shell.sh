# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job shell (make shell): an interactive shell on the console.

job_main() {
	echo "kvm-exit-timing guest shell: /ket holds the module, tests and tools; poweroff -f to quit"
	setsid cttyhack sh -l
}
