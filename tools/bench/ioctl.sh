#!/usr/bin/env bash
# Control requests per second into one daemon, side by side (issue #16): run it with
# `bash tools/bench/run.sh ioctl`, which builds $BENCH_BUILD in release mode first.
#  1. DM_DEV_STATUS in a C loop on /dev/mapper/control under `dmemu exec` (the preload library
#     and the binary endpoint), beside the same request as dmemu-setup's JSON line on
#     DIR/control.sock over one connection: requests/s and their ratio.
#  2. Whole commands: the real `dmsetup info` in a shell loop under `dmemu exec`, beside
#     `dmemu-setup info`: commands/s and their ratio (process start and libdevmapper included).
# Knobs: IOCTL_BENCH_N (requests per loop, default 20000), IOCTL_BENCH_CMDS (commands, default 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BENCH_BUILD:-build-bench}
dmemu=$build/tools/dmemu
setup=$build/tools/dmemu-setup
bench=$build/tools/bench/ioctl_bench
for p in "$dmemu" "$setup" "$bench"; do
  [ -x "$p" ] || { echo "bench ioctl: $p is missing: run 'bash tools/bench/run.sh ioctl'" >&2; exit 2; }
done
command -v dmsetup >/dev/null || [ -x /usr/sbin/dmsetup ] || { echo "bench ioctl: dmsetup is not installed" >&2; exit 2; }
n=${IOCTL_BENCH_N:-20000}
cmds=${IOCTL_BENCH_CMDS:-200}
dir=$(mktemp -d /tmp/dmemu-bench-ioctl.XXXXXX)
cleanup() { "$dmemu" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$dmemu" start "$dir" >/dev/null
"$setup" --dir "$dir" disk add ram0 --size 16M >/dev/null
"$setup" --dir "$dir" create b --table '0 32768 linear /dev/ram0 0' >/dev/null

rate() { awk -v n="$2" -v s="$3" 'BEGIN { printf "%.0f", n / s }'; }
# Three rounds in turn; the median of each.
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
ioctl_rates=(); json_rates=(); dmsetup_rates=(); setup_rates=()
for round in 1 2 3; do
  read -r _ cnt secs < <("$dmemu" exec "$dir" -- "$bench" ioctl -n "$n")
  ioctl_rates+=("$(rate ioctl "$cnt" "$secs")")
  read -r _ cnt secs < <("$bench" json --dir "$dir" -n "$n")
  json_rates+=("$(rate json "$cnt" "$secs")")
  start=$(date +%s%N)
  "$dmemu" exec "$dir" -- bash -c "for i in \$(seq $cmds); do dmsetup info b >/dev/null; done"
  dmsetup_rates+=("$(rate x "$cmds" "$(awk -v d=$(( $(date +%s%N) - start )) 'BEGIN { print d / 1e9 }')")")
  start=$(date +%s%N)
  for i in $(seq "$cmds"); do "$setup" --dir "$dir" info b >/dev/null; done
  setup_rates+=("$(rate x "$cmds" "$(awk -v d=$(( $(date +%s%N) - start )) 'BEGIN { print d / 1e9 }')")")
done
i=$(median "${ioctl_rates[@]}"); j=$(median "${json_rates[@]}")
d=$(median "${dmsetup_rates[@]}"); s=$(median "${setup_rates[@]}")
printf 'DM_DEV_STATUS through the preload library: %s/s; JSON dev_status on control.sock: %s/s; ratio %s\n' \
  "$i" "$j" "$(awk -v a="$i" -v b="$j" 'BEGIN { printf "%.2f", a / b }')"
printf 'real `dmsetup info` under dmemu exec: %s commands/s; `dmemu-setup info`: %s commands/s; ratio %s\n' \
  "$d" "$s" "$(awk -v a="$d" -v b="$s" 'BEGIN { printf "%.2f", a / b }')"
echo "(medians of 3 rounds of $n requests and $cmds commands; rounds: ioctl ${ioctl_rates[*]}, json ${json_rates[*]}, dmsetup ${dmsetup_rates[*]}, dmemu-setup ${setup_rates[*]})"
