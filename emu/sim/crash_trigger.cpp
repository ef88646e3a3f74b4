// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/crash_trigger.hpp"

namespace dmemu::scenario {

void CrashTrigger::on_message(transfer::Direction direction, std::vector<std::byte> message,
                              Forward forward) {
    if (!arm_ || direction != transfer::Direction::to_userspace) {
        forward(std::move(message));
        return;
    }
    auto m = transfer::decode(message);
    const bool selected = m && !m->is_bare_ack() && (!arm_->type || m->req->type == *arm_->type) &&
                          (!arm_->luid || arm_->luid(m->req->luid));
    // The draw happens only for selected requests, in message order: the same seed and traffic
    // give the same crash.
    if (!selected || (arm_->p < 1.0 && !(arm_->rng && arm_->rng->chance(arm_->p)))) {
        forward(std::move(message));
        return;
    }
    if (--arm_->times == 0) arm_.reset();
    crash_(*m);  // not forwarded: the request dies with the server
}

}  // namespace dmemu::scenario
