// SPDX-License-Identifier: GPL-2.0-only
// `dmemu start DIR --ioctl-trace FILE`: one JSON line per device-mapper operation the daemon ran,
// from either endpoint (the binary dm_ioctl one behind `dmemu exec`, and dmemu-setup's JSON one),
// in the order they completed. What LVM's pvmove did to the tables is read from it
// (fixtures/lvm/, docs/real-tools.md):
//   {"t_ms":12,"cmd":"table_load","name":"vg-pvmove0","targets":["0 8192 mirror core 1 1024 2 1:0
//   2048 1:1 2048"],"error":0}
// Keys: t_ms (milliseconds since the daemon started), cmd (emu/core/dm_ioctl.hpp's names), then
// only what the request carried: name, uuid, devt "M:m", new_name, set_uuid, suspend (true:
// suspend, false: resume; dev_suspend only), flags (read_only, inactive, status_table, noflush,
// nolockfs), targets ("start length type params"), sector and message (target_msg); error is
// the operation's -errno, 0 on success. Lines are written whole and flushed one by one.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "emu/core/dm_ioctl.hpp"

namespace dmemu::daemon {

class IoctlTrace {
public:
    // Opens (truncates) `path`, then appends to it; throws std::system_error when it cannot.
    explicit IoctlTrace(const std::string& path);
    ~IoctlTrace();
    IoctlTrace(const IoctlTrace&) = delete;
    IoctlTrace& operator=(const IoctlTrace&) = delete;

    void record(const emu::DmRequest& req, const emu::DmReply& reply);
    // The JSON line of one operation (without t_ms and the newline), for tests.
    static std::string line(const emu::DmRequest& req, const emu::DmReply& reply);

private:
    std::FILE* file_ = nullptr;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace dmemu::daemon
