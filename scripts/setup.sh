#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the test bed needs, idempotently, saying what it does.
# Debian packages need root and apt; without them this names what is missing
# and the command that would install it. bindgen-cli goes into the cache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Packages installed at whatever version the archive has (rsync: the
# kernel's headers_install; device-tree-compiler: the LS2080-like host's
# device tree; gcc-aarch64-linux-gnu and libc6-dev-arm64-cross: the static
# arm64 selftests and kvm-exit-stat; fonts-dejavu-core: the font built into
# kvm-exit-stat; file: checks what build-exit-stat.sh made; tmux and
# python3-prometheus-client: scripts/test-exit-stat.sh drives its live
# view in a terminal and parses its OpenMetrics strictly).
plain_pkgs=(clang lld llvm libclang-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	qemu-system-arm flex bison bc libelf-dev libssl-dev cpio kmod python3 xz-utils
	make perl rsync device-tree-compiler fonts-dejavu-core file tmux python3-prometheus-client)
# Packages pinned to the version this bed was tested with.
declare -A pins=(
	[$KET_KERNEL_PKG]=$KET_KERNEL_PIN
	[rustc-web]=$KET_RUSTC_PIN
	[rust-web-src]=$KET_RUSTC_PIN
)

missing=()
for p in "${plain_pkgs[@]}" "${!pins[@]}"; do
	[ -n "$(ket_pkg_version "$p")" ] || missing+=("$p")
done

for p in "${!pins[@]}"; do
	v=$(ket_pkg_version "$p")
	if [ -n "$v" ] && [ "$v" != "${pins[$p]}" ]; then
		ket_warn "$p $v is installed; this bed was tested with ${pins[$p]}"
	fi
done

have_arm64=no
dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 && have_arm64=yes

if [ ${#missing[@]} -gt 0 ] || [ $have_arm64 = no ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		echo "Missing Debian packages: ${missing[*]:-none}" >&2
		[ $have_arm64 = yes ] || echo "Missing: the arm64 foreign architecture (to download the arm64 packages the bed unpacks)" >&2
		echo "As root, on Debian 12, run:" >&2
		echo "  $( [ $have_arm64 = yes ] || echo 'dpkg --add-architecture arm64 && ')apt-get update && apt-get install ${missing[*]}" >&2
		ket_die "cannot install packages: $( [ "$(id -u)" -ne 0 ] && echo 'not root' || echo 'no apt-get')"
	fi
	if [ $have_arm64 = no ]; then
		ket_log "adding the arm64 foreign architecture (to download the arm64 packages the bed unpacks)"
		dpkg --add-architecture arm64
	fi
	ket_log "apt-get update"
	apt-get update -q >/dev/null
	install=()
	for p in "${missing[@]}"; do
		if [ -n "${pins[$p]:-}" ]; then
			if apt-cache madison "$p" | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
				grep -qxF "${pins[$p]}"; then
				install+=("$p=${pins[$p]}")
			else
				ket_warn "$p ${pins[$p]} is no longer in the archive; installing the newest $p instead (untested)"
				install+=("$p")
			fi
		else
			install+=("$p")
		fi
	done
	ket_log "installing: ${install[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${install[@]}" |
		grep -E '^(Setting up|Unpacking) ' | sed 's/^/    /' || true
	for p in "${missing[@]}"; do
		[ -n "$(ket_pkg_version "$p")" ] || ket_die "apt-get did not install $p"
	done
else
	ket_log "Debian packages: all present"
fi

# The kernel's Rust support reads the core library source from rust-web-src.
[ -x "$KET_RUSTC" ] || ket_die "$KET_RUSTC missing (package rustc-web)"
"$KET_RUSTC" --print sysroot >/dev/null

if [ -x "$KET_BINDGEN" ]; then
	ket_log "bindgen-cli $KET_BINDGEN_VERSION: present"
else
	command -v cargo >/dev/null ||
		ket_die "cargo is needed to install bindgen-cli $KET_BINDGEN_VERSION (install rustup or Debian's cargo)"
	ket_log "installing bindgen-cli $KET_BINDGEN_VERSION from crates.io into $KET_CACHE/tools"
	mkdir -p "$KET_CACHE/tools"
	ket_run_logged "$KET_CACHE/tools/bindgen-install.log" "cargo install bindgen-cli" -- \
		cargo install --quiet --locked --root "$(dirname "$(dirname "$KET_BINDGEN")")" \
		bindgen-cli --version "$KET_BINDGEN_VERSION"
fi

ket_log "toolchain: $("$KET_RUSTC" --version), $("$KET_BINDGEN" --version), $(clang --version | head -n1)"
