// SPDX-License-Identifier: GPL-2.0-only
// The files that programs run by `dmemu exec` read instead of the host's /dev, /proc and /sys
// (docs/real-tools.md): the daemon keeps them current as devices come and go, so the preload
// library only redirects paths and never asks the daemon what exists.
//
//   DIR/dev/mapper/control     symlink "c:10:236"           (the control node; the library
//                                                             connects to DIR/ioctl.sock)
//   DIR/dev/mapper/NAME        symlink "b:MAJ:MIN"          made by mknod(2) through the
//                                                             library (libdm, not the kernel,
//                                                             makes these nodes)
//   DIR/dev/dm-N, DIR/dev/DISK symlink "b:MAJ:MIN"          what devtmpfs shows (a dm device
//                                                             from its first table load, when
//                                                             the kernel adds its gendisk)
//   DIR/dev/block/MAJ:MIN      symlink to the device's FUSE file under DIR/mnt, while there is
//                              one (a dm device with a live table, every disk)
//   DIR/proc/devices           /proc/devices: misc 10, the disks' majors, device-mapper
//   DIR/proc/mounts            one line: sysfs mounted at DIR/sys (LVM2's global/proc is DIR/proc)
//   DIR/proc/self              symlink to the real /proc/self
//   DIR/sys/block/KNAME/       (from the same moment) dev, size, ro, removable, bdi/read_ahead_kb,
//                              queue/{logical,physical}_block_size,
//                              queue/{minimum,optimal}_io_size, queue/discard_max_bytes, holders/,
//                              slaves/ (the devices of the live and the inactive table), and
//                              dm/{name,uuid,suspended} for dm devices
//   DIR/sys/dev/block/MAJ:MIN  symlink to ../../block/KNAME
//
// Symlinks and files are replaced by rename(2), so a reader never sees half of one. Runs on the
// loop thread (DeviceMapper's observers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dmemu::emu {

class DeviceMapper;

class DevTree {
public:
    // Lays the tree out under `dir` (clearing what an earlier daemon left) and follows `dm`.
    DevTree(DeviceMapper& dm, std::string dir);
    // Removes DIR/dev, DIR/proc and DIR/sys: with no daemon there is no device.
    ~DevTree();
    DevTree(const DevTree&) = delete;
    DevTree& operator=(const DevTree&) = delete;

    // The /proc/devices text for a device-mapper major and the disks' majors.
    static std::string proc_devices(std::uint32_t dm_major,
                                    const std::vector<std::uint32_t>& disk_majors);

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace dmemu::emu
