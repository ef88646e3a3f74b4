// SPDX-License-Identifier: GPL-2.0-only
// What the core and disk dirty logs share (dm-log.c's struct log_c and the core_* callbacks):
// the argument grammar `<region_size> [sync|nosync]`, three region bitsets (clean, sync,
// recovering), the sync count and the resync search cursor.
//
// Bitsets are arrays of 32-bit words with the kernel's little-endian bit order (__set_bit_le):
// region r is bit r%32 of word r/32, and a word is stored least significant byte first, so the
// disk log can write the clean bits as the kernel lays them out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "logs/dirty_log.hpp"

namespace dmemu::logs {

// enum sync in dm-log.c: DEFAULTSYNC resyncs what may differ, NOSYNC ("nosync") trusts the legs,
// FORCESYNC ("sync") resyncs everything (a disk log ignores its on-disk state).
enum class LogSync { defaultsync, nosync, forcesync };

struct LogArgs {
    std::uint32_t region_size = 0;  // sectors, a power of two, 2..ti.len
    LogSync sync = LogSync::defaultsync;
    Region region_count = 0;  // ceil(ti.len / region_size)
};

// create_log_context's parsing: on error logs the kernel's DMWARN ("dirty region log") and
// returns nullopt (the caller fails with -EINVAL).
std::optional<LogArgs> parse_log_args(emu::TargetContext& ti, const std::vector<std::string>& args);

class CoreLogContext : public DirtyLog {
public:
    std::uint32_t get_region_size() const override { return region_size_; }
    asio::awaitable<int> is_clean(Region region) override { co_return test(clean_bits_, region); }
    asio::awaitable<int> in_sync(Region region, bool) override {
        co_return test(sync_bits_, region);
    }
    int in_sync_nowait(Region region) override { return test(sync_bits_, region); }
    void mark_region(Region region) override { clear_bit(clean_bits_, region); }
    void clear_region(Region region) override {
        if (!flush_failed_) set_bit(clean_bits_, region);
    }
    asio::awaitable<int> get_resync_work(Region* region) override;
    asio::awaitable<void> set_region_sync(Region region, bool in_sync) override;
    asio::awaitable<Region> get_sync_count() override { co_return sync_count_; }

protected:
    explicit CoreLogContext(const LogArgs& args);

    static bool test(const std::vector<std::uint32_t>& bits, Region r) {
        return (bits[r / 32] >> (r % 32)) & 1u;
    }
    // log_set_bit / log_clear_bit: any change to a bitset marks the log touched.
    void set_bit(std::vector<std::uint32_t>& bits, Region r) {
        bits[r / 32] |= 1u << (r % 32);
        touched_cleaned_ = true;
    }
    void clear_bit(std::vector<std::uint32_t>& bits, Region r) {
        bits[r / 32] &= ~(1u << (r % 32));
        touched_dirtied_ = true;
    }
    // DMEMIT_SYNC: "sync " / "nosync " when the mode was given, else nothing.
    std::string sync_word() const;
    static Region count_bits(const std::vector<std::uint32_t>& bits);

    std::uint32_t region_size_;
    Region region_count_;
    LogSync sync_;
    std::vector<std::uint32_t> clean_bits_;  // 1: no write in flight may have made the legs differ
    std::vector<std::uint32_t> sync_bits_;   // 1: legs known identical
    std::vector<std::uint32_t> recovering_bits_;  // 1: handed out by get_resync_work, not yet set
    Region sync_count_;
    Region sync_search_ = 0;
    bool touched_dirtied_ = false;
    bool touched_cleaned_ = false;
    bool flush_failed_ = false;
};

}  // namespace dmemu::logs
