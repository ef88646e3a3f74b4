# shellcheck shell=bash
# What the benchmarks that drive a daemon (tools/bench/fuse.sh, fuse_reference.sh, lvm.sh,
# scale.sh) share; sourced, never run. Lives in lib/ so that tools/bench/run.sh, which runs every
# tools/bench/*.sh, does not take it for a benchmark.

# bench_build NAME: sets build, dmemu and setup from $BENCH_BUILD, or exits 2 saying what is
# missing.
bench_build() {
  build=${BENCH_BUILD:-build-bench}
  dmemu=$build/tools/dmemu
  setup=$build/tools/dmemu-setup
  if [ ! -x "$dmemu" ] || [ ! -x "$setup" ]; then
    echo "bench $1: build $build first (bash tools/bench/run.sh $1 does)" >&2
    exit 2
  fi
}

# bench_programs NAME: bench_build, and fio.
bench_programs() {
  bench_build "$1"
  command -v fio >/dev/null || { echo "bench $1: fio is not installed" >&2; exit 2; }
}

# bench_dir: where backing files go, $BENCH_DIR or /dev/shm when it is tmpfs with room (more
# than 8 GiB free), else $TMPDIR or /tmp. The file system decides what the raw file measures.
bench_dir() {
  if [ -n "${BENCH_DIR:-}" ]; then
    echo "$BENCH_DIR"
  elif [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
       [ "$(df --output=avail -B1G /dev/shm | tail -1)" -gt 8 ]; then
    echo /dev/shm
  else
    echo "${TMPDIR:-/tmp}"
  fi
}

# direct_io_works DIR: 1 when the file system of DIR takes O_DIRECT (tmpfs does since Linux 6.6),
# else 0.
direct_io_works() {
  if dd if=/dev/zero of="$1/probe" bs=4k count=1 oflag=direct status=none 2>/dev/null; then
    echo 1
  else
    echo 0
  fi
  rm -f "$1/probe"
}

# fio_side: reads fio's JSON output on stdin and prints "MiB/s IOPS total_ios" of its first job's
# read side, or of its write side when it read nothing.
fio_side() {
  python3 -c '
import json, sys
text = sys.stdin.read()
job = json.loads(text[text.index("{"):])["jobs"][0]
side = job["read"] if job["read"]["io_bytes"] else job["write"]
print("%.1f %.0f %d" % (side["bw_bytes"] / 2**20, side["iops"], side["total_ios"]))'
}
