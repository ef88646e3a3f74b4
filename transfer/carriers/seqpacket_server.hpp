// SPDX-License-Identifier: GPL-2.0-only
// The listening end of a Unix SOCK_SEQPACKET carrier (packets as in seqpacket_connection.hpp).
//
// A log server process (dmemu-ulogd) listens with it on the userspace side. One peer at a
// time: a newly accepted connection replaces the current one (the previous is closed), which is
// what a restarted kernel side looks like. send() returns -ESRCH while no peer is connected.
// The socket file is created at construction (a stale socket file at the path is replaced;
// anything else there is an error) and removed at destruction.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "transfer/carriers/carrier.hpp"
#include "transfer/carriers/message_hook.hpp"

namespace dmemu::transfer {

class SeqpacketServer final : public Carrier {
public:
    // Throws std::system_error when the path cannot be bound.
    SeqpacketServer(boost::asio::io_context& ctx, std::string path, Side side);
    ~SeqpacketServer() override;
    SeqpacketServer(const SeqpacketServer&) = delete;
    SeqpacketServer& operator=(const SeqpacketServer&) = delete;

    const std::string& path() const;
    bool has_peer() const;
    // Closes the current connection (the peer sees EOF).
    void drop_peer();

    int send(std::vector<std::byte> message) override;
    void set_receiver(Receiver receiver) override;
    // Applied to messages sent (outgoing(side)) and received (incoming(side)) by this end.
    HookChain& hooks();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace dmemu::transfer
