#!/usr/bin/env bash
# Installs the Debian 12 packages dmemu needs to build, test and run. Idempotent and quiet when
# everything is already there; uses sudo when not root. dmsetup is the real one (libdevmapper
# 1.02.185) that runs under `dmemu exec`; busybox gives the oracle guest's own applets (dd, ls)
# for replaying its golden cases; lvm2 (2.03.16) is the real LVM the real-tools suite drives
# (pvmove, lvconvert), with fio and e2fsprogs' debugfs checking the data; corosync and
# libcpg-dev are for the real cmirrord (tools/cmirrord/build.sh builds it from lvm2's source).
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libboost-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libfuse3-dev fuse3
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  fio e2fsprogs util-linux
  dmsetup busybox lvm2 corosync libcpg-dev iproute2 procps
  scdoc man-db
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
