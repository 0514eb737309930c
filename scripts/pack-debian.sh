#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack arm64 programs from Debian 12 packages, with exactly the shared
# libraries they load, into a root-like tree cached under $KET_CACHE, and
# print the tree's path (logs go to stderr). For the bed's initramfs
# images: Debian's QEMU for the arm64 host, workload tools for a guest.
#
# Usage: pack-debian.sh [--keep PATH]... NAME PKG[=VERSION]... -- PROGRAM...
#   NAME     names the pack: $KET_CACHE/pack-NAME-<hash>; older packs of
#            the same name are removed
#   PKG      a Debian package, arm64 (named without :arm64) or
#            arch-independent; =VERSION pins it (a pin gone from the
#            archive falls back to the candidate, with a warning)
#   PROGRAM  absolute path, inside the packages, of an executable to keep
#   --keep   also keep PATH (a file or directory) from the packages, e.g.
#            /usr/share/qemu/efi-virtio.rom; ELF files in it get their
#            libraries too
# The packages and the closure of their Depends and Pre-Depends are
# downloaded and unpacked; the pack keeps the programs, the program
# interpreter and the closure of their DT_NEEDED libraries, at their
# paths in the packages (symbolic links kept, made relative), and
# .ket-manifest: the package versions and each kept file's package.
# Example: pack-debian.sh vmm qemu-system-arm -- /usr/bin/qemu-system-aarch64
set -euo pipefail
# Without it, bash runs $(...) without -e, and a failure inside one goes on.
shopt -s inherit_errexit
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SELF=$KET_ROOT/scripts/pack-debian.sh

# Where the glibc loader looks with no /etc/ld.so.cache, which an
# initramfs lacks: Debian's multiarch directories, then the classic ones.
DEFAULT_DIRS=(/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib /usr/lib)

usage() {
	ket_die "usage: pack-debian.sh [--keep PATH]... NAME PKG[=VERSION]... -- PROGRAM..."
}

keeps=()
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) [ $# -ge 2 ] || usage; keeps+=("$2"); shift 2 ;;
	--keep=*) keeps+=("${1#--keep=}"); shift ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
