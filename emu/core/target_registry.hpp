// SPDX-License-Identifier: GPL-2.0-only
// Target types by name, filled from one explicit list (emu/targets/builtin.cpp), like the kernel's
// _inits[] in dm.c: static self-registration can be dropped by the linker from static libraries.
#pragma once

#include <string_view>
#include <vector>

#include "emu/core/target.hpp"

namespace dmemu::emu {

class TargetRegistry {
public:
    // Later registrations are listed first by `dmsetup targets`, as the kernel's list_add does.
    void add(const TargetType& type);
    const TargetType* find(std::string_view name) const;
    // In `dmsetup targets` order.
    std::vector<const TargetType*> list() const;

private:
    std::vector<const TargetType*> types_;  // registration order
};

}  // namespace dmemu::emu
