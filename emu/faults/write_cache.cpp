// SPDX-License-Identifier: GPL-2.0-only
#include "emu/faults/write_cache.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

namespace dmemu::emu {

namespace {

WriteCache::Record slice(const WriteCache::Record& r, Sector begin, Sector end) {
    const auto* from = r.data.data() + ((begin - r.sector) << kSectorShift);
    return {r.write_id, begin,
            std::vector<std::byte>(from, from + ((end - begin) << kSectorShift))};
}

}  // namespace

void WriteCache::add(std::uint64_t write_id, Sector sector, const std::byte* data,
                     std::uint64_t sectors) {
    records_.push_back(
        {write_id, sector, std::vector<std::byte>(data, data + (sectors << kSectorShift))});
}

void WriteCache::trim(Sector sector, std::uint64_t sectors) {
    const Sector end = sector + sectors;
    for (auto it = records_.begin(); it != records_.end();) {
        if (it->end() <= sector || end <= it->sector) {
            ++it;
            continue;
        }
        // Keep what lies before and after the cut, in place of the record.
        if (it->sector < sector) records_.insert(it, slice(*it, it->sector, sector));
        if (end < it->end()) records_.insert(it, slice(*it, end, it->end()));
        it = records_.erase(it);
    }
}

std::vector<WriteCache::Record> WriteCache::overlapping(Sector sector,
                                                        std::uint64_t sectors) const {
    const Sector end = sector + sectors;
    std::vector<Record> parts;
    for (const auto& r : records_) {
        const Sector b = std::max(sector, r.sector);
        const Sector e = std::min(end, r.end());
        if (b < e) parts.push_back(slice(r, b, e));
    }
    return parts;
}

std::list<WriteCache::Record> WriteCache::take_all() { return std::exchange(records_, {}); }

std::size_t WriteCache::writes() const {
    std::set<std::uint64_t> ids;
    for (const auto& r : records_) ids.insert(r.write_id);
    return ids.size();
}

void lay_over(std::byte* buf, Sector sector, const std::vector<WriteCache::Record>& parts) {
    for (const auto& p : parts)
        std::memcpy(buf + ((p.sector - sector) << kSectorShift), p.data.data(), p.data.size());
}

}  // namespace dmemu::emu
