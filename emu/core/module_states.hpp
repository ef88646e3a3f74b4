// SPDX-License-Identifier: GPL-2.0-only
// What a kernel module keeps in its statics, one per emulated kernel: dm-log-userspace's luid
// counter and its remote-recovering limit, for one. Each DeviceMapper owns one ModuleStates and
// hands it to its tables (TableEnvironment::module_states), so two emulators in one process, or
// a machine rebooted in a scenario, never share a module's state. A module's state is created
// on first use, value-initialised, and lives as long as the longest of the DeviceMapper and the
// objects that took a share of it.
#pragma once

#include <map>
#include <memory>
#include <typeindex>

namespace dmemu::emu {

class ModuleStates {
public:
    template <typename T>
    std::shared_ptr<T> get() {
        auto& slot = slots_[std::type_index(typeid(T))];
        if (!slot) slot = std::make_shared<T>();
        return std::static_pointer_cast<T>(slot);
    }

private:
    std::map<std::type_index, std::shared_ptr<void>> slots_;
};

}  // namespace dmemu::emu
