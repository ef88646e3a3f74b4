// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/determinism.hpp"

#include <random>

namespace dmemu::emu {

namespace {
thread_local DeterminismGuard* armed = nullptr;
}  // namespace

DeterminismGuard::DeterminismGuard() : outer_(armed) { armed = this; }

DeterminismGuard::~DeterminismGuard() { armed = outer_; }

void DeterminismGuard::report(std::string_view what) {
    if (armed != nullptr) armed->violations_.emplace_back(what);
}

std::uint64_t entropy_seed() {
    DeterminismGuard::report("entropy_seed(): std::random_device");
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) | rd();
}

}  // namespace dmemu::emu
