#!/usr/bin/env bash
# dmemu's FUSE front end beside libfuse's own example server, for 4 KiB random I/O (issue #4's
# c/a >= 0.5): the same fio job, alternated in one run, on
#   raw     the backing file                        (no FUSE)
#   pt_ll   libfuse's passthrough_ll -s over it     (the reference: libfuse's example server,
#           built from libfuse3-dev's examples, one thread, -o cache=never: direct I/O as dmemu)
#   b       DIR/mnt/disks/fd0: that file as a dmemu disk
#   c       DIR/mnt/mapper/lin: linear over fd0
# For each it prints thousands of IOPS and the daemon's CPU time per request (user and system,
# from /proc/PID/stat around the run: the daemon is CPU bound, and its system time is the
# kernel's FUSE work) and dmemu's heap allocations per request (the daemon runs with
# tools/bench/alloc_counter.c preloaded; libfuse's own calloc of each request is one of them),
# then the ratios pt_ll/raw, b/pt_ll, c/pt_ll (median over the rounds). Targets (issue #20): c/pt_ll
# >= 1.00 and at most 1 allocation per request.
#
#   bash tools/bench/run.sh fuse_reference
# Environment: BENCH_BUILD, BENCH_DIR, BENCH_SECONDS (default 3), BENCH_ROUNDS (default 3), as
# tools/bench/fuse.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib/fuse_bench.sh
bench_programs fuse_reference
examples=/usr/share/doc/libfuse3-dev/examples
[ -f "$examples/passthrough_ll.c" ] || { echo "bench fuse_reference: no $examples/passthrough_ll.c (libfuse3-dev)" >&2; exit 2; }
seconds=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-3}

ptll=$build/fuse-reference/passthrough_ll
mkdir -p "$(dirname "$ptll")"
if [ ! -x "$ptll" ] || [ "$examples/passthrough_ll.c" -nt "$ptll" ]; then
  # shellcheck disable=SC2046 # pkg-config prints several words
  cc -O2 -w -o "$ptll" "$examples/passthrough_ll.c" $(pkg-config fuse3 --cflags --libs)
fi

work=$(mktemp -d "$(bench_dir)/dmemu-bench-ref.XXXXXX")
dm=$(mktemp -d "${TMPDIR:-/tmp}/dmemu-bench-refdm.XXXXXX")
mnt=$(mktemp -d "${TMPDIR:-/tmp}/dmemu-bench-refmnt.XXXXXX")
cleanup() {
  fusermount3 -u "$mnt" 2>/dev/null || true
  "$dmemu" stop "$dm" >/dev/null 2>&1 || true
  rm -rf --one-file-system "$work" "$dm" "$dm.allocs" 2>/dev/null || true
  rmdir "$mnt" 2>/dev/null || true
}
trap cleanup EXIT

fio --name=fill --filename="$work/f0.img" --rw=write --bs=1M --size=1G --ioengine=psync --output=/dev/null
"$ptll" -s -o "source=$work,cache=never" "$mnt"
ptll_pid=$(pgrep -n -f "passthrough_ll -s -o source=$work")
allocs=$dm.allocs
head -c 8 /dev/zero >"$allocs"
DMEMU_ALLOC_COUNTER=$allocs LD_PRELOAD=$PWD/$build/tools/bench/libdmemu_alloc_counter.so \
  "$dmemu" start "$dm" >/dev/null
dmemu_pid=$(cat "$dm/dmemu.pid")
"$setup" --dir "$dm" disk add fd0 --file "$work/f0.img"
"$setup" --dir "$dm" create lin --table "0 2097152 linear /dev/fd0 0"
direct=$(direct_io_works "$work")
echo "backing file: $work ($(stat -f -c %T "$work")); fio $(fio --version); $(nproc) CPUs;" \
     "libaio, iodepth 16, 4 KiB, ${seconds}s runs (no ramp: the CPU times cover the run), $rounds rounds"

allocations() { od -An -t u8 "$allocs" | tr -d ' '; }

