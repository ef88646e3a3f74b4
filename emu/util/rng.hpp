// SPDX-License-Identifier: GPL-2.0-only
// The one door through which chance enters the emulator.
//
// std::mt19937_64 is fully specified by the standard, but std::uniform_int_distribution is not,
// so range reduction is ours (Lemire's multiply-shift with rejection): the same seed gives the
// same draws with every compiler and standard library.
//
// Named streams: stream("io") derives an independent generator from the run's seed and the name
// only, so adding draws to one concern never reshuffles another.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace dmemu::emu {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : seed_(seed), engine_(seed) {}

    std::uint64_t seed() const { return seed_; }
    std::uint64_t next() { return engine_(); }
    // Uniform in [0, n); n must be > 0.
    std::uint64_t below(std::uint64_t n);
    // Uniform in [lo, hi] inclusive.
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }
    // True with probability 1/n (RocksDB's one_in); n == 0 never, n == 1 always.
    bool one_in(std::uint64_t n) { return n != 0 && below(n) == 0; }
    // True with probability p, p in [0, 1], at 2^-53 resolution.
    bool chance(double p);
    void fill(void* data, std::size_t len);

    Rng stream(std::string_view name) const;

private:
    std::uint64_t seed_;
    std::mt19937_64 engine_;
};

}  // namespace dmemu::emu
