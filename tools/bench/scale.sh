#!/usr/bin/env bash
# Scale (issue #20 item 3): run it with `bash tools/bench/run.sh scale`, which builds
# $BENCH_BUILD in release mode first. Each figure with its target and PASS or MISS:
#  1. One daemon (`dmemu start DIR`), one RAM disk, 1,000 linear devices of 4 KiB over it,
#     each created by one `dmemu-setup create` (a whole command, process start included).
#     Targets: 1,000 creates < 1 s; `dmemu-setup ls` of 1,000 devices < 50 ms; the daemon's VmRSS
#     with 1,000 devices < 200 MiB. Also timed, with no target: `dmemu-setup info -c` of all of
#     them, 1,000 `dmemu-setup remove`, and `dmemu-setup version` (one request: what a command
#     costs before the daemon does any work), and `/bin/true` (what any process costs here).
#     Then the daemon's share: the same 1,000 creates and removes as requests on one connection
#     to control.sock (target: creates < 1 s).
#  2. Sweep throughput of fixtures/scenarios/pvmove-swap.scn on 2 jobs over SCALE_BENCH_SEEDS
#     seeds (default 2,000), and the time 100,000 seeds would take at that rate. Target: 100,000
#     seeds in under 5 minutes (on as many machines as it takes: see `--shard` in
#     docs/scenarios.md).
# Knobs: SCALE_BENCH_DEVICES (default 1000), SCALE_BENCH_SEEDS (default 2000), SCALE_BENCH_DIR
# (where DIR is made, default /dev/shm).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib/fuse_bench.sh
bench_build scale
n=${SCALE_BENCH_DEVICES:-1000}
seeds=${SCALE_BENCH_SEEDS:-2000}
# The daemon keeps its /sys and /dev trees under DIR: on a disk file system every file of them
# costs an unlink at remove (4 ms each on the development VM's overlay /tmp), so DIR goes to
# /dev/shm when there is one.
base=${SCALE_BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
dir=$(mktemp -d "$base/dmemu-bench-scale.XXXXXX")
cleanup() { "$dmemu" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

now() { date +%s%N; }
# ms between two now()s, with 1 decimal.
ms() { awk -v d=$(( $2 - $1 )) 'BEGIN { printf "%.1f", d / 1e6 }'; }
# verdict VALUE TARGET: PASS when VALUE < TARGET.
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v < t) ? "PASS" : "MISS" }'; }
report() {  # report WHAT TOTAL_MS COUNT [TARGET_MS TARGET_TEXT]
  local per
  per=$(awk -v t="$2" -v c="$3" 'BEGIN { printf "%.3f", t / c }')
  if [ $# -ge 5 ]; then
    printf '%-34s %9s ms  (%s ms each)  target %s: %s\n' "$1" "$2" "$per" "$5" "$(verdict "$2" "$4")"
  else
    printf '%-34s %9s ms  (%s ms each)\n' "$1" "$2" "$per"
  fi
}

"$dmemu" start "$dir" >/dev/null
pid=$(cat "$dir/dmemu.pid")
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
rss0=$(rss_kib)
"$setup" --dir "$dir" disk add ram0 --size "$(( (n + 1) * 8 ))s" >/dev/null
echo "DIR $dir ($(stat -f -c %T "$dir")), daemon pid $pid, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $n devices"

t0=$(now)
for i in $(seq 1 100); do "$setup" --dir "$dir" version >/dev/null; done
t1=$(now)
report "dmemu-setup version (x100)" "$(ms "$t0" "$t1")" 100

t0=$(now)
for i in $(seq 0 $(( n - 1 ))); do
  "$setup" --dir "$dir" create "s$i" --table "0 8 linear /dev/ram0 $(( i * 8 ))" >/dev/null
done
t1=$(now)
report "create x$n" "$(ms "$t0" "$t1")" "$n" 1000 "< 1000 ms"

count=$("$setup" --dir "$dir" ls | wc -l)
[ "$count" -eq "$n" ] || { echo "bench scale: ls shows $count devices, not $n" >&2; exit 1; }
best=""
for round in 1 2 3 4 5; do
  t0=$(now); "$setup" --dir "$dir" ls >/dev/null; t1=$(now)
  v=$(ms "$t0" "$t1")
  best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (a == "" || b < a) ? b : a }')
