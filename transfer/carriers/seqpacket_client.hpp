// SPDX-License-Identifier: GPL-2.0-only
// The connecting end of a Unix SOCK_SEQPACKET carrier. Packets carry exactly the netlink
// connector payload (cn_msg + dm_ulog_request + data), see seqpacket_connection.hpp.
//
// The dmemu daemon uses it on the kernel side to reach a log server process (dmemu-ulogd)
// listening on a socket path. Like netlink with no listener, send() returns -ESRCH while there
// is no connection; with auto_connect (the default) each send() first tries to connect, so a
// restarted server is found again by the next request (the kernel's -ESRCH loop retries every
// 2 s). When the peer goes away the client notices at its next read and falls back to
// "not connected".
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "transfer/carriers/carrier.hpp"
#include "transfer/carriers/message_hook.hpp"

namespace dmemu::transfer {

class SeqpacketEnd;

class SeqpacketClient final : public Carrier {
public:
    SeqpacketClient(boost::asio::io_context& ctx, std::string path, Side side,
                    bool auto_connect = true);
    ~SeqpacketClient() override;
    SeqpacketClient(const SeqpacketClient&) = delete;
    SeqpacketClient& operator=(const SeqpacketClient&) = delete;

    // 0 when connected (already, or now), else -errno of connect(2) (-ENOENT, -ECONNREFUSED ...).
    int connect();
    void disconnect();
    bool connected() const;

    int send(std::vector<std::byte> message) override;
    void set_receiver(Receiver receiver) override;
    // Applied to messages sent (outgoing(side)) and received (incoming(side)) by this end.
    HookChain& hooks();

private:
    boost::asio::io_context& ctx_;
    std::string path_;
    bool auto_connect_;
    std::shared_ptr<SeqpacketEnd> end_;
};

}  // namespace dmemu::transfer
