// SPDX-License-Identifier: GPL-2.0-only
// What a fault did, as a scenario trace records it: one event per firing, with the virtual time,
// the disk, the fault (kind and id), the sectors it touched and what happened to the I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "emu/io/bio.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::emu {

using FaultId = std::uint64_t;

struct FaultEvent {
    TimePoint time;
    std::string disk;
    std::string kind;   // the fault kind ("eio", "torn-write", ...) or "power-cut"
    FaultId fault = 0;  // the installed fault that fired; 0 for the power cut's own events
    Sector sector = 0;  // first sector touched
    std::uint64_t sectors = 0;
    std::string what;  // "read failed with -EIO", "delayed 5ms", "landed 3 of 8 sectors", ...
};

using FaultObserver = std::function<void(const FaultEvent&)>;

// One line for logs and text traces:
// "t=1.500000000 disk=ram0 fault=2 kind=eio sectors=100+8 read failed with -EIO".
std::string to_string(const FaultEvent& e);

}  // namespace dmemu::emu
