#!/usr/bin/env bash
# ulog round trips per second: in-process, over the socket to dmemu-ulogd, and a bare
# SOCK_SEQPACKET ping-pong of the same message sizes, side by side (see ulog_bench.cpp).
set -euo pipefail
cd "$(dirname "$0")/../.."
b=${BENCH_BUILD:-build-bench}
ninja -C "$b" tools/bench/ulog_bench tools/dmemu-ulogd >/dev/null
"$b/tools/bench/ulog_bench" --ulogd "$b/tools/dmemu-ulogd" --seconds "${BENCH_SECONDS:-1}" --rounds "${BENCH_ROUNDS:-5}"
