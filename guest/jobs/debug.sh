# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# shellcheck disable=SC2034,SC2154 # label, n, failed: the runner's (guest/init, guest/lib.sh)
#
# Job debug (make check, debug kernel): the check job's tests at their
# quick counts, without the upstream ones, which the test kernel runs.

# shellcheck source=check.sh
. "$GUEST/jobs/check.sh"
job_main() { run_check quick no-upstream; }
