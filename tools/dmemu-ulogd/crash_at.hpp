// SPDX-License-Identifier: GPL-2.0-only
// --crash-at TYPE[:N]: the server process dies by SIGKILL when the N-th request of TYPE
// (default the first) arrives, before it is handled, so the request is lost with the server:
// a log-server crash at a chosen point of a live run (issue #7). The kernel side then sees
// -ESRCH and runs its reconnect path once a new dmemu-ulogd listens (docs/faults.md).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "transfer/carriers/message_hook.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::ulogd {

struct CrashAt {
    transfer::UlogRequestType type;
    unsigned nth = 1;
};

// Parses "RESUME", "DM_ULOG_RESUME", "RESUME:3"; nullopt and *error when it is not one.
std::optional<CrashAt> parse_crash_at(std::string_view text, std::string* error);

// A hook on the server's incoming messages that kills the process at the point `at` names.
std::shared_ptr<transfer::MessageHook> make_crash_hook(CrashAt at);

}  // namespace dmemu::ulogd
