// SPDX-License-Identifier: GPL-2.0-only
// dm-kcopyd (drivers/md/dm-kcopyd.c): copy a range of one block device to others, as dm-raid1
// does to recover a region. One per emulated kernel (ModuleStates::get<Kcopyd>()).
//
// The kernel's rhythm: a job of up to kSubJobSectors (the 512 KiB kcopyd_subjob_size_kb
// default) is one read then one write to every destination at once; a larger job is split, and
// kSplitCount sub-jobs each take the next chunk until none is left. After an error no further
// chunk is started, unless the caller ignores errors.
//
// Time: each Bio takes what its disk takes (a latency fault, for one). On top, the data moves at
// the copy bandwidth, shared by every copy of this kernel: a chunk's transfer starts once the
// previous one has ended, and lasts bytes / bandwidth. The daemon leaves it at 0, no limit (its
// disks are files that take their own time); scenario worlds set it (`copy-bandwidth`) so that
// a region's copy takes virtual time and a crash, a swap or a fault can land in its middle.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
#include <vector>

#include "emu/io/block_device.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::emu {

// struct dm_io_region without the count (a job copies the same count to every region).
struct KcopydRegion {
    BlockDevice* dev = nullptr;
    Sector sector = 0;
};

// What the job's notify function gets: read_err, and one bit per destination that failed, in
// the order the destinations were given.
struct KcopydResult {
    bool read_err = false;
    unsigned long write_err = 0;
};

class Kcopyd {
public:
    static constexpr Sector kSubJobSectors = 1024;  // DEFAULT_SUB_JOB_SIZE_KB 512, in sectors
    static constexpr unsigned kSplitCount = 8;      // SPLIT_COUNT

    // Bytes per second of virtual time that all copies share; 0: no limit.
    void set_bandwidth(std::uint64_t bytes_per_second) { bandwidth_ = bytes_per_second; }
    std::uint64_t bandwidth() const { return bandwidth_; }

    // dm_kcopyd_copy, awaited until the notify function would run. `ignore_errors` is
    // DM_KCOPYD_IGNORE_ERROR as dm-raid1 without handle_errors sees it in 6.1: the copy goes on
    // past a failed write and the failure is not reported (the oracle's mirror-resync-and-
    // failures, a leg on an error device: 64/64 in sync, no message); a failed read still is.
    boost::asio::awaitable<KcopydResult> copy(Clock& clock, KcopydRegion from,
                                              std::vector<KcopydRegion> to, Sector count,
                                              bool ignore_errors);

private:
    struct Job;
    struct Chunk;
    // segment_complete's loop: chunk after chunk until none is left or an error stops the job.
    boost::asio::awaitable<void> sub_job(Clock& clock, std::shared_ptr<Job> job);
    // Submits one read or write of a chunk; `bit` is what a failure sets in Chunk::failed.
    static void submit_chunk_bio(const std::shared_ptr<Chunk>& c, BlockDevice& dev, BioOp op,
                                 Sector sector, Sector sectors, unsigned long bit);
    // Waits until `bytes` have moved at the bandwidth, after every transfer already queued.
    boost::asio::awaitable<void> transfer(Clock& clock, std::uint64_t bytes);

    std::uint64_t bandwidth_ = 0;
    TimePoint busy_until_{};
};

}  // namespace dmemu::emu
