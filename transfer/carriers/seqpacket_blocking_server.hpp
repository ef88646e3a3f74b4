// SPDX-License-Identifier: GPL-2.0-only
// The listening end of a Unix SOCK_SEQPACKET carrier (packets as in seqpacket_connection.hpp)
// for a process that does nothing but answer: dmemu-ulogd. It is served by blocking calls on the
// thread that calls serve(), with no event loop: a request costs recvmsg + send, two syscalls,
// where Asio's reactor spends four (a speculative recvmsg that fails with EAGAIN in a ping-pong,
// epoll_wait, recvmsg, send) and a trip through its queue. That is most of the gap between the
// socket carrier and a bare ping-pong (tools/bench/ulog_bench.cpp).
//
// Same contract as SeqpacketServer, the Asio one kept for processes with a loop:
//  * One peer at a time; a newly connecting peer replaces the current one, which is closed.
//    A connection attempt raises SIGIO on the listening socket (O_ASYNC); the handler shuts the
//    current connection down if a connection is really pending, so the blocked recvmsg returns
//    and the next accept takes the newcomer.
//  * send() returns -ESRCH while no peer is connected. The receiver runs on the serving thread,
//    one message at a time, never inline from send().
//  * The socket file is created at construction (a stale socket file is replaced, anything else
//    there is an error) and removed at destruction.
//
// No hook chain: a hook that keeps a message to forward later needs a loop. An inspector sees
// each incoming message before delivery (dmemu-ulogd --crash-at kills the process there).
//
// Signals: request_stop() is async-signal-safe and meant for a SIGTERM/SIGINT handler. It shuts
// both sockets down, which makes a blocked accept or recvmsg return at once and one about to
// block return too, so a stop is never lost between a check and a call. The signal handlers
// reach the sockets through static state, so there is one instance per process.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "transfer/carriers/carrier.hpp"

namespace dmemu::transfer {

class SeqpacketBlockingServer final : public Carrier {
public:
    using Inspector = std::function<void(std::span<const std::byte>)>;

    // Throws std::system_error when the path cannot be bound, or std::logic_error when another
    // instance exists in this process.
    explicit SeqpacketBlockingServer(std::string path);
    ~SeqpacketBlockingServer() override;
    SeqpacketBlockingServer(const SeqpacketBlockingServer&) = delete;
    SeqpacketBlockingServer& operator=(const SeqpacketBlockingServer&) = delete;

    const std::string& path() const { return path_; }

    int send(std::vector<std::byte> message) override;
    void set_receiver(Receiver receiver) override { receiver_ = std::move(receiver); }
    void set_inspector(Inspector inspector) { inspector_ = std::move(inspector); }

    // Accepts peers and delivers their messages until request_stop(). The calling thread takes
    // the SIGIO of connection attempts (the constructor blocks it for the others).
    void serve();
    // Async-signal-safe; later serve() calls return at once.
    static void request_stop();

private:
    void serve_peer(int fd);

    std::string path_;
    Receiver receiver_;
    Inspector inspector_;
    // recvmsg's buffer, room for the longest packet.
    std::vector<std::byte> packet_;
    // What the receiver gets: the packet's bytes. A reply is usually the request's own vector
    // (LogServerConnection encodes into it), so send() takes it back for the next message: no
    // allocation per message in the steady state.
    std::vector<std::byte> message_;
};

}  // namespace dmemu::transfer
