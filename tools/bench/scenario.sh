#!/usr/bin/env bash
# Scenario benchmarks. Run them with `bash tools/bench/run.sh scenario`, which builds $BENCH_BUILD
# in release mode first. Two numbers, each with its target from issue 6:
#  1. Wall time of fixtures/scenarios/log-server-timeouts.scn: ten 15 s kernel request timeouts
#     against a silent log server, 155 s of virtual time, as one whole `dmemu run` (process
#     start included). Target: under 50 ms.
#  2. Sweep throughput of fixtures/scenarios/pvmove-swap.scn in seeds/s on 2 worker processes.
#     Target: 10,000 seeds in under 10 minutes.
# Knobs: SCENARIO_BENCH_RUNS (timed runs of 1, default 21), SCENARIO_BENCH_SEEDS (seeds of 2,
# default 10000).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BENCH_BUILD:-build-bench}
dmemu=$build/tools/dmemu
if [ ! -x "$dmemu" ]; then
  echo "bench scenario: $dmemu is missing: run 'bash tools/bench/run.sh scenario'" >&2
  exit 2
fi
runs=${SCENARIO_BENCH_RUNS:-21}
seeds=${SCENARIO_BENCH_SEEDS:-10000}
timeouts=fixtures/scenarios/log-server-timeouts.scn

# 1. Ten 15 s timeouts on the virtual clock.
"$dmemu" run "$timeouts" --seed 1 >/dev/null || { echo "bench scenario: $timeouts does not pass" >&2; exit 1; }
us=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$dmemu" run "$timeouts" --seed "$i" >/dev/null
  end=$(date +%s%N)
  us+=($(( (end - start) / 1000 )))
done
sorted=($(printf '%s\n' "${us[@]}" | sort -n))
median=${sorted[$(( ${#sorted[@]} / 2 ))]}
best=${sorted[0]}
verdict=$([ "$median" -lt 50000 ] && echo "meets" || echo "MISSES")
printf 'ten 15 s kernel timeouts (155 s virtual): median %d.%03d ms, best %d.%03d ms per dmemu run (%d runs); target < 50 ms: %s\n' \
  $((median / 1000)) $((median % 1000)) $((best / 1000)) $((best % 1000)) "$runs" "$verdict"

# 2. Sweep throughput on 2 cores.
summary=$("$dmemu" sweep fixtures/scenarios/pvmove-swap.scn --seeds "1..$seeds" --jobs 2 --json -q | tail -n 1)
python3 - "$summary" "$seeds" <<'PY'
import json, sys
s = json.loads(sys.argv[1])["summary"]
rate = s["seeds_per_second"]
full = 10000 / rate if rate else float("inf")
verdict = "meets" if full < 600 else "MISSES"
print(f"pvmove-swap sweep: {s['seeds']} seeds ({s['failed']} failed) in {s['seconds']:.1f} s on "
      f"{s['jobs']} jobs: {rate:.0f} seeds/s; 10,000 seeds take {full:.0f} s; target < 600 s: {verdict}")
if s["failed"]:
    sys.exit(1)
PY
