// SPDX-License-Identifier: GPL-2.0-only
// The dirty-log types built into the emulator, one per file, listed here once
// (dm_dirty_log_type_register in dm-log.c and dm-log-userspace-base.c).
#include <array>

#include "logs/dirty_log.hpp"

namespace dmemu::logs {

extern const DirtyLogType core_log_type;       // logs/core_log.cpp
extern const DirtyLogType disk_log_type;       // logs/disk_log.cpp
extern const DirtyLogType userspace_log_type;  // logs/userspace/userspace_log.cpp

namespace {

// One line per log type; the size is deduced, so adding a line is the whole change.
const std::array kLogTypes{
    &core_log_type,
    &disk_log_type,
    &userspace_log_type,
};

}  // namespace

const DirtyLogType* find_dirty_log_type(std::string_view name) {
    for (const auto* t : kLogTypes)
        if (t->name == name) return t;
    return nullptr;
}

}  // namespace dmemu::logs
