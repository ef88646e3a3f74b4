// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/pattern.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace dmemu::scenario {

namespace {

constexpr std::size_t kSector = 512;
constexpr std::size_t kHeader = 16;

std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Word i of the body is mix(base + i): counter mode, so the words do not wait on each other
// and the CPU computes several at once (a chain of mix(state) was a quarter of a sweep's time).
void fill_body(std::byte* body, std::uint64_t seed, std::uint32_t write_id, std::uint64_t home) {
    const std::uint64_t base = mix(seed ^ mix(write_id) ^ mix(home * 0x100000001b3ULL));
    for (std::size_t i = 0; i < kSector - kHeader; i += 8) {
        const std::uint64_t word = mix(base + i);
        std::memcpy(body + i, &word, 8);
    }
}

}  // namespace

void fill_sector(std::byte* out, std::uint64_t seed, std::uint32_t write_id, std::uint64_t home) {
    std::memcpy(out, &kPatternMagic, 4);
    std::memcpy(out + 4, &write_id, 4);
    std::memcpy(out + 8, &home, 8);
    fill_body(out + kHeader, seed, write_id, home);
}

SectorContent identify(const std::byte* sector, std::uint64_t seed) {
    SectorContent c;
    if (std::all_of(sector, sector + kSector, [](std::byte b) { return b == std::byte{0}; }))
        return c;
    c.kind = SectorContent::Kind::foreign;
    std::uint32_t magic = 0;
    std::memcpy(&magic, sector, 4);
    if (magic != kPatternMagic) return c;
    std::uint32_t id = 0;
    std::uint64_t home = 0;
    std::memcpy(&id, sector + 4, 4);
    std::memcpy(&home, sector + 8, 8);
    std::byte body[kSector - kHeader];
    fill_body(body, seed, id, home);
    if (std::memcmp(body, sector + kHeader, sizeof(body)) != 0) return c;
    c.kind = SectorContent::Kind::written;
    c.write = id;
    c.home = home;
    return c;
}

std::string SectorContent::str(std::uint64_t at) const {
    switch (kind) {
        case Kind::zeros:
            return "zeros";
        case Kind::foreign:
            return "foreign data";
        case Kind::written:
            return home == at ? fmt::format("write #{}", write)
                              : fmt::format("write #{} of sector {}", write, home);
    }
    return "?";
}

}  // namespace dmemu::scenario
