// SPDX-License-Identifier: GPL-2.0-only
// The kernel's jiffies, read from the injected Clock, for targets whose timing the kernel
// counts in ticks (flakey's up/down intervals, delay's expiry).
//
// HZ is 250, Debian 12's CONFIG_HZ_250 (the oracle's 6.1.0 kernel). Tick 0 is the clock's epoch.
// msecs_to_jiffies rounds up, as include/linux/jiffies.h does when HZ divides 1000: a 1 ms delay
// waits for the next tick boundary after at least one whole tick (4 ms), a 100 ms delay 25 ticks.
#pragma once

#include <chrono>
#include <cstdint>

#include "emu/util/clock.hpp"

namespace dmemu::emu {

inline constexpr std::uint64_t kHz = 250;
inline constexpr Duration kJiffy = std::chrono::milliseconds(1000 / kHz);

inline std::uint64_t jiffies_at(TimePoint t) {
    return static_cast<std::uint64_t>(t.time_since_epoch() / kJiffy);
}

inline TimePoint jiffies_to_time(std::uint64_t j) {
    return TimePoint(kJiffy * static_cast<Duration::rep>(j));
}

inline std::uint64_t msecs_to_jiffies(std::uint32_t msecs) {
    constexpr std::uint64_t ms_per_jiffy = 1000 / kHz;
    return (std::uint64_t(msecs) + ms_per_jiffy - 1) / ms_per_jiffy;
}

}  // namespace dmemu::emu