# run RW FILE DIRECT PID -> "IOPS USER_US SYS_US ALLOCS" (PID 0: no daemon; ALLOCS per request
# for dmemu's daemon, - for the others)
run() {
  local rw=$1 file=$2 dio=$3 pid=$4 before after a0=- a1=-
  [ "$pid" = "$dmemu_pid" ] && a0=$(allocations)
  [ "$pid" = 0 ] || before=$(awk '{print $14, $15}' "/proc/$pid/stat")
  local side
  side=$(fio --name=ref --filename="$file" --rw="$rw" --bs=4k --iodepth=16 --ioengine=libaio \
          --direct="$dio" --time_based --runtime="$seconds" --size=1G \
          --norandommap --randrepeat=0 --output-format=json 2>/dev/null | fio_side)
  [ "$pid" = 0 ] || after=$(awk '{print $14, $15}' "/proc/$pid/stat")
  [ "$pid" = "$dmemu_pid" ] && a1=$(allocations)
  python3 - "$side" "${before:-0 0}" "${after:-0 0}" "$(getconf CLK_TCK)" "$a0" "$a1" <<'PY'
import sys
_, iops, total = (float(x) for x in sys.argv[1].split())
u0, s0 = (int(x) for x in sys.argv[2].split())
u1, s1 = (int(x) for x in sys.argv[3].split())
tick_us = 1e6 / int(sys.argv[4])
allocs = "-" if sys.argv[5] == "-" else f"{(int(sys.argv[6]) - int(sys.argv[5])) / total:.2f}"
print(f"{iops:.0f} {(u1 - u0) * tick_us / total:.2f} {(s1 - s0) * tick_us / total:.2f} {allocs}")
PY
}

results=$(mktemp)
for rw in randread randwrite; do
  for _ in $(seq 1 "$rounds"); do
    {
      echo "$rw raw $(run "$rw" "$work/f0.img" "$direct" 0)"
      echo "$rw pt_ll $(run "$rw" "$mnt/f0.img" 1 "$ptll_pid")"
      echo "$rw b $(run "$rw" "$dm/mnt/disks/fd0" 1 "$dmemu_pid")"
      echo "$rw c $(run "$rw" "$dm/mnt/mapper/lin" 1 "$dmemu_pid")"
    } >>"$results"
  done
done
python3 - "$results" <<'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    rw, target, iops, user, sys_, allocs = line.split()
    rows[(rw, target)].append((float(iops), float(user), float(sys_),
                               float("nan") if allocs == "-" else float(allocs)))
def med(rw, t, i):
    return statistics.median(r[i] for r in rows[(rw, t)])
print(f"\n{'job':<13}{'raw':>7}{'pt_ll':>7}{'b':>7}{'c':>7}{'c/raw':>7}{'pt_ll/raw':>10}"
      f"{'b/pt_ll':>8}{'c/pt_ll':>8}   daemon CPU us/request (user+sys): pt_ll, b; allocations/request: b, c")
for rw in ("randread", "randwrite"):
    k = {t: med(rw, t, 0) for t in ("raw", "pt_ll", "b", "c")}
    cpu = " ".join(f"{med(rw, t, 1):.2f}+{med(rw, t, 2):.2f}" for t in ("pt_ll", "b"))
    cpu += "; " + " ".join(f"{med(rw, t, 3):.2f}" for t in ("b", "c"))
    print(f"{rw + ' 4k':<13}" + "".join(f"{k[t] / 1000:6.0f}k" for t in ("raw", "pt_ll", "b", "c"))
          + f"{k['c'] / k['raw']:7.2f}{k['pt_ll'] / k['raw']:10.2f}{k['b'] / k['pt_ll']:8.2f}"
          + f"{k['c'] / k['pt_ll']:8.2f}   {cpu}")
print("(thousands of IOPS, medians over the rounds; targets: c/pt_ll >= 1.00 (issue #20), "
      "at most 1 allocation per request (issue #20), c/raw >= 0.5 (issue #4))")
PY
rm -f "$results"
