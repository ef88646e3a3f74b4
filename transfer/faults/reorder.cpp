// SPDX-License-Identifier: GPL-2.0-only
// reorder: a message is overtaken by the next one going the same way.
//
//   reorder [p=P] [hold=D] [dir=...] [type=...] [times=N]     (p default 1, hold default 100ms)
//
// Fault model: a selected message is held (with probability p, one per direction at a time)
// and delivered right after the next message in the same direction, whatever that one is. If
// none follows within `hold` on the Clock, it is delivered then, so nothing is held for ever;
// removing the fault delivers it at once. Nothing is lost. The kernel matches replies by seq,
// so swapped replies reach the right waiters; the server sees swapped requests in the swapped
// order. With dmemu's default one consult in flight, nothing follows a held request or reply
// until its hold ends: reorder then acts as a delay of `hold`; swaps need concurrent consults
// (KernelEndpointOptions::one_in_flight = false, the kernel's own behaviour) or duplicates.
#include <fmt/format.h>

#include <array>
#include <utility>

#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::transfer {

namespace {

constexpr std::size_t reorder_slot(Direction d) { return d == Direction::to_userspace ? 0 : 1; }

class ReorderFault final : public TransportFault {
public:
    ReorderFault(TransportFaultSetup setup, double p, emu::Duration hold)
        : TransportFault(std::move(setup)), p_(p), hold_(hold) {}

    void release() override {
        for (auto& slot : held_)
            if (slot) deliver(slot, "delivered at removal", true);
    }

protected:
    void act(const MessageInfo& info, std::vector<std::byte> message, Forward forward) override {
        auto& slot = held_[reorder_slot(info.direction)];
        if (slot || !rng().chance(p_)) {
            pass(info, std::move(message), std::move(forward));
            return;
        }
        fire(info, fmt::format("held, to be delivered after the next message {}",
                               fault_direction_name(info.direction)));
        const Direction d = info.direction;
        // Held weakly: the fault may be gone (removed, released) when the hold ends.
        const auto timer = clock().call_after(hold_, [weak = weak_from_this(), this, d] {
            const auto self = weak.lock();
            if (!self || !held_[reorder_slot(d)]) return;
            deliver(held_[reorder_slot(d)],
                    "delivered after " + format_fault_duration(hold_) + ": no message followed",
                    false);
        });
        slot = Held{info, std::move(message), std::move(forward), timer};
    }

    void pass(const MessageInfo& info, std::vector<std::byte> message, Forward forward) override {
        forward(std::move(message));
        auto& slot = held_[reorder_slot(info.direction)];
        if (slot)
            deliver(slot,
                    info.seq ? fmt::format("delivered after seq {}", *info.seq)
                             : std::string("delivered after the next message"),
                    true);
    }

private:
    struct Held {
        MessageInfo info;
        std::vector<std::byte> message;
        Forward forward;
        emu::TimerId timer;
    };

    void deliver(std::optional<Held>& slot, std::string what, bool cancel_timer) {
        Held held = std::move(*slot);
        slot.reset();
        if (cancel_timer) clock().cancel(held.timer);
        note(held.info, std::move(what));
        held.forward(std::move(held.message));
    }

    const double p_;
    const emu::Duration hold_;
    std::array<std::optional<Held>, 2> held_;  // by direction
};

std::shared_ptr<TransportFault> reorder_make(emu::SpecReader& spec, TransportFaultSetup setup) {
    const double p = spec.probability("p", 1.0);
    emu::Duration hold = std::chrono::milliseconds(100);
    if (const auto text = spec.value("hold")) {
        const auto d = emu::parse_fault_duration(*text);
        if (!d || *d <= emu::Duration::zero()) {
            spec.fail(fmt::format("bad duration hold='{}' (a positive 250ms, 1s, ...)", *text));
            return nullptr;
        }
        hold = *d;
    }
    if (!spec.ok()) return nullptr;
    return std::make_shared<ReorderFault>(std::move(setup), p, hold);
}

}  // namespace

const TransportFaultKind reorder_transport_fault{"reorder", "reorder [p=P] [hold=D]", true,
                                                 reorder_make};

}  // namespace dmemu::transfer