done
report "ls of $n (best of 5)" "$best" 1 50 "< 50 ms"

t0=$(now); "$setup" --dir "$dir" info -c >/dev/null; t1=$(now)
report "info -c of $n" "$(ms "$t0" "$t1")" "$n"

rss=$(rss_kib)
rss_mib=$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }')
printf '%-34s %9s MiB (%.1f MiB at start)  target < 200 MiB: %s\n' "daemon VmRSS with $n devices" \
  "$rss_mib" "$(awk -v r="$rss0" 'BEGIN { print r / 1024 }')" "$(verdict "$rss_mib" 200)"

t0=$(now)
for i in $(seq 0 $(( n - 1 ))); do "$setup" --dir "$dir" remove "s$i" >/dev/null; done
t1=$(now)
report "remove x$n" "$(ms "$t0" "$t1")" "$n"

# What a process costs on this machine before it does anything: the floor under each whole
# command above (1,000 of them cannot take under 1 s where one /bin/true takes a millisecond).
t0=$(now)
for i in $(seq 1 100); do /bin/true; done
t1=$(now)
report "/bin/true (x100): a process" "$(ms "$t0" "$t1")" 100

# The daemon's share of the same work, with no process per device: the same create (DEV_CREATE,
# TABLE_LOAD, DEV_SUSPEND to resume, as dmsetup sends them) and remove, each request a JSON line
# on one connection to control.sock, waiting for each reply (docs/cli.md, "The control socket").
python3 - "$dir/control.sock" "$n" <<'PY'
import json, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
f = s.makefile("rwb")
def call(req):
    f.write(json.dumps(req).encode() + b"\n")
    f.flush()
    reply = json.loads(f.readline())
    if reply.get("error", 0) != 0:
        sys.exit(f"bench scale: {req['cmd']} {req['name']}: {reply}")
def timed(what, per_device, target_ms=None):
    t0 = time.perf_counter()
    for i in range(n):
        for req in per_device(f"b{i}", i):
            call(req)
    total = (time.perf_counter() - t0) * 1000
    line = f"{what:<34} {total:9.1f} ms  ({total / n:.3f} ms each)"
    if target_ms is not None:
        line += f"  target < {target_ms} ms: {'PASS' if total < target_ms else 'MISS'}"
    print(line)
timed(f"create x{n}, one connection", lambda name, i: [
    {"cmd": "dev_create", "name": name},
    {"cmd": "table_load", "name": name,
     "targets": [{"start": 0, "length": 8, "type": "linear", "params": f"/dev/ram0 {i * 8}"}]},
    {"cmd": "dev_suspend", "name": name}], 1000)
timed(f"remove x{n}, one connection", lambda name, i: [{"cmd": "dev_remove", "name": name}])
PY

# 2. Seeds per second, projected to 100,000.
summary=$("$dmemu" sweep fixtures/scenarios/pvmove-swap.scn --seeds "1..$seeds" --jobs 2 --json -q | tail -n 1)
python3 - "$summary" <<'PY'
import json, sys
s = json.loads(sys.argv[1])["summary"]
rate = s["seeds_per_second"]
full = 100000 / rate if rate else float("inf")
verdict = "PASS" if full < 300 else "MISS"
print(f"pvmove-swap sweep: {s['seeds']} seeds ({s['failed']} failed) in {s['seconds']:.1f} s on "
      f"{s['jobs']} jobs: {rate:.0f} seeds/s; 100,000 seeds: {full:.0f} s projected; "
      f"target < 300 s: {verdict} (shards needed at this rate: {max(1, -(-int(full) // 300))})")
if s["failed"]:
    sys.exit(1)
PY
