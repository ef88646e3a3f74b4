#!/usr/bin/env bash
# The FUSE front end's cost (issue #4): the same fio jobs, one after the other in one run, on
#   a  the raw backing file                       (no FUSE, no device-mapper)
#   b  DIR/mnt/disks/fd0: that file as a disk      (FUSE, no device-mapper: the pass-through)
#   c  DIR/mnt/mapper/lin: linear over fd0         (FUSE + device-mapper)
#   d  DIR/mnt/mapper/str: 2-way striped over two more file disks of half the size
#   e  DIR/mnt/mapper/mc: a 2-leg mirror with a core log, over two more file disks of half the
#      size, after its resync
#   f  DIR/mnt/mapper/mu: the same with a userspace log (clustered-core), served by dmemu's log
#      server inside the daemon (`dmemu start --log-server in-process`; BENCH_LOG_SERVER=dmemu
#      measures dmemu-ulogd, a separate process on the socket carrier, instead)
# for 1 MiB sequential read and write and 4 KiB random read and write (libaio, iodepth 16,
# direct=1 where the file system allows it), and prints MiB/s, IOPS and the ratios c/a, c/b,
# d/a, e/a, f/a, f/e. Targets: c/b >= 0.95; c/a >= 0.8 sequential, >= 0.5 random; mirror
# 1 MiB writes e/a >= 0.45; the userspace log costs little on them, f/e >= 0.9 (each job's f/e is
# printed: a random 4 KiB read waits for an IN_SYNC round trip, as in the kernel, where
# userspace_in_sync may not answer from a cache, so f/e is far lower there). Then the daemon's
# memory with 100 linear devices under light I/O (target: VmRSS < 100 MiB).
#
#   bash tools/bench/run.sh fuse        (builds a release tree in $BENCH_BUILD first)
# Environment:
#   BENCH_BUILD     the release build with tools/dmemu and tools/dmemu-setup (default build-bench)
#   BENCH_DIR       where the backing files go (default /dev/shm when it is tmpfs with room, else
#                   $TMPDIR or /tmp); the file system decides what (a) measures
#   BENCH_SIZE      size of the file disks (default 1G; at least 400M: the memory part puts 100
#                   devices of 4 MiB on fd0)
#   BENCH_SECONDS   run time of each fio job (default 4, after 1 s of ramp)
#   BENCH_ROUNDS    how many times each job runs on each of a-d (default 2; the best counts)
#   BENCH_LOG_SERVER  the log server of the f mirror: in-process (default) or dmemu
#   BENCH_DMEMU_ARGS  extra `dmemu start` options, e.g. --no-splice to measure reads through a
#                   buffer instead of splice (docs/fuse.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib/fuse_bench.sh
bench_programs fuse
size=${BENCH_SIZE:-1G}
if [ "$(numfmt --from=iec "$size")" -lt $((400 << 20)) ]; then
  echo "bench fuse: BENCH_SIZE=$size is too small: the memory part needs 400M on fd0" >&2
  exit 2
fi
seconds=${BENCH_SECONDS:-4}
rounds=${BENCH_ROUNDS:-2}

work=$(mktemp -d "$(bench_dir)/dmemu-bench-fuse.XXXXXX")
dm=$(mktemp -d "${TMPDIR:-/tmp}/dmemu-bench-dm.XXXXXX")
cleanup() {
  "$dmemu" stop "$dm" >/dev/null 2>&1 || true
  rm -rf --one-file-system "$work" "$dm" 2>/dev/null || true
}
trap cleanup EXIT

direct=$(direct_io_works "$work")
echo "backing files: $work ($(stat -f -c %T "$work"), direct=$direct for the raw file); fio $(fio --version); $(nproc) CPUs"
echo "dmemu start options: ${BENCH_DMEMU_ARGS:-(none)}"
echo "file disks: $size; each job ${seconds}s after 1s ramp, best of $rounds rounds; libaio, iodepth 16"

# Backing files written in full, so that no job reads holes.
for f in f0 f1 f2 f3 f4 f5 f6; do
  sz=$size
  [ "$f" = f0 ] || sz=$(( $(numfmt --from=iec "$size") / 2 ))
  fio --name=fill --filename="$work/$f.img" --rw=write --bs=1M --size="$sz" --ioengine=psync \
      --output=/dev/null
done

# shellcheck disable=SC2086 # word splitting of the extra options is wanted
log_server=${BENCH_LOG_SERVER:-in-process}
echo "log server of the f mirror: $log_server"
"$dmemu" start "$dm" --log-server "$log_server" ${BENCH_DMEMU_ARGS:-} >/dev/null
[ -d "$dm/mnt/disks" ] || { echo "bench fuse: no FUSE mount at $dm/mnt (see $dm/dmemu.log)" >&2; exit 1; }
"$setup" --dir "$dm" disk add fd0 --file "$work/f0.img"
"$setup" --dir "$dm" disk add fd1 --file "$work/f1.img"
"$setup" --dir "$dm" disk add fd2 --file "$work/f2.img"
sectors=$(( $(numfmt --from=iec "$size") / 512 ))
"$setup" --dir "$dm" create lin --table "0 $sectors linear /dev/fd0 0"
"$setup" --dir "$dm" create str --table "0 $sectors striped 2 256 /dev/fd1 0 /dev/fd2 0"
for i in 3 4 5 6; do "$setup" --dir "$dm" disk add "fd$i" --file "$work/f$i.img"; done
half=$(( sectors / 2 ))
"$setup" --dir "$dm" create mc --table "0 $half mirror core 1 1024 2 /dev/fd3 0 /dev/fd4 0"
"$setup" --dir "$dm" create mu --table "0 $half mirror userspace 3 BENCH-mu clustered-core 1024 2 /dev/fd5 0 /dev/fd6 0"
# The mirrors are measured in sync: the resync's copy would compete with the jobs.
for m in mc mu; do
  for _ in $(seq 600); do
    "$setup" --dir "$dm" status "$m" | awk '{split($7, a, "/"); exit !(a[1] == a[2])}' && break
    sleep 0.1
  done
  echo "mirror $m: $("$setup" --dir "$dm" status "$m")"
