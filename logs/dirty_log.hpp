// SPDX-License-Identifier: GPL-2.0-only
// The dirty-log interface, the emulator's struct dm_dirty_log_type (include/linux/dm-dirty-log.h,
// drivers/md/dm-log.c). A mirror keeps one log: which regions may differ between legs (dirty,
// "not clean") and which are known to be in sync.
//
// A log type is one value: its kernel name and a constructor. Types are registered from one list
// (logs/builtin_logs.cpp): core, disk, userspace. Every operation that may sleep in the kernel is
// a coroutine here, because a userspace log sends a request and waits for the server; core and
// disk logs complete at once (disk after its I/O).
//
// Region numbers are 0..region_count-1, region_count = ceil(target length / region size).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
#include <vector>

#include "emu/core/target.hpp"

namespace dmemu::logs {

using Region = std::uint64_t;
namespace asio = boost::asio;

class DirtyLog {
public:
    virtual ~DirtyLog() = default;

    // dtr: called once before destruction (a userspace log sends DTR).
    virtual asio::awaitable<void> dtr() { co_return; }
    virtual asio::awaitable<int> presuspend() { co_return 0; }
    virtual asio::awaitable<int> postsuspend() { co_return 0; }
    virtual asio::awaitable<int> resume() { co_return 0; }

    // In sectors; fixed at construction.
    virtual std::uint32_t get_region_size() const = 0;
    // 1 when the region is clean (no write in flight may have made the legs differ), else 0.
    virtual asio::awaitable<int> is_clean(Region region) = 0;
    // 1 in sync, 0 not; with can_block false a log that would have to ask someone returns
    // -EWOULDBLOCK (userspace_in_sync) instead.
    virtual asio::awaitable<int> in_sync(Region region, bool can_block) = 0;
    // in_sync with can_block false, answered at once (mirror_map asks it for every read).
    virtual int in_sync_nowait(Region region) = 0;
    // Makes marks and clears durable (disk: writes the bitmap; userspace: sends the batches).
    virtual asio::awaitable<int> flush() = 0;
    // Batched; take effect at the next flush. Never fail, never block.
    virtual void mark_region(Region region) = 0;
    virtual void clear_region(Region region) = 0;
    // 1 and *region set when a region needs recovery, 0 when none, <0 on error.
    virtual asio::awaitable<int> get_resync_work(Region* region) = 0;
    virtual asio::awaitable<void> set_region_sync(Region region, bool in_sync) = 0;
    virtual asio::awaitable<Region> get_sync_count() = 0;
    // INFO: e.g. "1 core", "3 disk 254:1 A"; TABLE: e.g. "core 1 1024 " (trailing space, as the
    // kernel prints it: dm-raid1 appends the legs right after).
    virtual asio::awaitable<std::string> status(emu::StatusType type) = 0;
    // Cluster logs only: whether another node is recovering region (0 for local logs).
    virtual asio::awaitable<int> is_remote_recovering(Region) { co_return 0; }
};

struct DirtyLogCtrResult {
    std::unique_ptr<DirtyLog> log;
    int error = 0;  // negative errno when log is null
    static DirtyLogCtrResult fail(int err) { return {nullptr, err}; }
};

// ti: the mirror's target context (length, get_device, env, ti->error for the mirror's own
// message); args: the log's arguments after "<type> <#args>". On failure the log writes its own
// kernel line (DMWARN "dirty region log" / "dm-log-userspace") and returns an errno; the mirror
// then sets ti->error "Error creating mirror dirty log".
using DirtyLogCtrFn = asio::awaitable<DirtyLogCtrResult> (*)(emu::TargetContext& ti,
                                                             std::vector<std::string> args);

struct DirtyLogType {
    std::string_view name;
    DirtyLogCtrFn ctr;
};

// The registered log types by name (dm_dirty_log_type_get). nullptr when unknown; the mirror
// then logs the kernel's `Module for logging type "%s" not found.`.
const DirtyLogType* find_dirty_log_type(std::string_view name);

}  // namespace dmemu::logs
