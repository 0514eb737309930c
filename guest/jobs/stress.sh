# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job stress (make stress, debug kernel): the check job's tests at their
# full counts, without the upstream ones.

# shellcheck source=check.sh
. "$GUEST/jobs/check.sh"
job_main() { run_check full no-upstream; }
