// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/rng.hpp"

#include <cstring>

namespace dmemu::emu {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

}  // namespace

std::uint64_t Rng::below(std::uint64_t n) {
    // Lemire, "Fast Random Integer Generation in an Interval" (2019), with rejection.
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = static_cast<unsigned __int128>(next()) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

bool Rng::chance(double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return static_cast<double>(next() >> 11) * 0x1.0p-53 < p;
}

void Rng::fill(void* data, std::size_t len) {
    auto* out = static_cast<unsigned char*>(data);
    while (len >= 8) {
        const std::uint64_t v = next();
        std::memcpy(out, &v, 8);
        out += 8;
        len -= 8;
    }
    if (len > 0) {
        const std::uint64_t v = next();
        std::memcpy(out, &v, len);
    }
}

Rng Rng::stream(std::string_view name) const { return Rng(splitmix64(seed_ ^ fnv1a(name))); }

}  // namespace dmemu::emu
