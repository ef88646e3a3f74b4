#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the real cmirrord, with the real corosync it needs, against the dmemu daemon serving DIR
# (started with `dmemu start DIR --netlink`), as an ordinary user:
#
#   bash tools/cmirrord/run.sh start DIR CMIRRORD [DMEMU]   # CMIRRORD: build.sh's cmirrord or cmirrord-legacy
#   bash tools/cmirrord/run.sh stop DIR
#   bash tools/cmirrord/run.sh signal DIR SIG   # to cmirrord alone: KILL (a crash), STOP, CONT
#
# corosync 3 wants a network and a /run of its own, and cmirrord finds it through libqb's
# abstract Unix sockets, which belong to a network namespace. So both run in one new user,
# network and mount namespace (`unshare -Urnm`): loopback up, a tmpfs on /run, corosync's
# configuration and state in DIR/cmirrord/, one node on 127.0.0.1 with knet and no crypto.
# cmirrord runs under `dmemu exec DIR` (its NETLINK_CONNECTOR socket becomes a connection to
# DIR/connector.sock, which a path, not the network namespace, names) in the foreground, from
# DIR/cmirrord/ (its pid file is relative: build.sh). Its output and corosync's go to
# DIR/cmirrord/{cmirrord,corosync}.log. `start` returns once cmirrord has joined the connector
# (DIR/connector.listeners, which the daemon keeps, counts one more), or fails saying why; `stop`
# ends both.
set -euo pipefail

usage() { echo "usage: $0 start DIR CMIRRORD [DMEMU] | stop DIR | signal DIR SIG" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$(realpath -m "$2")
state=$dir/cmirrord

case $cmd in
stop)
  [ -f "$state/ns.pid" ] || exit 0
  # The namespace's processes are one session and process group (setsid below): corosync,
  # cmirrord and the shell that started them go together.
  pid=$(cat "$state/ns.pid")
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$state/ns.pid"
  exit 0
  ;;
signal)
  [ $# -ge 3 ] || usage
  [ -f "$state/ns.pid" ] || { echo "cmirrord: not running for $dir" >&2; exit 1; }
  # cmirrord is in the namespace's process group; its name is cmirrord or cmirrord-legacy (15
  # characters: the whole of the kernel's comm). After a KILL the namespace's shell ends corosync.
  pgid=$(cat "$state/ns.pid")
  pkill "-$3" -g "$pgid" '^cmirrord' || { echo "cmirrord: no cmirrord in $dir's namespace" >&2; exit 1; }
  # A crash is over when the process is: its connector socket is closed by then.
  if [ "$3" = KILL ] || [ "$3" = 9 ]; then
    for _ in $(seq 500); do pgrep -g "$pgid" '^cmirrord' >/dev/null || break; sleep 0.01; done
  fi
  exit 0
  ;;
start) [ $# -ge 3 ] || usage ;;
*) usage ;;
esac

cmirrord=$(realpath "$3")
dmemu=${4:-$(command -v dmemu || true)}
[ -n "$dmemu" ] && [ -x "$dmemu" ] || { echo "cmirrord: no dmemu binary (give its path)" >&2; exit 1; }
dmemu=$(realpath "$dmemu")
[ -x "$cmirrord" ] || { echo "cmirrord: $cmirrord is not executable (tools/cmirrord/build.sh builds it)" >&2; exit 1; }
command -v corosync >/dev/null || { echo "cmirrord: corosync is not installed (tools/setup.sh)" >&2; exit 1; }
[ -S "$dir/connector.sock" ] || {
  echo "cmirrord: no netlink connector at $dir/connector.sock: start the daemon with 'dmemu start $dir --netlink'" >&2
  exit 1
}
if ! unshare -Urnm true 2>/dev/null; then
  echo "cmirrord: this machine refuses user namespaces (unshare -Urnm): corosync cannot run without root here" >&2
  echo "  (check sysctl kernel.unprivileged_userns_clone and user.max_user_namespaces)" >&2
  exit 1
fi

mkdir -p "$state/corosync"
cat > "$state/corosync.conf" <<CONF
# Written by tools/cmirrord/run.sh: one node on the loopback of a private network namespace.
totem {
    version: 2
    cluster_name: dmemu
    transport: knet
    crypto_cipher: none
    crypto_hash: none
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        name: dmemu
        nodeid: 1
    }
}
quorum {
    provider: corosync_votequorum
}
logging {
    to_stderr: yes
    to_syslog: no
    to_logfile: no
    timestamp: on
}
system {
    state_dir: $state/corosync
}
CONF
listeners() { cat "$dir/connector.listeners" 2>/dev/null || echo 0; }
before=$(listeners)
# Inside: corosync in the background, then cmirrord in the foreground; when cmirrord ends (or
# the namespace's first process is told to stop) corosync goes with it.
setsid unshare -Urnm bash -c '
  set -e
  state=$1 cmirrord=$2 dmemu=$3 dir=$4
  mount -t tmpfs tmpfs /run
  ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null || true
  corosync -f -c "$state/corosync.conf" > "$state/corosync.log" 2>&1 &
  corosync_pid=$!
  trap "kill \$cmirrord_pid 2>/dev/null; kill \$corosync_pid 2>/dev/null; wait" TERM INT
  for _ in $(seq 100); do corosync-cfgtool -s >/dev/null 2>&1 && break; sleep 0.05; done
  corosync-cfgtool -s >/dev/null 2>&1 || { echo "corosync did not start: see $state/corosync.log" >&2; exit 1; }
  cd "$state"
  "$dmemu" exec "$dir" -- "$cmirrord" -f > "$state/cmirrord.log" 2>&1 &
  cmirrord_pid=$!
  wait $cmirrord_pid || true
  kill $corosync_pid 2>/dev/null || true
  wait
' inns "$state" "$cmirrord" "$dmemu" "$dir" > "$state/namespace.log" 2>&1 < /dev/null &
echo $! > "$state/ns.pid"
for _ in $(seq 200); do
  [ "$(listeners)" -gt "$before" ] && exit 0
  kill -0 "$(cat "$state/ns.pid")" 2>/dev/null || break
  sleep 0.05
done
echo "cmirrord: it did not join the connector; logs:" >&2
tail -n 5 "$state/namespace.log" "$state/corosync.log" "$state/cmirrord.log" >&2 2>/dev/null || true
"$0" stop "$dir"
exit 1
