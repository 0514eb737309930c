#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross-build kvm-exit-stat (host/exit-stat) for the bed: arm64, linked
# statically (the bed's busybox initramfs has no glibc), and print the
# binary's path (logs go to stderr).
# Usage: build-exit-stat.sh
#
# The compiler is Debian's rustc ($KET_RUSTC: rustup's has no arm64 std);
# the arm64 std is Debian's libstd-rust-web-dev:arm64 of the very same
# version, unpacked (not installed) into a sysroot under $KET_CACHE, where
# the host's own libraries are linked in. The linker is aarch64-linux-gnu-gcc,
# the cargo profile "arm64" (Cargo.toml), the target directory
# $KET_CACHE/exit-stat-target: apart from the host tests' target/.
set -euo pipefail
# Without it, bash runs $(...) without -e, and a failure inside one goes on.
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 0 ] || ket_die "usage: build-exit-stat.sh (no arguments)"

TARGET=aarch64-unknown-linux-gnu
STD_PKG=libstd-rust-web-dev
PROFILE=arm64
LINKER=aarch64-linux-gnu-gcc
target_dir=$KET_CACHE/exit-stat-target

[ -x "$KET_RUSTC" ] || ket_die "$KET_RUSTC missing (package rustc-web); run scripts/setup.sh"
command -v cargo >/dev/null || ket_die "cargo missing (install rustup or Debian's cargo)"
command -v "$LINKER" >/dev/null || ket_die "$LINKER missing; run scripts/setup.sh"
command -v file >/dev/null || ket_die "file missing; run scripts/setup.sh"
# A std works only with the rustc that built it: the installed rustc-web's.
rustc_ver=$(ket_pkg_version rustc-web)
[ -n "$rustc_ver" ] || ket_die "rustc-web is not installed; run scripts/setup.sh"
host=$("$KET_RUSTC" -vV | awk '/^host:/ { print $2 }')
host_rustlib=$("$KET_RUSTC" --print sysroot)/lib/rustlib/$host

# The sysroot of std version $1. Not keyed by this script: a new sysroot
# path changes the flags, and cargo would rebuild everything.
sysroot_of() {
	echo "$KET_CACHE/rust-sysroot-arm64-$(ket_hash "$STD_PKG:arm64=$1" "$host_rustlib")"
}

# Made once per std version; the quick path asks apt nothing.
sysroot=$(sysroot_of "$rustc_ver")
if [ ! -f "$sysroot/.ket-complete" ]; then
	ver=$(ket_arm64_version "$STD_PKG" "$KET_RUST_STD_PIN")
	[ "$ver" = "$rustc_ver" ] ||
		ket_die "$STD_PKG:arm64 $ver would not fit rustc-web $rustc_ver: a std works only with the rustc of its version; install rustc-web=$ver (scripts/setup.sh, KET_RUSTC_PIN)"
	ket_log "kvm-exit-stat: unpacking $STD_PKG:arm64 $ver into a sysroot"
	rm -rf "$sysroot"
	ket_deb_unpack "$STD_PKG:arm64=$ver" "$sysroot/deb"
	[ -d "$sysroot/deb/usr/lib/rustlib/$TARGET/lib" ] ||
		ket_die "$STD_PKG:arm64 $ver has no usr/lib/rustlib/$TARGET/lib"
	mkdir -p "$sysroot/lib/rustlib"
	mv "$sysroot/deb/usr/lib/rustlib/$TARGET" "$sysroot/lib/rustlib/$TARGET"
	rm -rf "$sysroot/deb"
	# Build scripts and proc-macros run on the host, with its std.
	ln -s "$host_rustlib" "$sysroot/lib/rustlib/$host"
	# Loading std's metadata says early, and clearly, if it does not fit.
	echo 'fn main() {}' | "$KET_RUSTC" --sysroot "$sysroot" --target "$TARGET" \
		--crate-type bin --emit metadata -o /dev/null - ||
		ket_die "$KET_RUSTC cannot use the std of $STD_PKG:arm64 $ver (above)"
	touch "$sysroot/.ket-complete"
	for old in "$KET_CACHE"/rust-sysroot-arm64-*; do
		[ "$old" = "$sysroot" ] || rm -rf "$old"
	done
fi

ket_log "kvm-exit-stat: cargo build ($TARGET, static, $("$KET_RUSTC" --version | cut -d' ' -f1-2))"
mkdir -p "$target_dir"
# Target-only flags: with --target, build scripts and proc-macros (host
# code) get none of them. RUSTFLAGS would override them: unset.
ket_run_logged "$target_dir/build.log" "cargo build kvm-exit-stat (arm64)" -- \
	env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS \
	RUSTC="$KET_RUSTC" CARGO_TARGET_DIR="$target_dir" \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="$LINKER" \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="--sysroot=$sysroot -C target-feature=+crt-static" \
	cargo build --locked --profile "$PROFILE" --target "$TARGET" -p kvm-exit-stat \
	--manifest-path "$KET_ROOT/Cargo.toml"

bin=$target_dir/$TARGET/$PROFILE/kvm-exit-stat
[ -x "$bin" ] || ket_die "the build produced no $bin"
what=$(file -b "$bin")
case "$what" in
*"ARM aarch64"*) ;;
*) ket_die "$bin is not an arm64 executable: $what" ;;
esac
case "$what" in
*"statically linked"* | *"static-pie linked"*) ;;
*) ket_die "$bin is not linked statically: $what" ;;
esac
ket_log "kvm-exit-stat: $bin ($(stat -c %s "$bin") bytes)"
echo "$bin"