name=$1
shift
[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || ket_die "bad pack name '$name'"
pkgs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	pkgs+=("$1")
	shift
done
[ $# -gt 0 ] || usage
shift
programs=("$@")
if [ ${#pkgs[@]} -eq 0 ] || [ ${#programs[@]} -eq 0 ]; then usage; fi
for p in "${programs[@]}" "${keeps[@]}"; do
	[[ $p == /* ]] || ket_die "$p: not an absolute path"
done

# Whether DIR is one of this NAME's packs (not the pack of a NAME that
# merely starts with this one).
is_pack() {
	[[ ${1#"$KET_CACHE/pack-$name-"} =~ ^[0-9a-f]{16}$ ]]
}

# A key of the arguments and of apt's package lists: while it holds, the
# packages resolve as before, so a cached pack is found without asking apt
# (which takes seconds).
quick_key() {
	ket_hash "$SELF" "args $name ${pkgs[*]} -- ${programs[*]} keep ${keeps[*]}" \
		"$(stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* /etc/apt/preferences* \
			/etc/apt/preferences.d/* 2>/dev/null || true)"
}

# The complete pack made with quick key $1, if any.
cached_pack() {
	local d
	for d in "$KET_CACHE/pack-$name-"*; do
		if is_pack "$d" && [ -f "$d/.ket-complete" ] &&
			[ "$(cat "$d/.ket-inputs" 2>/dev/null)" = "$1" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# "ARCH VERSION" of the candidate of apt package SPEC, empty if unknown.
pkg_info() {
	{ apt-cache show --no-all-versions "$1" 2>/dev/null || true; } |
		awk '/^Architecture:/ { a = $2 } /^Version:/ { v = $2 } END { if (v != "") print a, v }'
}

# The apt spec (NAME:arm64=VERSION, or NAME=VERSION for an arch-independent
# package, which has no :arm64 name) of top-level package PKG[=VERSION].
resolve_top() {
	local pkg=${1%%=*} pin='' spec info known
	pkg=${pkg%:arm64}
	if [[ $1 == *=* ]]; then pin=${1#*=}; fi
	spec=$pkg:arm64
	info=$(pkg_info "$spec")
	if [ -z "$info" ]; then
		spec=$pkg
		info=$(pkg_info "$pkg")
		[ "${info%% *}" = all ] ||
			ket_die "$pkg:arm64 not known to apt; run scripts/setup.sh (it adds the arm64 architecture)"
	fi
	if [ -n "$pin" ]; then
		# Not piped into grep -q: apt-cache dying of SIGPIPE when grep
		# quits early would fail the pipeline (pipefail).
		known=$(apt-cache madison "$spec" 2>/dev/null || true)
		if grep -qF " $pin " <<<"$known"; then
			echo "$spec=$pin"
			return 0
		fi
		ket_warn "$spec $pin is gone from the archive; using ${info#* } (untested)"
	fi
	echo "$spec=${info#* }"
}

# The names of the packages that the apt specs given need, themselves
# included: the closure of Depends and Pre-Depends, taking of alternatives
# the first that exists (for a virtual package its first provider, arm64
# ones first). Arch-independent packages are leaves: they hold no arm64
# code, and their dependencies name the build machine's architecture.
# A dependency nothing satisfies comes out as "!PACKAGE".
closure() {
	local roots=() s
	for s in "$@"; do roots+=("${s%%=*}"); done
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$@" 2>/dev/null |
		awk -v roots="${roots[*]}" '
		function pick(g,   c, n, k, i, p) {
			for (c = 1; c <= nc[g]; c++) {
				n = cand[g, c]
				if (n !~ /^</)
					return n
				k = split(prov[g, c], p, " ")
				for (i = 1; i <= k; i++) if (p[i] ~ /:arm64$/) return p[i]
				for (i = 1; i <= k; i++) if (p[i] !~ /:/) return p[i]
			}
			return ""
		}
		/^[^ ]/ { cur = $1; fresh = 1; next }
		/^ [ |](Pre)?Depends: / {
			if (fresh) ng[cur]++
			g = cur SUBSEP ng[cur]
			c = ++nc[g]
			cand[g, c] = $2
			fresh = substr($0, 2, 1) != "|"
			next
		}
		/^    [^ ]/ { prov[g, c] = prov[g, c] " " $1 }
		END {
			t = split(roots, todo, " ")
			for (i = 1; i <= t; i++) seen[todo[i]] = 1
			for (h = 1; h <= t; h++) {
				p = todo[h]
				if (p !~ /:arm64$/) continue
				for (j = 1; j <= ng[p]; j++) {
					n = pick(p SUBSEP j)
					if (n == "") { print "!" p; continue }
					if (!(n in seen)) { seen[n] = 1; todo[++t] = n }
				}
			}
			for (h = 1; h <= t; h++) print todo[h]
		}'
}

# Every package to download, as sorted apt specs: the top-level ones as
# pinned, the others at their candidate versions.
resolve_all() {
	local tops=() p t names=() args=() n deps info
	for p in "${pkgs[@]}"; do
		t=$(resolve_top "$p")
		tops+=("$t")
	done
	deps=$(closure "${tops[@]}") || ket_die "apt-cache depends ${tops[*]} failed"
	while read -r n; do
		case "$n" in
		!*) ket_warn "${n#!}: a dependency no package satisfies; ignored" ;;
		*) names+=("$n") ;;
		esac
	done <<<"$deps"
	# The top-level packages as pinned; the rest as apt's candidates.
	for n in "${names[@]}"; do
		for p in "${tops[@]}"; do
			if [ "${p%%=*}" = "$n" ]; then n=$p; fi
		done
		args+=("$n")
	done
	info=$(apt-cache show --no-all-versions "${args[@]}") ||
		ket_die "apt-cache show failed for: ${args[*]}"
	awk -v RS= '{
			p = a = v = ""
			n = split($0, l, "\n")
			for (i = 1; i <= n; i++) {
				if (l[i] ~ /^Package: /) p = substr(l[i], 10)
				if (l[i] ~ /^Architecture: /) a = substr(l[i], 15)
				if (l[i] ~ /^Version: /) v = substr(l[i], 10)
			}
			if (a == "arm64") print p ":arm64=" v
			else if (a == "all") print p "=" v
			else print "!" p ":" a
		}' <<<"$info" | sort -u
}

# Downloads the apt specs given into $tmp/debs and unpacks them into
# $stage; $tmp/owners gets "PATH<tab>PACKAGE" for every unpacked path.
unpack() {
	local deb
	mkdir "$tmp/debs"
	# apt downloads as its sandbox user: a directory it may write to.
	chmod 0777 "$tmp/debs"
	(cd "$tmp/debs" && apt-get download -q "$@" >/dev/null) ||
		ket_die "apt-get download of $# packages failed"
	mkdir "$stage"
	for deb in "$tmp"/debs/*.deb; do
		dpkg-deb -X "$deb" "$stage" |
			awk -v p="$(basename "${deb%%_*}")" '{ sub(/^\./, ""); print $0 "\t" p }'
	done >"$tmp/owners"
}

# Copies PATH from $stage into $out, following symbolic links, which are
# copied too as relative links (absolute ones would leave the pack when
# it is not at /, e.g. under qemu-aarch64 -L); sets $real to the path of
# the file the chain ends at.
keep_file() {
	local path=$1 target hops=0
	while [ -L "$stage$path" ]; do
		hops=$((hops + 1))
		[ $hops -le 40 ] || ket_die "$1: too many levels of symbolic links"
		target=$(readlink "$stage$path")
		[[ $target == /* ]] || target=$(dirname "$path")/$target
		target=$(realpath -sm "$target")
		mkdir -p "$out$(dirname "$path")"
		ln -sfn "$(realpath -sm --relative-to="$(dirname "$path")" "$target")" "$out$path"
		path=$target
	done
	if [ ! -f "$stage$path" ]; then
		[ "$path" = "$1" ] || ket_die "$1 is a link to $path, which is in none of the packages"
		ket_die "$1 is in none of the packages"
	fi
	if [ ! -e "$out$path" ]; then
		mkdir -p "$out$(dirname "$path")"
		cp -p "$stage$path" "$out$path"
	fi
	real=$path
}

# "machine M", "interp PATH", "needed SONAME" and "dir DIR" (RPATH and
# RUNPATH, $ORIGIN expanded) of ELF file PATH in $stage. Each object's
# needs are looked up in its own RPATH and RUNPATH only: that an RPATH
# also serves the libraries the object loads is ignored.
elf_info() {
	LC_ALL=C readelf -hldW "$stage$1" 2>/dev/null | awk -v origin="$(dirname "$1")" '
		/^ *Machine:/ { sub(/^ *Machine: */, ""); m = $0 }
		/Requesting program interpreter:/ { sub(/.*interpreter: /, ""); sub(/\]$/, ""); print "interp " $0 }
		/\(NEEDED\)/ { match($0, /\[.*\]/); print "needed " substr($0, RSTART + 1, RLENGTH - 2) }
		/\((RUNPATH|RPATH)\)/ {
			match($0, /\[.*\]/)
			n = split(substr($0, RSTART + 1, RLENGTH - 2), d, ":")
			for (i = 1; i <= n; i++) { gsub(/\$\{?ORIGIN\}?/, origin, d[i]); print "dir " d[i] }
		}
		END { print "machine " m }'
}

# Keeps the library SONAME that ELF file FROM needs; DIRS are its RPATH
# and RUNPATH. Sets $real like keep_file.
find_lib() {
	local soname=$1 from=$2 d
	shift 2
	for d in "$@" "${DEFAULT_DIRS[@]}"; do
		if [ -L "$stage$d/$soname" ] || [ -e "$stage$d/$soname" ]; then
			keep_file "$d/$soname"
			return 0
		fi
	done
	# A directory that ld.so.conf.d adds works through ld.so.cache only,
	# which the pack has not: link the library into a default directory.
	for d in "${conf_dirs[@]}"; do
		if [ -L "$stage$d/$soname" ] || [ -e "$stage$d/$soname" ]; then
			keep_file "$d/$soname"
			mkdir -p "$out${DEFAULT_DIRS[1]}"
			ln -sfn "$(realpath -sm --relative-to="${DEFAULT_DIRS[1]}" "$d/$soname")" \
				"$out${DEFAULT_DIRS[1]}/$soname"
			ket_log "$soname is in $d, an ld.so.conf.d directory: linked from ${DEFAULT_DIRS[1]}"
			return 0
		fi
	done
	ket_die "$soname, needed by $from, is in none of the packages (searched $* ${DEFAULT_DIRS[*]} ${conf_dirs[*]}): add the package that holds it"
}

# Appends ELF file PATH to the queue unless it is there already.
enqueue() {
	if [ -z "${queued[$1]:-}" ]; then
		queued[$1]=1
		queue+=("$1")
	fi
}

# Appends kept file PATH to the queue if it is an ELF file.
enqueue_elf() {
	if [ "$(head -c 4 "$out$1")" = $'\177ELF' ]; then enqueue "$1"; fi
}

# Keeps the interpreter and libraries of every ELF file in the queue,
# queueing each library in turn.
keep_libraries() {
	local i path kind val machine needed dirs soname
	for ((i = 0; i < ${#queue[@]}; i++)); do
		path=${queue[i]} machine='' needed=() dirs=()
		while read -r kind val; do
			case "$kind" in
			machine) machine=$val ;;
			interp) keep_file "$val" && enqueue "$real" ;;
			needed) needed+=("$val") ;;
			dir) if [[ $val == /* ]]; then dirs+=("$val"); fi ;;
			esac
		done < <(elf_info "$path")
		[ "$machine" = AArch64 ] ||
			ket_die "$path is not an arm64 ELF file (machine: ${machine:-none})"
		for soname in "${needed[@]}"; do
			find_lib "$soname" "$path" "${dirs[@]}"
			enqueue "$real"
		done
	done
}

# Keeps --keep PATH: a file (as keep_file) or a whole directory; queues
# the ELF files in it.
keep_extra() {
	local f
	if [ -d "$stage$1" ] && [ ! -L "$stage$1" ]; then
		mkdir -p "$out$1"
		cp -a "$stage$1/." "$out$1/"
		while read -r f; do
			enqueue_elf "$f"
		done < <(cd "$out" && find ".$1" -type f | sed 's/^\.//')
	else
		keep_file "$1"
		enqueue_elf "$real"
	fi
}

# Makes the absolute symbolic links in $out (from kept directories)
# relative; warns about links that lead nowhere in the pack.
fix_links() {
	local l t
	while read -r l; do
		t=$(readlink "$out$l")
		[[ $t == /* ]] || continue
		ln -sfn "$(realpath -sm --relative-to="$(dirname "$l")" "$t")" "$out$l"
	done < <(cd "$out" && find . -type l | sed 's/^\.//')
	while read -r l; do
		ket_warn "pack $name: $l is a link to $(readlink "$out$l"), in none of the packages"
	done < <(cd "$out" && find . -xtype l | sed 's/^\.//')
}

# The manifest: the packages, then every kept file and link ("file PATH
# PACKAGE", "link PATH PACKAGE", the package "-" for links made here).
write_manifest() {
	{
		echo "# pack $name, made by scripts/pack-debian.sh from these Debian packages:"
		printf 'package %s\n' "${specs[@]}"
		(cd "$out" && find . ! -type d ! -name '.ket-*' -printf '%y %p\n' | sed 's/ \./ /' | sort -k2) |
			awk 'NR == FNR { split($0, f, "\t"); owner[f[1]] = f[2]; next }
				{ p = substr($0, 3); print ($1 == "l" ? "link " : "file ") p " " ((p in owner) ? owner[p] : "-") }' \
				"$tmp/owners" -
	} >"$out/.ket-manifest"
}

# Makes the pack in $out; the summary goes to $out/.ket-complete.
build() {
	local p nprog=${#programs[@]} nroot nlib size
	ket_log "pack $name: downloading ${#specs[@]} packages"
	unpack "${specs[@]}"
	conf_dirs=()
	if [ -d "$stage/etc/ld.so.conf.d" ]; then
		mapfile -t conf_dirs < <(cat "$stage"/etc/ld.so.conf.d/*.conf 2>/dev/null | grep '^/' || true)
	fi
	rm -rf "$out"
	mkdir -p "$out"
	queue=()
	declare -gA queued=()
	for p in "${programs[@]}"; do
		keep_file "$p"
		[ -x "$stage$real" ] || ket_die "$p is not executable"
		enqueue "$real"
	done
	nroot=${#queue[@]}
	for p in "${keeps[@]}"; do keep_extra "$p"; done
	keep_libraries
	fix_links
	write_manifest
	nlib=$((${#queue[@]} - nroot))
	size=$(du -sb "$out" | cut -f1)
	printf 'pack %s: %d program%s, %d libraries, %d MiB (%d bytes), from %d packages\n' \
		"$name" "$nprog" "$([ "$nprog" -eq 1 ] || echo s)" "$nlib" \
		$(((size + 524288) / 1048576)) "$size" "${#specs[@]}" >"$out/.ket-complete"
}

mkdir -p "$KET_CACHE"
quick=$(quick_key)
if dir=$(cached_pack "$quick"); then
	printf '    %s (cached)\n' "$(cat "$dir/.ket-complete")" >&2
	echo "$dir"
	exit 0
fi

ket_log "pack $name: resolving ${pkgs[*]} and their dependencies (arm64)"
resolved=$(resolve_all)
specs=()
while read -r s; do
	case "$s" in
	'') ;;
	!*) ket_warn "${s#!}: neither arm64 nor arch-independent; skipped" ;;
	*) specs+=("$s") ;;
	esac
done <<<"$resolved"
[ ${#specs[@]} -gt 0 ] || ket_die "pack $name: no packages resolved"
dir=$KET_CACHE/pack-$name-$(ket_hash "$SELF" "name $name" "packages ${specs[*]}" \
	"programs ${programs[*]}" "keep ${keeps[*]}")

if [ ! -f "$dir/.ket-complete" ]; then
	tmp=$(mktemp -d /tmp/ket-pack.XXXXXX)
	chmod 0755 "$tmp" # apt's sandbox user must reach $tmp/debs
	stage=$tmp/stage
	out=$dir.tmp
	trap 'rm -rf "$tmp" "$out"' EXIT
	build
	rm -rf "$dir"
	mv "$out" "$dir"
fi
echo "$quick" >"$dir/.ket-inputs"
for d in "$KET_CACHE/pack-$name-"*; do
	if [ "$d" != "$dir" ] && { is_pack "$d" || is_pack "${d%.tmp}"; }; then
		ket_log "removing the stale pack $d"
		rm -rf "$d"
	fi
done
printf '    %s\n' "$(cat "$dir/.ket-complete")" >&2
echo "$dir"
