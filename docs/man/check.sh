#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Checks the man pages of docs/man: builds them in a configured meson build directory, then
# renders each with man-db's `man --warnings -l` and fails, naming the page and printing what
# groff said, if anything reaches stderr or man fails. tools/test.sh runs it on the normal build.
#   bash docs/man/check.sh BUILD_DIR
# Needs scdoc at configure time (docs/man/meson.build skips the pages without it) and man-db;
# tools/setup.sh installs both.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$1
pages=(dmemu.1 dmemu-setup.8 dmemu-ulogd.8 dmemu-scenario.5)

[ -f "$build/build.ninja" ] || { echo "man pages: $build is not a configured meson build directory" >&2; exit 1; }
command -v man >/dev/null || { echo "man pages: man not found (Debian: apt-get install man-db)" >&2; exit 1; }
for p in "${pages[@]}"; do
  if ! grep -q "^build docs/man/$p:" "$build/build.ninja"; then
    echo "man pages: $build has no target docs/man/$p: scdoc was not found when it was configured" >&2
    echo "  (Debian: apt-get install scdoc, then meson setup --reconfigure $build)" >&2
    exit 1
  fi
done

targets=()
for p in "${pages[@]}"; do targets+=("docs/man/$p"); done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! ninja -C "$build" "${targets[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "man pages: building them failed" >&2
  exit 1
fi

failed=0
for p in "${pages[@]}"; do
  rc=0
  warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$build/docs/man/$p" 2>&1 >/dev/null) || rc=$?
  if [ "$rc" -ne 0 ] || [ -n "$warnings" ]; then
    echo "man pages: $p: man exited $rc with:" >&2
    printf '%s\n' "$warnings" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1
echo "man pages: ${#pages[@]} rendered without warnings"
