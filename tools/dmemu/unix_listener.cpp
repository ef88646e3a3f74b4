// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/unix_listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dmemu::daemon {

namespace asio = boost::asio;

UnixListener::UnixListener(asio::io_context& ctx, std::string path, std::string what)
    : ctx_(ctx), path_(std::move(path)), what_(std::move(what)), acceptor_(ctx) {}

UnixListener::~UnixListener() { stop(); }

void UnixListener::start(Serve serve) {
    serve_ = std::move(serve);
    ::unlink(path_.c_str());
    const mode_t old_umask = ::umask(0077);
    boost::system::error_code ec;
    acceptor_.open(asio::local::stream_protocol(), ec);
    if (!ec) acceptor_.bind(asio::local::stream_protocol::endpoint(path_), ec);
    ::umask(old_umask);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw boost::system::system_error(ec, what_ + ": cannot listen on " + path_);
    ::chmod(path_.c_str(), 0600);
    asio::co_spawn(ctx_, accept_loop(), asio::detached);
}

void UnixListener::stop() {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& c : clients_) c->close(ec);
    clients_.clear();
    ::unlink(path_.c_str());
}

void UnixListener::hang_up(const std::shared_ptr<Socket>& sock) {
    boost::system::error_code ignored;
    sock->close(ignored);
    clients_.remove(sock);
}

asio::awaitable<void> UnixListener::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        Socket sock =
            co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (stopped_ || ec == asio::error::operation_aborted) co_return;
            spdlog::warn("{}: accept failed: {}", what_, ec.message());
            continue;
        }
        auto shared = std::make_shared<Socket>(std::move(sock));
        clients_.push_back(shared);
        asio::co_spawn(ctx_, serve_(shared), asio::detached);
    }
}

}  // namespace dmemu::daemon
