// SPDX-License-Identifier: GPL-2.0-only
// The kernel's side of the netlink connector for real processes: what `dmemu start --netlink`
// uses instead of dialing dmemu-ulogd. It listens on a Unix SOCK_SEQPACKET socket
// (DIR/connector.sock); libdmemu-preload.so turns a program's
// socket(PF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR) into a connection to it, so each connection
// is one netlink socket in group CN_IDX_DM (the real cmirrord, unmodified).
//
// send() is cn_netlink_send: the message framed as netlink_frame.hpp says, multicast to every
// connected socket; -ESRCH when there is none. A datagram from any socket is unframed and
// checked as cn_rx_skb does (what fails is dropped, logged at debug) and reaches the receiver.
// Any number of sockets may be connected at once, as any number of processes may join the
// group; one that goes away simply stops receiving. Not modelled: the CAP_SYS_ADMIN check of
// dm-log-userspace's callback (every connected process counts as privileged), and group
// membership (a connected socket receives from the start; cmirrord joins at once anyway).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transfer/carriers/carrier.hpp"
#include "transfer/carriers/message_hook.hpp"

namespace dmemu::transfer {

class NetlinkConnectorServer final : public Carrier {
public:
    // Throws std::system_error when the path cannot be bound.
    NetlinkConnectorServer(boost::asio::io_context& ctx, std::string path);
    ~NetlinkConnectorServer() override;
    NetlinkConnectorServer(const NetlinkConnectorServer&) = delete;
    NetlinkConnectorServer& operator=(const NetlinkConnectorServer&) = delete;

    const std::string& path() const;
    std::size_t listeners() const;
    // Called with the number of connected sockets whenever one joins or goes away.
    void on_listeners_changed(std::function<void(std::size_t)> fn);
    // Keeps `file` holding that number (written whole, by rename), for scripts that wait for a
    // process to join (tools/cmirrord/run.sh reads DIR/connector.listeners). Replaces the
    // on_listeners_changed callback.
    void publish_listeners(std::string file);

    int send(std::vector<std::byte> message) override;
    void set_receiver(Receiver receiver) override;
    // Applied to messages as the kernel sends and receives them (without the netlink header).
    HookChain& hooks();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace dmemu::transfer
