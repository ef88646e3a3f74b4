// SPDX-License-Identifier: GPL-2.0-only
// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include "transfer/carriers/seqpacket_connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dmemu::transfer {

namespace asio = boost::asio;

namespace {

// keep_alive: the frame owns the connection (and so the socket) until the loop ends.
asio::awaitable<void> read_loop(
    [[maybe_unused]] std::shared_ptr<SeqpacketConnection> keep_alive,
    SeqpacketConnection::Socket& socket, std::function<void(std::vector<std::byte>)> deliver,
    std::function<void(const char*, const boost::system::error_code&)> fail) {
    // Asio's async_receive first tries a speculative recvmsg, which in a ping-pong fails with
    // EAGAIN nearly every time. Waiting for readability instead (async_wait) costs the same: Asio
    // re-arms the descriptor with an epoll_ctl per wait. So this stays the plain loop.
    std::vector<std::byte> buffer(SeqpacketConnection::kMaxPacket);
    for (;;) {
        boost::system::error_code ec;
        asio::socket_base::message_flags flags = 0;
        const std::size_t n = co_await socket.async_receive(
            asio::buffer(buffer), flags, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            fail("receive", ec);
            co_return;
        }
        if (n == 0) {  // SOCK_SEQPACKET: a zero-length read is the peer's orderly shutdown
            fail("receive", asio::error::eof);
            co_return;
        }
        if ((flags & MSG_TRUNC) != 0) {
            spdlog::warn("seqpacket: dropped a packet longer than {} bytes", buffer.size());
            continue;
        }
        deliver(std::vector<std::byte>(buffer.begin(),
                                       buffer.begin() + static_cast<std::ptrdiff_t>(n)));
    }
}

}  // namespace

SeqpacketConnection::SeqpacketConnection(Socket socket) : socket_(std::move(socket)) {
    // For the direct send in send(): would_block instead of blocking the loop. Async operations
    // are unaffected (Asio makes the descriptor non-blocking for them anyway).
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
}

SeqpacketConnection::~SeqpacketConnection() = default;

void SeqpacketConnection::start(OnMessage on_message, OnClosed on_closed) {
    on_message_ = std::make_shared<const OnMessage>(std::move(on_message));
    on_closed_ = std::move(on_closed);
    auto self = shared_from_this();
    std::weak_ptr<SeqpacketConnection> weak = self;
    asio::co_spawn(socket_.get_executor(),
                   read_loop(
                       self, socket_,
                       [weak](std::vector<std::byte> m) {
                           auto c = weak.lock();
                           if (!c || !c->open_ || !c->on_message_) return;
                           const auto deliver = c->on_message_;  // close() may reset it
                           (*deliver)(std::move(m));
                       },
                       [weak](const char* what, const boost::system::error_code& ec) {
                           if (auto c = weak.lock()) c->fail(what, ec);
                       }),
                   asio::detached);
}

void SeqpacketConnection::send(std::vector<std::byte> packet) {
    if (!open_) return;
    if (!writing_) {
        // Nothing queued: write now, as async_send would first try to, but without its
        // completion handler (a loop hop per message). A full socket queues the packet; an
        // error closes the connection from the loop, as a failed async_send did.
        boost::system::error_code ec;
        socket_.send(asio::buffer(packet), 0, ec);
        if (!ec) return;
        if (ec != asio::error::would_block && ec != asio::error::try_again) {
            asio::post(socket_.get_executor(),
                       [self = shared_from_this(), ec] { self->fail("send", ec); });
            return;
        }
    }
    outbound_.push_back(std::move(packet));
    if (!writing_) write_next();
}

void SeqpacketConnection::write_next() {
    writing_ = true;
    socket_.async_send(
        asio::buffer(outbound_.front()), 0,
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            if (!self->open_) return;
            self->outbound_.pop_front();
            if (ec) {
                self->fail("send", ec);
                return;
            }
            if (self->outbound_.empty())
                self->writing_ = false;
            else
                self->write_next();
        });
}

void SeqpacketConnection::close() {
    if (!open_) return;
    open_ = false;
    on_message_ = nullptr;
    on_closed_ = nullptr;
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);  // a pending async_send completes aborted; its buffer stays queued
}

void SeqpacketConnection::fail(const char* what, const boost::system::error_code& ec) {
    if (!open_) return;
    if (ec == asio::error::eof || ec == asio::error::connection_reset)
        spdlog::info("seqpacket: peer closed the connection");
    else
        spdlog::warn("seqpacket: {} failed: {}", what, ec.message());
    auto notify = std::move(on_closed_);
    close();
    if (notify) notify();
}

}  // namespace dmemu::transfer
