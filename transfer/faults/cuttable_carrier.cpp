// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/faults/cuttable_carrier.hpp"

#include <cerrno>

namespace dmemu::transfer {

CuttableCarrier::CuttableCarrier(Carrier& next, Side side) : next_(next), side_(side) {}

CuttableCarrier::~CuttableCarrier() {
    if (receiving_) next_.set_receiver(nullptr);
}

int CuttableCarrier::send(std::vector<std::byte> message) {
    if (cut_) {
        refuse(outgoing(side_), message);
        return -ESRCH;
    }
    return next_.send(std::move(message));
}

void CuttableCarrier::set_receiver(Receiver receiver) {
    receiver_ = std::move(receiver);
    receiving_ = static_cast<bool>(receiver_);
    if (!receiving_) {
        next_.set_receiver(nullptr);
        return;
    }
    // Set anew each time, so the wrapped carrier's own rules (in-flight data belongs to the
    // receiver it was sent to) hold through the wrapper.
    next_.set_receiver([this](std::vector<std::byte> message) {
        if (cut_) {
            refuse(incoming(side_), message);
            return;
        }
        auto receiver = receiver_;  // it may replace itself while running
        if (receiver) receiver(std::move(message));
    });
}

void CuttableCarrier::refuse(Direction direction, std::span<const std::byte> message) {
    ++refused_;
    if (on_refused_) on_refused_(direction, message);
}

}  // namespace dmemu::transfer
