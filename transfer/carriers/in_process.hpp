// SPDX-License-Identifier: GPL-2.0-only
// The deterministic carrier: both ends in this process on one io_context. A message sent by one
// side runs through the link's HookChain and is then delivered to the other side with
// asio::post, in send order, never inline. The order of events therefore depends only on the
// order of sends and on the clock, so a scenario replays exactly from its seed.
//
// Listening: a side listens while it has a receiver; send() to a side that does not returns
// -ESRCH (what cn_netlink_send returns when no log server joined the group). A message in flight
// when its receiver goes away or is replaced is dropped, like netlink data queued on a socket
// that is closed: a restarted server never sees requests sent to the one that died.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "transfer/carriers/carrier.hpp"
#include "transfer/carriers/message_hook.hpp"

namespace dmemu::transfer {

class InProcessLink {
public:
    explicit InProcessLink(boost::asio::io_context& ctx);
    ~InProcessLink();
    InProcessLink(const InProcessLink&) = delete;
    InProcessLink& operator=(const InProcessLink&) = delete;

    Carrier& kernel_side();
    Carrier& server_side();
    // Applied once to every message in transit, in both directions.
    HookChain& hooks();

    // Messages handed to a receiver so far, per direction (after the hooks).
    std::uint64_t delivered(Direction direction) const;

private:
    struct State;
    class End;

    std::shared_ptr<State> state_;
    std::unique_ptr<End> kernel_;
    std::unique_ptr<End> server_;
};

}  // namespace dmemu::transfer
