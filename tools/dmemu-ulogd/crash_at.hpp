// SPDX-License-Identifier: GPL-2.0-only
// --crash-at TYPE[:N]: the server process dies by SIGKILL when the N-th request of TYPE
// (default the first) arrives, before it is handled, so the request is lost with the server:
// a log-server crash at a chosen point of a live run (issue #7). The kernel side then sees
// -ESRCH and runs its reconnect path once a new dmemu-ulogd listens (docs/faults.md).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "transfer/ulog_request.hpp"

namespace dmemu::ulogd {

struct CrashAt {
    transfer::UlogRequestType type;
    unsigned nth = 1;
};

// Parses "RESUME", "DM_ULOG_RESUME", "RESUME:3"; nullopt and *error when it is not one.
std::optional<CrashAt> parse_crash_at(std::string_view text, std::string* error);

// A check of each incoming message (the server's inspector) that kills the process at the point
// `at` names.
std::function<void(std::span<const std::byte>)> make_crash_check(CrashAt at);

}  // namespace dmemu::ulogd
