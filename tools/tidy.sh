#!/usr/bin/env bash
# clang-tidy with the checks of .clang-tidy over the tree's C++ sources (or the files given),
# using a build directory's compile_commands.json (default: build). Exit status 1 on any finding.
#   bash tools/tidy.sh [-p BUILD_DIR] [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ "${1:-}" = -p ]; then build=$2; shift 2; fi
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json (meson setup $build)" >&2; exit 2; }
command -v clang-tidy >/dev/null || { echo "tidy: clang-tidy is not installed (apt-get install clang-tidy)" >&2; exit 2; }
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files '*.cpp' | grep -v '^tests/fuzz/')
# The build's compiler is gcc: clang needs to be told what gcc takes for granted (meson.build
# says why for co_await), and to ignore gcc-only warning flags.
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 8 clang-tidy -p "$build" --quiet \
  --extra-arg=-Wno-unknown-warning-option --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1
