#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/cmirrord/build.sh OUTDIR
#
# Builds LVM2's cluster mirror log daemon, cmirrord, twice, for dmemu's
# dm-log-userspace tests:
#   OUTDIR/cmirrord         LVM2 2.03.16 daemons/cmirrord, unmodified
#   OUTDIR/cmirrord-legacy  the same with legacy-uuid-only.patch applied,
#                           which makes the daemon find logs by uuid alone
#                           (see the patch's header for what and why)
#
# Why this way: Debian does not ship cmirrord as a binary, and dmemu wants
# the real daemon rather than a reimplementation. The only source used is
# Debian 12's own lvm2 source package, fetched with `apt-get source lvm2`
# (a deb-src entry for the machine's Debian suite is added if there is
# none); nothing else is downloaded. Only libdm and daemons/cmirrord are
# built, not the rest of LVM2.
#
# Layout of OUTDIR:
#   src/                    apt-get source cache (pristine, never built in)
#   build/cmirrord/         configured copy of the source tree
#   build/cmirrord-legacy/  another copy, with the patch applied
#   logs/                   output of each stage (read it when one fails)
#
# The pid file is fixed when cmirrord is compiled (configure's
# --with-cmirrord-pidfile; the daemon has no option for it). Defaults are
# relative, so they are written in the daemon's working directory: run
# `cmirrord -f` from a writable directory (without -f the daemon chdirs to
# / before creating it). Override with CMIRRORD_PIDFILE and
# CMIRRORD_LEGACY_PIDFILE.
#
# The binaries are linked the way Debian links libdevmapper (soname
# libdevmapper.so.1.02.1), so at run time they use Debian's
# libdevmapper1.02.1 package, built from this same source; libcpg comes
# from corosync's packages. Both are installed here.
#
# Environment: CMIRRORD_JOBS (make -j, default 2), CMIRRORD_DEBUG=1
# (configure --enable-debug: LOG_DBG messages, -O0), CMIRRORD_PIDFILE,
# CMIRRORD_LEGACY_PIDFILE. A run whose outputs are newer than this script
# and the patch, with the same settings, exits at once.
#
# Runs as root, or uses sudo for apt-get and /etc/apt when it is not.

set -euo pipefail
shopt -s inherit_errexit

readonly LVM2_UPSTREAM=2.03.16     # Debian 12 (bookworm) ships lvm2 2.03.16-2
readonly DM_ABINAME=1.02.1         # LIB_VERSION_DM as in lvm2's debian/rules
readonly DEB_SRC_FILE=/etc/apt/sources.list.d/dmemu-deb-src.sources

# Build-time packages (configure, libdm, cmirrord, apt-get source's unpack),
# then run-time ones.
readonly BUILD_PKGS=(gcc make libc6-dev patch pkg-config dpkg-dev xz-utils libcpg-dev)
readonly RUN_PKGS=(corosync "libdevmapper${DM_ABINAME}")

PROG=cmirrord-build

say() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
# die_log LOG MESSAGE: fail, showing the end of LOG.
die_log() {
	local log=$1; shift
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	if [[ -s $log ]]; then
		printf '%s: last lines of %s:\n' "$PROG" "$log" >&2
		tail -n 25 "$log" | sed 's/^/  | /' >&2
	fi
	exit 1
}
# run LOG CMD...: run CMD with its output appended to LOG; die on failure.
run() {
	local log=$1; shift
	printf '+ %s\n' "$*" >>"$log"
	"$@" >>"$log" 2>&1 || die_log "$log" "command failed ($?): $*"
}

