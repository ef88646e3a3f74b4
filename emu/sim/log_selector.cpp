// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/log_selector.hpp"

#include <charconv>

#include "emu/sim/world.hpp"

namespace dmemu::scenario {

namespace {

// 0 for old/new (resolved late), n for Ln, -1 when malformed.
int fixed_log(std::string_view w) {
    if (w == "old" || w == "OLD" || w == "new" || w == "NEW") return 0;
    if (w.size() < 2 || (w[0] != 'L' && w[0] != 'l')) return -1;
    int n = 0;
    auto [p, ec] = std::from_chars(w.data() + 1, w.data() + w.size(), n);
    return ec == std::errc{} && p == w.data() + w.size() && n > 0 ? n : -1;
}

}  // namespace

bool valid_log_selector(std::string_view which) { return fixed_log(which) >= 0; }

std::function<bool(std::uint64_t)> log_selector(World& world, const std::string& which) {
    const int fixed = fixed_log(which);
    const bool newest = which == "new" || which == "NEW";
    return [&world, fixed, newest](std::uint64_t luid) {
        const int log = world.ulog().log_of(luid);
        if (fixed > 0) return log == fixed;
        const int seen = world.ulog().logs_seen();
        return log != 0 && log == (newest ? seen : seen - 1);
    };
}

}  // namespace dmemu::scenario
