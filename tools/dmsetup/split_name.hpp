// SPDX-License-Identifier: GPL-2.0-only
// A device name split into its owner's parts (dmsetup.c _get_split_name, libdm-string.c
// dm_split_lvm_name): the subsystem is the uuid's prefix before `separator` ('-' for a device's
// uuid; '\0', i.e. the whole word, for `splitname NAME SUBSYSTEM`). Only an "LVM" name is split,
// at single dashes, "--" standing for one dash: "vg--x-lv--y-layer" is vg-x, lv-y, layer.
#pragma once

#include <string>
#include <string_view>

namespace dmemu::dmsetup {

struct SplitName {
    std::string subsystem;
    std::string vg_name;
    std::string lv_name;
    std::string lv_layer;
};

SplitName split_name(std::string_view uuid, std::string_view name, char separator);

}  // namespace dmemu::dmsetup
