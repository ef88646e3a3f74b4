#!/usr/bin/env bash
# The real LVM2's pvmove on dmemu (issue #17): run it with `bash tools/bench/run.sh lvm`, which
# builds $BENCH_BUILD in release mode first. Three file disks (LVM_BENCH_MB + 64 MiB each, in
# $LVM_BENCH_TMP, default /tmp), one LV of LVM_BENCH_MB MiB (default 1024) filled with random
# bytes, then side by side in one run:
#   pvmove  `pvmove PV0 PV1` under `dmemu exec`: the whole move, mirror resync and every table
#           swap included (seconds, MB/s of LV moved)
#   dd      the same number of bytes copied disk to disk through the same FUSE mount with
#           `dd bs=1M iflag=direct oflag=direct` (what the copy alone costs here)
# and the ratio of the two rates. The data is checked after the move (sha256 of the LV).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib/fuse_bench.sh
bench_build lvm
[ -x /usr/sbin/lvm ] || { echo "bench lvm: lvm2 is not installed (tools/setup.sh)" >&2; exit 2; }
mb=${LVM_BENCH_MB:-1024}
dir=$(mktemp -d "${LVM_BENCH_TMP:-/tmp}/dmemu-bench-lvm.XXXXXX")
cleanup() { "$dmemu" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$dmemu" start "$dir" >/dev/null
[ -d "$dir/mnt/disks" ] || { echo "bench lvm: no FUSE mount (see $dir/dmemu.log)" >&2; exit 2; }
for i in 0 1 2; do
  "$setup" --dir "$dir" disk add "pv$i" --file "$dir/pv$i.img" --size "$((mb + 64))M" >/dev/null
done
x() { "$dmemu" exec "$dir" -- "$@"; }
D=$dir/dev
x pvcreate -q "$D/pv0" "$D/pv1" "$D/pv2" >/dev/null
x vgcreate -q vg "$D/pv0" "$D/pv1" "$D/pv2" >/dev/null
x lvcreate -q -n lv -L "${mb}M" vg "$D/pv0" >/dev/null
x dd if=/dev/urandom of="$D/vg/lv" bs=1M count="$mb" oflag=direct status=none
before=$(x sha256sum "$D/vg/lv" | cut -d' ' -f1)

now() { date +%s%N; }
t0=$(now)
x pvmove -i1 "$D/pv0" "$D/pv1" >/dev/null
t1=$(now)
after=$(x sha256sum "$D/vg/lv" | cut -d' ' -f1)
[ "$before" = "$after" ] || { echo "bench lvm: the LV's data changed across pvmove" >&2; exit 1; }
# The same bytes, disk to disk, through the same mount (pv0's old extents onto pv2).
t2=$(now)
dd if="$dir/mnt/disks/pv0" of="$dir/mnt/disks/pv2" bs=1M count="$mb" skip=1 seek=1 \
  iflag=direct oflag=direct conv=notrunc status=none
t3=$(now)
awk -v mb="$mb" -v p=$((t1 - t0)) -v d=$((t3 - t2)) 'BEGIN {
  ps = p / 1e9; ds = d / 1e9; bytes = mb * 1048576
  printf "pvmove of a %d MiB LV: %.2f s, %.0f MB/s   dd of the same bytes: %.2f s, %.0f MB/s   pvmove/dd %.2f\n",
    mb, ps, bytes / ps / 1e6, ds, bytes / ds / 1e6, ds / ps
}'
echo "(data checked: sha256 of the LV equal before and after the move)"
