#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build rust/kvm_exit_timing.ko against KDIR; without KDIR, against the
# cached test-bed kernel of variant $KET_VARIANT (default: test; set up and
# built first if needed).
# Extra kbuild arguments (e.g. ARCH=arm64 for a cross build) may follow.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ -n "${KDIR:-}" ]; then
	# A user's own kernel: build with the toolchain it was built with.
	[ -f "$KDIR/Module.symvers" ] || ket_die "KDIR=$KDIR is not a built kernel tree (no Module.symvers)"
	grep -q '^CONFIG_RUST=y' "$KDIR/.config" 2>/dev/null ||
		ket_die "KDIR=$KDIR was built without CONFIG_RUST=y; the module is written in Rust"
	kargs=(LLVM=1 "$@")
else
	"$KET_ROOT/scripts/setup.sh"
	KDIR=$("$KET_ROOT/scripts/build-kernel.sh" "${KET_VARIANT:-test}")
	mapfile -t kargs < <(ket_kbuild_args)
	kargs+=("$@")
fi
ket_log "module: building against $KDIR"
# Kbuild records the module's commands and dependencies relative to the
# kernel tree, so objects built against another tree look up to date:
# start afresh whenever the tree (or its build) differs from the last one.
stamp=$KET_ROOT/rust/.built-against
built_against="$(cd "$KDIR" && pwd) $(stat -c %Y "$KDIR/Module.symvers")"
if [ "$(cat "$stamp" 2>/dev/null)" != "$built_against" ]; then
	make -C "$KDIR" M="$KET_ROOT" "${kargs[@]}" clean >&2
	rm -f "$stamp"
fi
make -C "$KDIR" M="$KET_ROOT" "${kargs[@]}" modules >&2
echo "$built_against" >"$stamp"
ko=$KET_ROOT/rust/kvm_exit_timing.ko
[ -f "$ko" ] || ket_die "the build produced no $ko"
# The kernel links 128-bit division and shifts, and float arithmetic, to
# builtins that panic at run time: a module needing them must not load.
bad=$(llvm-nm -u "$ko" | awk '{ print $2 }' |
	grep -E '^__(u?(div|mod)|udivmod|ashl|ashr|lshr|mul|mulo)ti[0-9]$|^__[a-z]+[sd]f[0-9]$|5float' || true)
[ -z "$bad" ] || ket_die "$ko uses 128-bit division/shifts or floating point, which panic in the kernel: $(echo $bad)"
ket_log "module: $ko ($(stat -c %s "$ko") bytes)"
echo "$ko"
