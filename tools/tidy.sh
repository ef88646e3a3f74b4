#!/usr/bin/env bash
# clang-tidy with the checks of .clang-tidy over the tree's C++ sources (or the files given, or
# those a range of commits changed), using a build directory's compile_commands.json (default:
# build). Exit status 1 on any finding.
#   bash tools/tidy.sh [-p BUILD_DIR] [--since REV] [FILE...]
# tools/test.sh runs it over the newest commit that changed C++ files (--since THAT~1): the whole
# tree takes about as long as a build.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ "${1:-}" = -p ]; then build=$2; shift 2; fi
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json (meson setup $build)" >&2; exit 2; }
command -v clang-tidy >/dev/null || { echo "tidy: clang-tidy is not installed (apt-get install clang-tidy)" >&2; exit 2; }
since=""
if [ "${1:-}" = --since ]; then since=$2; shift 2; fi
files=("$@")
if [ -n "$since" ]; then
  mapfile -t files < <(git diff --name-only --diff-filter=AMR "$since" HEAD -- '*.cpp' |
    grep -v '^tests/fuzz/' || true)
  [ ${#files[@]} -gt 0 ] || { echo "tidy: no C++ source changed since $since"; exit 0; }
fi
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files '*.cpp' | grep -v '^tests/fuzz/')
echo "tidy: ${#files[@]} files"
# With a gcc build, clang needs to be told what gcc takes for granted (meson.build
# says why for co_await), and to ignore gcc-only warning flags.
# clang-tidy counts the compiler warnings it suppressed in headers ("57 warnings generated."):
# only findings are shown.
set +e
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 8 clang-tidy -p "$build" --quiet \
  --extra-arg=-Wno-unknown-warning-option --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 2>&1 |
  grep -v -E '^[0-9]+ warnings? generated\.$'
rc=${PIPESTATUS[1]}
set -e
[ "$rc" -eq 0 ] && echo "tidy: no finding" || echo "tidy: findings above (clang-tidy exit $rc)" >&2
exit "$rc"

