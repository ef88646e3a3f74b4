#!/usr/bin/env bash
# The benchmarks, side by side in one run: `bash tools/bench/run.sh [NAME ...]`.
# Each NAME is a script tools/bench/NAME.sh (default: all of them, in name order). They share a
# release build in $BENCH_BUILD (default ./build-bench) and print the ratios the issues name.
# Benchmarks are never timed tests: run them on a quiet machine and read the ratios, not the
# absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/setup.sh
export BENCH_BUILD=${BENCH_BUILD:-build-bench}
if [ -d "$BENCH_BUILD" ]; then
  meson setup --reconfigure "$BENCH_BUILD" -Dbuildtype=release -Db_ndebug=true >/dev/null
else
  meson setup "$BENCH_BUILD" -Dbuildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C "$BENCH_BUILD" >/dev/null

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in tools/bench/*.sh; do
    n=$(basename "$f" .sh)
    [ "$n" = run ] || names+=("$n")
  done
fi
for n in "${names[@]}"; do
  script=tools/bench/$n.sh
  if [ ! -f "$script" ]; then
    echo "bench: no benchmark named '$n' (have: $(ls tools/bench/*.sh | xargs -n1 basename | sed 's/\.sh$//' | grep -v '^run$' | tr '\n' ' '))" >&2
    exit 2
  fi
  echo "== bench: $n =="
  bash "$script"
done