[[ $# -eq 1 && -n $1 && $1 != -* ]] || {
	printf 'usage: %s OUTDIR\n' "$0" >&2
	exit 2
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
PATCH=$HERE/legacy-uuid-only.patch
[[ -f $PATCH ]] || die "patch not found: $PATCH"

mkdir -p "$1" || die "cannot create $1"
OUTDIR=$(cd "$1" && pwd)
SRC=$OUTDIR/src
BUILD=$OUTDIR/build
LOGS=$OUTDIR/logs

JOBS=${CMIRRORD_JOBS:-2}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "CMIRRORD_JOBS must be a positive number"
PIDFILE=${CMIRRORD_PIDFILE:-cmirrord.pid}
LEGACY_PIDFILE=${CMIRRORD_LEGACY_PIDFILE:-cmirrord-legacy.pid}
DEBUG=${CMIRRORD_DEBUG:-0}
for p in "$PIDFILE" "$LEGACY_PIDFILE"; do
	[[ $p =~ ^[A-Za-z0-9_./+-]+$ ]] || die "unsupported pid file path: '$p'"
done

# configure_args PIDFILE: the options used for both trees. Everything that
# would pull in a library cmirrord does not need is switched off, so the
# result is the same on any Debian 12 machine.
configure_args() {
	local a=(
		--enable-cmirrord
		"--with-cmirrord-pidfile=$1"
		--disable-selinux
		--disable-readline
		--disable-blkid_wiping
		--disable-systemd-journal
		--disable-app-machineid
		--disable-udev-systemd-background-jobs
	)
	[[ $DEBUG == 1 ]] && a+=(--enable-debug)
	printf '%s\n' "${a[@]}"
}

PATCH_SUM=$(sha256sum "$PATCH" | cut -d' ' -f1)
STAMP=$OUTDIR/.cmirrord-build-stamp
STAMP_TEXT="lvm2 $LVM2_UPSTREAM soname $DM_ABINAME patch $PATCH_SUM
plain: $(configure_args "$PIDFILE" | tr '\n' ' ')
legacy: $(configure_args "$LEGACY_PIDFILE" | tr '\n' ' ')"

missing_pkgs() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || st=
		[[ $st == installed ]] || printf '%s\n' "$p"
	done
}

# ---- fast path: nothing to do ----------------------------------------------
up_to_date() {
	local b
	for b in "$OUTDIR/cmirrord" "$OUTDIR/cmirrord-legacy"; do
		[[ -x $b && $b -nt $SELF && $b -nt $PATCH ]] || return 1
	done
	[[ -f $STAMP && $(<"$STAMP") == "$STAMP_TEXT" ]] || return 1
	[[ -z $(missing_pkgs "${RUN_PKGS[@]}") ]]
}
if up_to_date; then
	say "up to date: $OUTDIR/cmirrord $OUTDIR/cmirrord-legacy"
	exit 0
fi

mkdir -p "$LOGS" "$BUILD"
exec 9>"$OUTDIR/.build.lock"
flock 9 || die "cannot lock $OUTDIR/.build.lock"

SUDO=()
need_root() {
	if [[ $EUID -eq 0 ]]; then
		SUDO=()
	elif command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		die "$1 needs root: run as root or install sudo"
	fi
}
apt_env() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"; }

UPDATED=0
apt_update() {
	local log=$LOGS/apt-update.log
	[[ $UPDATED == 0 ]] || return 0
	UPDATED=1
	need_root "apt-get update"
	printf '+ apt-get update\n' >>"$log"
	# Another, unrelated source failing must not stop us: what matters is
	# checked afterwards (source index present, packages installable).
	apt_env apt-get update -qq >>"$log" 2>&1 ||
		say "warning: apt-get update reported errors (see $log)"
}

# ---- stage 1: deb-src entry -------------------------------------------------
# Prints the version of the lvm2 source package apt knows, if any.
lvm2_src_version() {
	apt-cache showsrc --only-source lvm2 2>/dev/null |
		awk '/^Version:/ { print $2; exit }'
}

have_deb_src_entry() {
	local f
	grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list && return 0
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		# One paragraph per record; works with mawk (Debian's awk).
		awk 'BEGIN { RS = "" }
		     { r = tolower($0) }
		     r ~ /(^|\n)types:[^\n]*deb-src/ && r !~ /(^|\n)enabled:[ \t]*no/ { found = 1 }
		     END { exit !found }' "$f" && return 0
	done
	return 1
}

# Prints "URI SUITE SIGNED-BY" for each enabled binary (deb) entry, from
# one-line and deb822 sources; SIGNED-BY is "-" when absent or inline.
deb_entries() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		awk '$1 == "deb" {
			i = 2; sb = "-"
			if ($i ~ /^\[/) {
				while (i <= NF) {
					o = $i; sub(/^\[/, "", o); sub(/\]$/, "", o)
					if (o ~ /^signed-by=/) { sub(/^signed-by=/, "", o); sb = o }
					if ($i ~ /\]$/) { i++; break }
					i++
				}
			}
			if (i + 1 <= NF) print $i, $(i + 1), sb
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		awk 'function flush(   n, s, u, k) {
			if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no" && uris != "") {
				split(uris, u, " "); n = split(suites, s, " ")
				for (k = 1; k <= n; k++) print u[1], s[k], (sb ~ /^\// ? sb : "-")
			}
			types = uris = suites = sb = enabled = ""
		}
		/^[[:space:]]*$/ { flush(); next }
		/^#/ { next }
		/^[A-Za-z-]+:/ {
			key = tolower($0); sub(/:.*/, "", key)
			val = $0; sub(/^[^:]*:[[:space:]]*/, "", val); sub(/[[:space:]]+$/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "signed-by") sb = val
			else if (key == "enabled") enabled = val
		}
		END { flush() }' "$f"
	done
}

