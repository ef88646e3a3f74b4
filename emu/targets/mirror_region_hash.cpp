// SPDX-License-Identifier: GPL-2.0-only
#include "emu/targets/mirror_region_hash.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

asio::awaitable<RegionHash::Entry*> RegionHash::find(Region region) {
    auto it = regions_.find(region);
    if (it == regions_.end()) {
        const int in_sync = co_await log_.in_sync(region, true);
        Entry fresh;
        fresh.state = in_sync == 1 ? RegionState::clean : RegionState::nosync;
        it = regions_.emplace(region, std::move(fresh)).first;
    }
    co_return &it->second;
}

asio::awaitable<RegionState> RegionHash::get_state(Region region, bool may_block) {
    if (auto it = regions_.find(region); it != regions_.end()) co_return it->second.state;
    // Any error from the log (-EWOULDBLOCK) counts as not in sync.
    const int r = co_await log_.in_sync(region, may_block);
    co_return r == 1 ? RegionState::clean : RegionState::nosync;
}

asio::awaitable<void> RegionHash::inc(Region region) {
    Entry* found = co_await find(region);
    Entry& e = *found;
    ++e.pending;
    if (e.state == RegionState::clean) {
        e.state = RegionState::dirty;
        clean_.erase(region);
        log_.mark_region(region);
    }
}

void RegionHash::dec(Region region) {
    auto it = regions_.find(region);
    if (it == regions_.end() || it->second.pending == 0) return;
    Entry& e = it->second;
    if (--e.pending != 0) return;
    if (e.state == RegionState::recovering) {
        quiesced_.push_back(region);
    } else if (e.state == RegionState::dirty) {
        e.state = RegionState::clean;
        clean_.insert(region);
    }
    // NOSYNC entries stay until the region is recovered or the table goes.
    wakeup_();
}

void RegionHash::delay(Region region, Bio bio) {
    regions_[region].delayed.push_back(std::move(bio));
}

asio::awaitable<void> RegionHash::mark_nosync(Region region) {
    co_await log_.set_region_sync(region, false);
    auto it = regions_.find(region);
    if (it == regions_.end()) co_return;
    const bool recovering = it->second.state == RegionState::recovering;
    it->second.state = RegionState::nosync;
    if (recovering) co_await complete_resync_work(region, false);
}

asio::awaitable<void> RegionHash::complete_resync_work(Region region, bool success) {
    co_await log_.set_region_sync(region, success);
    auto it = regions_.find(region);
    if (it != regions_.end()) {
        auto delayed = std::move(it->second.delayed);
        regions_.erase(it);
        for (auto& bio : delayed) dispatch_(std::move(bio));
    }
    if (recovery_in_flight_ > 0) --recovery_in_flight_;
    wakeup_();
}

asio::awaitable<void> RegionHash::update_states(bool errors_handled) {
    auto recovered = std::move(recovered_);
    recovered_.clear();
    auto failed = std::move(failed_recovered_);
    failed_recovered_.clear();
    std::vector<Region> clean(clean_.begin(), clean_.end());
    clean_.clear();

    for (Region r : recovered) {
        log_.clear_region(r);
        co_await complete_resync_work(r, true);
    }
    // Without handle_errors a failed recovery counts as done (the errors were ignored).
    for (Region r : failed) co_await complete_resync_work(r, !errors_handled);
    for (Region r : clean) {
        auto it = regions_.find(r);
        if (it == regions_.end() || it->second.state != RegionState::clean ||
            it->second.pending != 0)
            continue;
        log_.clear_region(r);
        regions_.erase(it);
    }
    co_await log_.flush();
}

asio::awaitable<void> RegionHash::recovery_prepare() {
    while (recovery_enabled_ && recovery_in_flight_ < kMaxRecovery) {
        Region region = 0;
        const int got = co_await log_.get_resync_work(&region);
        if (got <= 0) break;
        ++recovery_in_flight_;
        Entry* found = co_await find(region);
        Entry& e = *found;
        clean_.erase(region);
        e.state = RegionState::recovering;
        if (e.pending == 0) quiesced_.push_back(region);
    }
}

std::optional<RegionHash::Region> RegionHash::recovery_start() {
    if (quiesced_.empty()) return std::nullopt;
    const Region r = quiesced_.front();
    quiesced_.pop_front();
    return r;
}

void RegionHash::recovery_end(Region region, bool success) {
    (success ? recovered_ : failed_recovered_).push_back(region);
    wakeup_();
}

}  // namespace dmemu::emu
