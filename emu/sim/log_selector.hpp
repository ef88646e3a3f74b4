// SPDX-License-Identifier: GPL-2.0-only
// A log named as `expect log-request` names it, for a crash trigger: `old` (the log before the
// newest on the wire: the live table's during a swap), `new` (the newest: the table just
// loaded), `Ln` (the n-th log to appear). Resolved when a request arrives, so `new` armed before
// a `load` means the log that load creates. Upper case is accepted too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dmemu::scenario {

class World;

bool valid_log_selector(std::string_view which);
// A predicate on a request's luid.
std::function<bool(std::uint64_t luid)> log_selector(World& world, const std::string& which);

}  // namespace dmemu::scenario