add_deb_src_entry() {
	local codename uri suite sb line
	# shellcheck source=/dev/null
	codename=$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")
	# Prefer the entry for the release itself (not -updates/-security).
	line=$(deb_entries | awk -v c="$codename" '
		$2 == c && $1 !~ /security/ { print; found = 1; exit }
		$2 !~ /-/ && $1 !~ /security/ && !first { first = $0 }
		END { if (!found && first) print first }')
	[[ -n $line ]] || die "no Debian 'deb' entry in /etc/apt/sources.list{,.d} to derive a deb-src entry from"
	read -r uri suite sb <<<"$line"
	[[ $suite == bookworm ]] ||
		say "warning: suite is '$suite', not bookworm (Debian 12); the patch targets lvm2 $LVM2_UPSTREAM"
	need_root "writing $DEB_SRC_FILE"
	{
		printf '# Added by dmemu tools/cmirrord/build.sh: lvm2 source for cmirrord.\n'
		printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n' "$uri" "$suite"
		[[ $sb == - ]] || printf 'Signed-By: %s\n' "$sb"
	} | "${SUDO[@]}" tee "$DEB_SRC_FILE" >/dev/null ||
		die "cannot write $DEB_SRC_FILE"
	say "[1/6] deb-src: added $DEB_SRC_FILE ($uri $suite main)"
}

srcver=
if [[ -f $SRC/.complete ]]; then
	say "[1/6] deb-src: not needed, source cached"
elif srcver=$(lvm2_src_version) && [[ $srcver == "$LVM2_UPSTREAM"-* ]]; then
	say "[1/6] deb-src: lvm2 $srcver available"
else
	if ! have_deb_src_entry; then
		add_deb_src_entry
	fi
	apt_update
	srcver=$(lvm2_src_version)
	[[ -n $srcver ]] ||
		die_log "$LOGS/apt-update.log" "apt knows no lvm2 source package even after apt-get update (check deb-src entries)"
	[[ $srcver == "$LVM2_UPSTREAM"-* ]] ||
		die "apt offers lvm2 source $srcver, expected $LVM2_UPSTREAM-* (Debian 12)"
	say "[1/6] deb-src: lvm2 $srcver available (after apt-get update)"
fi

# ---- stage 2: packages ------------------------------------------------------
mapfile -t missing < <(missing_pkgs "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
if ((${#missing[@]} == 0)); then
	say "[2/6] packages: all present"
else
	need_root "apt-get install"
	log=$LOGS/apt-install.log
	install_cmd=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
	printf '+ %s\n' "${install_cmd[*]}" >>"$log"
	if ! apt_env "${install_cmd[@]}" >>"$log" 2>&1; then
		# Maybe the package lists are missing or stale: update once, retry.
		[[ $UPDATED == 0 ]] || die_log "$log" "apt-get install ${missing[*]} failed"
		apt_update
		printf '+ %s\n' "${install_cmd[*]}" >>"$log"
		apt_env "${install_cmd[@]}" >>"$log" 2>&1 ||
			die_log "$log" "apt-get install ${missing[*]} failed"
	fi
	say "[2/6] packages: installed ${missing[*]}"
fi

# ---- stage 3: source --------------------------------------------------------
TREE_NAME=lvm2-$LVM2_UPSTREAM
if [[ -f $SRC/.complete && -d $SRC/$TREE_NAME ]]; then
	say "[3/6] source: cached $SRC/$TREE_NAME ($(<"$SRC/.complete"))"
else
	log=$LOGS/apt-source.log
	rm -rf "$SRC"
	mkdir -p "$SRC"
	: >"$log"
	# apt-get source needs no root; as root apt warns that _apt cannot read
	# OUTDIR and downloads unsandboxed, which is harmless here.
	(cd "$SRC" && run "$log" apt-get source lvm2)
	[[ -f $SRC/$TREE_NAME/daemons/cmirrord/functions.c ]] ||
		die_log "$log" "apt-get source lvm2 did not produce $SRC/$TREE_NAME"
	dsc=$(cd "$SRC" && ls lvm2_*.dsc)
	printf '%s\n' "$dsc" >"$SRC/.complete"
	say "[3/6] source: fetched $dsc into $SRC"
fi
SRC_ID=$(<"$SRC/.complete")

# ---- stage 4: trees ---------------------------------------------------------
# prepare_tree NAME PATCH|-: a copy of the pristine tree, patched or not;
# recreated when the source or the patch changed.
prepare_tree() {
	local name=$1 patch=$2 t=$BUILD/$1 id log=$LOGS/tree-$1.log
	id="source $SRC_ID patch $([[ $patch == - ]] && echo none || echo "$PATCH_SUM")"
	if [[ -f $t/.dmemu-tree && $(<"$t/.dmemu-tree") == "$id" ]]; then
		echo kept
		return
	fi
	: >"$log"
	rm -rf "$t" "$t.new"
	run "$log" cp -a "$SRC/$TREE_NAME" "$t.new"
	if [[ $patch != - ]]; then
		printf '+ patch -p1 < %s\n' "$patch" >>"$log"
		(cd "$t.new" && patch -p1 --forward --batch <"$patch") >>"$log" 2>&1 ||
			die_log "$log" "$patch does not apply to $SRC_ID"
	fi
	printf '%s\n' "$id" >"$t.new/.dmemu-tree"
	mv "$t.new" "$t"
	echo new
}
plain_state=$(prepare_tree cmirrord -)
legacy_state=$(prepare_tree cmirrord-legacy "$PATCH")
say "[4/6] trees: build/cmirrord $plain_state, build/cmirrord-legacy $legacy_state (patched)"

# ---- stages 5 and 6: configure and build ------------------------------------
# build_one NAME PIDFILE STAGE
build_one() {
	local name=$1 pidfile=$2 stage=$3 t=$BUILD/$1 log=$LOGS/build-$1.log
	local args start what=built
	mapfile -t args < <(configure_args "$pidfile")
	start=$SECONDS
	: >"$log"
	if [[ ! -f $t/config.status || ! -f $t/.dmemu-configure ||
	      $(<"$t/.dmemu-configure") != "${args[*]}" ]]; then
		rm -f "$t/.dmemu-configure"
		(cd "$t" && run "$log" ./configure "${args[@]}")
		printf '%s\n' "${args[*]}" >"$t/.dmemu-configure"
		what="configured and built"
	fi
	# libdevmapper first (cmirrord links against the tree's copy), named
	# as Debian names it so that the installed libdevmapper1.02.1 serves
	# at run time; then only daemons/cmirrord.
	run "$log" make -C "$t/libdm" -j"$JOBS" LIB_VERSION_DM="$DM_ABINAME" libdevmapper.so
	run "$log" make -C "$t/daemons/cmirrord" -j"$JOBS" LIB_VERSION_DM="$DM_ABINAME" cmirrord
	run "$log" install -m 0755 "$t/daemons/cmirrord/cmirrord" "$OUTDIR/$name.new"
	mv -f "$OUTDIR/$name.new" "$OUTDIR/$name"
	# Smoke test: it must load its libraries and print its usage.
	"$OUTDIR/$name" -h >>"$log" 2>&1 ||
		die_log "$log" "$OUTDIR/$name -h failed (missing run-time library? try: ldd $OUTDIR/$name)"
	say "[$stage/6] $name: $what in $((SECONDS - start))s (pid file '$pidfile') -> $OUTDIR/$name"
}
rm -f "$STAMP"
build_one cmirrord "$PIDFILE" 5
build_one cmirrord-legacy "$LEGACY_PIDFILE" 6

cmp -s "$OUTDIR/cmirrord" "$OUTDIR/cmirrord-legacy" &&
	die "cmirrord and cmirrord-legacy are identical: was the patch applied?"
printf '%s\n' "$STAMP_TEXT" >"$STAMP"
say "done: $OUTDIR/cmirrord $OUTDIR/cmirrord-legacy"
