// SPDX-License-Identifier: GPL-2.0-only
// A carrier moves whole messages (byte strings) between the kernel side and a log server, in
// both directions, and knows nothing of what they mean: the netlink connector's job.
//
// Contract, shared by every carrier:
//  * send() takes one whole message and returns at once: 0 when it was handed to the transport
//    (it may still be lost, as netlink may lose it), -ESRCH when no peer is listening (the
//    kernel's cn_netlink_send when nobody joined CN_IDX_DM), or another -errno.
//  * The receiver gets each whole message from the peer on the carrier's io_context, never
//    inline from send(). A side listens while it has a receiver; set_receiver(nullptr) stops it.
//  * Every message passes through the carrier's HookChain (message_hook.hpp) on its way.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

namespace dmemu::transfer {

// Which way a message travels.
enum class Direction {
    to_userspace,  // kernel -> log server (requests)
    to_kernel,     // log server -> kernel (replies, bare acks)
};

// Which end of the link a carrier endpoint is.
enum class Side { kernel, userspace };

constexpr Direction outgoing(Side side) {
    return side == Side::kernel ? Direction::to_userspace : Direction::to_kernel;
}
constexpr Direction incoming(Side side) {
    return side == Side::kernel ? Direction::to_kernel : Direction::to_userspace;
}
constexpr std::string_view to_string(Direction d) {
    return d == Direction::to_userspace ? "to_userspace" : "to_kernel";
}

class Carrier {
public:
    using Receiver = std::function<void(std::vector<std::byte>)>;

    virtual ~Carrier() = default;
    // 0, -ESRCH when no peer listens, or another -errno.
    virtual int send(std::vector<std::byte> message) = 0;
    virtual void set_receiver(Receiver receiver) = 0;
};

}  // namespace dmemu::transfer
