#!/usr/bin/env bash
# The main demo: installs what is missing, builds, starts a daemon in a temporary directory and
# walks through the device-mapper lifecycle with dmemu-setup, as one would with dmsetup; then the
# real dmsetup creates, swaps and removes a mirror under `dmemu exec`; the real LVM2 moves an
# ext4 LV with pvmove; then the UUID-collision bug replayed on a virtual clock, the two modes'
# traces compared with `dmemu trace diff` and one exported as a Perfetto timeline.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# The demo's own build tree: clang at -O1 without debug information when clang is there, which
# compiles these programs in about a third of the time of the default gcc -O2 -g
# (docs/performance.md, "CI time"); `meson setup build` stays the developers' debug build.
build=${BUILD_DIR:-build-demo}
if [ ! -d "$build" ]; then
  if command -v clang++ >/dev/null; then
    CXX=clang++ CC=clang meson setup "$build" -Doptimization=1 -Ddebug=false >/dev/null
  else
    meson setup "$build" -Doptimization=1 -Ddebug=false >/dev/null
  fi
fi
echo "== building the programs the demo runs (first time: a few minutes; tools/test.sh builds the rest)"
ninja -C "$build" tools/dmemu tools/dmemu-setup tools/dmemu-ulogd tools/preload/libdmemu-preload.so >/dev/null

dir=$(mktemp -d /tmp/dmemu-demo.XXXXXX)
dmemu=$build/tools/dmemu
setup=$build/tools/dmemu-setup
cleanup() { "$dmemu" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

step() { printf '\n$ dmemu-setup %s\n' "$*"; "$setup" --dir "$dir" "$@" || true; }

echo "== starting dmemu in $dir"
"$dmemu" start "$dir"
step disk add ram0 --size 64M --devno 1:0
step disk add ram1 --size 64M --devno 1:1
step create lin --uuid DEMO-LIN --table '0 65536 linear /dev/ram0 0'
step create str --table '0 131072 striped 2 128 /dev/ram0 0 /dev/ram1 0'
step create top --table '0 65536 linear /dev/mapper/str 0'
step ls
step table
step status
step deps top
step info -c
if [ -e "$dir/mnt/mapper/top" ]; then
  echo; echo "== every device is a block file on the FUSE mount: $dir/mnt"
  ls -l "$dir/mnt/mapper" "$dir/mnt/disks"
  head -c 4194304 /dev/urandom > "$dir/data.bin"
  dd if="$dir/data.bin" of="$dir/mnt/mapper/top" bs=1M oflag=direct conv=notrunc status=none
  dd if="$dir/mnt/mapper/top" of="$dir/back.bin" bs=1M count=4 status=none
  cmp "$dir/data.bin" "$dir/back.bin" && echo "dd through linear-over-striped: 4 MiB written and read back identical"
else
  echo; echo "(no FUSE mount: /dev/fuse is not usable here, see $dir/dmemu.log)"
fi
echo; echo "== a pvmove-style swap: load an inactive table, suspend, resume"
step load lin --table '0 65536 linear /dev/ram1 65536'
step info lin
step suspend lin
step resume lin
step table lin
echo; echo "== bad input gets the kernel's and dmsetup's words"
step create bad --table '0 100 linear /dev/nosuch 0'
step remove str
step dmesg
step remove_all
step ls

if [ -x /usr/sbin/dmsetup ]; then
  echo; echo "== the real dmsetup ($(/usr/sbin/dmsetup --version | head -1 | tr -s ' ')), unmodified, under 'dmemu exec'"
  echo "(no root: libdmemu-preload.so gives it dmemu's /dev/mapper/control, nodes, /proc/devices and /sys)"
  xr() {
    printf '\n$ dmemu exec DIR --'
    for a in "$@"; do case $a in *' '*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac; done
    echo; "$dmemu" exec "$dir" -- "$@" || true
  }
  xr dmsetup create m --table '0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0'
  xr dmsetup ls --tree
  for _ in $(seq 50); do "$dmemu" exec "$dir" -- dmsetup status m | grep -q ' 64/64 ' && break; sleep 0.1; done
  xr dmsetup status m
  if [ -e "$dir/mnt/mapper/m" ]; then
    xr mkfs.ext4 -q /dev/mapper/m
    xr e2fsck -fn /dev/mapper/m
  fi
  echo; echo "-- swap the mirror's legs as pvmove would: load, suspend, resume"
  xr dmsetup load m --table '0 65536 mirror core 1 1024 2 /dev/ram1 0 /dev/ram0 0'
  xr dmsetup info m
  xr dmsetup suspend m
  xr dmsetup resume m
  xr dmsetup table m
  xr dmsetup remove m
  xr dmsetup ls
fi

if [ -x /usr/sbin/lvm ] && [ -e "$dir/mnt/disks" ]; then
  echo; echo "== the real LVM2 ($(/usr/sbin/lvm version | sed -n 's/^ *LVM version: *\([^ ]*\).*/\1/p')), unmodified, under 'dmemu exec': pvmove of an ext4 LV"
  echo "(dmemu exec wrote $dir/etc/lvm/lvm.conf: PVs are named by their path in DIR/dev)"
  for d in ram0 ram1 ram2; do "$setup" --dir "$dir" disk add "$d" --size 64M >/dev/null 2>&1 || true; done
  lx() {
    printf '\n$ dmemu exec DIR --'
    for a in "$@"; do case $a in *' '*) printf " '%s'" "${a//$dir/DIR}" ;; *) printf ' %s' "${a//$dir/DIR}" ;; esac; done
    echo; "$dmemu" exec "$dir" -- "$@" 2>&1 | sed "s|$dir|DIR|g" || true
  }
  D=$dir/dev
  head -c 3145728 /dev/urandom > "$dir/data.set"
  lx pvcreate -q "$D/ram0" "$D/ram1" "$D/ram2"
  lx vgcreate -q vg "$D/ram0" "$D/ram1" "$D/ram2"
  lx lvcreate -q -n lv -L 40M vg "$D/ram0"
  lx mkfs.ext4 -q "$D/vg/lv"
  lx debugfs -w -R "write $dir/data.set data" "$D/vg/lv"
  before=$(sha256sum < "$dir/data.set" | cut -c1-16)
  lx lvs -o lv_name,lv_size,devices vg
  lx pvmove -i1 "$D/ram0" "$D/ram1"
  lx lvs -o lv_name,lv_size,devices vg
  lx e2fsck -fn "$D/vg/lv"
  "$dmemu" exec "$dir" -- debugfs -R "dump data $dir/data.back" "$D/vg/lv" >/dev/null 2>&1 || true
  after=$(sha256sum < "$dir/data.back" 2>/dev/null | cut -c1-16)
  echo; echo "data set in the filesystem: sha256 $before... before pvmove, ${after:-missing}... after"
  lx vgremove -q -f vg
