#!/usr/bin/env bash
# The one test command: installs what is missing, then builds and runs every suite twice, on a
# normal build and on an ASan+UBSan build, then runs each libFuzzer target for a while (clang).
#   FUZZ_SECONDS  seconds per fuzzer (default 60 in CI, 10 otherwise; 0 skips fuzzing)
#   BUILD_ROOT    where the build trees go (default: ./build-test)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

root=${BUILD_ROOT:-build-test}
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-$([ "${CI:-}" = true ] && echo 60 || echo 10)}
start=$(date +%s)

configure() {  # dir, extra meson args...
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null; else meson setup "$dir" "$@" >/dev/null; fi
}

echo "== normal build (gcc) =="
configure "$root/normal"
ninja -C "$root/normal" -j "$jobs"
meson test -C "$root/normal" --print-errorlogs --num-processes "$jobs"

echo "== ASan+UBSan build (gcc) =="
configure "$root/asan" -Db_sanitize=address,undefined -Dbuildtype=debug
ninja -C "$root/asan" -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C "$root/asan" --print-errorlogs --num-processes "$jobs" --timeout-multiplier 3

if [ "$fuzz_seconds" -gt 0 ] && command -v clang++ >/dev/null; then
  echo "== libFuzzer (clang, ${fuzz_seconds}s each) =="
  CXX=clang++ configure "$root/fuzz" -Dfuzzers=enabled -Db_sanitize=address,undefined -Db_lundef=false
  fuzzers=$(sed -n "s/^fuzz_targets += \[\['\([a-z_]*\)'.*/\1/p" tests/fuzz/targets/meson.build)
  ninja -C "$root/fuzz" -j "$jobs" $(for f in $fuzzers; do echo "tests/fuzz/$f"; done)
  for f in $(for n in $fuzzers; do echo "$root/fuzz/tests/fuzz/$n"; done); do
    name=$(basename "$f")
    corpus=$(mktemp -d)
    cp -r tests/fuzz/corpus/"$name"/. "$corpus"/ 2>/dev/null || true
    echo "-- $name"
    "$f" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$corpus" 2>&1 | tail -n 3
    rm -rf "$corpus"
  done
fi
echo "== all stages passed in $(( $(date +%s) - start )) s (suites of the normal and the ASan+UBSan builds) =="
python3 tools/test_summary.py "$root/normal" "$root/asan"
