// SPDX-License-Identifier: GPL-2.0-only
// The mirror's region hash (drivers/md/dm-region-hash.c): per-region write accounting over the
// dirty log, and the recovery bookkeeping.
//
// A region with I/O in flight has an entry: its state (CLEAN, DIRTY, NOSYNC, RECOVERING), its
// pending write count, and the writes delayed while it is being recovered. A region without an
// entry takes its state from the log (in sync: CLEAN, else NOSYNC). Writes to an in-sync region
// mark it in the log (CLEAN -> DIRTY) before they go out; when the last one completes the region
// becomes CLEAN again and is cleared in the log at the next update_states. Recovery takes at most
// kMaxRecovery regions from the log (get_resync_work), waits until each has no writes in flight
// (quiesced), and hands it to the copier; the result is recorded at the next update_states.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "emu/io/bio.hpp"
#include "logs/dirty_log.hpp"

namespace dmemu::emu {

enum class RegionState { clean, dirty, nosync, recovering };

class RegionHash {
public:
    using Region = logs::Region;
    static constexpr unsigned kMaxRecovery = 1;  // MAX_RECOVERY in dm-raid1.c

    // dispatch: where delayed writes go once their region is recovered (dispatch_bios);
    // wakeup: asks the mirror's worker to run (wakeup_workers).
    RegionHash(logs::DirtyLog& log, std::function<void(Bio)> dispatch, std::function<void()> wakeup)
        : log_(log), dispatch_(std::move(dispatch)), wakeup_(std::move(wakeup)) {}

    // dm_rh_get_state
    boost::asio::awaitable<RegionState> get_state(Region region, bool may_block);
    // dm_rh_inc: one more write in flight; marks the region in the log when it was clean.
    boost::asio::awaitable<void> inc(Region region);
    // dm_rh_dec
    void dec(Region region);
    // dm_rh_delay: hold a write until the region's recovery ends.
    void delay(Region region, Bio bio);
    // dm_rh_mark_nosync: a write to the region failed on some leg.
    boost::asio::awaitable<void> mark_nosync(Region region);
    // dm_rh_update_states: record finished recoveries, clear clean regions, flush the log.
    boost::asio::awaitable<void> update_states(bool errors_handled);
    // dm_rh_recovery_prepare / dm_rh_recovery_start / dm_rh_recovery_end
    boost::asio::awaitable<void> recovery_prepare();
    std::optional<Region> recovery_start();
    void recovery_end(Region region, bool success);
    // dm_rh_stop_recovery / dm_rh_start_recovery
    void stop_recovery() { recovery_enabled_ = false; }
    void start_recovery() {
        recovery_enabled_ = true;
        wakeup_();
    }
    unsigned recovery_in_flight() const { return recovery_in_flight_; }

private:
    struct Entry {
        RegionState state = RegionState::nosync;
        unsigned pending = 0;
        std::vector<Bio> delayed;
    };
    boost::asio::awaitable<Entry*> find(Region region);  // __rh_find: create from the log
    boost::asio::awaitable<void> complete_resync_work(Region region, bool success);

    logs::DirtyLog& log_;
    std::function<void(Bio)> dispatch_;
    std::function<void()> wakeup_;
    std::unordered_map<Region, Entry> regions_;
    std::set<Region> clean_;         // became CLEAN, to be cleared in the log
    std::deque<Region> quiesced_;    // RECOVERING with no writes in flight
    std::vector<Region> recovered_;  // copied
    std::vector<Region> failed_recovered_;
    bool recovery_enabled_ = false;  // the recovery semaphore starts at 0
    unsigned recovery_in_flight_ = 0;
};

}  // namespace dmemu::emu
