#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kvm-exit-stat's tests that need more than cargo: its exports read by
# the real consumers (promtool check metrics for the Prometheus text
# format; prometheus_client's strict OpenMetrics parser) and its live
# view driven in a real terminal (tmux). Prints one TAP line per point.
#
# Usage: test-exit-stat.sh BINARY
# The trees are the captured ones of host/exit-stat/tests/trees.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ $# -ne 1 ] || [ ! -x "$1" ]; then ket_die "usage: test-exit-stat.sh BINARY"; fi
bin=$1
trees=$KET_ROOT/host/exit-stat/tests/trees
tmp=$(mktemp -d)
session=ket-top-$$
trap 'tmux kill-session -t $session 2>/dev/null; rm -rf "$tmp"' EXIT

ok() { echo "ok - kvm-exit-stat: $1"; }
notok() { echo "not ok - kvm-exit-stat: $1"; }
check() { # name command...
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$name"; else sed 's/^/    /' "$tmp/out"; notok "$name"; fi
}

promtool=$(ket_promtool) || { notok "promtool available"; exit 0; }
for t in empty ls2080-mix-t1 ls2080-mix-done cycles-empty; do
	"$bin" snapshot --root "$trees/$t" --format prometheus >"$tmp/$t.prom" || notok "snapshot --format prometheus of $t"
	check "promtool check metrics accepts the snapshot of $t" "$promtool" check metrics <"$tmp/$t.prom"
	"$bin" snapshot --root "$trees/$t" --format openmetrics >"$tmp/$t.om" || notok "snapshot --format openmetrics of $t"
	check "prometheus_client's OpenMetrics parser accepts the snapshot of $t" /usr/bin/python3 -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
n = sum(len(f.samples) for f in text_string_to_metric_families(open(sys.argv[1]).read()))
assert n > 0, "no samples"
' "$tmp/$t.om"
done

# A report of a recording, in both formats, against promtool too.
"$bin" record --root "$trees/ls2080-mix-t1" -o "$tmp/rec.jsonl" --interval 0.1 --duration 0.3 2>/dev/null
"$bin" report "$tmp/rec.jsonl" --format prometheus >"$tmp/report.prom"
check "promtool check metrics accepts a report" "$promtool" check metrics <"$tmp/report.prom"

# The live view in an 80x24 terminal: a tree that changes under it, from
# the first captured moment of the run to the second.
# shellcheck disable=SC2317 # called through check
screen() { tmux capture-pane -p -t "$session"; }
# shellcheck disable=SC2317
wait_screen() { # pattern
	local _
	for _ in $(seq 50); do
		screen | grep -qE "$1" && return 0
		sleep 0.2
	done
	echo "screen without /$1/:"
	screen
	return 1
}
# tmux's server, a daemon, will not start unless /dev/null is the device:
# say so rather than fail every point below without a reason.
if [ ! -c /dev/null ]; then
	notok "the live view in tmux: /dev/null is not the null device on this machine ($(ls -l /dev/null)), so tmux cannot start"
	exit 0
fi
cp -r "$trees/ls2080-mix-t1" "$tmp/live"
tmux new-session -d -s "$session" -x 80 -y 24 \
	"$bin top --root $tmp/live --interval 1; echo top-exit=\$?; sleep 30"
check "top waits for its first interval" wait_screen 'waiting for the first interval'
rm -rf "$tmp/live.new" && cp -r "$trees/ls2080-mix-t2" "$tmp/live.new" && rm -rf "$tmp/live" && mv "$tmp/live.new" "$tmp/live"
check "top shows the interval's rows, sorted by time" wait_screen '^WFX '
# The first row has the largest share of the handling time.
check "top's first row is the one that took most time" sh -c "tmux capture-pane -p -t $session | awk '
	NR == 5 { first = \$4 + 0 }
	NR >= 5 && \$4 ~ /%\$/ && \$4 + 0 > first { bad = 1 }
	END { exit bad || !first }'"
check "top fits 80 columns" sh -c "tmux capture-pane -p -t $session | awk 'length > 80 { exit 1 }'"
tmux send-keys -t "$session" s
check "s sorts by count" wait_screen 'sort count'
tmux send-keys -t "$session" v
check "v shows the VM" wait_screen 'top: VM 89-9 '
tmux send-keys -t "$session" c
check "c shows a vCPU" wait_screen 'VM 89-9 vCPU 0'
tmux send-keys -t "$session" p
check "p pauses" wait_screen 'PAUSED'
tmux send-keys -t "$session" q
check "q quits, with status 0" wait_screen '^top-exit=0'
exit 0
