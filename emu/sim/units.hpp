// SPDX-License-Identifier: GPL-2.0-only
// Sizes and durations as scenario files write them.
//   size:     512 (bytes), 8s (sectors), 4k/4K/4KiB, 1m/1M/1MiB, 1g/1G/1GiB (powers of 1024)
//   duration: 250ms, 15s, 2m, 1h, 100us
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "emu/util/clock.hpp"

namespace dmemu::scenario {

std::optional<std::uint64_t> parse_size_bytes(std::string_view word);
std::optional<emu::Duration> parse_duration(std::string_view word);
// "15s", "250ms", "1.5s" style text for messages and the trace.
std::string format_duration(emu::Duration d);

}  // namespace dmemu::scenario
