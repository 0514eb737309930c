#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the guest's initramfs: static busybox (arm64), guest/init with its
# library and jobs (guest/lib.sh, guest/jobs/), the module, our selftests
# and tools, and the in-tree KVM selftests.
# Usage: make-initramfs.sh KDIR SELFTESTS_OUT MODULE_KO|none OUTPUT_CPIO
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

kdir=$1 tests=$2 ko=$3 cpio=$4
gen=$kdir/usr/gen_init_cpio
[ -x "$gen" ] || ket_die "$gen missing: $kdir is not a built kernel tree with initramfs support"

# busybox-static:arm64 from Debian, pinned, cached by version.
busybox_bin() {
	local dir deb ver
	ver=$KET_BUSYBOX_PIN
	if ! apt-cache madison busybox-static:arm64 2>/dev/null | grep -qF " $ver "; then
		ver=$(apt-cache policy busybox-static:arm64 2>/dev/null | awk '/Candidate:/ { print $2 }')
		# shellcheck disable=SC2015 # ket_die when either test fails
		[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
			ket_die "busybox-static:arm64 not known to apt; run scripts/setup.sh (it adds the arm64 architecture)"
		ket_warn "busybox-static:arm64 $KET_BUSYBOX_PIN is gone from the archive; using $ver (untested)"
	fi
	dir=$KET_CACHE/busybox-arm64-${ver//[:~+]/_}
	if [ ! -x "$dir/bin/busybox" ]; then
		ket_log "downloading busybox-static:arm64 $ver"
		rm -rf "$dir" && mkdir -p "$dir"
		# apt downloads as its sandbox user, who cannot reach a cache
		# below a private home: download under /tmp.
		dl=$(mktemp -d)
		chmod 0777 "$dl"
		(cd "$dl" && apt-get download -q "busybox-static:arm64=$ver" >/dev/null) ||
			ket_die "apt-get download busybox-static:arm64=$ver failed"
		deb=$(ls "$dl"/*.deb)
		dpkg-deb -x "$deb" "$dir/root"
		mkdir -p "$dir/bin" && mv "$dir/root/bin/busybox" "$dir/bin/busybox"
		rm -rf "$dl" "$dir/root"
	fi
	echo "$dir/bin/busybox"
}

spec=$(mktemp)
trap 'rm -f "$spec"' EXIT
{
	for d in /dev /proc /sys /tmp /bin /sbin /usr /usr/bin /usr/sbin /root /ket \
		/ket/guest /ket/guest/jobs /ket/tests /ket/tools /ket/kvm /ket/kvm/aarch64; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $KET_ROOT/guest/init 0755 0 0"
	echo "file /ket/guest/lib.sh $KET_ROOT/guest/lib.sh 0644 0 0"
	for j in "$KET_ROOT"/guest/jobs/*.sh; do
		echo "file /ket/guest/jobs/$(basename "$j") $j 0644 0 0"
	done
	echo "file /bin/busybox $(busybox_bin) 0755 0 0"
	echo "slink /bin/sh busybox 0777 0 0"
	[ "$ko" = none ] || echo "file /ket/kvm_exit_timing.ko $ko 0644 0 0"
	echo "file /ket/upstream.list $KET_ROOT/selftests/upstream.list 0644 0 0"
	# shellcheck disable=SC2013 # the lists are words on one line
	for t in $(sed -n 's/^TESTS := //p' "$KET_ROOT/selftests/Makefile"); do
		echo "file /ket/tests/$t $tests/ket/$t 0755 0 0"
	done
	# shellcheck disable=SC2013
	for t in $(sed -n 's/^TOOLS := //p' "$KET_ROOT/selftests/Makefile"); do
		echo "file /ket/tools/$(basename "$t") $tests/ket/$t 0755 0 0"
	done
	# Every in-tree KVM test program (the job upstream-all runs them all).
	(cd "$tests/kvm" && find . -maxdepth 2 -type f -perm -u+x ! -name '*.o' | sed 's|^\./||' | sort) |
		while read -r t; do echo "file /ket/kvm/$t $tests/kvm/$t 0755 0 0"; done
} >"$spec"
mkdir -p "$(dirname "$cpio")"
"$gen" "$spec" >"$cpio"
ket_log "initramfs: $cpio ($(( $(stat -c %s "$cpio") / 1048576 )) MiB)"
