# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source it
# Shared settings and helpers for the test-bed scripts. Source it; do not run it.

# Where this checkout lives.
KET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything built or downloaded lives outside the repository, here.
KET_CACHE=${KET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-exit-timing}

# Pinned versions: what this bed was tested with. setup.sh falls back to
# the newest available version, with a warning, when a pin has left the
# archive; the cache keys below use the versions actually installed.
KET_KERNEL_PKG=linux-source-6.12
KET_KERNEL_PIN=6.12.117-1~deb12u1
KET_RUSTC_PIN=1.96.0+dfsg1-1~deb12u2
KET_BINDGEN_VERSION=0.70.1
KET_BUSYBOX_PIN=1:1.35.0-4+deb12u1+b1
# The VMM and the workloads of the Linux guests inside the bed (arm64).
KET_QEMU_PIN=1:7.2+dfsg-7+deb12u18+b3
KET_STRESSNG_PIN=0.15.06-2
KET_RTTESTS_PIN=2.4-1
KET_SYSBENCH_PIN=1.0.20+ds-5
# Rust's std for arm64 (libstd-rust-web-dev:arm64), for the user-space
# tools built with $KET_RUSTC: the same source package as rustc-web, and
# usable only by the very same rustc version.
KET_RUST_STD_PIN=$KET_RUSTC_PIN

# Toolchain the kernel build must use: Debian's rustc (rustup's, first on
# PATH, lacks the core source and makes CONFIG_RUST silently vanish) and
# bindgen loading libclang 14.
KET_RUSTC=/usr/bin/rustc
KET_RUSTDOC=/usr/bin/rustdoc
KET_BINDGEN=$KET_CACHE/tools/bindgen-$KET_BINDGEN_VERSION/bin/bindgen
export LIBCLANG_PATH=/usr/lib/llvm-14/lib

# Arguments for every kbuild invocation (kernel and module alike).
ket_kbuild_args() {
	printf '%s\n' ARCH=arm64 LLVM=1 "RUSTC=$KET_RUSTC" "RUSTDOC=$KET_RUSTDOC" \
		"BINDGEN=$KET_BINDGEN"
}

ket_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
ket_warn() { printf '\033[1;33mWARNING: %s\033[0m\n' "$*" >&2; }
ket_die() { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# Run a long command quietly, printing a progress line every 30 s and the
# log's tail if it fails. Usage: ket_run_logged LOGFILE what -- cmd...
ket_run_logged() {
	local log=$1 what=$2 start next pid rc
	shift 3
	start=$(date +%s)
	next=$((start + 30))
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ "$(date +%s)" -ge $next ] && kill -0 "$pid" 2>/dev/null; then
			next=$((next + 30))
			printf '    ... %s: %ds, %s\n' "$what" $(( $(date +%s) - start )) \
				"$(tail -n 1 "$log" | cut -c1-90)" >&2
		fi
	done
	rc=0
	wait "$pid" || rc=$? # under set -e a bare failing wait would exit unreported
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$log" >&2
		ket_die "$what failed (exit $rc); full log: $log"
	fi
	printf '    %s done in %ds\n' "$what" $(( $(date +%s) - start )) >&2
}

# Installed version of a Debian package, empty if absent. Always succeeds:
# dpkg-query fails for unknown packages, which pipefail would pass on.
ket_pkg_version() {
	{ dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null || true; } |
		awk '$3 == "installed" { print $4 }'
}

# The kernel source version inside the installed linux-source package.
ket_kernel_tarball() {
	local t
	t=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null) ||
		ket_die "no /usr/src/linux-source-6.12.tar.xz; run scripts/setup.sh"
	echo "$t"
}

# A short hash over the named files and strings.
ket_hash() {
	local item
	for item in "$@"; do
		if [ -f "$item" ]; then
			printf 'file %s\n' "${item#"$KET_ROOT"/}"
			cat "$item"
		else
			printf 'str %s\n' "$item"
		fi
	done | sha256sum | cut -c1-16
}

# Versions of every tool whose output ends up in a built kernel.
ket_toolchain_id() {
	"$KET_RUSTC" --version
	"$KET_BINDGEN" --version 2>/dev/null
	clang --version | head -n 1
	ld.lld --version | head -n 1
	ket_pkg_version "$KET_KERNEL_PKG"
	ket_pkg_version rust-web-src
}

