// SPDX-License-Identifier: GPL-2.0-only
// The daemon's control socket, DIR/control.sock (Unix stream, mode 0600): each line a JSON
// DmRequest (dm_ioctl_json.hpp), answered by one line, the JSON DmReply, in order. Besides the
// ioctl commands, {"cmd":"shutdown"} asks the daemon to stop (answered first).
//
// A line that is not JSON or not a request gets an error reply (error -EINVAL, `detail` naming
// the problem) and the connection stays usable; a line over 16 MiB gets one and is hung up on.
// A client may vanish at any point: its ioctl still completes (as a kernel ioctl would), the
// reply is dropped. Each connection is one coroutine on the daemon's single io_context.
#pragma once

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "tools/dmemu/unix_listener.hpp"

namespace dmemu::emu {
class DeviceMapper;
}

namespace dmemu::daemon {

class ControlServer {
public:
    ControlServer(boost::asio::io_context& ctx, emu::DeviceMapper& dm, std::string socket_path,
                  std::function<void()> on_shutdown_request);
    ~ControlServer();

    // Binds and listens (mode 0600), replacing a stale socket file: the caller holds the
    // daemon lock, so no live daemon owns it. Throws std::system_error.
    void start();
    // Stops accepting, hangs up on every client, removes the socket file.
    void stop();

    // One request line to one reply line (no newlines); public for tests.
    boost::asio::awaitable<std::string> handle_line(std::string line);

private:
    using Socket = UnixListener::Socket;
    boost::asio::awaitable<void> serve(std::shared_ptr<Socket> sock);

    emu::DeviceMapper& dm_;
    std::function<void()> on_shutdown_request_;
    UnixListener listener_;
    bool shutdown_requested_ = false;
};

}  // namespace dmemu::daemon
