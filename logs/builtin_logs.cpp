// SPDX-License-Identifier: GPL-2.0-only
// The dirty-log types built into the emulator, one per file, listed here once
// (dm_dirty_log_type_register in dm-log.c and dm-log-userspace-base.c).
#include "logs/dirty_log.hpp"

#include <array>

namespace dmemu::logs {

namespace {

constexpr std::array<const DirtyLogType*, 0> kLogTypes{{
    // one line per log type
}};

}  // namespace

const DirtyLogType* find_dirty_log_type(std::string_view name) {
    for (const auto* t : kLogTypes)
        if (t->name == name) return t;
    return nullptr;
}

}  // namespace dmemu::logs