# Config fragments of a kernel variant, applied in order on allnoconfig.
# "test" is the bed's kernel: the base plus cheap debug checks, in the
# LS2080's configuration (Layerscape, the counter erratum workaround built
# in: the module's out-of-line counter read).
# "unpatched" is the same kernel without patches/6.12: the baseline.
# "bench" and "bench-unpatched" leave the debug checks out: lockdep and
# friends would swamp what the benchmark measures. "debug" adds every
# checker (KASAN, kmemleak, UBSAN, fault injection...) for make stress;
# it, like the benchmark kernels, reads the counter inline (no erratum
# workaround built in), so make check runs both of the module's reads.
# "guest" is the kernel of the Linux guests QEMU boots inside the bed:
# unpatched, no debug checks, what the workloads need (guest.config).
KET_VARIANTS="test unpatched bench bench-unpatched debug guest"
ket_variant_fragments() {
	case "$1" in
	test|unpatched) echo "$KET_ROOT/configs/base.config $KET_ROOT/configs/checks.config $KET_ROOT/configs/ls2080.config" ;;
	bench|bench-unpatched) echo "$KET_ROOT/configs/base.config $KET_ROOT/configs/bench.config" ;;
	debug) echo "$KET_ROOT/configs/base.config $KET_ROOT/configs/checks.config $KET_ROOT/configs/debug.config" ;;
	guest) echo "$KET_ROOT/configs/guest.config" ;;
	*) ket_die "unknown kernel variant '$1' (known: $KET_VARIANTS)" ;;
	esac
}

# The patches a variant applies, in series order, as paths.
ket_variant_patches() {
	local p
	case "$1" in *unpatched|guest) return 0 ;; esac
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		echo "$KET_ROOT/patches/6.12/$p"
	done <"$KET_ROOT/patches/6.12/series"
}

# The key of a kernel variant's cached tree: every input that changes it
# (the patches' paths in series order, so a reordered series counts too).
ket_kernel_key() {
	local variant=${1:-test}
	# shellcheck disable=SC2046 # lists of paths without spaces
	ket_hash "variant $variant" "$(ket_toolchain_id)" "$(ket_kbuild_args)" \
		$(ket_variant_patches "$variant") \
		$(ket_variant_fragments "$variant") \
		"$KET_ROOT/scripts/build-kernel.sh"
}

ket_kernel_dir() {
	echo "$KET_CACHE/kernel-${1:-test}-$(ket_kernel_key "${1:-test}")"
}

# The bed's hosts: the machines QEMU emulates, as run-guest.sh options.
KET_HOSTS="modern ls2080 gicv2"
ket_host_args() {
	case "$1" in
	modern) echo "--cpu max --gic 3" ;;          # ARMv8.x+, GICv3, VHE
	ls2080) echo "--cpu cortex-a72 --gic 3" ;;   # LS2080-like: v8.0, GICv3, nVHE
	gicv2) echo "--cpu max --gic 2 --nvhe" ;;    # GICv2, nVHE
	*) return 1 ;;
	esac
}

# The build chain: set-up, then for a kernel variant its kernel, the
# module built against it, the selftests and the initramfs that packs
# them. Every step is cached by its own script; demo, shell, bench,
# upstream-baseline and check all build through these functions, so a
# bed booted by any of them holds the same things.
#
# Each step reports to ket_step_done RC NAME, which does nothing here;
# check.sh redefines it to count every step as a test point.
ket_step_done() { :; }

# Runs a step whose standard output is its product (a path) in the
# current shell, so that ket_step_done can count; stores the product in
# the variable VAR. Usage: ket_step VAR NAME cmd...
ket_step() {
	local _var=$1 _name=$2 _out _rc=0
	shift 2
	_out=$("$@") || _rc=$?
	printf -v "$_var" '%s' "$_out"
	ket_step_done "$_rc" "$_name"
	return "$_rc"
}

# Installs what the bed needs (its output goes to the terminal: apt's
# progress is worth seeing).
ket_setup() {
	local rc=0
	"$KET_ROOT/scripts/setup.sh" || rc=$?
	ket_step_done "$rc" "set-up (scripts/setup.sh)"
	return "$rc"
}

