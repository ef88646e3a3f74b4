#!/usr/bin/env bash
# The one test command: installs what is missing, then builds and runs every suite twice, on a
# normal build (gcc) and on an ASan+UBSan build (clang, which also builds the libFuzzer targets),
# runs the suites with threads once more under ThreadSanitizer (clang), then runs each libFuzzer
# target for a while.
#   FUZZ_SECONDS  seconds per fuzzer (default 20 in CI, 10 otherwise; 0 skips fuzzing)
#   BUILD_ROOT    where the build trees go (default: ./build-test)
# Why these builds (docs/performance.md, "CI time"): the normal build is -O1 without debug
# information, half the compile time of -O2 -g for the same tests; clang compiles the sanitizer
# builds in about half of gcc's time, and one such build serves the ASan+UBSan suites and the
# fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

root=${BUILD_ROOT:-build-test}
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-$([ "${CI:-}" = true ] && echo 20 || echo 10)}
start=$(date +%s)
# A stage's heading, with the seconds since the start (docs/performance.md, "CI time").
stage() { echo "== $* == (at $(( $(date +%s) - start )) s)"; }

configure() {  # dir, extra meson args...
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null; else meson setup "$dir" "$@" >/dev/null; fi
}

# The tree's format (.clang-format) first: it takes seconds, and a diff is a failure.
stage "format (clang-format --dry-run -Werror)"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z '*.cpp' '*.hpp' '*.c' '*.h' | xargs -0 clang-format --dry-run -Werror
else
  find emu transfer logs tools tests \( -name '*.cpp' -o -name '*.hpp' -o -name '*.c' -o -name '*.h' \) -print0 |
    xargs -0 clang-format --dry-run -Werror
fi

stage "normal build (gcc, -O1)"
configure "$root/normal" -Doptimization=1 -Ddebug=false
ninja -C "$root/normal" -j "$jobs"
# The real cmirrord and cmirrord-legacy, from Debian's lvm2 source, cached in the build tree
# (tests/realtools/real_cmirrord_test.cpp finds them there; the ASan pass uses these too).
stage "cmirrord from LVM2's source (tools/cmirrord/build.sh)"
bash tools/cmirrord/build.sh "$root/normal/cmirrord"
meson test -C "$root/normal" --print-errorlogs --num-processes "$jobs"
bash docs/man/check.sh "$root/normal"