done

# run_job RW BS FILE DIRECT -> "MiB/s IOPS total_ios"
run_job() {
  local rw=$1 bs=$2 file=$3 dio=$4
  fio --name=bench --filename="$file" --rw="$rw" --bs="$bs" --iodepth=16 --ioengine=libaio \
      --direct="$dio" --time_based --runtime="$seconds" --ramp_time=1 --size="$size" \
      --norandommap --randrepeat=0 --output-format=json 2>/dev/null | fio_side
}

# Each job runs $rounds times on each of a-d, the order reversed every round so that drift in
# the machine's load falls on all four alike; a cell is the best round.
results=$(mktemp)
targets=(a b c d e f)
declare -A file=([a]="$work/f0.img" [b]="$dm/mnt/disks/fd0" [c]="$dm/mnt/mapper/lin"
                 [d]="$dm/mnt/mapper/str" [e]="$dm/mnt/mapper/mc" [f]="$dm/mnt/mapper/mu")
declare -A dio=([a]="$direct" [b]=1 [c]=1 [d]=1 [e]=1 [f]=1)
for spec in "read 1M" "write 1M" "randread 4k" "randwrite 4k"; do
  set -- $spec
  for round in $(seq 1 "$rounds"); do
    order=("${targets[@]}")
    [ $((round % 2)) -eq 0 ] && order=(f e d c b a)
    for t in "${order[@]}"; do
      # The mirrors are half as long: their jobs stay inside them.
      sz=$size; case $t in e|f) sz=$(( $(numfmt --from=iec "$size") / 2 )) ;; esac
      echo "$1 $2 $t $(size=$sz run_job "$1" "$2" "${file[$t]}" "${dio[$t]}")" >>"$results"
    done
  done
done
python3 - "$results" <<'PY'
import sys
best = {}
for line in open(sys.argv[1]):
    rw, bs, t, mib, iops, _ = line.split()
    key = (f"{rw} {bs}", t)
    if key not in best or float(mib) > best[key][0]:
        best[key] = (float(mib), float(iops))
print(f"\n{'job':<14} {'a raw file':>14} {'b FUSE disk':>14} {'c linear':>14} {'d striped':>14}"
      f" {'e mirror core':>14} {'f mirror ulog':>14}"
      f" {'c/a':>6} {'c/b':>6} {'d/a':>6} {'e/a':>6} {'f/a':>6} {'f/e':>6}")
ratio = lambda x, y: f"{x / y:6.2f}" if y else "   n/a"
mib_of = {}
for job in ("read 1M", "write 1M", "randread 4k", "randwrite 4k"):
    cells = [best[(job, t)] for t in "abcdef"]
    mib = [c[0] for c in cells]
    mib_of[job] = mib
    print(f"{job:<14} " + " ".join(f"{m:7.0f}/{i / 1000:5.1f}k" for m, i in cells) +
          f" {ratio(mib[2], mib[0])} {ratio(mib[2], mib[1])} {ratio(mib[3], mib[0])}"
          f" {ratio(mib[4], mib[0])} {ratio(mib[5], mib[0])} {ratio(mib[5], mib[4])}")
print("(cells: MiB/s / thousands of IOPS, best of the rounds; ratios of MiB/s)")
w = mib_of["write 1M"]
def verdict(name, value, target):
    print(f"  {name}: {value:.2f} (target >= {target}) {'MET' if value >= target else 'MISSED'}")
print("mirror targets:")
verdict("mirror (core log) 1 MiB write e/a", w[4] / w[0], 0.45)
verdict("userspace log / core log, 1 MiB write f/e", w[5] / w[4], 0.9)
PY
rm -f "$results"

# Memory: 100 linear devices of 4 MiB over fd0, light random I/O on all of them at once.
"$setup" --dir "$dm" remove lin
"$setup" --dir "$dm" remove str
files=()
for i in $(seq 0 99); do
  "$setup" --dir "$dm" create "m$i" --table "0 8192 linear /dev/fd0 $(( i * 8192 ))"
  files+=("m$i")
done
pid=$(cat "$dm/dmemu.pid")
fio --name=light --directory="$dm/mnt/mapper" --filename="$(IFS=:; echo "${files[*]}")" \
    --rw=randrw --bs=4k --iodepth=4 \
    --ioengine=libaio --direct=1 --time_based --runtime="$seconds" --size=400M --numjobs=4 \
    --file_service_type=random --output=/dev/null &
fio_pid=$!
sleep $(( seconds / 2 + 1 ))
rss_load=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
wait "$fio_pid"
read -r rss hwm < <(awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {print r, h}' "/proc/$pid/status")
awk -v l="$rss_load" -v r="$rss" -v h="$hwm" 'BEGIN {
  printf "\ndaemon memory with 100 linear devices: VmRSS %.1f MiB under load, %.1f MiB after; VmHWM %.1f MiB (target < 100 MiB)\n", l / 1024, r / 1024, h / 1024 }'