# Builds what runs Linux guests inside the bed: their kernel (variant
# guest), their initramfs with the workloads, and QEMU with the libraries
# it loads. Sets KET_VMM_PACK, KET_VM_IMAGE and KET_VM_CPIO (made in the
# directory DIR). Usage: ket_build_vm DIR
ket_build_vm() {
	local kdir workloads
	ket_step kdir "build: Linux guests' kernel (guest)" \
		"$KET_ROOT/scripts/build-kernel.sh" guest || return 1
	KET_VM_IMAGE=$kdir/arch/arm64/boot/Image
	ket_step KET_VMM_PACK "pack: QEMU (Debian arm64) and its libraries" \
		"$KET_ROOT/scripts/pack-debian.sh" vmm "qemu-system-arm=$KET_QEMU_PIN" \
		-- /usr/bin/qemu-system-aarch64 || return 1
	ket_step workloads "pack: the guests' workloads (Debian arm64)" \
		"$KET_ROOT/scripts/pack-debian.sh" workloads "stress-ng=$KET_STRESSNG_PIN" \
		"rt-tests=$KET_RTTESTS_PIN" "sysbench=$KET_SYSBENCH_PIN" \
		-- /usr/bin/stress-ng /usr/bin/cyclictest /usr/bin/hackbench /usr/bin/sysbench || return 1
	ket_step KET_VM_CPIO "build: Linux guests' initramfs" \
		"$KET_ROOT/scripts/make-vm-initramfs.sh" "$kdir" "$workloads" "$1/vm-initramfs.cpio"
}

# Builds what a boot of kernel VARIANT needs and packs it into the
# initramfs CPIO: the kernel, the module (none for an unpatched variant,
# which has no tracepoints to attach to), the selftests (built against
# this kernel, or the tree TESTS names when given, to run the very same
# programs on two kernels) and the initramfs, with what runs Linux guests
# for the test and debug kernels (ket_build_vm). Sets KET_BUILT_KDIR,
# KET_BUILT_KO and KET_BUILT_TESTS. Returns non-zero at the first step
# that fails. Usage: ket_build_guest VARIANT CPIO [TESTS]
ket_build_guest() {
	local variant=$1 cpio=$2
	KET_BUILT_TESTS=${3:-} KET_BUILT_KO=none
	local kernel="patched 6.12 kernel"
	case "$variant" in *unpatched) kernel="unpatched 6.12 kernel" ;; esac
	ket_step KET_BUILT_KDIR "build: $kernel ($variant)" \
		"$KET_ROOT/scripts/build-kernel.sh" "$variant" || return 1
	case "$variant" in
	*unpatched) ;;
	*) ket_step KET_BUILT_KO "build: kvm_exit_timing.ko ($variant)" \
		env KDIR='' KET_VARIANT="$variant" "$KET_ROOT/scripts/build-module.sh" || return 1 ;;
	esac
	[ -n "$KET_BUILT_TESTS" ] ||
		ket_step KET_BUILT_TESTS "build: kselftests, in-tree KVM + ours ($variant)" \
			"$KET_ROOT/scripts/build-selftests.sh" "$KET_BUILT_KDIR" || return 1
	# The hosts that run Linux guests: the test and debug kernels.
	local vm=()
	case "$variant" in
	test|debug)
		ket_build_vm "$(dirname "$cpio")" || return 1
		ket_step KET_EXIT_STAT "build: kvm-exit-stat (arm64, static)" \
			"$KET_ROOT/scripts/build-exit-stat.sh" || return 1
		vm=("$KET_VMM_PACK" "$KET_VM_IMAGE" "$KET_VM_CPIO" "$KET_EXIT_STAT")
		;;
	esac
	ket_step KET_BUILT_CPIO "build: initramfs ($variant)" "$KET_ROOT/scripts/make-initramfs.sh" \
		"$KET_BUILT_KDIR" "$KET_BUILT_TESTS" "$KET_BUILT_KO" "$cpio" "${vm[@]}"
}

# A new directory for one run's initramfs, logs and results, named after
# what made it (check, stress, demo, shell, bench, baseline).
ket_run_dir() {
	local dir
	dir=$KET_CACHE/runs/$1-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$dir"
	echo "$dir"
}

# The version of Debian package PKG:arm64 to download: PIN while the
# archive has it, else the candidate, with a warning. Call it as
# v=$(ket_arm64_version PKG PIN) || exit 1: without inherit_errexit, a
# failing $(...) inside another $(...) would go unnoticed.
ket_arm64_version() {
	ket_deb_version "$1:arm64" "$2"
}

