// SPDX-License-Identifier: GPL-2.0-only
// Reading a mirror's tables: the in-sync counts of its INFO status and the legs of its TABLE
// line, as dm-raid1 prints them (emu/targets/mirror.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "emu/core/dm_ioctl.hpp"

namespace dmemu::scenario {

struct MirrorSync {
    emu::Sector start = 0, length = 0;
    std::uint64_t in_sync = 0, regions = 0;
};

struct MirrorLeg {
    std::string device;  // "major:minor"
    emu::Sector offset = 0;
};

struct MirrorLayout {
    emu::Sector start = 0, length = 0;
    std::uint64_t region_size = 0;  // sectors; 0 when the log's arguments do not say
    std::vector<MirrorLeg> legs;
};

// The mirror targets of an INFO status reply ("2 1:0 1:1 12/16 1 AA 1 clustered-core").
std::vector<MirrorSync> mirror_sync(const std::vector<emu::DmTargetLine>& info);
// The mirror targets of a TABLE status reply; nullopt if a mirror line does not parse.
std::optional<std::vector<MirrorLayout>> mirror_layout(const std::vector<emu::DmTargetLine>& table);

}  // namespace dmemu::scenario
