#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the 6.12 arm64 kernel of a variant and print its tree's
# path on stdout. Usage: build-kernel.sh [variant]   (default: test)
# Variants: test (patched, the bed's kernel), unpatched (its baseline),
# bench and bench-unpatched (the same without the debug checks), debug
# (every checker, for make stress), guest (the Linux guests' kernel).
#
# The tree is cached under $KET_CACHE, keyed by a hash of every input:
# kernel package version, patches, config fragments, toolchain versions
# and this script. A changed input builds a new tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-test}
dir=$(ket_kernel_dir "$variant")
if [ -f "$dir/.ket-built" ]; then
	ket_log "kernel ($variant): cached at $dir"
	echo "$dir"
	exit 0
fi

tarball=$(ket_kernel_tarball)
[ -x "$KET_BINDGEN" ] || ket_die "bindgen missing at $KET_BINDGEN; run scripts/setup.sh"
mapfile -t kargs < <(ket_kbuild_args)
jobs=$(nproc)
# Built in place (kbuild trees do not move well); the stamp marks it done.
tmp=$dir
[ -d "$tmp" ] && ket_log "kernel ($variant): discarding an unfinished build at $tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
start=$(date +%s)

ket_log "kernel ($variant): extracting $(basename "$tarball") ($(ket_pkg_version "$KET_KERNEL_PKG"))"
tar -xf "$tarball" -C "$tmp" --strip-components=1

patches=$(ket_variant_patches "$variant")
[ -z "$patches" ] || ket_log "kernel ($variant): applying patches/6.12/series"
for p in $patches; do
	[ -f "$p" ] || ket_die "patch listed in series is missing: ${p#"$KET_ROOT"/}"
	if ! out=$(patch -d "$tmp" -p1 --forward --batch <"$p" 2>&1); then
		echo "$out" >&2
		ket_die "patch does not apply: ${p#"$KET_ROOT"/}"
	fi
	echo "    applied $(basename "$p")" >&2
done

ket_log "kernel ($variant): checking the Rust toolchain (make rustavailable)"
if ! out=$(make -C "$tmp" -s "${kargs[@]}" rustavailable 2>&1); then
	echo "$out" >&2
	ket_die "the kernel does not accept this Rust toolchain"
fi

ket_log "kernel ($variant): configuring allnoconfig + $(ket_variant_fragments "$variant" | xargs -n1 basename | xargs)"
fragments=$(ket_variant_fragments "$variant")
# shellcheck disable=SC2086 # fragments is a list of paths without spaces
cat $fragments >"$tmp/ket.config"
make -C "$tmp" -s "${kargs[@]}" KCONFIG_ALLCONFIG=ket.config allnoconfig >/dev/null
# Kconfig drops options whose dependencies fail without a word: check all.
bad=0
# shellcheck disable=SC2086 # fragments is a list of paths without spaces
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$tmp/.config" || {
			echo "    asked for $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$tmp/.config" || echo 'absent')" >&2
			bad=1
		}
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" "$tmp/.config" || { echo "    asked for $line, got it set" >&2; bad=1; }
		;;
	esac
done < <(cat $fragments)
[ $bad -eq 0 ] || ket_die "the final .config lacks options the fragments ask for (see above)"

ket_run_logged "$tmp/ket-build.log" "kernel ($variant) build, make -j$jobs" -- \
	make -C "$tmp" "${kargs[@]}" -j"$jobs" all
ket_run_logged "$tmp/ket-headers.log" "kernel ($variant) headers_install" -- \
	make -C "$tmp" "${kargs[@]}" headers_install

# Older trees of this variant are dead weight (about 2 GB each).
# (The 16-character key keeps "bench" from matching "bench-unpatched".)
for old in "$KET_CACHE/kernel-$variant-"????????????????; do
	[ "$old" = "$dir" ] || { ket_log "removing stale $old"; rm -rf "$old"; }
done
echo "$(( $(date +%s) - start ))" >"$dir/.ket-built"
ket_log "kernel ($variant): built in $(( $(date +%s) - start ))s at $dir"
echo "$dir"
