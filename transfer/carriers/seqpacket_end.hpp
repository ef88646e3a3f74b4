// SPDX-License-Identifier: GPL-2.0-only
// The part SeqpacketClient and SeqpacketServer share: one end's side, hooks, receiver and its
// current connection. Outgoing messages pass the hooks, then go to the connection that was
// current when they were sent (a delayed message never jumps to a newer connection). Incoming
// packets pass the hooks, then reach the receiver current at delivery.
//
// Held by shared_ptr so connection callbacks and delayed hook forwards can outlive the carrier
// object harmlessly (they find the end gone, or its receiver cleared).
#pragma once

#include <memory>
#include <vector>

#include "transfer/carriers/carrier.hpp"
#include "transfer/carriers/message_hook.hpp"
#include "transfer/carriers/seqpacket_connection.hpp"

namespace dmemu::transfer {

class SeqpacketEnd : public std::enable_shared_from_this<SeqpacketEnd> {
public:
    explicit SeqpacketEnd(Side side) : side_(side) {}

    bool connected() const { return conn_ && conn_->is_open(); }
    // Makes socket the current connection, closing any previous one.
    void attach(SeqpacketConnection::Socket socket);
    void detach();
    // 0, or -ESRCH when there is no connection.
    int send(std::vector<std::byte> message);
    void set_receiver(Carrier::Receiver receiver) {
        receiver_ =
            receiver ? std::make_shared<const Carrier::Receiver>(std::move(receiver)) : nullptr;
    }
    HookChain& hooks() { return hooks_; }

private:
    void deliver(std::vector<std::byte> message);

    Side side_;
    HookChain hooks_;
    // Shared, so a delivery holds the receiver it started with (it may replace itself while
    // running) without copying the std::function, which would allocate per message.
    std::shared_ptr<const Carrier::Receiver> receiver_;
    std::shared_ptr<SeqpacketConnection> conn_;
};

}  // namespace dmemu::transfer
