// SPDX-License-Identifier: GPL-2.0-only
// A set of 512-byte sectors kept as disjoint half-open extents: the sectors an `eio ... sticky`
// fault has turned bad, the sectors a `full after=` fault has allocated.
#pragma once

#include <algorithm>
#include <iterator>
#include <map>

#include "emu/io/bio.hpp"

namespace dmemu::emu {

class SectorSet {
public:
    // Adds [begin, end), merging with touching extents.
    void insert(Sector begin, Sector end) {
        if (begin >= end) return;
        auto it = extents_.upper_bound(begin);
        if (it != extents_.begin() && std::prev(it)->second >= begin) --it;
        std::uint64_t merged_span = 0;
        while (it != extents_.end() && it->first <= end) {
            begin = std::min(begin, it->first);
            end = std::max(end, it->second);
            merged_span += it->second - it->first;
            it = extents_.erase(it);
        }
        // The merged extents' sectors were counted before; count them once, merged.
        total_ += (end - begin) - merged_span;
        extents_.emplace(begin, end);
    }
    // How many sectors of [begin, end) are in the set.
    std::uint64_t covered(Sector begin, Sector end) const {
        std::uint64_t n = 0;
        auto it = extents_.upper_bound(begin);
        if (it != extents_.begin()) --it;
        for (; it != extents_.end() && it->first < end; ++it) {
            const Sector b = std::max(begin, it->first);
            const Sector e = std::min(end, it->second);
            if (b < e) n += e - b;
        }
        return n;
    }
    bool intersects(Sector begin, Sector end) const { return covered(begin, end) != 0; }
    std::uint64_t size() const { return total_; }
    bool empty() const { return extents_.empty(); }

private:
    std::map<Sector, Sector> extents_;  // begin -> end
    std::uint64_t total_ = 0;
};

}  // namespace dmemu::emu
