// SPDX-License-Identifier: GPL-2.0-only
// The target types built into the emulator, one per file in emu/targets/, and the one list that
// registers them (builtin.cpp), like the kernel's _inits[] in dm.c.
#pragma once

#include "emu/core/target.hpp"
#include "emu/core/target_registry.hpp"

namespace dmemu::emu {

extern const TargetType linear_target;
extern const TargetType striped_target;
extern const TargetType zero_target;
extern const TargetType error_target;
extern const TargetType mirror_target;
extern const TargetType flakey_target;
extern const TargetType delay_target;
extern const TargetType dust_target;

void register_builtin_targets(TargetRegistry& registry);

}  // namespace dmemu::emu
