// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/target_registry.hpp"

#include <stdexcept>
#include <string>

namespace dmemu::emu {

void TargetRegistry::add(const TargetType& type) {
    if (find(type.name) != nullptr)
        throw std::logic_error("target type registered twice: " + std::string(type.name));
    types_.push_back(&type);
}

const TargetType* TargetRegistry::find(std::string_view name) const {
    for (const auto* t : types_)
        if (t->name == name) return t;
    return nullptr;
}

std::vector<const TargetType*> TargetRegistry::list() const {
    return {types_.rbegin(), types_.rend()};
}

}  // namespace dmemu::emu