# ---- FUSE and real-tools suites as an unprivileged user (issues #4 and #16) ----------------------
# When run as root (CI), the FUSE suite runs once more as a user with no privileges, so CI proves
# the no-root path: mounts through the setuid fusermount3, dead-mount cleanup with fusermount3 -u.
# DMEMU_EXPECT_UNPRIVILEGED=1 makes every FUSE test check that it really is unprivileged (and
# fail rather than skip). The test binary and the programs it drives are copied into a TMPDIR the
# user owns, so the checkout's permissions do not matter.
if [ "$(id -u)" -eq 0 ]; then
  stage "FUSE and real-tools suites as an unprivileged user (dmemu-ci)"
  id -u dmemu-ci >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin dmemu-ci
  # Unprivileged mounts go through fusermount3, which Debian installs setuid root; some container
  # images strip setuid bits. /dev/fuse must be rw for everyone (Debian: 0666).
  fusermount=$(command -v fusermount3)
  [ -u "$fusermount" ] || { echo "setuid bit missing on $fusermount: restoring it"; chmod u+s "$fusermount"; }
  [ "$(stat -c %a /dev/fuse 2>/dev/null)" = 666 ] || chmod 0666 /dev/fuse 2>/dev/null || true
  unpriv_tmp=$(mktemp -d /tmp/dmemu-ci.XXXXXX)
  cp "$root/normal/tests/frontend/frontend_tests" "$root/normal/tools/dmemu" \
     "$root/normal/tools/dmemu-setup" "$unpriv_tmp/"
  chown -R dmemu-ci: "$unpriv_tmp"
  # The real tools (dmsetup under `dmemu exec`) as the same user: the library beside dmemu, the
  # oracle's cases and golden files, and what the tests read, copied too.
  mkdir -p "$unpriv_tmp/preload" "$unpriv_tmp/data"
  cp "$root/normal/tests/realtools/realtools_tests" "$root/normal/tools/dmemu-ulogd" "$unpriv_tmp/"
  cp "$root/normal/tools/preload/libdmemu-preload.so" "$unpriv_tmp/preload/"
  [ -d ../shared/oracle ] && cp -r ../shared/oracle "$unpriv_tmp/data/oracle"
  cp -r fixtures/oracle "$unpriv_tmp/data/fixtures-oracle"
  cp -r fixtures/lvm "$unpriv_tmp/data/fixtures-lvm"
  cp -r fixtures/scenarios "$unpriv_tmp/data/fixtures-scenarios"
  mkdir -p "$unpriv_tmp/cmirrord"
  cp "$root/normal/cmirrord/cmirrord" "$root/normal/cmirrord/cmirrord-legacy" tools/cmirrord/run.sh "$unpriv_tmp/cmirrord/"
  cp -r tests/ulog/oracle "$unpriv_tmp/data/ulog-oracle"
  cp tests/realtools/oracle_lib.sh "$unpriv_tmp/data/"
  chown -R dmemu-ci: "$unpriv_tmp"
  unpriv_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME=/home/dmemu-ci TMPDIR="$unpriv_tmp" CI="${CI:-}" DMEMU_EXPECT_UNPRIVILEGED=1
    DMEMU_BIN="$unpriv_tmp/dmemu" DMEMU_SETUP_BIN="$unpriv_tmp/dmemu-setup"
    DMEMU_ULOGD_BIN="$unpriv_tmp/dmemu-ulogd" DMEMU_ORACLE_DIR="$unpriv_tmp/data/oracle/golden"
    DMEMU_FIXTURES_CASES_DIR="$unpriv_tmp/data/fixtures-oracle/cases"
    DMEMU_FIXTURES_LVM_DIR="$unpriv_tmp/data/fixtures-lvm"
    DMEMU_FIXTURES_SCENARIOS_DIR="$unpriv_tmp/data/fixtures-scenarios"
    DMEMU_CMIRRORD_DIR="$unpriv_tmp/cmirrord" DMEMU_CMIRRORD_RUN="$unpriv_tmp/cmirrord/run.sh"
    DMEMU_ULOG_ORACLE_DIR="$unpriv_tmp/data/ulog-oracle" DMEMU_ORACLE_LIB="$unpriv_tmp/data/oracle_lib.sh")
  # The FUSE suite and the real-tools suite in two gtest shards run side by side (each is one
  # process that mostly waits), each into a log of its own, shown in this order.
  as_user() {  # LOG PROGRAM [ENV...]: runs PROGRAM as dmemu-ci with unpriv_env (and ENV)
    local log=$1 program=$2; shift 2
    runuser -u dmemu-ci -- env -i "${unpriv_env[@]}" "$@" "$unpriv_tmp/$program" --gtest_brief=1 \
      >"$log" 2>&1
  }
  as_user "$unpriv_tmp/frontend.log" frontend_tests & fe_pid=$!
  as_user "$unpriv_tmp/realtools0.log" realtools_tests GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=0 & rt0_pid=$!
  as_user "$unpriv_tmp/realtools1.log" realtools_tests GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=1 & rt1_pid=$!
  unpriv_failed=()
  wait "$fe_pid" || unpriv_failed+=("FUSE suite")
  wait "$rt0_pid" || unpriv_failed+=("real-tools suite, shard 1 of 2")
  wait "$rt1_pid" || unpriv_failed+=("real-tools suite, shard 2 of 2")
  cat "$unpriv_tmp/frontend.log" "$unpriv_tmp/realtools0.log" "$unpriv_tmp/realtools1.log"
  rm -rf --one-file-system "$unpriv_tmp" 2>/dev/null || true
  if [ ${#unpriv_failed[@]} -gt 0 ]; then
    printf '%s as dmemu-ci failed\n' "${unpriv_failed[@]}" >&2
    exit 1
  fi
else
  stage "FUSE suite as an unprivileged user: this run is already unprivileged"
fi
# ---- end of the unprivileged FUSE section ------------------------------------------------------

stage "ASan+UBSan build (clang; the libFuzzer targets too)"
CXX=clang++ CC=clang configure "$root/asan-clang" -Db_sanitize=address,undefined -Dbuildtype=debug \
  -Dfuzzers=enabled -Db_lundef=false
ninja -C "$root/asan-clang" -j "$jobs"
# The real programs that the real-tools suite runs under `dmemu exec` are not instrumented: they
# get the normal build's library (the instrumented one is tested inside instrumented probes).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  DMEMU_PRELOAD="$PWD/$root/normal/tools/preload/libdmemu-preload.so" \
  DMEMU_CMIRRORD_DIR="$PWD/$root/normal/cmirrord" \
  meson test -C "$root/asan-clang" --print-errorlogs --num-processes "$jobs" --timeout-multiplier 3 \
  --no-suite cmirrord-fixtures  # tests/realtools/meson.build says why

# clang-tidy's bug checks (.clang-tidy) over the C++ files of the newest commit that changed
# any, with the clang build's compile commands (the whole tree: bash tools/tidy.sh -p BUILD).
stage "clang-tidy (.clang-tidy) over the newest C++ change"
cpp_commit=$(git log -1 --format=%H -- '*.cpp' 2>/dev/null || true)
if [ -n "$cpp_commit" ] && git rev-parse -q --verify "$cpp_commit~1" >/dev/null 2>&1; then
  git log -1 --format='tidy: commit %h %s' "$cpp_commit" | cut -c1-100
  bash tools/tidy.sh -p "$root/asan-clang" --since "$cpp_commit~1"
else
  echo "tidy: no commit with a parent here (a shallow clone, or no git): skipped"
fi

# ThreadSanitizer over the code with threads: the FUSE front end (session readers, splice
# replies, pending replies), the IoWorker and file disks, the blocking SOCK_SEQPACKET server.
# Only those suites are built (tests/meson.build: suite 'threads'); the daemon they start is the
# normal build's.
stage "ThreadSanitizer (clang): the suites with threads"
CXX=clang++ CC=clang configure "$root/tsan" -Db_sanitize=thread -Doptimization=1 -Ddebug=false \
  -Dcpp_args=-gline-tables-only -Db_lundef=false -Dfuzzers=disabled
tsan_tests=$(meson introspect --tests "$root/tsan" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if any(s.endswith(":threads") for s in t["suite"]):
        print(t["cmd"][0])' | sort -u)
ninja -C "$root/tsan" -j "$jobs" $(for f in $tsan_tests; do realpath --relative-to="$root/tsan" "$f"; done)
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  DMEMU_BIN="$PWD/$root/normal/tools/dmemu" DMEMU_SETUP_BIN="$PWD/$root/normal/tools/dmemu-setup" \
  meson test -C "$root/tsan" --no-rebuild --suite threads --print-errorlogs --num-processes "$jobs" \
  --timeout-multiplier 3

if [ "$fuzz_seconds" -gt 0 ] && command -v clang++ >/dev/null; then
  stage "libFuzzer (clang, ${fuzz_seconds}s each)"
  fuzzers=$(sed -n "s/^fuzz_targets += \[\['\([a-z_]*\)'.*/\1/p" tests/fuzz/targets/meson.build)
  for f in $(for n in $fuzzers; do echo "$root/asan-clang/tests/fuzz/$n"; done); do
    name=$(basename "$f")
    corpus=$(mktemp -d)
    cp -r tests/fuzz/corpus/"$name"/. "$corpus"/ 2>/dev/null || true
    echo "-- $name"
    log=$(mktemp)
    fuzz_rc=0
    "$f" -max_total_time="$fuzz_seconds" -print_final_stats=1 -artifact_prefix="$corpus/../$name-" \
      "$corpus" >"$log" 2>&1 || fuzz_rc=$?
    if [ "$fuzz_rc" -ne 0 ]; then
      # Show why (the property message, the sanitizer report) and the input that broke it.
      echo "$name failed (exit $fuzz_rc):" >&2
      grep -v '^\[20' "$log" | tail -n 60 >&2
      for crash in "$corpus"/../"$name"-*; do
        [ -f "$crash" ] && { echo "input $crash (base64):" >&2; base64 -w0 "$crash" >&2; echo >&2; }
      done
      exit 1
    fi
    tail -n 3 "$log"
    rm -rf "$corpus" "$log"
  done
fi
echo "== all stages passed in $(( $(date +%s) - start )) s (suites of the normal and the ASan+UBSan builds) =="
python3 tools/test_summary.py "$root/normal" "$root/asan-clang" "$root/tsan"
