#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Count the module's `unsafe` blocks, fns and impls per file (comments
# aside), and how many are outside rust/sys/, the layer meant for them.
# Usage: scripts/count-unsafe.sh [rust-dir]   (default: rust/ of this checkout)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/rust}
total=0 outside=0
while IFS= read -r f; do
	n=$(sed 's://.*$::' "$f" | grep -cE '\bunsafe\b *(\{|fn|extern|impl|trait)' || true)
	[ "$n" -gt 0 ] || continue
	rel=${f#"$dir"/}
	printf '%4d  %s\n' "$n" "$rel"
	total=$((total + n))
	case "$rel" in sys/*) ;; *) outside=$((outside + n)) ;; esac
done < <(find "$dir" -name '*.rs' | sort)
echo "total $total, outside sys/ $outside"