fi

echo; echo "== the UUID-collision bug, replayed on a virtual clock (fixtures/scenarios/pvmove-swap.scn)"
echo "pvmove moves on to its next segment: pvmove0 gets a new table whose mirror log has the SAME"
echo "uuid, so the log server briefly holds two logs with one uuid; only the luid tells them apart."
traces=${DEMO_TRACES:-/tmp/dmemu-demo-traces}
mkdir -p "$traces"
scn=fixtures/scenarios/pvmove-swap.scn
for mode in uuid+luid uuid-first; do
  printf '\n$ dmemu run %s --seed 1 --match %s --trace %s/%s.jsonl\n' "$scn" "$mode" "$traces" "$mode"
  "$dmemu" run "$scn" --seed 1 --match "$mode" --trace "$traces/$mode.jsonl" | sed -n '1p;/^FAILED\|^PASSED\|^    /p' | cut -c1-110 || true
done
echo
a=$traces/uuid+luid.jsonl b=$traces/uuid-first.jsonl
echo "-- where the two runs part (lines cut at 170 columns):"
printf '$ dmemu trace diff %s %s --context 2\n' "$a" "$b"
"$dmemu" trace diff "$a" "$b" --context 2 | cut -c1-170 || true
echo
echo "The new log L2's first request after its CTR already reaches L1's object: without the luid the"
echo "server cannot tell the two logs apart. RESUME of the new table then reaches the old log too,"
echo "and the old table's DTR destroys that object, although it is the live one. The new log is"
echo "never resumed, so the pvmove can never finish and writes to the segment hang (the FAILED lines"
echo "above). With the luid every request reaches its own log, and the same sequence passes."
echo
echo "-- the uuid-first run as a timeline: one track per device, per log instance and per fault source"
printf '$ dmemu trace export %s --format perfetto > %s\n' "$b" "${b%.jsonl}.json"
"$dmemu" trace export "$b" --format perfetto > "${b%.jsonl}.json"
echo "open ${b%.jsonl}.json in https://ui.perfetto.dev (Open trace file) or chrome://tracing (Load)"
echo
echo "traces: $traces/uuid+luid.jsonl and $traces/uuid-first.jsonl (one JSON object per line, docs/scenarios.md)"
echo "  replay one: $dmemu run --replay $traces/uuid-first.jsonl"
echo "  the historic reference-counting server: $dmemu run $scn --match uuid"
echo "  all of it: fixtures/README.md"

echo; echo "== done; the daemon is stopped and $dir removed on exit"
