// SPDX-License-Identifier: GPL-2.0-only
// One connected AF_UNIX SOCK_SEQPACKET socket, shared by SeqpacketClient and SeqpacketServer.
// Each packet is one whole message: cn_msg + dm_ulog_request + data, the bytes the netlink
// connector would carry (no nlmsghdr). A reader coroutine delivers packets. send() writes a
// packet at once when nothing is queued (no completion hop: the ulog round trip is latency
// bound); otherwise an outbound queue written by one async_send at a time keeps send order.
// Both run on the socket's executor, so the queue needs no lock.
//
// The connection ends on EOF, on any socket error, or on close(). on_closed runs once, from the
// loop, unless close() was called by the owner (who already knows).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "transfer/carriers/seq_packet_protocol.hpp"

namespace dmemu::transfer {

class SeqpacketConnection : public std::enable_shared_from_this<SeqpacketConnection> {
public:
    using Socket = SeqPacketProtocol::socket;
    using OnMessage = std::function<void(std::vector<std::byte>)>;
    using OnClosed = std::function<void()>;

    // Large enough for any message whose cn_msg.len fits its u16; anything longer is truncated
    // by the kernel's recvmsg and dropped here.
    static constexpr std::size_t kMaxPacket = 20 + 65535;

    explicit SeqpacketConnection(Socket socket);
    ~SeqpacketConnection();

    void start(OnMessage on_message, OnClosed on_closed);
    // Queues one packet; silently dropped once closed.
    void send(std::vector<std::byte> packet);
    void close();
    bool is_open() const { return open_; }

private:
    void write_next();
    void fail(const char* what, const boost::system::error_code& ec);

    Socket socket_;
    std::shared_ptr<const OnMessage> on_message_;  // shared: see SeqpacketEnd::receiver_
    OnClosed on_closed_;
    std::deque<std::vector<std::byte>> outbound_;
    bool writing_ = false;
    bool open_ = true;
};

}  // namespace dmemu::transfer
