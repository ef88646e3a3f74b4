// SPDX-License-Identifier: GPL-2.0-only
// The log-server crash trigger: the last hook on the ulog link (after the wire observer and the
// transport faults), so it sees each request as it reaches the server. Armed, it crashes the
// server the moment a selected request arrives, before the server handles it: the request is
// lost with the server (never forwarded), the kernel side hears nothing, times out after 15 s,
// and its resend meets a server that is gone (-ESRCH; docs/faults.md "Log-server crashes").
//
// Selection: the request type (any when unset), the sender's log (a predicate on the luid: the
// step resolves OLD/NEW/Ln when the request arrives), and a probability drawn from the armer's
// Rng stream; `times` crashes at most (then it disarms). Replies and bare acks pass untouched.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "emu/util/rng.hpp"
#include "transfer/carriers/message_hook.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::scenario {

struct CrashArm {
    std::optional<transfer::UlogRequestType> type;  // unset: any request
    std::function<bool(std::uint64_t luid)> luid;   // empty: any sender
    double p = 1.0;                                 // per selected request
    emu::Rng* rng = nullptr;                        // needed when p < 1; must outlive the arm
    std::uint64_t times = 1;
};

class CrashTrigger final : public transfer::MessageHook {
public:
    // Called when the trigger fires, with the request that dies with the server.
    using Crash = std::function<void(const transfer::UlogMessage& request)>;
    explicit CrashTrigger(Crash crash) : crash_(std::move(crash)) {}

    void arm(CrashArm arm) { arm_ = std::move(arm); }
    void disarm() { arm_.reset(); }
    bool armed() const { return arm_.has_value(); }

    void on_message(transfer::Direction direction, std::vector<std::byte> message,
                    Forward forward) override;

private:
    Crash crash_;
    std::optional<CrashArm> arm_;
};

}  // namespace dmemu::scenario
