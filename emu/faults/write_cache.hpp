// SPDX-License-Identifier: GPL-2.0-only
// A disk's volatile write cache (the lost-unflushed model): acknowledged writes that are not on
// the media yet, oldest first.
//
// Reads lay the cached parts over what the media returns, in write order. When newer data for
// some sectors reaches the media directly (a FUA write, a discard, a write while caching is
// off), those sectors are cut out of the cached writes, so nothing older can land on top of it
// later. Each record keeps the id of the write it came from: a power cut decides per write.
#pragma once

#include <cstdint>
#include <list>
#include <vector>

#include "emu/io/bio.hpp"

namespace dmemu::emu {

class WriteCache {
public:
    struct Record {
        std::uint64_t write_id;
        Sector sector;
        std::vector<std::byte> data;  // whole sectors
        std::uint64_t sectors() const { return data.size() / kSectorSize; }
        Sector end() const { return sector + sectors(); }
    };

    void add(std::uint64_t write_id, Sector sector, const std::byte* data, std::uint64_t sectors);
    // Cuts [sector, sector + sectors) out of every cached write.
    void trim(Sector sector, std::uint64_t sectors);
    // The cached parts inside [sector, sector + sectors), oldest first, clipped to it.
    std::vector<Record> overlapping(Sector sector, std::uint64_t sectors) const;
    // Everything cached, oldest first; the cache is empty afterwards.
    std::list<Record> take_all();
    bool empty() const { return records_.empty(); }
    std::size_t writes() const;

private:
    std::list<Record> records_;
};

// Copies the records' bytes into buf, which holds the sectors from `sector` on.
void lay_over(std::byte* buf, Sector sector, const std::vector<WriteCache::Record>& parts);

}  // namespace dmemu::emu
