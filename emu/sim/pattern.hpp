// SPDX-License-Identifier: GPL-2.0-only
// What scenario writes put on disk, and how to tell afterwards whose data a sector holds.
//
// Every 512-byte sector a scenario writes carries a header and a seeded body:
//   bytes 0..3   magic "SCN1"
//   bytes 4..7   the write's id (1, 2, ... in submission order; little-endian)
//   bytes 8..15  the sector's home: its number on the device the write was issued to
//   bytes 16..511 a stream derived from (run seed, write id, home)
// so identify() names the write a sector came from, notices data that moved (a leg copied at
// the wrong offset) and tells foreign bytes from never-written zeros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dmemu::scenario {

inline constexpr std::uint32_t kPatternMagic = 0x314e4353;  // "SCN1"

void fill_sector(std::byte* out, std::uint64_t seed, std::uint32_t write_id, std::uint64_t home);

struct SectorContent {
    enum class Kind { zeros, written, foreign };
    Kind kind = Kind::zeros;
    std::uint32_t write = 0;  // written: the write's id
    std::uint64_t home = 0;   // written: the sector it was written to

    // "zeros", "write #12", "write #12 of sector 4096", "foreign data"
    std::string str(std::uint64_t at) const;
};

SectorContent identify(const std::byte* sector, std::uint64_t seed);

}  // namespace dmemu::scenario