# The same for any Debian package PKG (NAME or NAME:ARCH).
ket_deb_version() {
	local pkg=$1 pin=$2 known ver hint=''
	# Captured first: grep -q leaving early would fail apt-cache with
	# SIGPIPE, and pipefail the test.
	known=$(apt-cache madison "$pkg" 2>/dev/null || true)
	if grep -qF " $pin " <<<"$known"; then
		echo "$pin"
		return 0
	fi
	ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	case "$pkg" in *:arm64) hint=' (it adds the arm64 architecture)' ;; esac
	# shellcheck disable=SC2015 # ket_die when either test fails
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		ket_die "$pkg not known to apt; run scripts/setup.sh$hint"
	ket_warn "$pkg $pin is gone from the archive; using $ver (untested)"
	echo "$ver"
}

# Downloads the Debian package SPEC (NAME:ARCH=VERSION) and unpacks it
# into the directory DIR (made if need be); nothing is installed.
ket_deb_unpack() {
	local spec=$1 dir=$2 dl
	# apt downloads as its sandbox user, who cannot reach a cache below a
	# private home: download under /tmp.
	dl=$(mktemp -d)
	chmod 0777 "$dl"
	if ! (cd "$dl" && apt-get download -q "$spec" >/dev/null); then
		rm -rf "$dl"
		ket_die "apt-get download $spec failed"
	fi
	mkdir -p "$dir"
	if ! dpkg-deb -x "$dl"/*.deb "$dir"; then
		rm -rf "$dl"
		ket_die "dpkg-deb could not unpack $spec"
	fi
	rm -rf "$dl"
}

# busybox-static:arm64 from Debian, pinned, cached by version.
ket_busybox() {
	local dir ver
	ver=$(ket_arm64_version busybox-static "$KET_BUSYBOX_PIN") || exit 1
	dir=$KET_CACHE/busybox-arm64-${ver//[:~+]/_}
	if [ ! -x "$dir/bin/busybox" ]; then
		ket_log "downloading busybox-static:arm64 $ver"
		rm -rf "$dir"
		ket_deb_unpack "busybox-static:arm64=$ver" "$dir/root"
		mkdir -p "$dir/bin" && mv "$dir/root/bin/busybox" "$dir/bin/busybox"
		rm -rf "$dir/root"
	fi
	echo "$dir/bin/busybox"
}

# gen_init_cpio's lines for every directory, file and symbolic link of the
# tree DIR, at the same paths in the initramfs (but the directories every
# initramfs of the bed makes first, and the pack's own .ket-* files).
ket_tree_spec() { # dir
	(cd "$1" && find . -mindepth 1 ! -name '.ket-*' | sed 's|^\.||' | sort) | while read -r p; do
		case "$p" in
		/dev|/proc|/sys|/tmp|/bin|/sbin|/usr|/usr/bin|/usr/sbin|/root|/ket) continue ;;
		esac
		if [ -L "$1$p" ]; then
			echo "slink $p $(readlink "$1$p") 0777 0 0"
		elif [ -d "$1$p" ]; then
			echo "dir $p 0755 0 0"
		else
			echo "file $p $1$p $(stat -c %a "$1$p") 0 0"
		fi
	done
}

# promtool, from Debian's prometheus package (amd64; only promtool is
# kept), pinned, cached by version; prints its path. For the tests of
# kvm-exit-stat's Prometheus exports (scripts/test-exit-stat.sh).
KET_PROMETHEUS_PIN=2.42.0+ds-5+deb12u1
ket_promtool() {
	local ver dir
	ver=$(ket_deb_version prometheus "$KET_PROMETHEUS_PIN") || exit 1
	dir=$KET_CACHE/promtool-${ver//[:~+]/_}
	if [ ! -x "$dir/promtool" ]; then
		ket_log "downloading prometheus $ver for promtool" >&2
		rm -rf "$dir.tmp"
		ket_deb_unpack "prometheus=$ver" "$dir.tmp"
		mkdir -p "$dir"
		mv "$dir.tmp/usr/bin/promtool" "$dir/promtool"
		rm -rf "$dir.tmp"
	fi
	echo "$dir/promtool"
}
