#!/usr/bin/env bash
# The main demo: installs what is missing, builds, starts a daemon in a temporary directory and
# walks through the device-mapper lifecycle with dmemu-setup, as one would with dmsetup.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
build=${BUILD_DIR:-build}
[ -d "$build" ] || meson setup "$build" >/dev/null
echo "== building (first time: a few minutes)"
ninja -C "$build" >/dev/null

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
echo; echo "== done; the daemon is stopped and $dir removed on exit"
