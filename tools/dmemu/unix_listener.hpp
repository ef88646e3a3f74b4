// SPDX-License-Identifier: GPL-2.0-only
// A Unix stream socket the daemon listens on: bound with mode 0600 (never world-connectable, not
// even briefly), a stale socket file replaced (the caller holds DIR's lock, so no live daemon
// owns it), each connection accepted on the loop and handed to `serve`. stop() closes the
// listener and every connection still open, and removes the file. The control socket and the
// dm_ioctl endpoint are two of these.
#pragma once

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <list>
#include <memory>
#include <string>

namespace dmemu::daemon {

class UnixListener {
public:
    using Socket = boost::asio::local::stream_protocol::socket;
    using Serve = std::function<boost::asio::awaitable<void>(std::shared_ptr<Socket>)>;

    // `what` names the socket in log lines and errors ("control", "ioctl").
    UnixListener(boost::asio::io_context& ctx, std::string path, std::string what);
    ~UnixListener();

    // Binds and listens; throws boost::system::system_error.
    void start(Serve serve);
    void stop();
    // A connection `serve` is done with: closed and forgotten.
    void hang_up(const std::shared_ptr<Socket>& sock);
    const std::string& path() const { return path_; }

private:
    boost::asio::awaitable<void> accept_loop();

    boost::asio::io_context& ctx_;
    std::string path_;
    std::string what_;
    Serve serve_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::list<std::shared_ptr<Socket>> clients_;  // loop thread only
    bool stopped_ = false;
};

}  // namespace dmemu::daemon
