// SPDX-License-Identifier: GPL-2.0-only
#include "emu/targets/builtin.hpp"

namespace dmemu::emu {

void register_builtin_targets(TargetRegistry& registry) {
    // Registration order: `dmsetup targets` lists the most recently registered first, so this
    // list runs in the reverse of the 6.1 guest's output (error, linear, striped, ...).
    registry.add(error_target);
    registry.add(linear_target);
    registry.add(striped_target);
    registry.add(mirror_target);
    registry.add(zero_target);
    registry.add(flakey_target);
    registry.add(delay_target);
    registry.add(dust_target);  // not built in the oracle kernel: listed first when present
}

}  // namespace dmemu::emu
